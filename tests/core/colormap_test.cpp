#include <gtest/gtest.h>

#include "core/colormap.h"

using namespace attnviz;

namespace {
float luminance(Rgb c) { return 0.2126f * c.r + 0.7152f * c.g + 0.0722f * c.b; }
}  // namespace

TEST(Colormap, EveryMapRisesInLuminance) {
  // Perceptual maps must read low -> high without reversals, so weights order by brightness.
  for (Colormap c : allColormaps()) {
    float previous = -1.0f;
    for (int i = 0; i <= 100; ++i) {
      const float l = luminance(sampleColormap(c, float(i) / 100.0f));
      EXPECT_GT(l, previous) << colormapName(c) << " at " << i;
      previous = l;
    }
  }
}

TEST(Colormap, EndsAndClamping) {
  EXPECT_EQ(toHex(sampleColormap(Colormap::Greyscale, 0.0f)), "#000000");
  EXPECT_EQ(toHex(sampleColormap(Colormap::Greyscale, 1.0f)), "#ffffff");
  EXPECT_EQ(toHex(sampleColormap(Colormap::Greyscale, 7.0f)), "#ffffff");
  EXPECT_EQ(toHex(sampleColormap(Colormap::Greyscale, -1.0f)), "#000000");
  EXPECT_EQ(toHex(sampleColormap(Colormap::Viridis, 0.0f)), "#440154");
  const auto table = colormapTable(Colormap::Magma, 16);
  EXPECT_EQ(table.size(), 64u);
  EXPECT_EQ(table[3], 255);
}

TEST(Colormap, NamesRoundTrip) {
  for (Colormap c : allColormaps()) {
    Colormap parsed;
    ASSERT_TRUE(parseColormap(colormapName(c), &parsed));
    EXPECT_EQ(parsed, c);
  }
  Colormap g;
  EXPECT_TRUE(parseColormap("Gray", &g));
  EXPECT_EQ(g, Colormap::Greyscale);
  EXPECT_FALSE(parseColormap("jet", &g));
}
