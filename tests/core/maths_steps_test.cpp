#include <gtest/gtest.h>

#include <cmath>

#include "core/maths_steps.h"
#include "core/simulated_model.h"

using namespace attnviz;

TEST(MathsSteps, AgreesWithTheReferenceEngine) {
  SimulatedInput in;
  in.text = "The bank by the river was steep.";
  in.temperature = 0.7f;
  in.causal = true;
  const AttentionProblem p = buildSimulatedProblem(in);
  const AttentionResult r = computeReference(p);
  const QueryMaths m = explainQuery(p, 2, 4);
  EXPECT_EQ(m.sqrt_d, 8.0);
  EXPECT_NEAR(m.temperature, 0.7, 1e-7);
  for (int j = 0; j < p.nk; ++j) {
    EXPECT_NEAR(m.weights[j], r.at(2, 4, j), 1e-6);
    EXPECT_EQ(m.visible[j], j <= 4);
    if (j <= 4) {
      EXPECT_NEAR(m.scaled_scores[j], m.raw_scores[j] / 8.0 / double(0.7f), 1e-9 * (1 + std::fabs(m.raw_scores[j])));
    }
  }
  const auto values = attendValues(p, r, 2, 4);
  ASSERT_EQ(m.output.size(), values.size());
  for (std::size_t c = 0; c < values.size(); ++c) EXPECT_NEAR(m.output[c], values[c], 1e-5);
}

TEST(MathsSteps, WithoutScalingTheSoftmaxSaturates) {
  SimulatedInput in;
  in.text = "The bank by the river was steep.";
  AttentionProblem p = buildSimulatedProblem(in);
  const QueryMaths scaled = explainQuery(p, 3, 2);
  const double scaled_max = *std::max_element(scaled.weights.begin(), scaled.weights.end());
  const QueryMaths by_flag = explainQuery(p, 3, 2, false);  // the overload, on the unchanged problem
  p.scale_by_sqrt_d = false;
  const QueryMaths m = explainQuery(p, 3, 2);
  EXPECT_EQ(by_flag.weights, m.weights);
  EXPECT_EQ(by_flag.sqrt_d, 1.0);
  EXPECT_EQ(explainQuery(p, 3, 2, true).weights, scaled.weights);
  EXPECT_EQ(m.sqrt_d, 1.0);
  EXPECT_GT(*std::max_element(m.weights.begin(), m.weights.end()), scaled_max);
  EXPECT_THROW(explainQuery(p, 4, 0), std::out_of_range);
}

// With a score bias (T5) each step shows it and the weights are still the reference engine's.
TEST(MathsSteps, AScoreBiasIsPartOfEachScore) {
  SimulatedInput in;
  in.text = "The bank by the river was steep.";
  in.temperature = 0.5f;
  AttentionProblem p = buildSimulatedProblem(in);
  p.score_bias.resize(std::size_t(p.heads) * p.nq * p.nk);
  for (std::size_t i = 0; i < p.score_bias.size(); ++i) p.score_bias[i] = float(int(i % 7) - 3);
  const AttentionResult r = computeReference(p);
  const QueryMaths m = explainQuery(p, 1, 3);
  ASSERT_EQ(m.score_bias.size(), std::size_t(p.nk));
  for (int j = 0; j < p.nk; ++j) {
    EXPECT_EQ(m.score_bias[j], p.score_bias[(std::size_t(1) * p.nq + 3) * p.nk + j]);
    EXPECT_NEAR(m.scaled_scores[j], (m.raw_scores[j] / m.sqrt_d + m.score_bias[j]) / double(0.5f), 1e-9 * (1 + std::fabs(m.raw_scores[j])));
    EXPECT_NEAR(m.weights[j], r.at(1, 3, j), 1e-6);
  }
}
