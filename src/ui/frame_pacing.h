// When the window draws. Every frame while something moves (the arcs growing or flowing, the
// heatmap's blend), while work runs (a recompute, the model's worker, a benchmark) and for a moment
// after any input (hover, clicks and ImGui's own state need a few frames to settle); otherwise it
// sleeps until the next event, waking now and then for a text cursor's blink and as a safety net.
// No SDL or ImGui: the window asks, the tests pin the rule.
#pragma once

namespace attnviz::ui {

struct FrameNeeds {
  bool animating = false;   // a panel drew something that moves this frame
  bool working = false;     // a recompute, the model's worker or a benchmark is running
  bool text_input = false;  // a text field has the keyboard (its cursor blinks)
  double since_input_s = 1e9;  // seconds since the last input event
};

// Frames keep coming this long after an input, so that what it changed settles on screen.
constexpr double kInputSettleSeconds = 1.0;
// The arcs' flow dots run this long after the last input, then fade out over kFlowFadeSeconds and
// the window can sleep (Space stops them at once; continuous redraw keeps them running).
constexpr double kFlowSeconds = 20.0;
constexpr double kFlowFadeSeconds = 1.0;
// Idle waits: short enough for a text cursor to blink, and a bound on anything no event announces.
constexpr int kTextCursorWaitMs = 500;
constexpr int kIdleWaitMs = 1000;

// Milliseconds to wait for an event before drawing the next frame; 0: draw at once.
int frameWaitMs(const FrameNeeds& needs, bool continuous);

// The flow dots' opacity (0..1) `since_input_s` after the last input.
float flowOpacity(double since_input_s, bool continuous);

}  // namespace attnviz::ui
