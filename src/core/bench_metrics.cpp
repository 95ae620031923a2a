#include "core/bench_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace attnviz {

TimingSummary summarizeTimes(std::vector<double> ms) {
  TimingSummary s;
  if (ms.empty()) return s;
  std::sort(ms.begin(), ms.end());
  const std::size_t n = ms.size();
  s.median_ms = n % 2 ? ms[n / 2] : 0.5 * (ms[n / 2 - 1] + ms[n / 2]);
  s.min_ms = ms.front();
  s.max_ms = ms.back();
  return s;
}

double visiblePairs(int nq, int nk, bool causal) {
  if (!causal) return double(nq) * nk;
  // rows i < nk see i + 1 keys; rows i >= nk see all nk.
  const double full_rows = std::max(0, nq - nk);
  const double m = std::min(nq, nk);
  return m * (m + 1) / 2 + full_rows * nk;
}

double attentionFlops(int heads, int nq, int nk, int d, bool causal) {
  return double(heads) * visiblePairs(nq, nk, causal) * (2.0 * d + 5.0);
}

double attentionFmaFlops(int heads, int nq, int nk, int d, bool causal) {
  return double(heads) * visiblePairs(nq, nk, causal) * 2.0 * d;
}

double attentionOutputBytes(int heads, int nq, int nk) { return 4.0 * heads * double(nq) * nk; }

double maxAbsDifference(const AttentionResult& a, const AttentionResult& b) {
  const double inf = std::numeric_limits<double>::infinity();
  if (a.heads != b.heads || a.nq != b.nq || a.nk != b.nk || a.p.size() != b.p.size()) return inf;
  if (a.row_fully_masked != b.row_fully_masked) return inf;
  double worst = 0;
  for (std::size_t e = 0; e < a.p.size(); ++e) {
    const double x = a.p[e], y = b.p[e];
    if (!std::isfinite(x) || !std::isfinite(y)) {
      if (!(x == y)) return inf;  // NaN never equals; inf only equals the same inf
      continue;
    }
    worst = std::max(worst, std::fabs(x - y));
  }
  return worst;
}

}  // namespace attnviz
