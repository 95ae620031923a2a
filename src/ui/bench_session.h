// One benchmark run of the app's Benchmark tab, driven a frame at a time so the window stays
// responsive: steps that need no GL (CPU engines, roofs, checks) run on a worker thread, steps of
// the GPU engines run on the UI thread in the window's GL context, a time slice per frame; the two
// never overlap, so the timings are the same as `attnviz bench`'s. No ImGui here (tested without a
// window); the panel is panel_bench.cpp.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/bench_report.h"
#include "gpu/bench_runner.h"

namespace attnviz::ui {

class BenchSession {
 public:
  // gl_available: a GL context is current on the thread calling update() (the window's). Without
  // one the GPU engines are reported as skipped.
  explicit BenchSession(bool gl_available = true);
  ~BenchSession();  // cancels and joins the worker; a live GPU engine is released (context current)
  BenchSession(const BenchSession&) = delete;
  BenchSession& operator=(const BenchSession&) = delete;

  // Starts a run (any previous one is cancelled and finished first). false and *error when the
  // configuration cannot run (validateBenchConfig).
  bool start(const BenchConfig& config, std::string* error = nullptr);
  // Call once per frame on the UI thread: collects a finished worker batch, runs GPU steps for up
  // to gpu_budget_ms, or hands the next CPU steps to the worker. Returns true while running.
  bool update(double gpu_budget_ms = 50);
  // Runs what is left on this thread (headless screenshots); GPU steps need the context.
  void finishNow();
  void cancel();
  bool running() const { return runner_ != nullptr; }
  bool cancelRequested() const { return runner_ && runner_->cancelled(); }
  bool hasReport() const { return has_report_; }

  gpu::BenchProgress progress() const;
  // The rows measured so far (copied when no worker batch is in flight), or the finished report.
  const BenchReport& report() const { return report_; }
  std::vector<std::string> logLines() const;  // the runner's log, newest last (at most 200)

  // Writes <folder>/<name>.json, .csv and/or .svg (the schema of `attnviz bench`); *status says
  // where they went or why not. false on any failure.
  bool exportFiles(const std::string& folder, const std::string& name, bool json, bool csv, bool svg, std::string* status) const;

 private:
  void joinWorker();
  void collect();  // copies the runner's report; runner_ reset when it is done

  bool gl_available_;
  std::unique_ptr<gpu::BenchRunner> runner_;
  std::thread worker_;
  std::shared_ptr<std::atomic<bool>> worker_busy_;
  BenchReport report_;
  bool has_report_ = false;
  mutable std::mutex log_mutex_;
  std::vector<std::string> log_;
  gpu::BenchProgress last_progress_;
};

}  // namespace attnviz::ui
