// What the CPU we run on can do, detected at run time (the binary is built for baseline x86-64;
// the fast kernels are compiled per instruction set and chosen here). Needs no GL context.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace attnviz {

// Instruction-set paths of the CPU kernels, slowest first.
enum class SimdPath {
  Scalar,  // plain C++
  Avx2,    // AVX2 + FMA, 8 floats per vector
  Avx512,  // AVX-512F, 16 floats per vector
  Amx,     // cpu-fast's Q·Kᵀ on AMX-BF16 tiles as three bf16 products (hi·hi + hi·lo + lo·hi, float
           // accumulation, about float accuracy), the rest AVX-512; for the roofs the same as Avx512
};

const char* simdPathName(SimdPath path);  // "scalar", "avx2", "avx512", "amx-bf16x3"
// CPU and OS support it (CPUID + XGETBV, via __builtin_cpu_supports; for Amx also AMX-TILE,
// AMX-BF16 and AVX512-BF16 in CPUID and the kernel's permission to use the tile data, asked once).
bool simdPathSupported(SimdPath path);
std::vector<SimdPath> supportedSimdPaths();  // slowest first, always starts with Scalar
// The fastest supported path with float products (Avx512, Avx2 or Scalar), unless
// ATTNVIZ_SIMD=scalar|avx2|avx512|amx-bf16x3 asks for another supported one. (cpu-fast also takes
// Amx for large problems on its own: see cpuFastDefaultPath in core/cpu_fast.h.)
SimdPath bestSimdPath();
// The supported path ATTNVIZ_SIMD names, if it names one.
std::optional<SimdPath> requestedSimdPath();

// "model name" from /proc/cpuinfo (e.g. "AMD EPYC 9654 96-Core Processor"), else "unknown CPU".
std::string cpuModelName();
// std::thread::hardware_concurrency(), at least 1.
int hardwareThreads();

}  // namespace attnviz
