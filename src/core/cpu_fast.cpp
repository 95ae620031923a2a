// First version: float accumulation, one pass per row. To be vectorised and threaded.
#include "core/cpu_fast.h"

#include <cmath>
#include <stdexcept>

namespace attnviz {

AttentionResult computeFast(const AttentionProblem& problem) {
  if (std::string why = problem.validate(); !why.empty()) throw std::invalid_argument(why);
  AttentionResult r;
  r.heads = problem.heads;
  r.nq = problem.nq;
  r.nk = problem.nk;
  r.p.assign(std::size_t(r.heads) * r.nq * r.nk, 0.0f);
  r.row_fully_masked.assign(std::size_t(r.heads) * r.nq, 0);
  const float scale = float(problem.scoreScale());
  for (int h = 0; h < r.heads; ++h)
    for (int i = 0; i < r.nq; ++i) {
      float* out = r.p.data() + r.index(h, i, 0);
      const float* qi = &problem.q[problem.qIndex(h, i, 0)];
      float mx = -INFINITY;
      for (int j = 0; j < r.nk; ++j) {
        if (!problem.visible(i, j)) { out[j] = -INFINITY; continue; }
        const float* kj = &problem.k[problem.kIndex(h, j, 0)];
        float dot = 0.0f;
        for (int c = 0; c < problem.d; ++c) dot += qi[c] * kj[c];
        out[j] = dot * scale;
        mx = std::fmax(mx, out[j]);
      }
      if (mx == -INFINITY) {
        for (int j = 0; j < r.nk; ++j) out[j] = 0.0f;
        r.row_fully_masked[std::size_t(h) * r.nq + i] = 1;
        continue;
      }
      float sum = 0.0f;
      for (int j = 0; j < r.nk; ++j) { out[j] = std::exp(out[j] - mx); sum += out[j]; }
      for (int j = 0; j < r.nk; ++j) out[j] /= sum;
    }
  return r;
}

}  // namespace attnviz
