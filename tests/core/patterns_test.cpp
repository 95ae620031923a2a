#include <gtest/gtest.h>

#include "core/attention.h"
#include "core/patterns.h"
#include "core/simulated_model.h"

using namespace attnviz;

namespace {

bool has(const std::vector<PatternFinding>& f, PatternFinding::Kind k) {
  for (const auto& x : f)
    if (x.kind == k) return true;
  return false;
}

std::vector<float> shifted(int n, int shift, float peak) {
  std::vector<float> p(std::size_t(n) * n, 0.0f);
  for (int i = 0; i < n; ++i) {
    const int j = std::clamp(i + shift, 0, n - 1);
    for (int k = 0; k < n; ++k) p[std::size_t(i) * n + k] = (1.0f - peak) / float(n - 1);
    p[std::size_t(i) * n + j] = peak;
  }
  return p;
}

}  // namespace

TEST(Patterns, PreviousTokenWithPercentage) {
  const auto p = shifted(5, -1, 0.9f);
  const auto f = detectPatterns(p.data(), 5, 5, true);
  ASSERT_TRUE(has(f, PatternFinding::PreviousToken));
  for (const auto& x : f)
    if (x.kind == PatternFinding::PreviousToken) {
      EXPECT_EQ(x.text, "100% of tokens attend most to the previous token");
    }
  EXPECT_FALSE(has(f, PatternFinding::SelfDiagonal));
}

TEST(Patterns, DiagonalAndNextToken) {
  const auto d = shifted(6, 0, 0.8f);
  EXPECT_TRUE(has(detectPatterns(d.data(), 6, 6, true), PatternFinding::SelfDiagonal));
  const auto n = shifted(6, 1, 0.8f);
  EXPECT_TRUE(has(detectPatterns(n.data(), 6, 6, true), PatternFinding::NextToken));
  // Positional detectors are for self-attention only.
  EXPECT_FALSE(has(detectPatterns(d.data(), 6, 6, false), PatternFinding::SelfDiagonal));
}

TEST(Patterns, BroadAndSinkOnTheGlobalHead) {
  SimulatedInput in;
  in.text = "The bank by the river was steep.";
  const AttentionProblem prob = buildSimulatedProblem(in);
  const AttentionResult r = computeReference(prob);
  const auto f = detectPatterns(r.head(3), r.nq, r.nk, true, prob.key_labels);
  EXPECT_TRUE(has(f, PatternFinding::Broad));
  ASSERT_TRUE(has(f, PatternFinding::AttentionSink));
  for (const auto& x : f)
    if (x.kind == PatternFinding::AttentionSink) {
      EXPECT_NE(x.text.find("first token 'The'"), std::string::npos) << x.text;
    }
  // The positional head: previous token, focused.
  const auto g = detectPatterns(r.head(0), r.nq, r.nk, true, prob.key_labels);
  EXPECT_TRUE(has(g, PatternFinding::PreviousToken));
  EXPECT_FALSE(has(g, PatternFinding::Broad));
}

TEST(Patterns, UniformIsBroadWithoutSink) {
  std::vector<float> p(16, 0.25f);
  const auto f = detectPatterns(p.data(), 4, 4, true);
  EXPECT_TRUE(has(f, PatternFinding::Broad));
  EXPECT_FALSE(has(f, PatternFinding::AttentionSink));
}

TEST(Patterns, FocusedAndMonotonicCross) {
  // 3 target rows over 6 source keys, one-hot, moving forward.
  std::vector<float> p(18, 0.0f);
  p[0] = p[6 + 2] = p[12 + 5] = 1.0f;
  const auto f = detectPatterns(p.data(), 3, 6, false);
  EXPECT_TRUE(has(f, PatternFinding::Focused));
  EXPECT_TRUE(has(f, PatternFinding::Monotonic));
}

TEST(Patterns, FullyMaskedRowsAreIgnoredAndEmptyIsFine) {
  std::vector<float> p(9, 0.0f);
  EXPECT_TRUE(detectPatterns(p.data(), 3, 3, true).empty());
}
