// Head and layer switches on a real (tiny, generated) model: the worker summarises every head of
// the shown layer once (stats, maxima, patterns, the mean) and the controller shows its maps and
// summaries as they are, so a switch copies one head and scans nothing. Each summary is checked
// against the independent functions (computeStats, rowMaxima, detectPatterns) run on the maps.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <string>
#include <vector>

#include "../model/tiny_models.h"
#include "core/attention.h"
#include "core/colour_scale.h"
#include "core/cpu_fast.h"
#include "core/matrix_summary.h"
#include "core/patterns.h"
#include "core/stats.h"
#include "model/model_worker.h"
#include "ui/app_controller.h"
#include "ui/model_holder.h"

namespace attnviz::ui {
namespace {

const char* const kText = "the cat sat on the mat and the dog sat on the cat, then the dog ran";

std::vector<int> causalKeys(int n) {
  std::vector<int> v;
  for (int i = 0; i < n; ++i) v.push_back(i + 1);
  return v;
}

void expectStatsEqual(const MatrixStats& a, const MatrixStats& b, const std::string& what) {
  EXPECT_EQ(a.row_entropy_bits, b.row_entropy_bits) << what;
  EXPECT_EQ(a.row_max_entropy_bits, b.row_max_entropy_bits) << what;
  EXPECT_EQ(a.avg_entropy_bits, b.avg_entropy_bits) << what;
  EXPECT_EQ(a.avg_normalized_entropy, b.avg_normalized_entropy) << what;
  EXPECT_EQ(a.max_weight, b.max_weight) << what;
  EXPECT_EQ(a.max_row, b.max_row) << what;
  EXPECT_EQ(a.max_col, b.max_col) << what;
  EXPECT_EQ(a.column_sums, b.column_sums) << what;
  EXPECT_EQ(a.most_attended_index, b.most_attended_index) << what;
}

void expectPatternsEqual(const std::vector<PatternFinding>& a, const std::vector<PatternFinding>& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].kind, b[i].kind) << what;
    EXPECT_EQ(a[i].text, b[i].text) << what;
  }
}

// What the controller showed before the worker summarised: the matrix's own scan.
void expectSummaryOf(const MatrixSummary& s, const AttentionResult& one, const std::vector<std::string>& keys,
                     const std::string& what) {
  const std::vector<int> visible = causalKeys(one.nq);
  expectStatsEqual(s.stats, computeStats(one.p.data(), one.nq, one.nk, visible, one.row_fully_masked), what);
  EXPECT_EQ(s.row_max, rowMaxima(one.p.data(), one.nq, one.nk)) << what;
  EXPECT_EQ(s.max, matrixMaximum(one.p.data(), one.nq, one.nk)) << what;
  expectPatternsEqual(s.patterns, detectPatterns(one.p.data(), one.nq, one.nk, true, keys, visible), what);
  CellMax past;
  for (int i = 1; i < one.nq; ++i)
    for (int j = 0; j <= i; ++j)
      if (one.row(0, i)[j] > past.w) past = {one.row(0, i)[j], i, j};
  EXPECT_EQ(s.max_past_first_row.w, past.w) << what;
  EXPECT_EQ(s.max_past_first_row.row, past.row) << what;
  EXPECT_EQ(s.max_past_first_row.col, past.col) << what;
}

TEST(ModelSwitch, TheSnapshotSummarisesEveryHeadAndTheMeanAsTheMatrixScansDo) {
  REQUIRE_TINY_MODELS();
  model::ModelWorker worker(model::ModelSession::load(testing::tinyModel("gpt2_plain")));
  worker.want(kText, 1);
  worker.waitIdle();
  const auto s = worker.latest();
  ASSERT_NE(s->maps, nullptr) << s->error;
  ASSERT_NE(s->summary, nullptr);
  const AttentionResult& maps = *s->maps;
  const LayerSummary& sum = *s->summary;
  ASSERT_EQ(sum.heads, maps.heads);
  ASSERT_GT(maps.heads, 1);
  ASSERT_EQ(int(sum.head.size()), maps.heads);
  EXPECT_EQ(sum.inputs.visible_keys, causalKeys(maps.nq));
  EXPECT_TRUE(sum.inputs.causal);
  EXPECT_TRUE(sum.inputs.self_attention);
  for (int h = 0; h < maps.heads; ++h)
    expectSummaryOf(sum.head[std::size_t(h)], selectHead(maps, h), s->problem->key_labels, "head " + std::to_string(h));
  const AttentionResult mean = meanOverHeads(maps);
  ASSERT_NE(sum.mean, nullptr);
  EXPECT_EQ(sum.mean->p, mean.p);
  expectSummaryOf(sum.mean_summary, mean, s->problem->key_labels, "mean");
}

class ModelSwitchController : public ::testing::Test {
 protected:
  void SetUp() override {
    if (testing::tinyModelsDir().empty()) GTEST_SKIP() << "tiny models could not be generated";
    app_.setEngine("cpu-fast");  // the worker's maps are shown as they are only for the engine that made them
    app_.setText(kText);
    ASSERT_TRUE(app_.loadModel(testing::tinyModel("gpt2_plain"))) << app_.error();
    app_.waitForModel();
    ASSERT_TRUE(app_.hasResult()) << app_.error();
  }
  // The shown matrix and every readout of it equal what the scans give on the head's own maps.
  void expectShowing(HeadSelection head, const AttentionResult& fresh) {
    const std::string what = head.kind == HeadSelection::Single ? "head " + std::to_string(head.index) : "mean";
    const AttentionResult one = head.kind == HeadSelection::Single ? selectHead(fresh, head.index) : meanOverHeads(fresh);
    ASSERT_EQ(app_.shown().nq, one.nq);
    ASSERT_EQ(app_.shown().p, one.p) << what;
    const std::vector<int> visible = causalKeys(one.nq);
    EXPECT_EQ(app_.visibleKeys(), visible);
    expectStatsEqual(app_.stats(), computeStats(one.p.data(), one.nq, one.nk, visible, one.row_fully_masked), what);
    expectPatternsEqual(app_.patterns(), detectPatterns(one.p.data(), one.nq, one.nk, true, app_.keyLabels(), visible), what);
    EXPECT_EQ(app_.shownMaximum(), matrixMaximum(one.p.data(), one.nq, one.nk)) << what;
    app_.setColourScale(ColourScale::Row);
    EXPECT_EQ(app_.displayDenominators(), rowMaxima(one.p.data(), one.nq, one.nk)) << what;
    app_.setColourScale(ColourScale::Auto);
    EXPECT_EQ(app_.displayDenominators(), std::vector<float>{matrixMaximum(one.p.data(), one.nq, one.nk)}) << what;
  }
  AppController app_;
};

TEST_F(ModelSwitchController, HeadSwitchesBackAndForthShowTheRightMapsFromTheWorkersSummary) {
  const auto snapshot = app_.model()->latest();
  ASSERT_NE(snapshot->maps, nullptr);
  // The worker's maps themselves, not a copy.
  EXPECT_EQ(&app_.result(), snapshot->maps.get());
  const AttentionResult fresh = computeFast(app_.model()->idleSession().problemForLayer(app_.layer()));
  ASSERT_EQ(app_.result().p, fresh.p);
  for (HeadSelection h : {HeadSelection{HeadSelection::Single, 2}, HeadSelection{HeadSelection::Single, 0},
                          HeadSelection{HeadSelection::Mean, 0}, HeadSelection{HeadSelection::Single, 2},
                          HeadSelection{HeadSelection::Single, 1}}) {
    app_.setHead(h);
    EXPECT_TRUE(app_.summaryUsed());
    expectShowing(h, fresh);
  }
}

TEST_F(ModelSwitchController, ALayerSwitchBackShowsThatLayersMapsAndSummaries) {
  app_.setHead({HeadSelection::Single, 1});
  const AttentionResult layer0 = computeFast(app_.model()->idleSession().problemForLayer(0));
  app_.setLayer(1);
  app_.recomputeNow();
  ASSERT_EQ(app_.layer(), 1);
  const AttentionResult layer1 = computeFast(app_.model()->idleSession().problemForLayer(1));
  ASSERT_NE(layer0.p, layer1.p);
  EXPECT_TRUE(app_.summaryUsed());
  expectShowing({HeadSelection::Single, 1}, layer1);
  app_.setLayer(0);
  app_.recomputeNow();
  EXPECT_TRUE(app_.summaryUsed());
  expectShowing({HeadSelection::Single, 1}, layer0);
}

// Holds the model's worker at its first progress step whose name starts with `what` ("" for any)
// until release() (for tests that look at the window between a wish and the worker's answer).
class WorkerHold {
 public:
  WorkerHold(model::ModelWorker& worker, std::string what) : worker_(worker) {
    worker_.setProgressObserver([this, what](const model::ModelProgress& p) {
      if (p.what.rfind(what, 0) != 0) return;
      std::unique_lock<std::mutex> lock(m_);
      held_ = true;
      cv_.notify_all();
      cv_.wait(lock, [&] { return released_; });
    });
  }
  ~WorkerHold() {
    release();
    worker_.waitIdle();
    worker_.setProgressObserver(nullptr);
  }
  bool held() {
    std::lock_guard<std::mutex> lock(m_);
    return held_;
  }
  void release() {
    {
      std::lock_guard<std::mutex> lock(m_);
      released_ = true;
    }
    cv_.notify_all();
  }

 private:
  model::ModelWorker& worker_;
  std::mutex m_;
  std::condition_variable cv_;
  bool held_ = false, released_ = false;
};

TEST_F(ModelSwitchController, ALayersMapsAreShownBeforeTheirSummaryWhichThenReplacesTheScan) {
  model::ModelWorker& worker = app_.model()->worker();
  worker.setMapsBudget(0);  // nothing kept: the next layer is computed when asked for
  app_.setText(std::string(kText) + " again");  // new tokens, whose layers the budget keeps none of
  app_.waitForModel();
  ASSERT_TRUE(app_.model()->latest()->kept.empty());
  WorkerHold hold(worker, "summary: layer");
  app_.setHead({HeadSelection::Single, 2});
  app_.setLayer(2);
  // Frames until the worker holds at the summary (the maps are out) and the controller shows them.
  for (double t = 1; (!hold.held() || app_.dirty()) && t < 60; t += 0.01) {
    app_.recomputeIfDue(t);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  app_.waitForPending();
  ASSERT_TRUE(hold.held());
  ASSERT_FALSE(app_.dirty());
  ASSERT_EQ(app_.layer(), 2);
  const AttentionResult* shown_maps = &app_.result();
  EXPECT_FALSE(app_.summaryUsed());
  const AttentionResult fresh = computeFast(app_.problem());
  // Before the summary: the head's weights are shown, nothing is scanned here (the measures wait).
  EXPECT_TRUE(app_.summaryPending());
  EXPECT_EQ(app_.shown().p, selectHead(fresh, 2).p);
  EXPECT_TRUE(app_.patterns().empty());
  EXPECT_TRUE(app_.stats().column_sums.empty());
  hold.release();
  worker.waitIdle();
  app_.recomputeIfDue(200);
  EXPECT_TRUE(app_.summaryUsed());
  EXPECT_FALSE(app_.summaryPending());
  EXPECT_EQ(&app_.result(), shown_maps);  // the same maps, now with their summary
  expectShowing({HeadSelection::Single, 2}, fresh);
}

// A layer whose maps (and mean) the worker keeps is shown in the frame of the switch, from the
// snapshot, before the worker has answered; the worker's summary of those same maps follows.
TEST_F(ModelSwitchController, AKeptLayerIsShownInTheFrameOfTheSwitchBeforeTheWorkerAnswers) {
  model::ModelWorker& worker = app_.model()->worker();
  const auto before = app_.model()->latest();
  ASSERT_EQ(before->layer, 0);
  const model::LayerMaps* kept = before->keptLayer(2);  // kept by the overview, with its mean
  ASSERT_NE(kept, nullptr);
  ASSERT_NE(kept->mean, nullptr);
  WorkerHold hold(worker, "");
  app_.setHead({HeadSelection::Single, 1});
  app_.setLayer(2);
  app_.recomputeIfDue(1);
  app_.waitForPending();
  EXPECT_FALSE(app_.dirty());
  EXPECT_EQ(app_.layer(), 2);
  EXPECT_EQ(&app_.result(), kept->maps.get());
  EXPECT_NE(app_.model()->latest()->layer, 2) << "the worker answered first: the test shows nothing";
  const std::vector<float> shown_first = app_.shown().p;
  EXPECT_TRUE(app_.summaryPending());
  hold.release();
  worker.waitIdle();
  const AttentionResult fresh = computeFast(app_.model()->idleSession().problemForLayer(2));
  EXPECT_EQ(shown_first, selectHead(fresh, 1).p);
  app_.recomputeIfDue(2);
  EXPECT_TRUE(app_.summaryUsed());
  EXPECT_EQ(&app_.result(), kept->maps.get());  // the same maps, with the worker's summary
  expectShowing({HeadSelection::Single, 1}, fresh);
}

// The kept maps of the layer switched to were dropped (a budget of nothing) before the worker
// heard of it: it makes them anew, and their summary still reaches the screen, with them.
TEST_F(ModelSwitchController, AKeptLayerDroppedBeforeTheWorkerAnswersStillGetsItsSummary) {
  model::ModelWorker& worker = app_.model()->worker();
  ASSERT_NE(app_.model()->latest()->keptLayer(2), nullptr);
  worker.setMapsBudget(0);
  app_.setHead({HeadSelection::Single, 2});
  app_.setLayer(2);
  app_.recomputeIfDue(1);
  app_.waitForPending();
  EXPECT_TRUE(app_.summaryPending());
  worker.waitIdle();
  for (double t = 2; (app_.dirty() || !app_.summaryUsed()) && t < 4; t += 0.01) {
    app_.recomputeIfDue(t);
    app_.waitForPending();
  }
  EXPECT_TRUE(app_.summaryUsed());
  EXPECT_EQ(app_.model()->latest()->maps.get(), &app_.result());
  expectShowing({HeadSelection::Single, 2}, computeFast(app_.problem()));
}

TEST_F(ModelSwitchController, WhatTheSummaryDoesNotCoverIsScannedHere) {
  // A temperature of its own: the controller computes the maps, and their stats, itself.
  app_.setHead({HeadSelection::Single, 1});
  app_.setTemperature(2.0f);
  app_.recomputeNow();
  EXPECT_FALSE(app_.summaryUsed());
  AttentionProblem hot = app_.model()->idleSession().problemForLayer(app_.layer());
  hot.temperature = 2.0f;
  expectShowing({HeadSelection::Single, 1}, computeFast(hot));
  app_.setTemperature(1.0f);
  app_.recomputeNow();
  EXPECT_TRUE(app_.summaryUsed());
  // Value-weighted contributions are made here from the maps: their stats are scanned here too.
  app_.setContributionView(true);
  app_.recomputeNow();
  ASSERT_TRUE(app_.contributionsShown());
  EXPECT_FALSE(app_.summaryUsed());
  const AttentionResult one = selectHead(app_.result(), 1);
  expectStatsEqual(app_.stats(), computeStats(one.p.data(), one.nq, one.nk, causalKeys(one.nq), one.row_fully_masked),
                   "contributions");
}

}  // namespace
}  // namespace attnviz::ui
