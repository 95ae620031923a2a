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

// Label placement: never two boxes overlapping, heavier labels keep their first choice, labels
// leave token chips free and stay inside the bounds, and what has no room is dropped, not stacked.
bool anyOverlap(const std::vector<LabelPlacement>& placed) {
  for (std::size_t a = 0; a < placed.size(); ++a)
    for (std::size_t b = a + 1; b < placed.size(); ++b)
      if (placed[a].placed && placed[b].placed && placed[a].box.overlaps(placed[b].box)) return true;
  return false;
}

TEST(LabelPlacement, CollidingLabelsMoveAlongTheirArcOrAreDropped) {
  // Three labels that all prefer the same spot; the second can move along its arc, the third cannot.
  LabelCandidate heavy{{{100, 100}}, 40, 16, 0.9f};
  LabelCandidate movable{{{105, 102}, {105, 140}}, 40, 16, 0.5f};
  LabelCandidate stuck{{{98, 98}}, 40, 16, 0.2f};
  const LabelBox bounds{0, 0, 400, 300};
  const auto placed = placeLabels({stuck, movable, heavy}, bounds, {});
  ASSERT_EQ(placed.size(), 3u);
  EXPECT_FALSE(placed[0].placed) << "the lightest label has no free spot: dropped";
  ASSERT_TRUE(placed[1].placed);
  EXPECT_EQ(placed[1].position, 1) << "moved to its second spot";
  ASSERT_TRUE(placed[2].placed);
  EXPECT_EQ(placed[2].position, 0) << "the heaviest keeps its first choice";
  EXPECT_FLOAT_EQ(placed[2].box.x0, 80.0f);
  EXPECT_FLOAT_EQ(placed[2].box.y1, 108.0f);
  EXPECT_FALSE(anyOverlap(placed));
}

TEST(LabelPlacement, ChipsAndBoundsAreRespected) {
  const LabelBox bounds{0, 20, 200, 200};
  const std::vector<LabelBox> chips = {{40, 150, 120, 175}};
  // First spot on a chip, second outside the bounds (above the legend line), third free.
  LabelCandidate c{{{80, 160}, {80, 15}, {80, 100}}, 30, 14, 1.0f};
  const auto placed = placeLabels({c}, bounds, chips);
  ASSERT_TRUE(placed[0].placed);
  EXPECT_EQ(placed[0].position, 2);
  // A zero-size or position-less candidate is never placed.
  const auto none = placeLabels({LabelCandidate{{}, 30, 14, 1.0f}, LabelCandidate{{{80, 100}}, 0, 14, 1.0f}}, bounds, {});
  EXPECT_FALSE(none[0].placed);
  EXPECT_FALSE(none[1].placed);
}

TEST(LabelPlacement, AllHeadsArcsToNeighbouringKeysNeverOverlap) {
  // Four heads x top-2 arcs from one query to keys packed 30 px apart: the case that printed
  // "30% %" and "28%96%" before placement. Labels are 44 x 18 px, wider than a key slot.
  const std::vector<float> xs = tokenSlots(8, 0, 240);
  ArcStyle style;
  style.top_k = 2;
  std::vector<LabelCandidate> candidates;
  for (int h = 0; h < 4; ++h) {
    std::vector<float> row(8, 0.01f);
    row[std::size_t((h + 1) % 8)] = 0.6f;
    row[std::size_t((h + 2) % 8)] = 0.3f;
    for (const Arc& a : layoutSelfArcs(row.data(), 8, 0, xs, 200.0f, style, h)) {
      if (!a.labelled) continue;
      candidates.push_back({labelPositionsAlong(a), 44, 18, a.weight});
    }
  }
  ASSERT_EQ(candidates.size(), 8u);
  const auto placed = placeLabels(candidates, {0, 0, 240, 220}, {});
  EXPECT_FALSE(anyOverlap(placed));
  int n = 0;
  for (const LabelPlacement& p : placed) n += p.placed ? 1 : 0;
  EXPECT_GE(n, 4) << "most labels find a spot along their arcs";
}

TEST(LabelPlacement, PositionsAlongAnArcStartAtItsLabelPoint) {
  const std::vector<float> row = {0.2f, 0.8f};
  Arc a = layoutCrossArcs(row.data(), 2, 10.0f, {10.0f, 90.0f}, 0.0f, 100.0f, ArcStyle{})[0];
  const auto pts = labelPositionsAlong(a, 5, 0.05f);
  ASSERT_EQ(pts.size(), 5u);
  const glm::vec2 first = bezierPoint(a, a.label_t);
  EXPECT_FLOAT_EQ(pts[0].x, first.x);
  EXPECT_FLOAT_EQ(pts[0].y, first.y);
  EXPECT_GT(pts[1].y, pts[0].y) << "then later along the curve (towards the key)";
  EXPECT_LT(pts[2].y, pts[0].y) << "then earlier";
}

}  // namespace
}  // namespace attnviz::render
