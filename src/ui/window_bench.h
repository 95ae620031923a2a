// The window's own benchmark (--bench-frames, --bench-model head|layer|append|forward|generate|launch,
// --bench-zoom): scripted changes frame by frame, the frame, recompute and UI-build times, and the
// latency of a real model's event (a head or layer switch, a word appended, the first word changed
// so the whole text reruns, one token generated, the launch) from the change until the frame showing its
// result is swapped. Prints one JSON line per report at the end.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "ui/app_window.h"

namespace attnviz::ui {

class AppController;
struct UiContext;

// Seconds on a steady clock since the first call (runAppWindow makes it first, at launch).
double windowClockSeconds();

// Where one frame's time went, in ms: events, the scripted change and recompute, the heatmap's
// upload and display, the ImGui build, drawing, the swap (with glFinish on an event's frame).
struct FramePhases {
  static constexpr int kCount = 6;
  double ms[kCount] = {};
  static constexpr int kUi = 3;  // the ImGui build
  static const char* name(int i);
};

class WindowBench {
 public:
  // "launch": the one event is the launch itself, until the model's first map is on screen.
  explicit WindowBench(const WindowOptions& opt) : opt_(opt) {
    if (opt.bench_model == "launch") event_start_ = 0;
  }
  bool active() const { return opt_.bench_frames > 0; }
  static constexpr int kFirstEventFrame = 35;  // then one event every 10 frames

  // Before the frame's recompute: this frame's scripted change.
  void beforeFrame(int frame, AppController& app, UiContext& ui);
  void recordRecompute(double ms) { recompute_ms_.push_back(ms); }
  // After the swap: a model event's latency once its result is on screen (glFinish first).
  void afterSwap(const AppController& app);
  void recordFrame(int frame, double interval_ms, const FramePhases& phases);
  void report(const AppController& app) const;

 private:
  const WindowOptions& opt_;
  std::vector<double> frame_ms_, recompute_ms_, build_ms_, event_ms_;
  // The intervals of frames drawn while an event's work was under way (the forward, the maps...).
  std::vector<double> pending_frame_ms_;
  bool pending_this_frame_ = false;
  double first_frame_s_ = -1;  // launch to the first frame's swap
  // Every counted frame's phases, and which frames showed an event's result.
  std::vector<FramePhases> phases_;
  std::vector<std::size_t> event_frames_;
  bool event_shown_ = false;  // set by afterSwap, taken by recordFrame
  double event_start_ = -1;  // when the pending event started (-1: none, -2: an untimed one)
  std::pair<int, int> event_versions_{0, 0};  // result and display versions before it
  std::string base_text_;
  double fit_cpp_ = 0;
};

// --bench-idle: the cost of a window left alone. Once its work is done and events have stopped
// coming (a display sends a few at start), the input is made to look long past (so the arcs' flow
// settles); kSettleSeconds later (the start's own animations, the first frames' fonts and
// textures are over) the frames drawn and the process's CPU time (every thread) are counted for
// `seconds`. An event meanwhile starts the wait again. One JSON line at the end.
class IdleBench {
 public:
  explicit IdleBench(double seconds) : seconds_(seconds) {}
  bool active() const { return seconds_ > 0; }
  static constexpr double kSettleSeconds = 2.0;
  // True once, on the first frame with no work left and no event for kQuietSeconds: the caller
  // then puts its last input far in the past.
  static constexpr double kQuietSeconds = 0.5;
  bool workDone(double now, bool working, double since_event);
  void event();  // an event arrived: what was settling or measured starts again
  // After each frame's swap; true when the stretch is over.
  bool afterFrame(double now);
  void report(bool continuous_redraw) const;

 private:
  double seconds_ = 0, done_at_ = -1, start_ = -1, end_ = -1, cpu_start_ = 0, cpu_end_ = 0;
  int frames_ = 0, restarts_ = 0;
};

}  // namespace attnviz::ui
