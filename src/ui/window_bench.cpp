#include "ui/window_bench.h"

#include <glad/gl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <string>

#include "model/model_bench.h"
#include "render/heatmap_renderer.h"
#include "ui/app_controller.h"
#include "ui/model_holder.h"
#include "ui/ui_context.h"

namespace attnviz::ui {
namespace {

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double idx = p * double(v.size() - 1);
  const std::size_t lo = std::size_t(std::floor(idx)), hi = std::size_t(std::ceil(idx));
  return v[lo] + (v[hi] - v[lo]) * (idx - double(lo));
}

double largest(const std::vector<double>& v) { return v.empty() ? 0.0 : *std::max_element(v.begin(), v.end()); }

}  // namespace

const char* FramePhases::name(int i) {
  static const char* const names[kCount] = {"input", "change", "heatmap", "ui", "draw", "swap"};
  return names[i];
}

// {"input":..,...}: each phase of `frames` at percentile p (each phase on its own).
static std::string phasesJson(const std::vector<FramePhases>& frames, double p) {
  std::string json = "{";
  for (int k = 0; k < FramePhases::kCount; ++k) {
    std::vector<double> v;
    for (const FramePhases& f : frames) v.push_back(f.ms[k]);
    char b[64];
    std::snprintf(b, sizeof b, "%s\"%s\":%.2f", k ? "," : "", FramePhases::name(k), percentile(v, p));
    json += b;
  }
  return json + "}";
}

// [12.3,45.6,...]: each value in order.
static std::string listJson(const std::vector<double>& values) {
  std::string json = "[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    char b[32];
    std::snprintf(b, sizeof b, "%s%.1f", i ? "," : "", values[i]);
    json += b;
  }
  return json + "]";
}

double windowClockSeconds() {
  using namespace std::chrono;
  static const steady_clock::time_point start = steady_clock::now();
  return duration<double>(steady_clock::now() - start).count();
}

void WindowBench::beforeFrame(int frame, AppController& app, UiContext& ui) {
  if (!active()) return;
  // Keep arcs animating and force a recompute every 10th frame (a temperature nudge), or zoom the
  // heatmap between the whole matrix and ~40x every frame.
  if (frame % 60 == 30) app.moveSelection(app.selectedQuery() + 1 < app.nq() ? 1 : -app.selectedQuery());
  if (!opt_.bench_zoom && opt_.bench_model.empty() && frame % 10 == 5) app.setTemperature(app.temperature() == 1.0f ? 1.02f : 1.0f);
  // A generation still finishing (its last snapshot shown, the worker not yet idle) delays the next.
  // The first comes kFirstEventFrame frames in, as a person's first click comes a moment after the
  // map is up (the frames between warm the spare display textures).
  if (!opt_.bench_model.empty() && opt_.bench_model != "launch" && app.model() && frame % 10 == 5 && frame >= kFirstEventFrame &&
      event_start_ == -1 && !app.generating()) {
    // A person's action on a real model, timed until the frame showing its result is swapped.
    event_start_ = windowClockSeconds();
    event_versions_ = {app.resultVersion(), app.displayVersion()};
    if (base_text_.empty()) base_text_ = app.text();
    if (opt_.bench_model == "layer") {
      app.setLayer((app.layer() + 1) % app.model()->layers());
    } else if (opt_.bench_model == "head") {
      const HeadSelection h = app.head();
      app.setHead({HeadSelection::Single, h.kind == HeadSelection::Single ? (h.index + 1) % app.heads() : 0});
    } else if (opt_.bench_model == "forward") {
      // A word put in front: every token changes position, so the forward runs from the first.
      app.setText(app.text() == base_text_ ? "river " + base_text_ : base_text_);
    } else if (opt_.bench_model == "generate") {
      // One token appended by the model's worker through its KV cache (the text grows each time).
      if (!app.generate(1)) event_start_ = -1;
    } else {
      // Append a word to the base text; every other event goes back to the base (not timed).
      const bool append = app.text() == base_text_;
      app.setText(append ? base_text_ + " river" : base_text_);
      if (!append) event_start_ = -2;  // untimed, but wait for it like the others
    }
  }
  pending_this_frame_ = event_start_ != -1;
  if (opt_.bench_zoom && frame == 2) fit_cpp_ = ui.view.cpp;
  if (opt_.bench_zoom && frame > 2 && fit_cpp_ > 0) {
    const double zoom = 1.0 + 39.0 * 0.5 * (1.0 - std::cos(frame * 0.15));
    const float cpp = float(fit_cpp_ / zoom);
    const float w_px = ui.heatmap_rect.z - ui.heatmap_rect.x, h_px = ui.heatmap_rect.w - ui.heatmap_rect.y;
    ui.view.fit = false;
    ui.view.cpp = cpp;
    ui.view.x0 = 0.5f * float(app.nk()) - 0.5f * w_px * cpp;
    ui.view.y0 = 0.5f * float(app.nq()) - 0.5f * h_px * cpp / ui.view.aspect;
  }
}

void WindowBench::afterSwap(const AppController& app) {
  if (event_start_ == -1) return;
  if (opt_.bench_model == "launch" ? !app.hasResult()
                                   : app.resultVersion() == event_versions_.first &&
                                         !(opt_.bench_model == "head" && app.displayVersion() != event_versions_.second))
    return;
  glFinish();
  if (event_start_ >= 0) {
    event_ms_.push_back((windowClockSeconds() - event_start_) * 1000.0);
    event_shown_ = true;
  }
  event_start_ = -1;
}

void WindowBench::recordFrame(int frame, double interval_ms, const FramePhases& phases) {
  if (!active()) return;
  build_ms_.push_back(phases.ms[FramePhases::kUi]);
  if (first_frame_s_ < 0) first_frame_s_ = windowClockSeconds();
  if (pending_this_frame_ && frame > 1) pending_frame_ms_.push_back(interval_ms);
  pending_this_frame_ = false;
  if (event_shown_ && frame > 1) event_frames_.push_back(phases_.size());
  event_shown_ = false;
  if (frame > 1) {
    frame_ms_.push_back(interval_ms);
    phases_.push_back(phases);
  }
}

void WindowBench::report(const AppController& app) const {
  if (!active()) return;
  std::string renderer = render::HeatmapRenderer::glRenderer();
  for (char& c : renderer)
    if (c == '"' || c == '\\') c = '\'';
  if (!opt_.bench_model.empty()) {
    std::vector<FramePhases> shown;
    for (std::size_t i : event_frames_) shown.push_back(phases_[i]);
    std::printf("{\"bench_model\":\"%s\",\"events\":%d,\"event_p50_ms\":%.3f,\"event_p95_ms\":%.3f,\"event_max_ms\":%.3f,"
                "\"tokens\":%d,\"frames_while_pending\":%d,\"pending_frame_p95_ms\":%.3f,\"pending_frame_max_ms\":%.3f,"
                "\"event_frame_p50_phases_ms\":%s,\"events_ms\":%s,\"unfinished_event\":%s}\n",
                opt_.bench_model.c_str(), int(event_ms_.size()), percentile(event_ms_, 0.5), percentile(event_ms_, 0.95),
                largest(event_ms_), app.nq(), int(pending_frame_ms_.size()), percentile(pending_frame_ms_, 0.95),
                largest(pending_frame_ms_), phasesJson(shown, 0.5).c_str(), listJson(event_ms_).c_str(),
                event_start_ != -1 ? "true" : "false");  // the run ended before the last change was on screen
  }
  // The slowest frame's phases (the interval also holds what came between frames).
  std::size_t slowest = 0;
  for (std::size_t i = 1; i < frame_ms_.size(); ++i)
    if (frame_ms_[i] > frame_ms_[slowest]) slowest = i;
  const std::string slowest_json = phases_.empty() ? "{}" : phasesJson({phases_[slowest]}, 0.5);
  const model::ResidentMemory memory = model::residentMemory();
  std::printf("{\"frames\":%d,\"p50_ms\":%.3f,\"p95_ms\":%.3f,\"max_ms\":%.3f,\"recompute_p50_ms\":%.3f,"
              "\"renderer\":\"%s\",\"engine\":\"%s\",\"ui_build_p50_ms\":%.3f,\"nq\":%d,\"nk\":%d,"
              "\"p50_phases_ms\":%s,\"slowest_frame_phases_ms\":%s,\"launch_to_first_frame_ms\":%.1f,"
              "\"rss_mb\":%.1f,\"peak_rss_mb\":%.1f}\n",
              int(frame_ms_.size()), percentile(frame_ms_, 0.5), percentile(frame_ms_, 0.95), largest(frame_ms_),
              percentile(recompute_ms_, 0.5), renderer.c_str(), app.engineUsed().c_str(), percentile(build_ms_, 0.5), app.nq(),
              app.nk(), phasesJson(phases_, 0.5).c_str(), slowest_json.c_str(), first_frame_s_ * 1000.0,
              memory.current_bytes / 1048576.0, memory.peak_bytes / 1048576.0);
}

bool IdleBench::workDone(double now, bool working, double since_event) {
  if (!active() || done_at_ >= 0 || end_ >= 0 || working || since_event < kQuietSeconds) return false;
  done_at_ = now;
  return true;
}

void IdleBench::event() {
  if (done_at_ < 0 || end_ >= 0) return;
  done_at_ = start_ = -1;
  frames_ = 0;
  ++restarts_;
}

bool IdleBench::afterFrame(double now) {
  if (done_at_ < 0) return false;
  if (start_ < 0) {
    if (now - done_at_ < kSettleSeconds) return false;
    start_ = now;
    cpu_start_ = double(std::clock()) / CLOCKS_PER_SEC;  // process CPU time, all threads
    return false;
  }
  ++frames_;
  if (now - start_ < seconds_) return false;
  end_ = now;
  cpu_end_ = double(std::clock()) / CLOCKS_PER_SEC;
  return true;
}

void IdleBench::report(bool continuous_redraw) const {
  if (!active() || end_ < 0) return;
  const double wall = end_ - start_, cpu = cpu_end_ - cpu_start_;
  std::printf("{\"bench\":\"idle\",\"seconds\":%.3f,\"frames\":%d,\"fps\":%.2f,\"cpu_seconds\":%.3f,\"cpu_percent\":%.2f,"
              "\"continuous_redraw\":%s,\"restarts\":%d}\n",
              wall, frames_, double(frames_) / wall, cpu, 100.0 * cpu / wall, continuous_redraw ? "true" : "false", restarts_);
}

}  // namespace attnviz::ui
