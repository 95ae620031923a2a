// Fuzz builds only (clang): cpu_fast's AVX-512 kernels do not compile with clang as written, and
// the settings target links the controller (and through it the model layer), which name these
// functions. Loading settings never computes, so plain reference code stands in; the GCC builds
// link the real cpu_fast.
#include <cmath>

#include "core/attention.h"
#include "core/cpu_fast.h"

namespace attnviz {
AttentionResult computeFast(const AttentionProblem& problem) { return computeReference(problem); }
void computeFastInto(const AttentionProblem& problem, AttentionResult& out, const CpuFastOptions&) {
  out = computeReference(problem);
}
void cpuFastExp2(SimdPath, const float* x, float* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = std::exp2(x[i]);
}
}  // namespace attnviz
