// Beyond attention weights in the window: the model worker's contributions, ablation and head
// importance equal what a fresh ModelSession computes (whose numbers tests/model/ablation_test.cpp
// holds to the NumPy reference), importance is cancelled by a newer text, and a bad head list is
// one error line. Tiny generated checkpoints (tiny_models.py). Named ModelWorker.* and
// AppController.* so that the TSan net (scripts/run-nets.sh) runs them too.
#include <gtest/gtest.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "../model/tiny_models.h"
#include "core/attention.h"
#include "core/cpu_fast.h"
#include "model/head_ablation.h"
#include "model/model_error.h"
#include "model/model_worker.h"
#include "ui/app_controller.h"
#include "ui/model_holder.h"
#include "ui/model_panel_state.h"
#include "ui/ui_context.h"

namespace attnviz::model {
namespace {

using testing::tinyModel;

const char* kText = "the cat sat on the mat and the dog sat on the cat";

// Contributions of every head of `layer` by a fresh session: [heads][n][n], rows normalised.
std::vector<std::vector<float>> freshContributions(const std::string& model, const std::string& text, int layer) {
  auto session = ModelSession::load(tinyModel(model));
  session->setText(text);
  const AttentionResult maps = computeFast(session->problemForLayer(layer));
  std::vector<std::vector<float>> out;
  for (int h = 0; h < maps.heads; ++h)
    out.push_back(contributionsOfWeights(maps.head(h), maps.nq, maps.nk, session->valueOutputNorms(layer, h), true));
  return out;
}

TEST(ModelWorker, ContributionsOfTheShownLayerAndTheOverviewEqualTheSessions) {
  REQUIRE_TINY_MODELS();
  auto worker = std::make_unique<ModelWorker>(ModelSession::load(tinyModel("gpt2_plain")));
  worker->want(kText, 1);
  worker->waitIdle();
  const auto s = worker->latest();
  ASSERT_TRUE(s->has_forward) << s->error;
  ASSERT_NE(s->value_norms, nullptr);
  const int n = int(s->token_ids.size()), heads = worker->facts().heads;
  ASSERT_EQ(s->value_norms->size(), std::size_t(heads) * std::size_t(n));
  auto fresh = ModelSession::load(tinyModel("gpt2_plain"));
  fresh->setText(kText);
  for (int h = 0; h < heads; ++h) {
    const std::vector<float> norms = fresh->valueOutputNorms(1, h);
    for (int j = 0; j < n; ++j) ASSERT_NEAR((*s->value_norms)[std::size_t(h * n + j)], norms[std::size_t(j)], 1e-5f) << h << "," << j;
  }
  // The overview's contribution measures are the measures of the same contributions.
  for (int l = 0; l < worker->facts().layers; ++l) {
    const auto c = freshContributions("gpt2_plain", kText, l);
    ASSERT_EQ(int(s->overview[std::size_t(l)]->contribution_measures.size()), heads);
    for (int h = 0; h < heads; ++h) {
      const HeadMeasures want = measureMap(c[std::size_t(h)].data(), n, n, true);
      const HeadMeasures& got = s->overview[std::size_t(l)]->contribution_measures[std::size_t(h)];
      EXPECT_NEAR(got.entropy_bits, want.entropy_bits, 1e-4) << l << "," << h;
      EXPECT_NEAR(got.sink_mass, want.sink_mass, 1e-5) << l << "," << h;
      EXPECT_NEAR(got.previous_token, want.previous_token, 1e-5) << l << "," << h;
    }
  }
}

TEST(ModelWorker, AnAblationWishGivesTheSessionsAblation) {
  REQUIRE_TINY_MODELS();
  auto worker = std::make_unique<ModelWorker>(ModelSession::load(tinyModel("gpt2_plain")));
  worker->want(kText, 0);
  for (const AblationMode mode : {AblationMode::Zero, AblationMode::Mean}) {
    AblationRequest r;
    r.heads = {{1, 3}, {2, 0}};
    r.mode = mode;
    r.target = " cat";
    r.top_k = 6;
    const int id = worker->wantAblation(r);
    worker->waitIdle();
    const auto s = worker->latest();
    ASSERT_EQ(s->ablation.id, id);
    ASSERT_TRUE(s->ablation_error.empty()) << s->ablation_error;
    ASSERT_NE(s->ablation_outcome, nullptr);
    auto fresh = ModelSession::load(tinyModel("gpt2_plain"));
    fresh->setText(kText);
    const AblationOutcome want = fresh->ablate(r.heads, mode, 6, targetTokenId(*fresh, " cat"));
    const AblationOutcome& got = *s->ablation_outcome;
    EXPECT_EQ(got.rerun_from_layer, 1);
    ASSERT_EQ(got.after.size(), want.after.size());
    for (std::size_t k = 0; k < want.after.size(); ++k) {
      EXPECT_EQ(got.after[k].id, want.after[k].id) << k;
      EXPECT_NEAR(got.after[k].prob, want.after[k].prob, 1e-6) << k;
      EXPECT_NEAR(got.before[k].prob, want.before[k].prob, 1e-6) << k;
    }
    EXPECT_NEAR(got.kl_nats, want.kl_nats, 1e-6);
    EXPECT_GT(got.kl_nats, 0.0) << "ablating two heads changed nothing: the comparison would be empty";
    EXPECT_EQ(got.target_id, want.target_id);
    EXPECT_NEAR(got.target_logprob_after, want.target_logprob_after, 1e-5);
    EXPECT_NEAR(got.loss_after, want.loss_after, 1e-5);
    EXPECT_EQ(s->ablation_target_label, fresh->tokenLabel(want.target_id));
  }
  // A new text reruns the same request on its tokens.
  worker->want("a dog ran after the cat", 0);
  worker->waitIdle();
  const auto s = worker->latest();
  ASSERT_NE(s->ablation_outcome, nullptr);
  auto fresh = ModelSession::load(tinyModel("gpt2_plain"));
  fresh->setText("a dog ran after the cat");
  EXPECT_NEAR(s->ablation_outcome->kl_nats, fresh->ablate({{1, 3}, {2, 0}}, AblationMode::Mean, 6).kl_nats, 1e-6);
  // An empty request withdraws it.
  worker->wantAblation({});
  worker->waitIdle();
  EXPECT_EQ(worker->latest()->ablation_outcome, nullptr);
}

TEST(ModelWorker, TheAblationsDifferenceMapsChangeOnlyAboveTheFirstAblatedLayer) {
  REQUIRE_TINY_MODELS();
  auto worker = std::make_unique<ModelWorker>(ModelSession::load(tinyModel("gpt2_plain")));
  worker->want(kText, 0);
  AblationRequest r;
  r.heads = {{1, 2}};
  r.mode = AblationMode::Zero;
  worker->wantAblation(r);
  worker->waitIdle();
  const auto s = worker->latest();
  ASSERT_NE(s->ablation_diff, nullptr) << s->ablation_error;
  const int t = LayerOverview::kThumbSize, L = worker->facts().layers, H = worker->facts().heads;
  ASSERT_EQ(s->ablation_diff->size(), std::size_t(L) * H * t * t);
  auto layerMax = [&](int l) {
    float m = 0;
    for (std::size_t i = std::size_t(l) * H * t * t; i < std::size_t(l + 1) * H * t * t; ++i) m = std::max(m, std::abs((*s->ablation_diff)[i]));
    return m;
  };
  EXPECT_EQ(layerMax(0), 0.0f);
  EXPECT_EQ(layerMax(1), 0.0f) << "the ablated layer's own weights cannot change";
  EXPECT_GT(layerMax(2), 1e-4f) << "the layer above sees another residual stream";
  EXPECT_FLOAT_EQ(s->ablation_diff_max, layerMax(2));
  // The largest change equals a fresh session's: layer 2's maps with and without the ablation.
  auto fresh = ModelSession::load(tinyModel("gpt2_plain"));
  fresh->setText(kText);
  int from = -1;
  const std::vector<AttentionProblem> ablated = fresh->ablatedProblems(r.heads, r.mode, &from);
  ASSERT_EQ(from, 1);
  ASSERT_EQ(ablated.size(), 2u);
  const AttentionResult before = computeFast(fresh->problemForLayer(2)), after = computeFast(ablated[1]);
  float biggest = 0;
  for (std::size_t i = 0; i < before.p.size(); ++i) biggest = std::max(biggest, std::abs(after.p[i] - before.p[i]));
  EXPECT_NEAR(s->ablation_diff_max, biggest, 1e-6f);
}

TEST(ModelWorker, ABadAblationIsAnErrorLineAndTheWorkerGoesOn) {
  REQUIRE_TINY_MODELS();
  auto worker = std::make_unique<ModelWorker>(ModelSession::load(tinyModel("gpt2_plain")));
  worker->want(kText, 0);
  AblationRequest r;
  r.heads = {{7, 0}};  // gpt2_plain has 3 layers
  worker->wantAblation(r);
  worker->waitIdle();
  auto s = worker->latest();
  EXPECT_EQ(s->ablation_outcome, nullptr);
  EXPECT_NE(s->ablation_error.find("L7H0"), std::string::npos) << s->ablation_error;
  EXPECT_EQ(s->ablation_error.find('\n'), std::string::npos);
  r.heads = {{0, 1}};
  r.target = "the cat";  // two tokens
  worker->wantAblation(r);
  worker->waitIdle();
  s = worker->latest();
  EXPECT_NE(s->ablation_error.find("tokens"), std::string::npos) << s->ablation_error;
  // Still serving wishes.
  worker->want("a dog", 1);
  worker->waitIdle();
  EXPECT_EQ(worker->latest()->text, "a dog");
  EXPECT_NE(worker->latest()->problem, nullptr);
}

TEST(ModelWorker, ImportanceHasOneValuePerHeadAndANewerTextCancelsIt) {
  REQUIRE_TINY_MODELS();
  auto worker = std::make_unique<ModelWorker>(ModelSession::load(tinyModel("gpt2_plain")));
  // Holds the worker after its first importance head until the test has typed a newer text, then
  // records what the worker does next.
  std::mutex mutex;
  std::condition_variable cv;
  bool held = false, released = false;
  std::vector<std::string> after_release;
  worker->setProgressObserver([&](const ModelProgress& p) {
    std::unique_lock<std::mutex> lock(mutex);
    if (released) {
      after_release.push_back(p.what);
      return;
    }
    if (p.what == "importance: head" && p.done == 1 && !held) {
      held = true;
      cv.notify_all();
      cv.wait(lock, [&] { return released; });
    }
  });
  worker->want(kText, 0);
  worker->wantImportance();
  {
    std::unique_lock<std::mutex> lock(mutex);
    cv.wait(lock, [&] { return held; });
  }
  const std::string newer = "a dog ran after the cat";
  worker->want(newer, 0);
  {
    std::lock_guard<std::mutex> lock(mutex);
    released = true;
  }
  cv.notify_all();
  worker->waitIdle();
  ASSERT_FALSE(after_release.empty());
  EXPECT_EQ(after_release.front(), "forward: layer") << "the old text's importance went on after a newer text";
  const auto s = worker->latest();
  EXPECT_EQ(s->text, newer);
  ASSERT_TRUE(s->importance_error.empty()) << s->importance_error;
  ASSERT_EQ(int(s->importance.size()), worker->facts().layers);
  auto fresh = ModelSession::load(tinyModel("gpt2_plain"));
  fresh->setText(newer);
  const auto want = fresh->headImportance();
  for (int l = 0; l < worker->facts().layers; ++l) {
    ASSERT_EQ(int(s->importance[std::size_t(l)].size()), worker->facts().heads);
    for (int h = 0; h < worker->facts().heads; ++h)
      EXPECT_NEAR(s->importance[std::size_t(l)][std::size_t(h)], want[std::size_t(l)][std::size_t(h)], 1e-5) << l << "," << h;
  }
  // Finished importance is of its tokens: another text gets its own, live.
  worker->want(kText, 0);
  worker->waitIdle();
  const auto t = worker->latest();
  fresh->setText(kText);
  const auto again = fresh->headImportance();
  ASSERT_EQ(t->importance.size(), again.size());
  EXPECT_NEAR(t->importance[1][2], again[1][2], 1e-5);
  EXPECT_NEAR(t->importance[2][0], again[2][0], 1e-5);
}

TEST(ModelWorker, ImportanceOfAOneTokenTextIsAnErrorLine) {
  REQUIRE_TINY_MODELS();
  auto worker = std::make_unique<ModelWorker>(ModelSession::load(tinyModel("gpt2_plain")));
  worker->want("a", 0);
  worker->wantImportance();
  worker->waitIdle();
  const auto s = worker->latest();
  ASSERT_EQ(s->token_ids.size(), 1u);
  EXPECT_TRUE(s->importance.empty());
  EXPECT_NE(s->importance_error.find("at least 2 tokens"), std::string::npos) << s->importance_error;
}

}  // namespace
}  // namespace attnviz::model

namespace attnviz::ui {
namespace {

TEST(AppController, TheContributionViewShowsTheSessionsRowNormalisedContributions) {
  REQUIRE_TINY_MODELS();
  AppController app;
  EXPECT_FALSE(app.contributionUnavailableReason().empty()) << "the simulated model has no value vectors";
  app.setText(model::kText);
  ASSERT_TRUE(app.loadModel(model::tinyModel("gpt2_plain"))) << app.error();
  EXPECT_TRUE(app.contributionUnavailableReason().empty());
  app.setLayer(2);
  app.setContributionView(true);
  app.waitForModel();
  ASSERT_TRUE(app.contributionsShown());
  const auto want = model::freshContributions("gpt2_plain", model::kText, 2);
  const AttentionResult& r = app.result();
  ASSERT_EQ(r.heads, int(want.size()));
  for (int h = 0; h < r.heads; ++h)
    for (std::size_t i = 0; i < want[std::size_t(h)].size(); ++i)
      ASSERT_NEAR(r.head(h)[i], want[std::size_t(h)][i], 1e-5f) << h << "," << i;
  // Back to the weights: rows of the softmax again, which differ from the contributions.
  app.setContributionView(false);
  app.waitForModel();
  EXPECT_FALSE(app.contributionsShown());
  double diff = 0;
  for (std::size_t i = 0; i < want[0].size(); ++i) diff = std::max(diff, double(std::abs(app.result().head(0)[i] - want[0][i])));
  EXPECT_GT(diff, 1e-3);
}

TEST(AppController, ABadAblationFieldIsOneLineAndAsksNothing) {
  REQUIRE_TINY_MODELS();
  AppController app;
  app.setText(model::kText);
  ASSERT_TRUE(app.loadModel(model::tinyModel("gpt2_plain"))) << app.error();
  app.waitForModel();
  UiContext ui;
  ui.app = &app;
  ModelPanelState& st = modelPanelState(ui);
  st.ablate_heads = "L1H3, l2h0";
  applyAblationField(ui);
  EXPECT_TRUE(st.ablate_error.empty()) << st.ablate_error;
  const int asked = st.ablate_asked;
  ASSERT_GT(asked, 0);
  app.waitForModel();
  // A bad field after it: its error, and the good request stays the one asked for and shown.
  for (const char* bad : {"L5H1", "L0H9", "L0H1,,L1H2", "L0H1,L0H1", "cat", "L1H3,"}) {
    st.ablate_heads = bad;
    applyAblationField(ui);
    EXPECT_FALSE(st.ablate_error.empty()) << bad;
    EXPECT_EQ(st.ablate_error.find('\n'), std::string::npos) << bad;
    EXPECT_EQ(st.ablate_asked, asked) << bad;
  }
  app.waitForModel();
  const model::ModelSnapshot& s = app.model()->shown();
  EXPECT_EQ(s.ablation.id, asked);
  ASSERT_NE(s.ablation_outcome, nullptr) << s.ablation_error;
  EXPECT_EQ(s.ablation_outcome->heads.size(), 2u);
}

}  // namespace
}  // namespace attnviz::ui
