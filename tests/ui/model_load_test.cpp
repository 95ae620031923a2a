// Loading a real model off the UI thread (issue 18): the view on screen stays while the load runs,
// the load tells how far it is by file and tensor, Cancel stops it without waiting, a failure is
// one line, and a newer load replaces an older one. Named AppController.* so the TSan net runs them.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "../model/tiny_models.h"
#include "model/model_worker.h"
#include "ui/app_controller.h"
#include "ui/model_holder.h"
#include "ui/model_load.h"

namespace attnviz::ui {
namespace {

using testing::tinyModel;

// Holds the first load that reaches a tensor there until release(); records every step of every load.
struct LoadGate {
  std::mutex mutex;
  std::condition_variable cv;
  bool held = false, released = false;
  std::vector<model::ModelProgress> steps;

  std::function<void(const model::ModelProgress&)> observer() {
    return [this](const model::ModelProgress& p) {
      std::unique_lock<std::mutex> lock(mutex);
      steps.push_back(p);
      if (held || p.what.find(": tensor") == std::string::npos) return;
      held = true;
      cv.notify_all();
      // Bounded, so that a broken controller fails the test instead of hanging it.
      cv.wait_for(lock, std::chrono::seconds(60), [this] { return released; });
    };
  }
  bool waitHeld() {
    std::unique_lock<std::mutex> lock(mutex);
    return cv.wait_for(lock, std::chrono::seconds(60), [this] { return held; });
  }
  void release() {
    std::lock_guard<std::mutex> lock(mutex);
    released = true;
    cv.notify_all();
  }
  std::vector<model::ModelProgress> seen() {
    std::lock_guard<std::mutex> lock(mutex);
    return steps;
  }
};

TEST(AppController, AModelLoadsInTheBackgroundWhileTheViewStays) {
  REQUIRE_TINY_MODELS();
  LoadGate gate;  // before the controller: its loads' threads use it until they are joined
  AppController app;
  app.setText("the cat sat on the mat");
  app.recomputeNow();
  const int simulated_nq = app.nq();
  app.setModelLoadObserver(gate.observer());
  app.startLoadingModel(tinyModel("gpt2_plain"));
  ASSERT_TRUE(gate.waitHeld());
  EXPECT_TRUE(app.loadingModel());
  double now = 0;
  for (int frame = 0; frame < 5; ++frame) app.recomputeIfDue(now += 0.016);
  EXPECT_FALSE(app.modelShown()) << "the model is not in yet";
  EXPECT_TRUE(app.hasResult());
  EXPECT_EQ(app.nq(), simulated_nq) << "the simulated model's view stays while the model loads";
  ASSERT_NE(app.modelLoad(), nullptr);
  const model::ModelProgress p = app.modelLoad()->progress();
  EXPECT_EQ(p.what, "model.safetensors: tensor");
  EXPECT_EQ(p.done, 1);
  EXPECT_GT(p.total, 10) << "every tensor of a 2-layer GPT-2 is one step";
  gate.release();
  app.waitForModel();
  EXPECT_FALSE(app.loadingModel());
  ASSERT_TRUE(app.modelShown()) << app.error();
  EXPECT_EQ(app.nq(), app.model()->numTokens());
  // The steps: opening, each tensor once in order (1..total), then the tokenizer.
  const std::vector<model::ModelProgress> steps = gate.seen();
  ASSERT_GE(steps.size(), std::size_t(p.total + 2));
  EXPECT_EQ(steps.front().what.rfind("opening ", 0), 0u);
  for (int i = 1; i <= p.total; ++i) {
    EXPECT_EQ(steps[std::size_t(i)].what, "model.safetensors: tensor");
    EXPECT_EQ(steps[std::size_t(i)].done, i);
    EXPECT_EQ(steps[std::size_t(i)].total, p.total);
  }
  EXPECT_EQ(steps[std::size_t(p.total + 1)].what, "tokenizer");
}

TEST(AppController, CancellingALoadDoesNotWaitAndKeepsWhatIsShown) {
  REQUIRE_TINY_MODELS();
  LoadGate gate;
  AppController app;
  app.setText("the cat sat");
  app.recomputeNow();
  const int simulated_nq = app.nq();
  app.setModelLoadObserver(gate.observer());
  app.startLoadingModel(tinyModel("gpt2_plain"));
  ASSERT_TRUE(gate.waitHeld());
  // The load's thread is held inside a step: Cancel must return at once all the same.
  app.cancelModelLoad();
  EXPECT_FALSE(app.loadingModel());
  EXPECT_EQ(app.modelLoad(), nullptr);
  gate.release();
  double now = 0;
  for (int frame = 0; frame < 5; ++frame) app.recomputeIfDue(now += 0.016);
  EXPECT_FALSE(app.modelShown());
  EXPECT_TRUE(app.error().empty()) << "a cancel is no error: " << app.error();
  EXPECT_EQ(app.nq(), simulated_nq);
  // And the next load is unaffected.
  ASSERT_TRUE(app.loadModel(tinyModel("gpt2_plain"))) << app.error();
  app.waitForModel();
  EXPECT_TRUE(app.modelShown());
}

TEST(AppController, ACancelledLoadStopsAtItsNextStepAndHoldsNothing) {
  REQUIRE_TINY_MODELS();
  LoadGate gate;
  ModelLoad load(tinyModel("gpt2_plain"), gate.observer());
  ASSERT_TRUE(gate.waitHeld());
  load.cancel();
  gate.release();
  load.wait();
  EXPECT_TRUE(load.done());
  EXPECT_TRUE(load.cancelled());
  EXPECT_EQ(load.take(), nullptr);
  EXPECT_TRUE(load.error().empty()) << load.error();
  int tensors = 0;
  for (const model::ModelProgress& s : gate.seen()) tensors += s.what.find(": tensor") != std::string::npos;
  EXPECT_EQ(tensors, 1) << "the load read on after Cancel";
}

TEST(AppController, ALoadThatFailsSaysWhyInOneLineAndKeepsTheView) {
  AppController app;
  app.setText("the cat sat");
  app.recomputeNow();
  const int simulated_nq = app.nq();
  app.startLoadingModel("/nonexistent/attnviz-model");
  app.waitForModel();
  EXPECT_FALSE(app.loadingModel());
  EXPECT_FALSE(app.modelShown());
  EXPECT_EQ(app.error().rfind("Could not load: ", 0), 0u) << app.error();
  EXPECT_EQ(app.error().find('\n'), std::string::npos) << app.error();
  EXPECT_EQ(app.nq(), simulated_nq);
}

TEST(AppController, ANewerLoadReplacesOneStillRunning) {
  REQUIRE_TINY_MODELS();
  LoadGate gate;
  AppController app;
  app.setText("the cat sat");
  app.recomputeNow();
  app.setModelLoadObserver(gate.observer());
  app.startLoadingModel(tinyModel("gpt2_plain"));
  ASSERT_TRUE(gate.waitHeld());  // the first is held; the gate lets every later step through
  app.startLoadingModel(tinyModel("llama_gqa_bf16"));
  ASSERT_NE(app.modelLoad(), nullptr);
  EXPECT_EQ(app.modelLoad()->name(), tinyModel("llama_gqa_bf16"));
  app.waitForModel();
  ASSERT_TRUE(app.modelShown()) << app.error();
  EXPECT_EQ(app.model()->name(), tinyModel("llama_gqa_bf16"));
  gate.release();
  double now = 0;
  for (int frame = 0; frame < 5; ++frame) app.recomputeIfDue(now += 0.016);
  EXPECT_EQ(app.model()->name(), tinyModel("llama_gqa_bf16")) << "the abandoned load never comes on screen";
}

}  // namespace
}  // namespace attnviz::ui
