// The attention benchmark as a sequence of small steps, so that one code path serves the CLI
// (`attnviz bench`, which runs every step at once) and the app's Benchmark tab (which runs CPU steps
// on a worker thread and GPU steps on the UI thread, a few per frame, and can cancel between steps).
//
// Steps, in order: the device and the peak FMA roof; the GL probe (which GPU engines can run on the
// current context, its renderer); then for every size: the write-bandwidth roof and the problem,
// then for every engine (cpu-ref first): the warm-up and timed runs one step each, for cpu-fast the
// runs into a fresh result, and a finishing step (summary, check against cpu-ref or cpu-fast, row).
// See core/bench_report.h for what the rows hold and cmd_bench.cpp for the timing definitions.
//
// Threads: step() may run on any thread as long as steps never overlap and every step whose
// nextStep() is Gpu runs on a thread where the benchmark's GL context is current (the same context
// each time: a GPU engine lives from its first to its last run). Steps of kind Cpu need no GL.
// cancel() and progress() may be called from any thread at any time; report() only between steps.
// Destroy the runner (or finish or cancel it: the last GPU step releases the engine) with that
// context current if a GPU step has run.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/bench_report.h"

namespace attnviz::gpu {

struct BenchProgress {
  int task = 0, tasks = 0;  // 1-based (engine, size) being measured, of how many (skipped ones count)
  std::string engine;       // empty before the first task
  int n = 0;
  int run = 0, runs = 0;    // runs done within the task (warm-up, timed and fresh runs)
  std::string what;         // e.g. "measuring peak fp32 FMA rate", "cpu-fast n=256 run 3/7"
  double fraction = 0;      // 0..1 of the whole suite
  bool done = false;
};

class BenchRunner {
 public:
  enum class StepKind { Cpu, Gpu, Done };

  // The configuration should pass validateBenchConfig (the constructor does not check sizes).
  explicit BenchRunner(BenchConfig config);
  ~BenchRunner();
  BenchRunner(const BenchRunner&) = delete;
  BenchRunner& operator=(const BenchRunner&) = delete;

  // Before the first step. GPU engines that cannot run (no context could be made, or a context
  // too old for gpu-compute): they are reported as skipped with `why` and never probed. When no GL
  // context at all exists, call setNoGlContext: every GPU engine is skipped and nothing GL is called.
  void setEngineUnavailable(const std::string& engine, const std::string& why);
  void setNoGlContext(const std::string& why);
  // Lines for a log (the CLI prints them to stderr, "bench: " prefixed there), and progress; both
  // are called on the thread running the step.
  void setLogCallback(std::function<void(const std::string&)> log);
  void setProgressCallback(std::function<void(const BenchProgress&)> progress);

  StepKind nextStep() const;
  // Runs one step (a measurement, one engine run, a check); false when there was nothing to do.
  bool step();
  // Runs steps until done (all on this thread, which then needs the GL context for GPU steps).
  void runAll();
  // Runs steps of kind `kind` until the next one is of another kind, the run is done or cancelled,
  // or (budget_ms > 0) the steps have taken longer than budget_ms. Returns the number of steps.
  int runWhile(StepKind kind, double budget_ms = 0);

  // Stops before the next run: the rows measured so far stay; report().cancelled is set. A live
  // GPU engine is released by one more Gpu step. Thread-safe.
  void cancel();
  bool cancelled() const;
  bool done() const { return nextStep() == StepKind::Done; }

  BenchProgress progress() const;  // thread-safe snapshot
  const BenchReport& report() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace attnviz::gpu
