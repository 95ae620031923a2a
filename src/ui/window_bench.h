// The window's own benchmark (--bench-frames, --bench-model head|layer|append, --bench-zoom):
// scripted changes frame by frame, the frame, recompute and UI-build times, and the latency of a
// real model's event (a head or layer switch, a word appended) from the change until the frame
// showing its result is swapped. Prints one JSON line per report at the end.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "ui/app_window.h"

namespace attnviz::ui {

class AppController;
struct UiContext;

// Seconds on a steady clock since the first call.
double windowClockSeconds();

class WindowBench {
 public:
  explicit WindowBench(const WindowOptions& opt) : opt_(opt) {}
  bool active() const { return opt_.bench_frames > 0; }

  // Before the frame's recompute: this frame's scripted change.
  void beforeFrame(int frame, AppController& app, UiContext& ui);
  void recordRecompute(double ms) { recompute_ms_.push_back(ms); }
  // After the swap: a model event's latency once its result is on screen (glFinish first).
  void afterSwap(const AppController& app);
  void recordFrame(int frame, double ui_build_ms, double interval_ms);
  void report(const AppController& app) const;

 private:
  const WindowOptions& opt_;
  std::vector<double> frame_ms_, recompute_ms_, build_ms_, event_ms_;
  double event_start_ = -1;  // when the pending event started (-1: none, -2: an untimed one)
  std::pair<int, int> event_versions_{0, 0};  // result and display versions before it
  std::string base_text_;
  double fit_cpp_ = 0;
};

}  // namespace attnviz::ui
