// The heatmap renderer on a headless GL context (llvmpipe in CI): colours come from the colormap,
// masked cells are hatched, and max pooling keeps a single bright cell visible when thousands of
// cells share a pixel. Skips when no GL 3.3 context can be made.
#include <gtest/gtest.h>

#include <cstdlib>

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "core/colormap.h"
#include "gpu/gl_context.h"
#include "render/heatmap_renderer.h"

namespace attnviz::render {
namespace {

class HeatmapRendererTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    context_ = gpu::GlContext::createHeadless({}, &why);
    if (!context_) {
      const char* require = std::getenv("ATTNVIZ_REQUIRE_GL");
      if (require && std::string(require) == "1") FAIL() << "ATTNVIZ_REQUIRE_GL=1 but no headless GL context: " << why;
      GTEST_SKIP() << "no headless GL context: " << why;
    }
    renderer_ = std::make_unique<HeatmapRenderer>();
    std::string error;
    ASSERT_TRUE(renderer_->init(&error)) << error;
  }
  void TearDown() override {
    renderer_.reset();  // GL objects go before their context
    context_.reset();
  }
  // RGBA8 of the slot's texture, rows bottom-up as GL stores them.
  std::vector<std::uint8_t> pixels(GLuint tex, int w, int h) {
    std::vector<std::uint8_t> out(std::size_t(w) * std::size_t(h) * 4);
    glBindTexture(GL_TEXTURE_2D, tex);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glGetTexImage(GL_TEXTURE_2D, 0, GL_RGBA, GL_UNSIGNED_BYTE, out.data());
    return out;
  }
  // Pixel at (x, y) with y measured from the top.
  static std::array<int, 3> at(const std::vector<std::uint8_t>& px, int w, int h, int x, int y) {
    const std::size_t i = (std::size_t(h - 1 - y) * std::size_t(w) + std::size_t(x)) * 4;
    return {px[i], px[i + 1], px[i + 2]};
  }
  static int distance(std::array<int, 3> a, Rgb b) {
    return std::max({std::abs(a[0] - int(std::lround(b.r * 255))), std::abs(a[1] - int(std::lround(b.g * 255))),
                     std::abs(a[2] - int(std::lround(b.b * 255)))});
  }
  // A 4 x 4 map drawn at 64 x 64 (16 px cells): the cell (query, key) shows both hatching colours.
  static bool cellIsHatched(const std::vector<std::uint8_t>& px, int w, int h, const HeatmapView& v, int key, int query) {
    bool saw_a = false, saw_b = false;
    for (int y = query * 16 + 2; y < query * 16 + 14; ++y)
      for (int x = key * 16 + 2; x < key * 16 + 14; ++x) {
        const auto c = at(px, w, h, x, y);
        saw_a |= distance(c, Rgb{v.mask_a[0], v.mask_a[1], v.mask_a[2]}) <= 2;
        saw_b |= distance(c, Rgb{v.mask_b[0], v.mask_b[1], v.mask_b[2]}) <= 2;
      }
    return saw_a && saw_b;
  }
  std::unique_ptr<gpu::GlContext> context_;
  std::unique_ptr<HeatmapRenderer> renderer_;
};

AttentionResult identity(int heads, int n) {
  AttentionResult r;
  r.heads = heads;
  r.nq = r.nk = n;
  r.p.assign(std::size_t(heads) * n * n, 0.0f);
  for (int h = 0; h < heads; ++h)
    for (int i = 0; i < n; ++i) r.p[r.index(h, i, i)] = 1.0f;
  return r;
}

TEST_F(HeatmapRendererTest, CellsTakeTheColormapColour) {
  std::string error;
  ASSERT_TRUE(renderer_->uploadSource(identity(2, 4), &error)) << error;
  ASSERT_TRUE(renderer_->prepare({0}, false, false, &error)) << error;
  renderer_->setColormap(Colormap::Viridis);
  HeatmapView v;
  v.x0 = 0;
  v.y0 = 0;
  v.x1 = 4;
  v.y1 = 4;
  const int w = 64, h = 64;  // 16 px per cell
  const GLuint tex = renderer_->render(0, w, h, v);
  ASSERT_NE(tex, 0u);
  const auto px = pixels(tex, w, h);
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) {
      const auto c = at(px, w, h, j * 16 + 8, i * 16 + 8);
      const Rgb want = sampleColormap(Colormap::Viridis, i == j ? 1.0f : 0.0f);
      EXPECT_LE(distance(c, want), 3) << "cell " << i << "," << j;
    }
  EXPECT_EQ(gpu::takeGlErrors(), "");
}

TEST_F(HeatmapRendererTest, TinyMatricesWithSeveralLayersPrepare) {
  // All heads of 1-5 token inputs: every layer of every shape must build and draw its diagonal.
  for (int n = 1; n <= 5; ++n) {
    std::string error;
    ASSERT_TRUE(renderer_->uploadSource(identity(4, n), &error)) << "n=" << n << ": " << error;
    ASSERT_TRUE(renderer_->prepare({0, 1, 2, 3}, false, false, &error)) << "n=" << n << ": " << error;
    HeatmapView v;
    v.x1 = float(n);
    v.y1 = float(n);
    v.layer = 3;
    const int w = 8 * n, h = 8 * n;
    const GLuint tex = renderer_->render(0, w, h, v);
    ASSERT_NE(tex, 0u) << "n=" << n;
    const auto px = pixels(tex, w, h);
    EXPECT_LE(distance(at(px, w, h, 4, 4), sampleColormap(renderer_->colormap(), 1.0f)), 3) << "n=" << n;
    EXPECT_EQ(gpu::takeGlErrors(), "") << "n=" << n;
  }
}

TEST_F(HeatmapRendererTest, MeanLayerAndCausalMaskIsHatched) {
  AttentionResult r = identity(2, 4);
  // Head 1: every row puts everything on key 0.
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) r.p[r.index(1, i, j)] = j == 0 ? 1.0f : 0.0f;
  std::string error;
  ASSERT_TRUE(renderer_->uploadSource(r, &error)) << error;
  ASSERT_TRUE(renderer_->prepare({-1}, true, false, &error)) << error;
  renderer_->setColormap(Colormap::Greyscale);
  HeatmapView v;
  v.x1 = 4;
  v.y1 = 4;
  const int w = 64, h = 64;
  const auto px = pixels(renderer_->render(0, w, h, v), w, h);
  // (2,2): mean of 1 and 0 = 0.5 grey; (1,0): mean of 0 and 1.
  EXPECT_LE(distance(at(px, w, h, 2 * 16 + 8, 2 * 16 + 8), sampleColormap(Colormap::Greyscale, 0.5f)), 3);
  EXPECT_LE(distance(at(px, w, h, 0 * 16 + 8, 1 * 16 + 8), sampleColormap(Colormap::Greyscale, 0.5f)), 3);
  // (0,3) is above the diagonal: masked, drawn with the two hatching colours, never the colormap.
  EXPECT_TRUE(cellIsHatched(px, w, h, v, 3, 0)) << "masked cells are hatched";
}

// A sliding window of 2: query i sees keys i-1 and i; key 0 of row 3 is masked (hatched), key 2
// of row 3 and key 0 of row 1 are not.
TEST_F(HeatmapRendererTest, CellsBeforeASlidingWindowAreHatched) {
  const AttentionResult r = identity(1, 4);
  std::string error;
  ASSERT_TRUE(renderer_->uploadSource(r, &error)) << error;
  ASSERT_TRUE(renderer_->prepare({0}, true, false, &error, {}, 2)) << error;
  renderer_->setColormap(Colormap::Greyscale);
  HeatmapView v;
  v.x1 = 4;
  v.y1 = 4;
  const int w = 64, h = 64;
  const auto px = pixels(renderer_->render(0, w, h, v), w, h);
  const auto hatched = [&](int key, int query) { return cellIsHatched(px, w, h, v, key, query); };
  EXPECT_TRUE(hatched(0, 3));
  EXPECT_TRUE(hatched(1, 3));
  EXPECT_FALSE(hatched(2, 3));
  EXPECT_FALSE(hatched(0, 1));
  EXPECT_LE(distance(at(px, w, h, 2 * 16 + 8, 3 * 16 + 8), sampleColormap(Colormap::Greyscale, 0.0f)), 3);
}

TEST_F(HeatmapRendererTest, MaxPoolingKeepsASingleBrightCellVisible) {
  const int n = 3000;
  AttentionResult r;
  r.heads = 1;
  r.nq = r.nk = n;
  r.p.assign(std::size_t(n) * n, 0.0f);
  r.p[r.index(0, 1234, 2345)] = 1.0f;  // one bright cell among nine million
  std::string error;
  ASSERT_TRUE(renderer_->uploadSource(r, &error)) << error;
  ASSERT_TRUE(renderer_->prepare({0}, false, false, &error)) << error;
  EXPECT_GE(renderer_->levels(), 12);
  renderer_->setColormap(Colormap::Greyscale);
  HeatmapView v;
  v.x1 = float(n);
  v.y1 = float(n);
  const int w = 100, h = 100;  // 30 x 30 cells per pixel
  const auto px = pixels(renderer_->render(0, w, h, v), w, h);
  int bright = 0;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) bright += at(px, w, h, x, y)[0] > 200;
  EXPECT_GE(bright, 1) << "averaging would have made it 1/900 of white";
  EXPECT_LE(bright, 4);
  // And it is where it belongs: column 2345 / 30 ~ x 78, row 1234 / 30 ~ y 41.
  EXPECT_GT(at(px, w, h, 78, 41)[0] + at(px, w, h, 77, 41)[0] + at(px, w, h, 78, 40)[0] + at(px, w, h, 77, 40)[0], 200);
}

TEST_F(HeatmapRendererTest, BlendMixesThePreviousMatrix) {
  AttentionResult a = identity(1, 2), b = identity(1, 2);
  b.p = {0.0f, 1.0f, 1.0f, 0.0f};
  std::string error;
  ASSERT_TRUE(renderer_->uploadSource(a, &error)) << error;
  ASSERT_TRUE(renderer_->prepare({0}, false, false, &error)) << error;
  EXPECT_FALSE(renderer_->canBlend());
  ASSERT_TRUE(renderer_->uploadSource(b, &error)) << error;
  ASSERT_TRUE(renderer_->prepare({0}, false, true, &error)) << error;
  EXPECT_TRUE(renderer_->canBlend());
  renderer_->setColormap(Colormap::Greyscale);
  HeatmapView v;
  v.x1 = 2;
  v.y1 = 2;
  v.blend = 0.25f;  // a quarter of the way from a to b
  const auto px = pixels(renderer_->render(0, 32, 32, v), 32, 32);
  EXPECT_LE(distance(at(px, 32, 32, 8, 8), sampleColormap(Colormap::Greyscale, 0.75f)), 3);
  EXPECT_LE(distance(at(px, 32, 32, 24, 8), sampleColormap(Colormap::Greyscale, 0.25f)), 3);
}

// Head switches on a host display overwrite spare textures: warmed ahead, none is allocated at a
// switch (llvmpipe paid 20-40 ms of fresh pages for each of the first two switches at 1000 x 1000).
TEST_F(HeatmapRendererTest, WarmedSparesLetHeadSwitchesReuseTextures) {
  const AttentionResult a = identity(1, 2);
  AttentionResult b = identity(1, 2);
  b.p = {0.0f, 1.0f, 1.0f, 0.0f};
  std::string error;
  ASSERT_TRUE(renderer_->prepareHost(a.p.data(), 2, 2, false, 0, true, &error)) << error;
  EXPECT_EQ(renderer_->textureAllocations(), 1);
  // A small display: one step per level and spare.
  for (int step = 0; step < 2 * renderer_->levels(); ++step) EXPECT_TRUE(renderer_->warmSpare(&error)) << step << ": " << error;
  EXPECT_FALSE(renderer_->warmSpare(&error)) << "two spares of a shape are enough";
  EXPECT_EQ(renderer_->textureAllocations(), 3);
  renderer_->setColormap(Colormap::Greyscale);
  HeatmapView v;
  v.x1 = 2;
  v.y1 = 2;
  for (int k = 0; k < 6; ++k) {
    const AttentionResult& shown = k % 2 ? a : b;
    ASSERT_TRUE(renderer_->prepareHost(shown.p.data(), 2, 2, false, 0, true, &error)) << error;
    EXPECT_EQ(renderer_->textureAllocations(), 3) << "switch " << k;
    // What is drawn is the matrix just prepared (a reused texture holds no stale cells).
    const auto px = pixels(renderer_->render(0, 32, 32, v), 32, 32);
    EXPECT_LE(distance(at(px, 32, 32, 8, 8), sampleColormap(Colormap::Greyscale, shown.p[0])), 3) << k;
    EXPECT_LE(distance(at(px, 32, 32, 24, 8), sampleColormap(Colormap::Greyscale, shown.p[1])), 3) << k;
  }
  // Another shape allocates anew and drops the spares that no longer fit.
  const AttentionResult c = identity(1, 3);
  ASSERT_TRUE(renderer_->prepareHost(c.p.data(), 3, 3, false, 0, true, &error)) << error;
  EXPECT_EQ(renderer_->textureAllocations(), 4);
  EXPECT_TRUE(renderer_->warmSpare(&error)) << error;
  EXPECT_EQ(renderer_->textureAllocations(), 5);
}

// A tall display is warmed a band of rows per step, so no one frame pays for all its pages.
TEST_F(HeatmapRendererTest, ASpareIsWarmedABandOfRowsPerStep) {
  const int n = 2 * HeatmapRenderer::kWarmRowsPerStep + 3;  // level 0: a little over two bands
  const AttentionResult a = identity(1, n);
  std::string error;
  ASSERT_TRUE(renderer_->prepareHost(a.p.data(), n, n, false, 0, true, &error)) << error;
  int steps = 0;
  while (renderer_->warmSpare(&error) && steps < 1000) ++steps;
  ASSERT_TRUE(error.empty()) << error;
  // Each spare: its cells (level 0 and the max-pooled levels, about 4/3 of level 0) in steps of
  // kWarmRowsPerStep rows of level 0.
  std::size_t cells = 0;
  for (int l = 0; l < renderer_->levels(); ++l) cells += std::size_t(std::max(1, n >> l)) * std::size_t(std::max(1, n >> l));
  const std::size_t per_step = std::size_t(HeatmapRenderer::kWarmRowsPerStep) * std::size_t(n);
  const int per_spare = int((cells + per_step - 1) / per_step);
  EXPECT_EQ(per_spare, 3);
  EXPECT_EQ(steps, 2 * per_spare);
  EXPECT_EQ(renderer_->textureAllocations(), 3);
}

TEST_F(HeatmapRendererTest, WithoutSparesTheFirstHeadSwitchesAllocate) {
  const AttentionResult a = identity(1, 2);
  AttentionResult b = identity(1, 2);
  b.p = {0.0f, 1.0f, 1.0f, 0.0f};
  std::string error;
  ASSERT_TRUE(renderer_->prepareHost(a.p.data(), 2, 2, false, 0, true, &error)) << error;
  ASSERT_TRUE(renderer_->prepareHost(b.p.data(), 2, 2, false, 0, true, &error)) << error;
  ASSERT_TRUE(renderer_->prepareHost(a.p.data(), 2, 2, false, 0, true, &error)) << error;
  EXPECT_EQ(renderer_->textureAllocations(), 3);
  // From the third switch on, the display blended from two switches ago is reused.
  ASSERT_TRUE(renderer_->prepareHost(b.p.data(), 2, 2, false, 0, true, &error)) << error;
  ASSERT_TRUE(renderer_->prepareHost(a.p.data(), 2, 2, false, 0, true, &error)) << error;
  EXPECT_EQ(renderer_->textureAllocations(), 3);
}

}  // namespace
}  // namespace attnviz::render
