#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <random>

#include "core/attention.h"

using namespace attnviz;

namespace {

AttentionProblem randomProblem(int heads, int nq, int nk, int d, unsigned seed, float scale = 1.0f) {
  AttentionProblem p;
  p.heads = heads;
  p.nq = nq;
  p.nk = nk;
  p.d = d;
  std::mt19937 rng(seed);
  std::normal_distribution<float> n(0.0f, scale);
  p.q.resize(std::size_t(heads) * nq * d);
  p.k.resize(std::size_t(heads) * nk * d);
  for (auto& x : p.q) x = n(rng);
  for (auto& x : p.k) x = n(rng);
  return p;
}

void expectRowsAreDistributions(const AttentionResult& r) {
  for (int h = 0; h < r.heads; ++h)
    for (int i = 0; i < r.nq; ++i) {
      double sum = 0;
      for (int j = 0; j < r.nk; ++j) {
        ASSERT_TRUE(std::isfinite(r.at(h, i, j)));
        ASSERT_GE(r.at(h, i, j), 0.0f);
        sum += r.at(h, i, j);
      }
      if (r.row_fully_masked[std::size_t(h) * r.nq + i]) EXPECT_EQ(sum, 0.0);
      else EXPECT_NEAR(sum, 1.0, 1e-5) << "head " << h << " row " << i;
    }
}

}  // namespace

TEST(CpuReference, MatchesHandComputedSoftmax) {
  // One head, one query, three keys, d = 1: scores q*k/sqrt(1) = {1, 2, 3}.
  AttentionProblem p;
  p.heads = 1; p.nq = 1; p.nk = 3; p.d = 1;
  p.q = {1.0f};
  p.k = {1.0f, 2.0f, 3.0f};
  const AttentionResult r = computeReference(p);
  const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  EXPECT_NEAR(r.at(0, 0, 0), std::exp(1.0) / z, 1e-7);
  EXPECT_NEAR(r.at(0, 0, 1), std::exp(2.0) / z, 1e-7);
  EXPECT_NEAR(r.at(0, 0, 2), std::exp(3.0) / z, 1e-7);
}

TEST(CpuReference, ScalesBySqrtDAndTemperature) {
  AttentionProblem p;
  p.heads = 1; p.nq = 1; p.nk = 2; p.d = 4;
  p.q = {1, 1, 1, 1};
  p.k = {0, 0, 0, 0, 1, 1, 1, 1};  // scores 0 and 4; /sqrt(4) -> 0 and 2; /T=2 -> 0 and 1
  p.temperature = 2.0f;
  AttentionResult r = computeReference(p);
  EXPECT_NEAR(r.at(0, 0, 1), std::exp(1.0) / (1 + std::exp(1.0)), 1e-7);
  p.scale_by_sqrt_d = false;  // 0 and 4 / 2 -> 0 and 2
  r = computeReference(p);
  EXPECT_NEAR(r.at(0, 0, 1), std::exp(2.0) / (1 + std::exp(2.0)), 1e-7);
}

// (q.k [/ sqrt d] + bias) / T, worked by hand: q = (1), keys (0), (2); bias (1, -1), no scaling,
// T = 2 -> scores (0 + 1) / 2 = 0.5 and (2 - 1) / 2 = 0.5: equal weights.
TEST(CpuReference, AddsTheScoreBiasBeforeTheTemperature) {
  AttentionProblem p;
  p.heads = 1;
  p.nq = 1;
  p.nk = 2;
  p.d = 1;
  p.q = {1.0f};
  p.k = {0.0f, 2.0f};
  p.scale_by_sqrt_d = false;
  p.temperature = 2.0f;
  p.score_bias = {1.0f, -1.0f};
  AttentionResult r = computeReference(p);
  EXPECT_NEAR(r.p[0], 0.5f, 1e-7);
  p.score_bias = {0.0f, 0.0f};  // scores 0 and 1: weights 1 / (1 + e) and e / (1 + e)
  r = computeReference(p);
  EXPECT_NEAR(r.p[1], std::exp(1.0) / (1.0 + std::exp(1.0)), 1e-7);
  p.score_bias = {1.0f};
  EXPECT_NE(p.validate().find("score bias"), std::string::npos);
  p.score_bias = {1.0f, std::nanf("")};
  EXPECT_NE(p.validate().find("non-finite"), std::string::npos);
}

TEST(CpuReference, HugeScoresDoNotOverflow) {
  AttentionProblem p = randomProblem(2, 5, 7, 16, 1, 1000.0f);  // scores ~1e6
  const AttentionResult r = computeReference(p);
  expectRowsAreDistributions(r);
}

TEST(CpuReference, TinyTemperatureIsNearlyOneHotAndFinite) {
  AttentionProblem p = randomProblem(1, 4, 9, 8, 2);
  for (float t : {1e-3f, 1e-6f, 1e-30f}) {
    p.temperature = t;
    const AttentionResult r = computeReference(p);
    expectRowsAreDistributions(r);
    for (int i = 0; i < p.nq; ++i) EXPECT_GT(*std::max_element(r.row(0, i), r.row(0, i) + p.nk), 0.99f) << t;
  }
}

TEST(CpuReference, TemperatureBelowMinimumIsClamped) {
  AttentionProblem p = randomProblem(1, 3, 5, 4, 3, 0.01f);
  p.temperature = 1e-9f;
  const AttentionResult a = computeReference(p);
  p.temperature = kMinTemperature;
  const AttentionResult b = computeReference(p);
  EXPECT_EQ(a.p, b.p);
}

TEST(CpuReference, HighTemperatureApproachesUniform) {
  AttentionProblem p = randomProblem(1, 3, 10, 4, 4);
  p.temperature = 1e6f;
  const AttentionResult r = computeReference(p);
  for (float w : r.p) EXPECT_NEAR(w, 0.1f, 1e-4f);
}

TEST(CpuReference, CausalMaskZeroesFutureKeys) {
  AttentionProblem p = randomProblem(2, 6, 6, 8, 5);
  p.mask = MaskKind::Causal;
  const AttentionResult r = computeReference(p);
  expectRowsAreDistributions(r);
  for (int h = 0; h < 2; ++h)
    for (int i = 0; i < 6; ++i)
      for (int j = i + 1; j < 6; ++j) EXPECT_EQ(r.at(h, i, j), 0.0f);
  EXPECT_FLOAT_EQ(r.at(0, 0, 0), 1.0f);  // the first query sees only itself
}

TEST(CpuReference, FullyMaskedRowIsZeroAndFlaggedNotNaN) {
  AttentionProblem p = randomProblem(1, 3, 4, 4, 6);
  p.mask = MaskKind::Custom;
  p.custom_mask = {1, 1, 0, 0,  0, 0, 0, 0,  1, 0, 0, 1};
  const AttentionResult r = computeReference(p);
  expectRowsAreDistributions(r);
  EXPECT_EQ(r.row_fully_masked, (std::vector<std::uint8_t>{0, 1, 0}));
  for (int j = 0; j < 4; ++j) EXPECT_EQ(r.at(0, 1, j), 0.0f);
}

TEST(CpuReference, InvalidProblemThrows) {
  AttentionProblem p = randomProblem(1, 2, 2, 2, 7);
  p.q.pop_back();
  EXPECT_THROW(computeReference(p), std::invalid_argument);
  p = randomProblem(1, 2, 2, 2, 7);
  p.temperature = 0.0f;
  EXPECT_THROW(computeReference(p), std::invalid_argument);
  p.temperature = NAN;
  EXPECT_THROW(computeReference(p), std::invalid_argument);
}

TEST(CpuReference, ResultsBeyondTheSizeLimitAreRefusedNotAllocated) {
  AttentionProblem p;
  p.heads = 1; p.nq = 65536; p.nk = 65536; p.d = 1;  // 2^32 weights
  p.q.assign(65536, 1.0f);
  p.k.assign(65536, 1.0f);
  EXPECT_NE(p.validate().find("limit"), std::string::npos) << p.validate();
  EXPECT_THROW(computeReference(p), std::invalid_argument);
  p.nq = 32768;  // 2^31 weights: at the limit, accepted by validate (not computed here)
  p.q.assign(32768, 1.0f);
  EXPECT_TRUE(p.validate().empty()) << p.validate();
}

TEST(CpuReference, FloatRangeCheck) {
  AttentionProblem p = randomProblem(1, 2, 2, 4, 9);
  EXPECT_TRUE(p.checkFloatRange().empty());
  p.q[0] = 1e20f;
  p.k[0] = 1e20f;
  EXPECT_FALSE(p.checkFloatRange().empty());
  const AttentionResult r = computeReference(p);  // double accumulation copes
  expectRowsAreDistributions(r);
}

TEST(CpuReference, MeanOverHeadsAndSelectHead) {
  AttentionProblem p = randomProblem(3, 4, 5, 4, 8);
  const AttentionResult r = computeReference(p);
  const AttentionResult m = meanOverHeads(r);
  ASSERT_EQ(m.heads, 1);
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 5; ++j)
      EXPECT_NEAR(m.at(0, i, j), (r.at(0, i, j) + r.at(1, i, j) + r.at(2, i, j)) / 3.0f, 1e-7);
  const AttentionResult s = selectHead(r, 2);
  EXPECT_EQ(s.at(0, 3, 4), r.at(2, 3, 4));
}

TEST(CpuReference, AttendValuesIsWeightedSum) {
  AttentionProblem p;
  p.heads = 1; p.nq = 1; p.nk = 2; p.d = 1; p.dv = 2;
  p.q = {0.0f};
  p.k = {1.0f, 2.0f};  // equal scores -> 0.5 / 0.5
  p.v = {1.0f, 0.0f, 3.0f, 4.0f};
  const AttentionResult r = computeReference(p);
  const auto out = attendValues(p, r, 0, 0);
  EXPECT_NEAR(out[0], 2.0, 1e-7);
  EXPECT_NEAR(out[1], 2.0, 1e-7);
}
