// The window's heatmap texture follows the controller with at most one upload per change, of what
// is shown only: a head switch or a colour change uploads that one head's display, the all-heads
// view every head once; and what is drawn is what the whole layer uploaded and prepared by the
// shaders (as the window did before) gives.
// A tiny generated model on a headless GL context (llvmpipe in CI); skips without one.
#include <gtest/gtest.h>

#include <cstdlib>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "../model/tiny_models.h"
#include "gpu/gl_context.h"
#include "render/heatmap_renderer.h"
#include "ui/app_controller.h"
#include "ui/figure_export.h"
#include "ui/heatmap_sync.h"

namespace attnviz::ui {
namespace {

class HeatmapSyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (testing::tinyModelsDir().empty()) GTEST_SKIP() << "tiny models could not be generated";
    std::string why;
    context_ = gpu::GlContext::createHeadless({}, &why);
    if (!context_) {
      const char* require = std::getenv("ATTNVIZ_REQUIRE_GL");
      if (require && std::string(require) == "1") FAIL() << "ATTNVIZ_REQUIRE_GL=1 but no headless GL context: " << why;
      GTEST_SKIP() << "no headless GL context: " << why;
    }
    std::string error;
    heatmap_ = std::make_unique<render::HeatmapRenderer>();
    ASSERT_TRUE(heatmap_->init(&error)) << error;
    app_.setEngine("cpu-fast");
    app_.setText("the cat sat on the mat and the dog sat on the cat, then the dog ran home");
    ASSERT_TRUE(app_.loadModel(testing::tinyModel("gpt2_plain"))) << app_.error();
    app_.waitForModel();
    ASSERT_TRUE(app_.hasResult()) << app_.error();
  }
  void TearDown() override {
    heatmap_.reset();  // GL objects go before their context
    context_.reset();
  }
  // The display's layer `layer` drawn one pixel per cell, RGBA rows bottom-up.
  static std::vector<std::uint8_t> drawn(render::HeatmapRenderer& r, int nq, int nk, int layer) {
    render::HeatmapView v;
    v.x1 = float(nk);
    v.y1 = float(nq);
    v.layer = layer;
    const GLuint tex = r.render(0, nk, nq, v);
    std::vector<std::uint8_t> px(std::size_t(nk) * std::size_t(nq) * 4);
    glBindTexture(GL_TEXTURE_2D, tex);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glGetTexImage(GL_TEXTURE_2D, 0, GL_RGBA, GL_UNSIGNED_BYTE, px.data());
    return px;
  }
  // The same view from the whole layer uploaded, as the window did before (the mean: -1).
  std::vector<std::uint8_t> fromWholeLayer(const std::vector<int>& heads, int layer) {
    render::HeatmapRenderer whole;
    std::string error;
    EXPECT_TRUE(whole.init(&error)) << error;
    EXPECT_TRUE(whole.uploadSource(app_.result(), &error)) << error;
    EXPECT_TRUE(whole.prepare(heads, app_.causalMaskShown(), false, &error, displayScalingFor(app_), app_.slidingWindowShown()))
        << error;
    return drawn(whole, app_.nq(), app_.nk(), layer);
  }
  static int largestDifference(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b) {
    int d = a.size() == b.size() ? 0 : 255;
    for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) d = std::max(d, std::abs(int(a[i]) - int(b[i])));
    return d;
  }
  std::unique_ptr<gpu::GlContext> context_;
  std::unique_ptr<render::HeatmapRenderer> heatmap_;
  AppController app_;
  HeatmapSync sync_;
};

TEST_F(HeatmapSyncTest, EachHeadSwitchOrColourChangeUploadsOneMatrixAndDrawsWhatTheWholeLayerGives) {
  const int heads = app_.heads();
  ASSERT_GT(heads, 2);
  app_.setHead({HeadSelection::Single, 0});
  HeatmapSync::Step step = sync_.update(app_, *heatmap_);
  ASSERT_TRUE(step.prepared) << step.error;
  EXPECT_EQ(heatmap_->uploadCount(), 1);
  EXPECT_EQ(heatmap_->lastUploadHeads(), 1);
  step = sync_.update(app_, *heatmap_);  // nothing changed: nothing done
  EXPECT_FALSE(step.uploaded);
  EXPECT_FALSE(step.prepared);
  for (int h : {2, 1, 2}) {
    app_.setHead({HeadSelection::Single, h});
    step = sync_.update(app_, *heatmap_);
    ASSERT_TRUE(step.prepared) << step.error;
    EXPECT_TRUE(step.uploaded);
    EXPECT_EQ(heatmap_->lastUploadHeads(), 1) << "head " << h;
    EXPECT_EQ(drawn(*heatmap_, app_.nq(), app_.nk(), 0), fromWholeLayer({h}, 0)) << "head " << h;
  }
  EXPECT_EQ(heatmap_->uploadCount(), 4);
  // New colours of the same matrix: its display made again, one upload of one matrix.
  for (ColourScale scale : {ColourScale::Row, ColourScale::Log, ColourScale::Auto}) {
    app_.setColourScale(scale);
    step = sync_.update(app_, *heatmap_);
    EXPECT_TRUE(step.prepared) << step.error;
    EXPECT_EQ(heatmap_->lastUploadHeads(), 1);
    // The log scale's log10 on the CPU against the shader's log() / log(10): within a colour step.
    EXPECT_LE(largestDifference(drawn(*heatmap_, app_.nq(), app_.nk(), 0), fromWholeLayer({2}, 0)), 1) << colourScaleName(scale);
  }
  EXPECT_EQ(heatmap_->uploadCount(), 7);
}

TEST_F(HeatmapSyncTest, TheMeanIsOneMatrixAndAllHeadsAreEveryHead) {
  app_.setHead({HeadSelection::Mean, 0});
  HeatmapSync::Step step = sync_.update(app_, *heatmap_);
  ASSERT_TRUE(step.prepared) << step.error;
  EXPECT_EQ(heatmap_->lastUploadHeads(), 1);
  // The mean made on the CPU (double sums) against the shader's float sums: within a colour step.
  EXPECT_LE(largestDifference(drawn(*heatmap_, app_.nq(), app_.nk(), 0), fromWholeLayer({-1}, 0)), 1);
  app_.setHead({HeadSelection::All, 0});
  step = sync_.update(app_, *heatmap_);
  ASSERT_TRUE(step.prepared) << step.error;
  EXPECT_EQ(heatmap_->uploadCount(), 2);
  EXPECT_EQ(heatmap_->lastUploadHeads(), app_.heads());
  std::vector<int> all;
  for (int h = 0; h < app_.heads(); ++h) all.push_back(h);
  for (int h = 0; h < app_.heads(); ++h)
    EXPECT_EQ(drawn(*heatmap_, app_.nq(), app_.nk(), h), fromWholeLayer(all, h)) << "panel " << h;
  // A new result (another layer) is uploaded again, once.
  app_.setHead({HeadSelection::Single, 1});
  app_.setLayer(1);
  app_.recomputeNow();
  step = sync_.update(app_, *heatmap_);
  ASSERT_TRUE(step.prepared) << step.error;
  EXPECT_EQ(heatmap_->uploadCount(), 3);
  EXPECT_EQ(heatmap_->lastUploadHeads(), 1);
  EXPECT_EQ(drawn(*heatmap_, app_.nq(), app_.nk(), 0), fromWholeLayer({1}, 0));
}

}  // namespace
}  // namespace attnviz::ui
