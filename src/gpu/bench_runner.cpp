// The benchmark's state machine. Each step does one piece of work and then advances through the
// free transitions (a new task, a skipped task) to the next piece of work, so nextStep() always
// names the work that step() will do and the log lines come out in the order of the old loop.
#include "gpu/bench_runner.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <optional>

#include "core/cpu_fast.h"
#include "core/cpu_features.h"
#include "core/roofline.h"
#include "core/thread_pool.h"
#include "gpu/fragment_engine.h"
#include "gpu/gl_context.h"
#include "gpu/gpu_engine.h"

namespace attnviz::gpu {

namespace {

// The path(s) cpu-fast takes for the configured sizes (ascending), e.g. "amx-bf16x3" or
// "avx512 below n=512, amx-bf16x3 from n=512".
std::string cpuFastPathsFor(const BenchConfig& c) {
  std::vector<int> sizes = c.sizes;
  std::sort(sizes.begin(), sizes.end());
  std::vector<std::pair<std::string, int>> runs;  // (path, first n taking it)
  for (int n : sizes) {
    AttentionProblem shape;  // cpuFastDefaultPath reads only the sizes
    shape.heads = c.heads;
    shape.nq = shape.nk = n;
    shape.d = c.dim;
    const std::string path = simdPathName(cpuFastDefaultPath(shape));
    if (runs.empty() || runs.back().first != path) runs.emplace_back(path, n);
  }
  if (runs.size() == 1) return runs[0].first;
  std::string out;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (i == 0) out = runs[0].first + " below n=" + std::to_string(runs[1].second);
    else out += ", " + runs[i].first + " from n=" + std::to_string(runs[i].second);
  }
  return out;
}

double msSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// Share of all CPUs' time spent busy (by anything: this process is idle meanwhile) over 250 ms,
// in percent; -1 where /proc/stat is unreadable. Other work on the machine makes timings noisy.
double machineBusyPercent() {
  auto sample = [](double* busy, double* total) {
    std::ifstream in("/proc/stat");
    std::string cpu;
    double v[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    in >> cpu;
    for (double& x : v) in >> x;
    if (!in || cpu != "cpu") return false;
    *total = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
    *busy = *total - v[3] - v[4];  // minus idle and iowait
    return true;
  };
  double b0 = 0, t0 = 0, b1 = 0, t1 = 0;
  if (!sample(&b0, &t0)) return -1;
  usleep(250000);
  if (!sample(&b1, &t1) || t1 <= t0) return -1;
  return 100.0 * (b1 - b0) / (t1 - t0);
}

bool isGpuEngine(const std::string& e) { return e == "gpu-compute" || e == "gpu-fragment"; }

enum class Phase { Device, Probe, Size, Run, Fresh, Finish, Cleanup, Done };

}  // namespace

struct BenchRunner::Impl {
  BenchReport report;
  std::function<void(const std::string&)> log;
  std::function<void(const BenchProgress&)> on_progress;
  std::atomic<bool> cancel{false};
  mutable std::mutex progress_mutex;
  BenchProgress progress;

  // GPU availability: [0] gpu-compute, [1] gpu-fragment; empty when it can run (after the probe).
  std::string why_not[2];
  bool no_context = false;

  SimdPath simd = SimdPath::Scalar;
  std::vector<std::string> order;  // cpu-ref first, then the others in the order given
  Phase phase = Phase::Device;
  std::size_t size_i = 0, engine_i = 0;
  int task = 0, tasks = 0;
  int run = 0;

  // Per size.
  int n = 0;
  AttentionProblem problem;
  double write_gbps = 0, flops = 0, out_bytes = 0, roof_ms = 0;
  bool ref_runs = true;
  std::string check_engine;
  std::optional<AttentionResult> check;

  // Per task.
  BenchRow row;
  std::vector<double> times, wall, fresh;
  AttentionResult result;
  std::unique_ptr<GpuAttentionEngine> compute_engine;
  std::unique_ptr<FragmentAttentionEngine> fragment_engine;

  void say(const std::string& line) {
    if (log) log(line);
  }
  const std::string& engine() const { return order[engine_i]; }
  int gpuIndex(const std::string& e) const { return e == "gpu-compute" ? 0 : 1; }
  int warmupFor(const std::string& e) const {
    return e == "cpu-ref" && n > 1024 ? 0 : report.config.warmup;
  }
  int mainRuns() const { return warmupFor(engine()) + report.config.reps; }
  int taskRuns() const { return mainRuns() + (engine() == "cpu-fast" ? report.config.reps : 0); }

  void publish(const std::string& what) {
    BenchProgress p;
    p.task = task;
    p.tasks = tasks;
    if (phase == Phase::Run || phase == Phase::Fresh || phase == Phase::Finish) {
      p.engine = engine();
      p.n = n;
      p.run = run + (phase == Phase::Fresh ? mainRuns() : 0);
      p.runs = taskRuns();
    }
    p.what = what;
    p.done = phase == Phase::Done;
    // Within a task: its runs done (the summary counts as one more); between tasks: those started.
    const bool in_task = p.runs > 0;
    const double within = !in_task ? 0.0 : phase == Phase::Finish ? double(p.runs) / (p.runs + 1) : double(p.run) / (p.runs + 1);
    const double finished = in_task ? std::max(0, task - 1) : task;
    p.fraction = p.done ? 1.0 : tasks > 0 ? std::min(1.0, (finished + within) / double(tasks)) : 0.0;
    {
      std::lock_guard<std::mutex> lock(progress_mutex);
      progress = p;
    }
    if (on_progress) on_progress(p);
  }

  void releaseGpu() {
    compute_engine.reset();
    fragment_engine.reset();
  }

  StepKind kindOf() const {
    switch (phase) {
      case Phase::Probe:
      case Phase::Cleanup:
        return StepKind::Gpu;
      case Phase::Run:
        return isGpuEngine(engine()) ? StepKind::Gpu : StepKind::Cpu;
      case Phase::Done:
        return StepKind::Done;
      default:
        return StepKind::Cpu;
    }
  }

  // From the end of a piece of work to the start of the next one.
  void finishRun() {
    if (cancel.load()) {
      report.cancelled = true;
      phase = compute_engine || fragment_engine ? Phase::Cleanup : Phase::Done;
      if (phase == Phase::Done) publish("cancelled");
      return;
    }
  }

  void startSize() {
    if (size_i >= report.config.sizes.size()) {
      phase = Phase::Done;
      publish("done");
      return;
    }
    phase = Phase::Size;
    publish("n=" + std::to_string(report.config.sizes[size_i]) + ": measuring write bandwidth");
  }

  // Starts task engine_i of size size_i, skipping what does not run; or the next size.
  void startTask() {
    const BenchConfig& c = report.config;
    while (engine_i < order.size()) {
      const std::string& e = engine();
      ++task;
      say("[" + std::to_string(task) + "/" + std::to_string(tasks) + "] " + e + " n=" + std::to_string(n) +
          " heads=" + std::to_string(c.heads) + " dim=" + std::to_string(c.dim) + (c.causal ? " causal" : "") + " ...");
      if (e == "cpu-ref" && !ref_runs) {
        say("cpu-ref skipped at n=" + std::to_string(n) + " (above --ref-max " + std::to_string(c.ref_max) + ")");
        report.skipped.emplace_back("cpu-ref n=" + std::to_string(n), "above --ref-max " + std::to_string(c.ref_max));
        ++engine_i;
        continue;
      }
      if (isGpuEngine(e) && !why_not[gpuIndex(e)].empty()) {  // reported once and in "skipped"
        ++engine_i;
        continue;
      }
      row = BenchRow{};
      row.engine = e;
      row.n = n;
      if (e == "cpu-fast") row.simd = simdPathName(cpuFastDefaultPath(problem));
      row.check_engine = check_engine;
      row.write_gbps = write_gbps;
      times.clear();
      wall.clear();
      fresh.clear();
      run = 0;
      phase = Phase::Run;
      publish(e + " n=" + std::to_string(n) + " run 1/" + std::to_string(taskRuns()));
      return;
    }
    ++size_i;
    startSize();
  }

  void nextTask() {
    ++engine_i;
    if (cancel.load()) {
      finishRun();
      return;
    }
    startTask();
  }

  // ---- the steps ------------------------------------------------------------------------------
  void stepDevice() {
    BenchDevice& d = report.device;
    d.cpu = cpuModelName();
    simd = bestSimdPath();  // the vector path whose roofs are measured (AMX's are AVX-512's)
    d.simd = cpuFastPathsFor(report.config);
    d.threads = sharedThreadPool().size();
    say("CPU " + d.cpu + ", " + std::to_string(d.threads) + " threads, cpu-fast path " + d.simd);
    d.busy_percent = machineBusyPercent();
    if (d.busy_percent > 15)
      say("warning: the CPUs were " + fmt("%.0f", d.busy_percent) +
          "% busy with other work before the run; timings will be noisy");
    say("measuring peak fp32 FMA rate...");
    publish("measuring peak fp32 FMA rate");
    report.fma_roof = measureFmaRoof(simd);
    report.peak_fma_gflops = report.fma_roof.measured_gflops;
    say("peak fp32 FMA " + fmt("%.1f", report.peak_fma_gflops) + " GFLOP/s measured; theoretical " +
        fmt("%.1f", report.fma_roof.theoretical_gflops) + " (" + std::to_string(report.fma_roof.cores) + " cores x " +
        std::to_string(report.fma_roof.fma_ports) + " FMA ports x " + std::to_string(report.fma_roof.lanes) + " lanes x 2 x " +
        fmt("%.2f", report.fma_roof.frequency_ghz) + " GHz)");
    afterDevice();
  }

  void afterDevice() {
    if (cancel.load()) return finishRun();
    const bool want_gpu = report.wantsGpu();
    if (want_gpu && !no_context) {
      phase = Phase::Probe;
      publish("probing the GL context");
      return;
    }
    afterProbe();
  }

  void stepProbe() {
    const GlInfo info = queryGlInfo();
    report.device.gl_renderer = info.renderer;
    report.device.software_gl =
        info.renderer.find("llvmpipe") != std::string::npos || info.renderer.find("softpipe") != std::string::npos;
    auto wants = [&](const char* e) { return std::find(order.begin(), order.end(), e) != order.end(); };
    std::string why;
    if (wants("gpu-compute") && why_not[0].empty() && !GpuAttentionEngine::supported(&why)) why_not[0] = why;
    why.clear();
    if (wants("gpu-fragment") && why_not[1].empty() && !FragmentAttentionEngine::supported(&why)) why_not[1] = why;
    afterProbe();
  }

  void afterProbe() {
    for (int g = 0; g < 2; ++g) {
      const char* name = g == 0 ? "gpu-compute" : "gpu-fragment";
      if (std::find(order.begin(), order.end(), name) != order.end() && !why_not[g].empty()) {
        say(std::string(name) + " unavailable: " + why_not[g]);
        report.skipped.emplace_back(name, why_not[g]);
      }
    }
    if (cancel.load()) return finishRun();
    startSize();
  }

  void stepSize() {
    const BenchConfig& c = report.config;
    n = c.sizes[size_i];
    out_bytes = attentionOutputBytes(c.heads, n, n);
    say("n=" + std::to_string(n) + ": measuring write bandwidth for " + fmt("%.1f", out_bytes / 1e6) + " MB...");
    write_gbps = measureWriteBandwidthGBps(std::size_t(out_bytes), simd, std::size_t(out_bytes) >= kCpuFastStreamingBytes);
    report.write_roofs.emplace_back(n, write_gbps);
    flops = attentionFlops(c.heads, n, n, c.dim, c.causal);
    roof_ms = rooflineMs(attentionFmaFlops(c.heads, n, n, c.dim, c.causal), out_bytes, report.peak_fma_gflops, write_gbps);
    problem = makeBenchProblem(c.heads, n, c.dim, c.causal, c.seed);
    ref_runs = n <= c.ref_max;
    check_engine = ref_runs ? "cpu-ref" : "cpu-fast";
    check.reset();
    engine_i = 0;
    if (cancel.load()) return finishRun();
    startTask();
  }

  void stepRun() {
    const std::string& e = engine();
    const int w = warmupFor(e);
    if (e == "cpu-ref") {
      const auto t = std::chrono::steady_clock::now();
      result = computeReference(problem);
      if (run >= w) times.push_back(msSince(t));
    } else if (e == "cpu-fast") {
      const auto t = std::chrono::steady_clock::now();
      computeFastInto(problem, result);
      if (run >= w) times.push_back(msSince(t));
    } else {
      const int g = gpuIndex(e);
      if (g == 0 && !compute_engine) compute_engine = std::make_unique<GpuAttentionEngine>();
      if (g == 1 && !fragment_engine) fragment_engine = std::make_unique<FragmentAttentionEngine>();
      std::string why;
      const auto t = std::chrono::steady_clock::now();
      const bool ok = g == 0 ? compute_engine->compute(problem, &why) : fragment_engine->compute(problem, &why);
      if (!ok) {
        releaseGpu();
        say(e + " failed at n=" + std::to_string(n) + ": " + why);
        report.skipped.emplace_back(e + " n=" + std::to_string(n), why);
        return nextTask();
      }
      // lastGpuMs waits for the passes; before the readback.
      const double gms = g == 0 ? compute_engine->lastGpuMs() : fragment_engine->lastGpuMs();
      result = g == 0 ? compute_engine->readBack() : fragment_engine->readBack();
      const double wms = msSince(t);
      if (run >= w) {
        times.push_back(gms);
        wall.push_back(wms);
      }
    }
    ++run;
    const bool last = run >= w + report.config.reps;
    if (last && isGpuEngine(e)) releaseGpu();
    if (cancel.load()) return finishRun();
    if (!last) {
      publish(e + " n=" + std::to_string(n) + " run " + std::to_string(run + 1) + "/" + std::to_string(taskRuns()));
      return;
    }
    run = 0;
    phase = e == "cpu-fast" ? Phase::Fresh : Phase::Finish;
    publish(e + " n=" + std::to_string(n) + (phase == Phase::Fresh ? " fresh-result runs" : " summary"));
  }

  void stepFresh() {
    const auto t = std::chrono::steady_clock::now();
    AttentionResult fresh_result = computeFast(problem);
    fresh.push_back(msSince(t));
    ++run;
    if (cancel.load()) return finishRun();
    if (run >= report.config.reps) {
      row.fresh_result_ms = summarizeTimes(fresh).median_ms;
      phase = Phase::Finish;
    }
    publish(engine() + " n=" + std::to_string(n) + " fresh-result runs");
  }

  void stepFinish() {
    const std::string e = engine();
    row.t = summarizeTimes(times);
    if (isGpuEngine(e)) {
      row.gpu_ms = row.t.median_ms;
      const TimingSummary ws = summarizeTimes(wall);
      row.wall_ms = ws.median_ms;
      row.wall_min_ms = ws.min_ms;
      row.wall_max_ms = ws.max_ms;
    }
    row.gflops = flops / (row.t.median_ms * 1e6);
    row.gbps = out_bytes / (row.t.median_ms * 1e6);
    if (e == "cpu-ref" || e == "cpu-fast") {
      row.roofline_ms = roof_ms;
      row.efficiency = roof_ms / row.t.median_ms;
    }
    if (!check && e == check_engine) {
      check = result;  // the check engine itself: error 0 by definition for cpu-ref, none for cpu-fast
      if (e == "cpu-ref") row.max_abs_err = 0.0;
    } else {
      if (!check) {
        say("computing the " + check_engine + " check for n=" + std::to_string(n) + "...");
        check = ref_runs ? computeReference(problem) : computeFast(problem);
      }
      if (e != check_engine || e == "cpu-ref") row.max_abs_err = maxAbsDifference(result, *check);
    }
    say("[" + std::to_string(task) + "/" + std::to_string(tasks) + "] " + e + " n=" + std::to_string(n) + ": median " +
        fmt("%.3f", row.t.median_ms) + " ms");
    report.rows.push_back(row);
    nextTask();
  }
};

BenchRunner::BenchRunner(BenchConfig config) : impl_(std::make_unique<Impl>()) {
  impl_->report.config = std::move(config);
  const BenchConfig& c = impl_->report.config;
  for (const std::string& e : c.engines)
    if (e == "cpu-ref") impl_->order.push_back(e);
  for (const std::string& e : c.engines)
    if (e != "cpu-ref") impl_->order.push_back(e);
  impl_->tasks = int(c.sizes.size() * c.engines.size());
  impl_->publish("starting");
}

BenchRunner::~BenchRunner() = default;

void BenchRunner::setEngineUnavailable(const std::string& engine, const std::string& why) {
  if (isGpuEngine(engine)) impl_->why_not[impl_->gpuIndex(engine)] = why;
}

void BenchRunner::setNoGlContext(const std::string& why) {
  impl_->no_context = true;
  impl_->report.device.gl_error = why;
  impl_->why_not[0] = impl_->why_not[1] = "no GL context: " + why;
}

void BenchRunner::setLogCallback(std::function<void(const std::string&)> log) { impl_->log = std::move(log); }
void BenchRunner::setProgressCallback(std::function<void(const BenchProgress&)> progress) {
  impl_->on_progress = std::move(progress);
}

BenchRunner::StepKind BenchRunner::nextStep() const { return impl_->kindOf(); }

bool BenchRunner::step() {
  Impl& m = *impl_;
  // A cancel that arrived between steps ends the run here (a live GPU engine is released by a
  // Cleanup step, which needs the context).
  if (m.cancel.load() && m.phase != Phase::Done && m.phase != Phase::Cleanup) {
    m.finishRun();
    if (m.phase == Phase::Done) return true;
  }
  switch (m.phase) {
    case Phase::Device: m.stepDevice(); break;
    case Phase::Probe: m.stepProbe(); break;
    case Phase::Size: m.stepSize(); break;
    case Phase::Run: m.stepRun(); break;
    case Phase::Fresh: m.stepFresh(); break;
    case Phase::Finish: m.stepFinish(); break;
    case Phase::Cleanup:
      m.releaseGpu();
      m.phase = Phase::Done;
      m.publish("cancelled");
      break;
    case Phase::Done: return false;
  }
  return true;
}

void BenchRunner::runAll() {
  while (step()) {
  }
}

int BenchRunner::runWhile(StepKind kind, double budget_ms) {
  const auto t = std::chrono::steady_clock::now();
  int steps = 0;
  while (nextStep() == kind && kind != StepKind::Done) {
    step();
    ++steps;
    if (budget_ms > 0 && msSince(t) >= budget_ms) break;
  }
  return steps;
}

void BenchRunner::cancel() { impl_->cancel.store(true); }
bool BenchRunner::cancelled() const { return impl_->cancel.load(); }

BenchProgress BenchRunner::progress() const {
  std::lock_guard<std::mutex> lock(impl_->progress_mutex);
  return impl_->progress;
}

const BenchReport& BenchRunner::report() const { return impl_->report; }

}  // namespace attnviz::gpu
