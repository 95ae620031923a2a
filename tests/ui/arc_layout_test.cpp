// Arc geometry for the selected query (no GL): which keys get arcs, widths, labels, animation.
#include <gtest/gtest.h>

#include "render/arc_layout.h"

namespace attnviz::render {
namespace {

TEST(ArcLayout, SelfArcsRankWidthAndLabels) {
  const std::vector<float> row = {0.05f, 0.6f, 0.005f, 0.3f, 0.045f};
  const std::vector<float> xs = tokenSlots(5, 0, 500);
  ASSERT_EQ(xs.size(), 5u);
  EXPECT_FLOAT_EQ(xs[0], 50.0f);
  ArcStyle style;
  style.top_k = 2;
  const auto arcs = layoutSelfArcs(row.data(), 5, 3, xs, 200.0f, style);
  // 0.005 is below min_weight and outside the top 2: no arc.
  ASSERT_EQ(arcs.size(), 4u);
  EXPECT_EQ(arcs[0].key, 1);
  EXPECT_EQ(arcs[0].rank, 1);
  EXPECT_TRUE(arcs[0].labelled);
  EXPECT_TRUE(arcs[1].labelled);
  EXPECT_FALSE(arcs[2].labelled);
  EXPECT_GT(arcs[0].width, arcs[1].width);
  EXPECT_FLOAT_EQ(arcs[0].alpha, 1.0f);
  EXPECT_LT(arcs[3].alpha, arcs[0].alpha);
  for (const Arc& a : arcs) {
    EXPECT_FLOAT_EQ(a.p0.y, 200.0f);
    EXPECT_FLOAT_EQ(a.p3.y, 200.0f);
    EXPECT_LT(bezierPoint(a, 0.5f).y, 200.0f) << "arcs rise above the strip";
  }
  // The arc to the query itself is a loop around its own token.
  const Arc& self = arcs[1];
  ASSERT_EQ(self.key, 3);
  EXPECT_NEAR(0.5f * (self.p0.x + self.p3.x), xs[3], 1e-4f);
  // Arcs end at their keys.
  EXPECT_FLOAT_EQ(arcs[0].p3.x, xs[1]);
  EXPECT_FLOAT_EQ(arcs[0].p0.x, xs[3]);
}

TEST(ArcLayout, NoLabelForWeightsThatRoundToZero) {
  const std::vector<float> row = {0.995f, 0.004f, 0.001f};
  ArcStyle style;
  const auto arcs = layoutSelfArcs(row.data(), 3, 0, tokenSlots(3, 0, 300), 100.0f, style);
  ASSERT_EQ(arcs.size(), 3u);
  EXPECT_TRUE(arcs[0].labelled);
  EXPECT_FALSE(arcs[1].labelled);
}

TEST(ArcLayout, CrossArcsJoinTheTwoStrips) {
  const std::vector<float> row = {0.1f, 0.9f};
  const auto arcs = layoutCrossArcs(row.data(), 2, 40.0f, {10.0f, 90.0f}, 20.0f, 180.0f, ArcStyle{});
  ASSERT_EQ(arcs.size(), 2u);
  EXPECT_EQ(arcs[0].key, 1);
  EXPECT_FLOAT_EQ(arcs[0].p0.x, 40.0f);
  EXPECT_FLOAT_EQ(arcs[0].p0.y, 20.0f);
  EXPECT_FLOAT_EQ(arcs[0].p3.x, 90.0f);
  EXPECT_FLOAT_EQ(arcs[0].p3.y, 180.0f);
}

TEST(ArcLayout, GrowAnimationStartsAtZeroAndFinishes) {
  EXPECT_FLOAT_EQ(arcGrowFraction(0.0f, 1), 0.0f);
  EXPECT_FLOAT_EQ(arcGrowFraction(5.0f, 1), 1.0f);
  EXPECT_GT(arcGrowFraction(0.2f, 1), arcGrowFraction(0.2f, 4)) << "heavier arcs start first";
  float prev = 0;
  for (float t = 0; t < 1.0f; t += 0.05f) {
    const float g = arcGrowFraction(t, 2);
    EXPECT_GE(g, prev);
    prev = g;
  }
}

TEST(ArcLayout, EmptyAndMaskedRows) {
  const std::vector<float> zeros(4, 0.0f);
  EXPECT_TRUE(layoutSelfArcs(zeros.data(), 4, 0, tokenSlots(4, 0, 100), 50.0f, ArcStyle{}).empty());
  EXPECT_TRUE(tokenSlots(0, 0, 100).empty());
}

}  // namespace
}  // namespace attnviz::render
