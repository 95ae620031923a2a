// The CPU heatmap display (core/heatmap_display.h) against its definition written out here:
// colourScaleT of every visible cell, -1 for masked ones, and each level the maximum of its 2 × 2
// block (with the odd row or column left over in the last), on every SIMD path the CPU has.
// Linear, auto and row do the same float operations on every path, so they must match exactly.
// Log's AVX-512 log10 is a polynomial: Cephes' logf is within 2 float ulps of ln x, |ln x| <= 9.22
// on [1e-4, 1], so ln is off by at most 2 · 2^-23 · 9.22 = 2.2e-6; times log10 e / 4 that is
// 2.4e-7 in t, and the multiply, add and scale round t (<= 1) by at most 3 · 2^-24 = 1.8e-7:
// |t - t*| <= 4.2e-7, bounded by 5e-7. Maxima of values within a bound stay within it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "core/colour_scale.h"
#include "core/cpu_features.h"
#include "core/heatmap_display.h"

namespace attnviz {
namespace {

constexpr float kLogBound = 5e-7f;

struct Case {
  int nq, nk;
  bool causal;
  int window;
};

std::vector<std::vector<float>> definition(const HeatmapDisplayInput& in, int level_count) {
  std::vector<std::vector<float>> levels{std::size_t(level_count)};
  levels[0].resize(std::size_t(in.nq) * std::size_t(in.nk));
  for (int i = 0; i < in.nq; ++i)
    for (int j = 0; j < in.nk; ++j) {
      const bool masked = (in.causal && j > i) || (in.window > 0 && j < i - in.window + 1);
      const float den = in.scale == ColourScale::Row ? in.denominators[i] : in.scale == ColourScale::Auto ? in.denominators[0] : 0.0f;
      levels[0][std::size_t(i) * std::size_t(in.nk) + std::size_t(j)] =
          masked ? -1.0f : colourScaleT(in.scale, in.p[std::size_t(i) * std::size_t(in.nk) + std::size_t(j)], den);
    }
  for (int l = 1; l < level_count; ++l) {
    const int sw = std::max(1, in.nk >> (l - 1)), sh = std::max(1, in.nq >> (l - 1));
    const int dw = std::max(1, in.nk >> l), dh = std::max(1, in.nq >> l);
    levels[std::size_t(l)].assign(std::size_t(dw) * std::size_t(dh), -1.0f);
    for (int y = 0; y < dh; ++y)
      for (int x = 0; x < dw; ++x) {
        const int rows_end = y == dh - 1 ? sh : std::min(sh, 2 * y + 2), cols_end = x == dw - 1 ? sw : std::min(sw, 2 * x + 2);
        float& m = levels[std::size_t(l)][std::size_t(y) * std::size_t(dw) + std::size_t(x)];
        for (int sy = 2 * y; sy < rows_end; ++sy)
          for (int sx = 2 * x; sx < cols_end; ++sx) m = std::max(m, levels[std::size_t(l - 1)][std::size_t(sy) * std::size_t(sw) + std::size_t(sx)]);
      }
  }
  return levels;
}

int levelCountFor(int nq, int nk) {
  int levels = 1;
  for (int n = std::max(nq, nk); n > 1; n >>= 1) ++levels;
  return levels;
}

TEST(HeatmapDisplay, EveryPathMatchesTheDefinition) {
  const std::vector<Case> cases = {{1, 1, false, 0},  {1, 1, true, 0},   {3, 2, true, 0},    {5, 17, false, 0},
                                   {17, 5, true, 0},  {33, 40, true, 3}, {64, 64, true, 0},  {7, 100, false, 0},
                                   {100, 7, false, 4}, {47, 47, false, 9}, {31, 129, true, 200}};
  const float specials[] = {0.0f, 1.0f, 1e-5f, kLogScaleFloor, 1.5f, -0.25f, std::numeric_limits<float>::quiet_NaN(),
                            std::numeric_limits<float>::infinity(), 2e-38f};
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  int compared = 0;
  for (const Case& c : cases) {
    std::vector<float> p(std::size_t(c.nq) * std::size_t(c.nk));
    for (std::size_t e = 0; e < p.size(); ++e) {
      // Weights spread over the log scale's four decades, some special values among them.
      p[e] = e % 11 == 3 ? specials[(e / 11) % (sizeof specials / sizeof specials[0])] : std::pow(10.0f, -5.0f * unit(rng));
    }
    std::vector<float> row_max(std::size_t(c.nq));
    for (int i = 0; i < c.nq; ++i) row_max[std::size_t(i)] = i % 5 == 2 ? 0.0f : 0.05f + unit(rng);  // some rows all zero
    const std::vector<float> matrix_max = {0.7f};
    for (ColourScale scale : allColourScales()) {
      HeatmapDisplayInput in;
      in.p = p.data();
      in.nq = c.nq;
      in.nk = c.nk;
      in.causal = c.causal;
      in.window = c.window;
      in.scale = scale;
      in.denominators = scale == ColourScale::Row ? row_max.data() : matrix_max.data();
      const int level_count = levelCountFor(c.nq, c.nk);
      const auto want = definition(in, level_count);
      for (SimdPath path : supportedSimdPaths()) {
        std::vector<std::vector<float>> got(1, std::vector<float>(3, 42.0f));  // storage reused, not appended to
        buildHeatmapDisplay(path, in, level_count, &got);
        ASSERT_EQ(got.size(), want.size());
        for (std::size_t l = 0; l < want.size(); ++l) {
          ASSERT_EQ(got[l].size(), want[l].size()) << "level " << l;
          for (std::size_t e = 0; e < want[l].size(); ++e) {
            SCOPED_TRACE(testing::Message() << simdPathName(path) << " " << colourScaleName(scale) << " " << c.nq << "x" << c.nk
                                            << " causal " << c.causal << " window " << c.window << " level " << l << " cell " << e);
            if (scale == ColourScale::Log && want[l][e] >= 0.0f)
              ASSERT_NEAR(got[l][e], want[l][e], kLogBound);
            else
              ASSERT_EQ(got[l][e], want[l][e]);
            ++compared;
          }
        }
      }
    }
  }
  EXPECT_GT(compared, 100000);
}

TEST(HeatmapDisplay, LogScaleEndsAreExact) {
  // 1 and above are the bright end, the floor and below the dark end, on every path.
  const std::vector<float> p = {1.0f, 3.0f, kLogScaleFloor, 1e-7f, 0.0f, 0.1f, 0.01f, 0.001f};
  for (SimdPath path : supportedSimdPaths()) {
    HeatmapDisplayInput in;
    in.p = p.data();
    in.nq = 1;
    in.nk = int(p.size());
    in.scale = ColourScale::Log;
    std::vector<std::vector<float>> got;
    buildHeatmapDisplay(path, in, 1, &got);
    SCOPED_TRACE(simdPathName(path));
    EXPECT_EQ(got[0][0], 1.0f);
    EXPECT_EQ(got[0][1], 1.0f);
    EXPECT_NEAR(got[0][2], 0.0f, kLogBound);
    EXPECT_NEAR(got[0][3], 0.0f, kLogBound);
    EXPECT_EQ(got[0][4], 0.0f);
    EXPECT_NEAR(got[0][5], 0.75f, kLogBound);
    EXPECT_NEAR(got[0][6], 0.5f, kLogBound);
    EXPECT_NEAR(got[0][7], 0.25f, kLogBound);
  }
}

}  // namespace
}  // namespace attnviz
