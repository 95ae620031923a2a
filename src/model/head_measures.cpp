#include "model/head_measures.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace attnviz::model {

const std::vector<MeasureInfo>& measureInfos() {
  static const std::vector<MeasureInfo> infos = {
      {"entropy_bits", "Entropy", "Mean entropy of a query's attention row, in bits (0 = one key, log2(i+1) = uniform)."},
      {"mean_distance", "Distance", "Mean attention distance: sum over keys of weight x |query - key| positions, in tokens (self-attention only)."},
      {"previous_token", "Prev token", "Previous-token score: mean weight of query i on key i-1 (self-attention only)."},
      {"sink_mass", "Sink", "Sink mass: mean weight on the first token (Xiao et al. 2023)."},
      {"confidence", "Confidence", "Confidence: mean of each row's largest weight (Voita et al. 2019)."},
      {"induction", "Induction",
       "Induction score: on random tokens repeated twice, mean weight of i on i-T+1, the token after its earlier copy "
       "(Olsson et al. 2022)."},
  };
  return infos;
}

HeadMeasures measureMap(const float* p, int nq, int nk, bool causal) {
  HeadMeasures m;
  const bool square = nq == nk;
  if (!square) m.mean_distance = m.previous_token = std::nan("");
  // A causal map's row 0 can only attend to itself; a bidirectional map's row 0 ([CLS]) is a real row.
  const int first = causal ? 1 : 0;
  if (nq - first < 1 || nk < 1) return m;
  double entropy = 0, distance = 0, previous = 0, sink = 0, confidence = 0;
  for (int i = first; i < nq; ++i) {
    const float* row = p + std::size_t(i) * std::size_t(nk);
    const int last = causal ? std::min(i, nk - 1) : nk - 1;
    double e = 0, dist = 0, mx = 0;
    for (int j = 0; j <= last; ++j) {
      const double a = row[j];
      if (a > 0) e -= a * std::log2(a);
      dist += a * std::abs(i - j);
      mx = std::max(mx, a);
    }
    entropy += e;
    distance += dist;
    if (i >= 1) previous += row[i - 1];
    sink += row[0];
    confidence += mx;
  }
  const double rows = nq - first;
  m.entropy_bits = entropy / rows;
  m.sink_mass = sink / rows;
  m.confidence = confidence / rows;
  if (square) {
    m.mean_distance = distance / rows;
    if (nq > 1) m.previous_token = previous / (nq - 1);
  }
  return m;
}

double inductionScore(const float* p, int n, int repeat) {
  if (repeat < 2 || n < 2 * repeat) throw std::invalid_argument("induction score needs n >= 2 * repeat and repeat >= 2");
  // Positions of the random tokens: [offset, offset + T) and [offset + T, offset + 2T); a BOS
  // token, when the caller prepends one, shifts both copies by n - 2T.
  const int offset = n - 2 * repeat;
  double sum = 0;
  for (int i = offset + repeat; i < offset + 2 * repeat; ++i) sum += p[std::size_t(i) * n + (i - repeat + 1)];
  return sum / repeat;
}

Rollout::Rollout(int n) : n_(n), r_(std::size_t(n) * n, 0.0f), a_(std::size_t(n) * n), tmp_(std::size_t(n) * n) {
  for (int i = 0; i < n; ++i) r_[std::size_t(i) * n + i] = 1.0f;
}

void Rollout::add(const std::vector<float>& head_mean) {
  if (head_mean.size() != std::size_t(n_) * n_) throw std::invalid_argument("rollout: map size does not match");
  for (int i = 0; i < n_; ++i) {
    double sum = 0;
    float* row = a_.data() + std::size_t(i) * n_;
    for (int j = 0; j < n_; ++j) {
      row[j] = 0.5f * head_mean[std::size_t(i) * n_ + j] + (i == j ? 0.5f : 0.0f);
      sum += row[j];
    }
    const float inv = sum > 0 ? float(1.0 / sum) : 0.0f;
    for (int j = 0; j < n_; ++j) row[j] *= inv;
  }
  // R <- Â_l . R: the newest layer on the left, so row i of R is how query i at the top mixes the inputs.
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n_, n_, n_, 1.0f, a_.data(), n_, r_.data(), n_, 0.0f, tmp_.data(), n_);
  r_.swap(tmp_);
  ++layers_;
}

std::vector<std::uint8_t> maskedBlocks(const AttentionProblem& problem, int t) {
  const int nq = problem.nq, nk = problem.nk;
  std::vector<std::uint8_t> masked(std::size_t(t) * t, 0);
  for (int ty = 0; ty < t && problem.mask != MaskKind::None; ++ty) {
    const int r0 = int(std::int64_t(ty) * nq / t), r1 = std::max(r0 + 1, int(std::int64_t(ty + 1) * nq / t));
    for (int tx = 0; tx < t; ++tx) {
      const int c0 = int(std::int64_t(tx) * nk / t), c1 = std::max(c0 + 1, int(std::int64_t(tx + 1) * nk / t));
      bool any = problem.mask == MaskKind::Causal && c0 <= r1 - 1;
      for (int i = r0; problem.mask == MaskKind::Custom && i < std::min(r1, nq) && !any; ++i)
        for (int j = c0; j < std::min(c1, nk) && !any; ++j) any = problem.visible(i, j);
      masked[std::size_t(ty) * t + tx] = !any;
    }
  }
  return masked;
}

}  // namespace attnviz::model
