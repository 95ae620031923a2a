// The gaps between panels that the window paints in its own colour.
#include <gtest/gtest.h>

#include <random>

#include "render/screen_rects.h"

namespace attnviz::render {
namespace {

// Brute force: which pixels the rectangles leave free, and that the result covers exactly those.
void expectExactCover(const PixelRect& area, const std::vector<PixelRect>& covered) {
  const std::vector<PixelRect> gaps = uncoveredRects(area, covered);
  for (int y = area.y0; y < area.y1; ++y)
    for (int x = area.x0; x < area.x1; ++x) {
      bool in_panel = false;
      for (const PixelRect& r : covered) in_panel |= x >= r.x0 && x < r.x1 && y >= r.y0 && y < r.y1;
      int in_gaps = 0;
      for (const PixelRect& g : gaps) in_gaps += x >= g.x0 && x < g.x1 && y >= g.y0 && y < g.y1;
      ASSERT_EQ(in_gaps, in_panel ? 0 : 1) << "pixel " << x << "," << y;
    }
}

TEST(ScreenRects, GapsBetweenTwoPanelsAndTheBorder) {
  // A 100 x 50 window with two panels and an 8 px gutter: left margin, gutter, right margin, and
  // the strips above and below.
  const PixelRect area{0, 0, 100, 50};
  const std::vector<PixelRect> panels = {{8, 8, 46, 42}, {54, 8, 92, 42}};
  expectExactCover(area, panels);
  const auto gaps = uncoveredRects(area, panels);
  EXPECT_LE(gaps.size(), 9u) << "slabs with the same gaps are merged";
  EXPECT_TRUE(uncoveredRects({0, 0, 0, 10}, panels).empty());
  const auto all = uncoveredRects(area, {});
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].x1, 100);
  EXPECT_EQ(all[0].y1, 50);
}

TEST(ScreenRects, OverlappingAndOutsideRectangles) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> coord(-10, 70);
  for (int trial = 0; trial < 40; ++trial) {
    std::vector<PixelRect> rects;
    for (int k = 0; k < 6; ++k) {
      int a = coord(rng), b = coord(rng), c = coord(rng), d = coord(rng);
      rects.push_back({std::min(a, b), std::min(c, d), std::max(a, b), std::max(c, d)});
    }
    expectExactCover({0, 0, 60, 60}, rects);
  }
}

}  // namespace
}  // namespace attnviz::render
