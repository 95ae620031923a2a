// The window's controller on models with sliding windows (tiny Gemma 2 from tests/model/tiny_gemma.py):
// a local layer keeps the model's own mask (the causal checkbox does not replace it), its cells
// before the window are masked for the heatmap, the figures and the measures, and a global layer
// is plainly causal.
#include <gtest/gtest.h>

#include <string>

#include "../model/tiny_models.h"
#include "core/attention.h"
#include "model/model_session.h"
#include "ui/app_controller.h"
#include "ui/model_holder.h"

namespace attnviz::ui {
namespace {

TEST(ModelSlidingWindow, ALocalLayerShowsTheModelsWindowAndAGlobalOneIsCausal) {
  REQUIRE_TINY_MODELS();
  AppController app;
  app.setText("the cat sat on the mat, the cat sat on the mat again");
  ASSERT_TRUE(app.loadModel(testing::tinyModel("gemma2_softcap_f32"))) << app.error();
  app.waitForModel();
  ASSERT_TRUE(app.hasResult()) << app.error();
  const int n = app.nq(), window = 8;  // tiny_gemma.py: layer 0 local, layer 1 global
  ASSERT_GT(n, 2 * window);
  EXPECT_EQ(app.slidingWindowShown(), window);
  EXPECT_EQ(app.problem().mask, MaskKind::Custom);
  EXPECT_NE(app.headNames()[1].find("local"), std::string::npos) << app.headNames()[1];
  const AttentionResult ref = computeReference(app.model()->idleSession().problemFor(0, 1));
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      EXPECT_EQ(app.isMasked(i, j), j > i || j <= i - window) << i << "," << j;
      EXPECT_NEAR(app.result().row(1, i)[j], ref.row(0, i)[j], 2e-5) << i << "," << j;
    }
  app.setLayer(1);
  app.recomputeNow();
  ASSERT_TRUE(app.hasResult()) << app.error();
  EXPECT_EQ(app.slidingWindowShown(), 0);
  EXPECT_EQ(app.problem().mask, MaskKind::Causal);
  EXPECT_FALSE(app.isMasked(n - 1, 0));
  double before_window = 0;
  for (int i = window; i < n; ++i) before_window += app.result().row(0, i)[0];
  EXPECT_GT(before_window, 0.0);
}

}  // namespace
}  // namespace attnviz::ui
