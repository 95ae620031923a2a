// cpu-fast: the optimised CPU engine. Same contract and layout as computeReference (see
// core/attention.h); agrees with it within the tolerance stated in tests/core/cpu_fast_test.cpp (a
// bound derived from float rounding: |dP| <= tanh(D/2) + sum and exp terms, D = gamma(d+2) *
// scoreScale() * max|q| * max|k|; about 3e-5 for N(0,1) data, d = 64, T = 1, where the errors seen
// are about 1e-7).
//
// How (cpu_fast.cpp says why):
//   * K of every head is packed once per call into panels of NR keys, [panel][d][NR] (transposed),
//     so the Q·Kᵀ micro-kernel loads NR keys with NR/W vector loads and broadcasts Q;
//   * tasks = (head, block of up to 4 micro-tiles of MR query rows that share each key panel),
//     handed out by the shared ThreadPool; a task computes its rows' scores into a per-worker
//     scratch block (<= 640 KiB, L2-resident), then per row a max pass, a fused exp2 + sum pass and
//     one normalising pass that writes the output row exactly once (non-temporal stores when the
//     output is larger than the last-level cache);
//   * the scale 1/sqrt(d)/T and log2(e) are folded into Q, so exp(s - max) is one exp2;
//   * causal rows skip the key panels that are entirely masked;
//   * AVX-512 (16 lanes), AVX2+FMA (8 lanes) and scalar kernels, chosen at run time; and
//     (SimdPath::Amx) Q·Kᵀ on AMX-BF16 tiles as three bf16 products (q = qh + ql, k = kh + kl;
//     qh·kh + qh·kl + ql·kh accumulated in float), for d a multiple of 32 (else AVX-512). Its
//     errors are within the same derived bound (the test table runs on it too) but ~10x those of
//     the float paths (~1e-6 against ~1e-7 on N(0,1) data), so it is taken by default only where
//     it pays: problems of at least kCpuFastAmxMinProbabilities (see cpuFastDefaultPath).
// A row whose scores are not finite in float (inputs of ~1e19 or NaN) is recomputed exactly as
// computeReference does, in double. Needs no GL context. Thread-safe (calls are serialised).
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "core/attention.h"
#include "core/cpu_features.h"

namespace attnviz {

// Outputs of at least this many bytes are written with non-temporal stores by default: they do not
// fit in the last-level cache anyway (32 MiB on the machine this was tuned on).
inline constexpr std::size_t kCpuFastStreamingBytes = std::size_t(32) << 20;

// From this many probabilities (heads * nq * nk: n = 512 at 4 heads) the AMX path is cpu-fast's
// default where the CPU has it. Below, a call takes under a millisecond on either path, so the float
// path's smaller error costs nothing; above, the tiles cut the time by up to a third.
inline constexpr std::size_t kCpuFastAmxMinProbabilities = std::size_t(1) << 20;

// The path computeFast takes for `problem` when CpuFastOptions::simd is not set: the one ATTNVIZ_SIMD
// names if any; else Amx when the CPU has it, d is a multiple of 32 (at most 1024) and the problem
// has at least kCpuFastAmxMinProbabilities; else bestSimdPath().
SimdPath cpuFastDefaultPath(const AttentionProblem& problem);
// The same as one line for `attnviz info` and the Benchmark tab, e.g.
// "avx512; amx-bf16x3 from 2^20 probabilities when d % 32 == 0".
std::string cpuFastPathsDescription();

struct CpuFastOptions {
  std::optional<SimdPath> simd;  // default: cpuFastDefaultPath(); an unsupported path throws std::invalid_argument
  int max_threads = 0;           // 0: every worker of sharedThreadPool(); 1: only the calling thread
  enum class Stores { Auto, Streaming, Regular };
  // Auto: non-temporal (streaming) stores when the output is at least kCpuFastStreamingBytes.
  Stores stores = Stores::Auto;
};

// Computes into out, reusing out.p's storage when it already holds heads*nq*nk floats (then nothing
// is allocated and out.p is written exactly once). Throws std::invalid_argument like computeReference.
void computeFastInto(const AttentionProblem& problem, AttentionResult& out, const CpuFastOptions& options = {});

// The same into a new result. For large outputs much of the time goes to the allocation itself
// (the kernel zeroes the fresh pages on first touch): reuse a result with computeFastInto to avoid it.
AttentionResult computeFast(const AttentionProblem& problem);

// Test hook: the vectorised exp2 of one path. out[i] = 2^x[i] for -126 <= x[i] <= 0, 0 for x < -126
// (and -inf), NaN for NaN. Relative error within a few float ulps (see cpu_fast_test.cpp).
void cpuFastExp2(SimdPath path, const float* x, float* out, std::size_t n);

}  // namespace attnviz
