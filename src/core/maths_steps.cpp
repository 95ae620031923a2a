#include "core/maths_steps.h"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace attnviz {

QueryMaths explainQuery(const AttentionProblem& p, int head, int query) {
  return explainQuery(p, head, query, p.scale_by_sqrt_d);
}

QueryMaths explainQuery(const AttentionProblem& p, int head, int query, bool scale_by_sqrt_d) {
  if (head < 0 || head >= p.heads || query < 0 || query >= p.nq) throw std::out_of_range("no such head or query");
  QueryMaths m;
  m.head = head;
  m.query = query;
  m.query_vector.assign(&p.q[p.qIndex(head, query, 0)], &p.q[p.qIndex(head, query, 0)] + p.d);
  // The divisor of the raw score: sqrt(d), or 1 / score_scale where the model sets its own (Gemma).
  m.sqrt_d = !scale_by_sqrt_d ? 1.0 : p.score_scale > 0 ? 1.0 / p.score_scale : std::sqrt(double(p.d));
  const double scale = 1.0 / m.sqrt_d / double(p.effectiveTemperature());
  m.temperature = p.effectiveTemperature();
  const double minus_inf = -std::numeric_limits<double>::infinity();
  double row_max = minus_inf;
  for (int j = 0; j < p.nk; ++j) {
    const float* k = &p.k[p.kIndex(head, j, 0)];
    m.key_vectors.emplace_back(k, k + p.d);
    double dot = 0;
    for (int c = 0; c < p.d; ++c) dot += double(m.query_vector[c]) * k[c];
    m.raw_scores.push_back(dot);
    m.visible.push_back(p.visible(query, j));
    if (p.hasScoreBias()) m.score_bias.push_back(p.score_bias[(std::size_t(head) * p.nq + query) * p.nk + j]);
    m.scaled_scores.push_back(m.visible.back() ? dot * scale + p.biasTerm(head, query, j) : minus_inf);
    row_max = std::max(row_max, m.scaled_scores.back());
  }
  m.weights.assign(std::size_t(p.nk), 0.0);
  if (row_max > minus_inf) {
    double sum = 0;
    for (int j = 0; j < p.nk; ++j)
      if (m.visible[j]) sum += (m.weights[j] = std::exp(m.scaled_scores[j] - row_max));
    for (double& w : m.weights) w /= sum;
  }
  if (p.dv > 0) {
    m.output.assign(std::size_t(p.dv), 0.0);
    for (int j = 0; j < p.nk; ++j)
      for (int c = 0; c < p.dv; ++c) m.output[c] += m.weights[j] * p.v[(std::size_t(head) * p.nk + j) * p.dv + c];
  }
  return m;
}

}  // namespace attnviz
