// The attention formula for one query row, stage by stage, for the step-by-step maths view and
// the explanation panel. Needs no GL context.
#pragma once

#include <vector>

#include "core/attention.h"

namespace attnviz {

struct QueryMaths {
  int head = 0, query = 0;
  std::vector<float> query_vector;              // [d]
  std::vector<std::vector<float>> key_vectors;  // [nk][d]
  std::vector<double> raw_scores;               // q·k_j
  double sqrt_d = 1.0;                          // √d_k (1 when scaling is off)
  double temperature = 1.0;                     // the effective (clamped) temperature
  std::vector<double> score_bias;               // the problem's additive score of each key (empty: none)
  std::vector<double> scaled_scores;            // (q·k_j / √d_k + bias_j) / T (masked keys: -inf)
  std::vector<bool> visible;                    // mask
  std::vector<double> weights;                  // softmax of scaled_scores
  std::vector<double> output;                   // Σ_j w_j v_j, [dv] (empty when no V)
};

// Throws std::out_of_range for a head/query outside the problem.
QueryMaths explainQuery(const AttentionProblem& problem, int head, int query);
// The same with the 1/√d_k scaling on or off regardless of problem.scale_by_sqrt_d (no copy of
// the problem needed to show what the scaling prevents).
QueryMaths explainQuery(const AttentionProblem& problem, int head, int query, bool scale_by_sqrt_d);

}  // namespace attnviz
