// Idle frames (issue 18): the window draws while something moves, work runs or an input is
// settling, and otherwise sleeps until the next event.
#include <gtest/gtest.h>

#include "ui/frame_pacing.h"

namespace attnviz::ui {
namespace {

FrameNeeds quiet() {
  FrameNeeds n;
  n.since_input_s = kFlowSeconds + kFlowFadeSeconds + 5;
  return n;
}

TEST(FramePacing, NothingMovingNoWorkNoInputSleepsUntilAnEvent) {
  EXPECT_EQ(frameWaitMs(quiet(), false), kIdleWaitMs);
  FrameNeeds typing = quiet();
  typing.text_input = true;
  EXPECT_EQ(frameWaitMs(typing, false), kTextCursorWaitMs) << "a focused text field still blinks its cursor";
  EXPECT_GT(kIdleWaitMs, 16) << "sleeping less than a frame would save nothing";
}

TEST(FramePacing, AnimationWorkAndFreshInputDrawAtOnce) {
  FrameNeeds n = quiet();
  n.animating = true;
  EXPECT_EQ(frameWaitMs(n, false), 0);
  n = quiet();
  n.working = true;
  EXPECT_EQ(frameWaitMs(n, false), 0) << "a recompute or the model's worker must be seen through";
  n = quiet();
  n.since_input_s = 0.5 * kInputSettleSeconds;
  EXPECT_EQ(frameWaitMs(n, false), 0) << "what an input changed needs frames to settle";
  n.since_input_s = kInputSettleSeconds + 0.01;
  EXPECT_GT(frameWaitMs(n, false), 0);
  EXPECT_EQ(frameWaitMs(quiet(), true), 0) << "continuous redraw never sleeps";
}

TEST(FramePacing, TheArcsFlowRunsAfterInputThenFadesOut) {
  EXPECT_FLOAT_EQ(flowOpacity(0, false), 1.0f);
  EXPECT_FLOAT_EQ(flowOpacity(kFlowSeconds, false), 1.0f);
  EXPECT_NEAR(flowOpacity(kFlowSeconds + 0.5 * kFlowFadeSeconds, false), 0.5f, 1e-5f);
  EXPECT_FLOAT_EQ(flowOpacity(kFlowSeconds + kFlowFadeSeconds, false), 0.0f);
  EXPECT_FLOAT_EQ(flowOpacity(1e9, false), 0.0f);
  EXPECT_FLOAT_EQ(flowOpacity(1e9, true), 1.0f) << "continuous redraw keeps the flow";
}

}  // namespace
}  // namespace attnviz::ui
