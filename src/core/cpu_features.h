// What the CPU we run on can do, detected at run time (the binary is built for baseline x86-64;
// the fast kernels are compiled per instruction set and chosen here). Needs no GL context.
#pragma once

#include <string>
#include <vector>

namespace attnviz {

// Instruction-set paths of the CPU kernels, slowest first.
enum class SimdPath {
  Scalar,  // plain C++
  Avx2,    // AVX2 + FMA, 8 floats per vector
  Avx512,  // AVX-512F, 16 floats per vector
};

const char* simdPathName(SimdPath path);  // "scalar", "avx2", "avx512"
bool simdPathSupported(SimdPath path);    // CPU and OS support it (CPUID + XGETBV, via __builtin_cpu_supports)
std::vector<SimdPath> supportedSimdPaths();  // slowest first, always starts with Scalar
// The fastest supported path, unless ATTNVIZ_SIMD=scalar|avx2|avx512 asks for a slower supported one.
SimdPath bestSimdPath();

// "model name" from /proc/cpuinfo (e.g. "AMD EPYC 9654 96-Core Processor"), else "unknown CPU".
std::string cpuModelName();
// std::thread::hardware_concurrency(), at least 1.
int hardwareThreads();

}  // namespace attnviz
