#include "core/attention.h"

#include <algorithm>
#include <cstdio>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace attnviz {

double AttentionProblem::scoreScale() const {
  double scale = 1.0 / double(effectiveTemperature());
  if (scale_by_sqrt_d && score_scale > 0) scale *= score_scale;
  else if (scale_by_sqrt_d && d > 0) scale /= std::sqrt(double(d));
  return scale;
}

std::string AttentionProblem::validate() const {
  if (heads < 1) return "need at least one head";
  if (nq < 1) return "need at least one query token";
  if (nk < 1) return "need at least one key token";
  if (d < 1) return "query/key width d must be at least 1";
  if (dv < 0) return "value width must not be negative";
  if (q.size() != std::size_t(heads) * nq * d) return "Q holds " + std::to_string(q.size()) + " floats, expected heads*nq*d";
  if (k.size() != std::size_t(heads) * nk * d) return "K holds " + std::to_string(k.size()) + " floats, expected heads*nk*d";
  if (double(heads) * nq * nk > double(kMaxResultWeights))
    return "the result would hold " + std::to_string(double(heads) * nq * nk / 1e9).substr(0, 5) +
           " billion weights (heads x nq x nk); the limit is " + std::to_string(kMaxResultWeights) + " (8 GiB)";
  if (dv > 0 && v.size() != std::size_t(heads) * nk * dv) return "V holds " + std::to_string(v.size()) + " floats, expected heads*nk*dv";
  if (mask == MaskKind::Custom && custom_mask.size() != std::size_t(nq) * nk) return "custom mask must hold nq*nk entries";
  if (!(temperature > 0.0f) || !std::isfinite(temperature)) return "temperature must be a positive finite number";
  if (!(score_scale >= 0) || !std::isfinite(score_scale)) return "score scale must be a finite number >= 0";
  if (!score_bias.empty()) {
    if (score_bias.size() != std::size_t(heads) * nq * nk) return "score bias holds " + std::to_string(score_bias.size()) + " floats, expected heads*nq*nk";
    for (float b : score_bias)
      if (!std::isfinite(b)) return "score bias holds a non-finite value";
  }
  if (!query_labels.empty() && query_labels.size() != std::size_t(nq)) return "query label count differs from nq";
  if (!key_labels.empty() && key_labels.size() != std::size_t(nk)) return "key label count differs from nk";
  return {};
}

double AttentionProblem::scoreMagnitudeBound() const {
  double max_q = 0, max_k = 0;
  for (float x : q) max_q = std::max(max_q, double(std::fabs(x)));
  for (float x : k) max_k = std::max(max_k, double(std::fabs(x)));
  double max_bias = 0;
  for (float x : score_bias) max_bias = std::max(max_bias, double(std::fabs(x)));
  return max_q * max_k * d * scoreScale() + max_bias / double(effectiveTemperature());
}

std::string AttentionProblem::checkFloatRange() const {
  const double bound = scoreMagnitudeBound();
  if (bound <= kFloatScoreLimit) return {};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3g", bound);
  return std::string("scaled scores may reach ") + buf + ", beyond float range (limit 1e30); cpu-ref computes them in double";
}

AttentionResult computeReference(const AttentionProblem& problem) {
  if (std::string why = problem.validate(); !why.empty()) throw std::invalid_argument(why);
  AttentionResult r;
  r.heads = problem.heads;
  r.nq = problem.nq;
  r.nk = problem.nk;
  r.p.assign(std::size_t(r.heads) * r.nq * r.nk, 0.0f);
  r.row_fully_masked.assign(std::size_t(r.heads) * r.nq, 0);
  const double scale = problem.scoreScale();
  std::vector<double> scores(std::size_t(problem.nk));
  for (int h = 0; h < problem.heads; ++h) {
    for (int i = 0; i < problem.nq; ++i) {
      const float* qi = &problem.q[problem.qIndex(h, i, 0)];
      double row_max = -std::numeric_limits<double>::infinity();
      for (int j = 0; j < problem.nk; ++j) {
        if (!problem.visible(i, j)) continue;
        const float* kj = &problem.k[problem.kIndex(h, j, 0)];
        double dot = 0.0;
        for (int c = 0; c < problem.d; ++c) dot += double(qi[c]) * double(kj[c]);
        scores[j] = dot * scale + problem.biasTerm(h, i, j);
        row_max = std::max(row_max, scores[j]);
      }
      float* out = r.p.data() + r.index(h, i, 0);
      if (row_max == -std::numeric_limits<double>::infinity()) {
        r.row_fully_masked[std::size_t(h) * r.nq + i] = 1;
        continue;  // stays all zeros
      }
      double sum = 0.0;
      for (int j = 0; j < problem.nk; ++j) {
        if (!problem.visible(i, j)) continue;
        scores[j] = std::exp(scores[j] - row_max);
        sum += scores[j];
      }
      for (int j = 0; j < problem.nk; ++j)
        out[j] = problem.visible(i, j) ? float(scores[j] / sum) : 0.0f;
    }
  }
  return r;
}

std::vector<double> attendValues(const AttentionProblem& problem, const AttentionResult& result, int h, int i) {
  std::vector<double> out(std::size_t(std::max(problem.dv, 0)), 0.0);
  if (problem.dv <= 0) return out;
  for (int j = 0; j < problem.nk; ++j) {
    const double w = result.at(h, i, j);
    const float* vj = &problem.v[(std::size_t(h) * problem.nk + j) * problem.dv];
    for (int c = 0; c < problem.dv; ++c) out[c] += w * vj[c];
  }
  return out;
}

AttentionResult meanOverHeads(const AttentionResult& result) {
  AttentionResult m;
  m.heads = 1;
  m.nq = result.nq;
  m.nk = result.nk;
  const std::size_t plane = std::size_t(result.nq) * result.nk;
  std::vector<double> acc(plane, 0.0);
  for (int h = 0; h < result.heads; ++h)
    for (std::size_t e = 0; e < plane; ++e) acc[e] += result.p[h * plane + e];
  m.p.resize(plane);
  for (std::size_t e = 0; e < plane; ++e) m.p[e] = float(acc[e] / std::max(result.heads, 1));
  m.row_fully_masked.assign(std::size_t(result.nq), 1);
  for (int i = 0; i < result.nq; ++i)
    for (int h = 0; h < result.heads; ++h)
      if (!result.row_fully_masked[std::size_t(h) * result.nq + i]) m.row_fully_masked[i] = 0;
  if (result.heads == 0) std::fill(m.row_fully_masked.begin(), m.row_fully_masked.end(), 0);
  return m;
}

AttentionResult selectHead(const AttentionResult& result, int h) {
  AttentionResult s;
  s.heads = 1;
  s.nq = result.nq;
  s.nk = result.nk;
  const std::size_t plane = std::size_t(result.nq) * result.nk;
  s.p.assign(result.p.begin() + std::ptrdiff_t(h * plane), result.p.begin() + std::ptrdiff_t((h + 1) * plane));
  s.row_fully_masked.assign(result.row_fully_masked.begin() + std::ptrdiff_t(h) * result.nq,
                            result.row_fully_masked.begin() + std::ptrdiff_t(h + 1) * result.nq);
  return s;
}

}  // namespace attnviz
