// attnviz bench: times the attention engines over a list of sequence lengths and puts the CPU
// results against this machine's roofline, measured in the same run.
//
// Timing: every (engine, size) gets `warmup` untimed runs, then `reps` timed ones; the table gives
// the median, min and max. What is timed:
//   cpu-ref   computeReference(problem) (allocates its result; negligible next to its run time);
//   cpu-fast  computeFastInto(problem, result) into a result reused between runs (steady state, as
//             the app recomputing on every slider move). fresh_result_ms also times computeFast(),
//             which returns a new result: for large n most of that is the kernel zeroing fresh pages.
//   gpu-*     median_ms/min/max = gpu_ms = GpuTimer (GL_TIME_ELAPSED over upload of Q/K + passes;
//             on llvmpipe the wall time until glFinish, as its query is unreliable); wall_ms = host
//             wall clock of compute() + waiting + readBack() (upload, compute, readback, allocation).
// Roofs: peak fp32 FMA rate (best SIMD path, all workers) once, and the write bandwidth for a
// buffer of each size's output; roofline_ms = max(FMA flops / peak, output bytes / bandwidth).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "app/cli_args.h"
#include "app/commands.h"
#include "core/svg_plot.h"
#include "core/attention.h"
#include "core/bench_metrics.h"
#include "core/cpu_features.h"
#include "core/cpu_fast.h"
#include "core/roofline.h"
#include "core/thread_pool.h"
#include "gpu/fragment_engine.h"
#include "gpu/gl_context.h"
#include "gpu/gpu_engine.h"

namespace attnviz::app {

namespace {

const char* kAllEngines[] = {"cpu-ref", "cpu-fast", "gpu-compute", "gpu-fragment"};

void printHelp() {
  std::printf(
      "usage: attnviz bench [--sizes 64,256,1024,4096,8192] [--heads 4] [--dim 64] [--causal]\n"
      "                     [--engines cpu-ref,cpu-fast,gpu-compute,gpu-fragment] [--reps 5]\n"
      "                     [--warmup 1] [--ref-max 2048] [--seed 1] [--json FILE] [--csv FILE]\n"
      "Times each engine on random N(0,1) Q and K (self-attention, nq = nk = n) for every size, after\n"
      "warm-up runs, and prints median/min/max ms, GFLOP/s, output GB/s, the roofline time from this\n"
      "machine's measured roofs (peak fp32 FMA rate, write bandwidth at the output size), efficiency\n"
      "(roofline / median) and the max abs error against cpu-ref.\n"
      "  --sizes LIST    sequence lengths n (comma-separated)\n"
      "  --heads H       heads (default 4)        --dim D   query/key width (default 64)\n"
      "  --causal        causal mask               --reps N  timed runs per engine and size (default 5)\n"
      "  --engines LIST  engines to time; a GPU engine that cannot run here is reported and skipped\n"
      "  --warmup N      untimed runs before timing (default 1; cpu-ref above n = 1024: none)\n"
      "  --ref-max N     largest n cpu-ref runs at (default 2048); above it cpu-fast is the check\n"
      "  --json FILE     write the results as JSON     --csv FILE  write them as CSV\n"
      "  --plot FILE.svg time vs n per engine on log-log axes, with the CPU roofline dashed\n"
      "FLOP count: heads * visible (query,key) pairs * (2*dim + 5): 2*dim for q.k, 5 for the softmax.\n"
      "Progress goes to stderr, the table to stdout.\n");
}

std::vector<long> parseList(const std::string& option, const std::string& text) {
  std::vector<long> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    char* end = nullptr;
    const long v = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0') throw UsageError("option '--" + option + "' expects integers separated by commas, got '" + text + "'");
    out.push_back(v);
  }
  if (out.empty()) throw UsageError("option '--" + option + "' needs at least one value");
  return out;
}

long intOption(const CliArgs& args, const std::string& name, long fallback, long lo, long hi) {
  const long v = args.getInt(name).value_or(fallback);
  if (v < lo || v > hi)
    throw UsageError("option '--" + name + "' must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got " + std::to_string(v));
  return v;
}

double msSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

AttentionProblem makeProblem(int heads, int n, int d, bool causal, unsigned seed) {
  AttentionProblem p;
  p.heads = heads;
  p.nq = n;
  p.nk = n;
  p.d = d;
  p.mask = causal ? MaskKind::Causal : MaskKind::None;
  std::mt19937 rng(seed + unsigned(n) * 7919u);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  p.q.resize(std::size_t(heads) * n * d);
  p.k.resize(std::size_t(heads) * n * d);
  for (float& x : p.q) x = normal(rng);
  for (float& x : p.k) x = normal(rng);
  return p;
}

struct Row {
  std::string engine;
  int n = 0;
  TimingSummary t;
  double gflops = 0, gbps = 0;
  std::optional<double> roofline_ms, efficiency, write_gbps;
  std::optional<double> max_abs_err;
  std::string check_engine;  // what max_abs_err is against
  std::optional<double> gpu_ms, wall_ms, wall_min_ms, wall_max_ms, fresh_result_ms;
  std::string note;
};

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string optFmt(const char* f, const std::optional<double>& v) { return v ? fmt(f, *v) : std::string("-"); }

// The GL side, made once: a headless context, the renderer name and which GPU engines can run.
struct GpuSide {
  std::unique_ptr<gpu::GlContext> context;
  std::string renderer, error;
  bool software = false;  // llvmpipe/softpipe: the timer falls back to the wall clock
  std::string why_not[2];  // [0] gpu-compute, [1] gpu-fragment; empty when it can run
};

GpuSide makeGpuSide(bool want_compute, bool want_fragment) {
  GpuSide g;
  gpu::ContextOptions options;
  if (want_compute) {
    options.min_major = 4;
    options.min_minor = 3;
  }
  std::string error;
  g.context = gpu::GlContext::createHeadless(options, &error);
  if (!g.context && want_compute && want_fragment) {  // no 4.3: gpu-fragment may still run on 3.3
    std::string error33;
    gpu::ContextOptions o33;
    g.context = gpu::GlContext::createHeadless(o33, &error33);
    if (g.context) g.why_not[0] = "no GL 4.3 context: " + error;
  }
  if (!g.context) {
    g.error = error;
    g.why_not[0] = g.why_not[1] = "no GL context: " + error;
    return g;
  }
  const gpu::GlInfo info = gpu::queryGlInfo();
  g.renderer = info.renderer;
  g.software = info.renderer.find("llvmpipe") != std::string::npos || info.renderer.find("softpipe") != std::string::npos;
  std::string why;
  if (want_compute && g.why_not[0].empty() && !gpu::GpuAttentionEngine::supported(&why)) g.why_not[0] = why;
  why.clear();
  if (want_fragment && !gpu::FragmentAttentionEngine::supported(&why)) g.why_not[1] = why;
  return g;
}

// Times one GPU engine; false and *why when it fails.
template <class Engine>
bool timeGpu(const AttentionProblem& p, int warmup, int reps, std::vector<double>* gpu_ms, std::vector<double>* wall_ms,
             AttentionResult* last, std::string* why) {
  Engine engine;
  for (int r = 0; r < warmup + reps; ++r) {
    const auto t = std::chrono::steady_clock::now();
    if (!engine.compute(p, why)) return false;
    const double g = engine.lastGpuMs();  // waits for the passes; before the readback
    *last = engine.readBack();
    const double w = msSince(t);
    if (r >= warmup) {
      gpu_ms->push_back(g);
      wall_ms->push_back(w);
    }
  }
  return true;
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

std::string jsonText(const nlohmann::ordered_json& j) { return j.dump(2) + "\n"; }

template <class T>
nlohmann::ordered_json opt(const std::optional<T>& v) {
  return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
}

}  // namespace

int runBench(int argc, char** argv) {
  CliArgs args("bench", {"sizes", "heads", "dim", "engines", "reps", "warmup", "ref-max", "seed", "json", "csv", "plot"},
               {"causal", "help"});
  std::vector<long> sizes;
  std::vector<std::string> engines;
  int heads = 0, dim = 0, reps = 0, warmup = 0, ref_max = 0;
  unsigned seed = 1;
  bool causal = false;
  std::string json_path, csv_path, plot_path;
  try {
    args.parse(argc, argv);
    if (args.has("help")) {
      printHelp();
      return 0;
    }
    if (!args.positional().empty()) throw UsageError("unexpected argument '" + args.positional()[0] + "'");
    sizes = parseList("sizes", args.getOr("sizes", "64,256,1024,4096,8192"));
    heads = int(intOption(args, "heads", 4, 1, 64));
    dim = int(intOption(args, "dim", 64, 1, 1024));
    reps = int(intOption(args, "reps", 5, 1, 1000));
    warmup = int(intOption(args, "warmup", 1, 0, 100));
    ref_max = int(intOption(args, "ref-max", 2048, 0, 1 << 20));
    seed = unsigned(intOption(args, "seed", 1, 0, 1L << 31));
    causal = args.has("causal");
    json_path = args.getOr("json", "");
    csv_path = args.getOr("csv", "");
    plot_path = args.getOr("plot", "");
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    const double memory = pages > 0 && page > 0 ? double(pages) * double(page) : 0.0;
    for (long n : sizes) {
      if (n < 1 || n > 65536) throw UsageError("size " + std::to_string(n) + " is out of range (1..65536)");
      // The result, a reused result, the check and the bandwidth buffer may all be alive at once.
      const double need = 4.0 * attentionOutputBytes(heads, int(n), int(n));
      if (memory > 0 && need > 0.8 * memory)
        throw UsageError("size " + std::to_string(n) + " with " + std::to_string(heads) + " heads needs about " +
                         fmt("%.1f", need / 1e9) + " GB, more than this machine has");
    }
    std::stringstream list(args.getOr("engines", "cpu-ref,cpu-fast,gpu-compute,gpu-fragment"));
    std::string e;
    std::set<std::string> seen;
    while (std::getline(list, e, ',')) {
      if (std::find(std::begin(kAllEngines), std::end(kAllEngines), e) == std::end(kAllEngines))
        throw UsageError("unknown engine '" + e + "' (expected cpu-ref, cpu-fast, gpu-compute or gpu-fragment)");
      if (seen.insert(e).second) engines.push_back(e);
    }
    if (engines.empty()) throw UsageError("option '--engines' needs at least one engine");
  } catch (const UsageError& err) {
    return reportUsageError("bench", err.what());
  }

  auto wants = [&](const std::string& name) { return std::find(engines.begin(), engines.end(), name) != engines.end(); };
  const bool want_compute = wants("gpu-compute"), want_fragment = wants("gpu-fragment");

  // ---- device and roofs ----------------------------------------------------------------------
  const std::string cpu = cpuModelName();
  const SimdPath simd = bestSimdPath();
  const int threads = sharedThreadPool().size();
  const double busy = machineBusyPercent();
  const bool noisy = busy > 15;
  std::fprintf(stderr, "bench: CPU %s, %d threads, cpu-fast path %s\n", cpu.c_str(), threads, simdPathName(simd));
  if (noisy)
    std::fprintf(stderr, "bench: warning: the CPUs were %.0f%% busy with other work before the run; timings will be noisy\n", busy);
  std::fprintf(stderr, "bench: measuring peak fp32 FMA rate...\n");
  const double peak = measurePeakFmaGflops(simd);

  GpuSide gpu_side;
  if (want_compute || want_fragment) {
    std::fprintf(stderr, "bench: making a headless GL context...\n");
    gpu_side = makeGpuSide(want_compute, want_fragment);
    if (want_compute && !gpu_side.why_not[0].empty())
      std::fprintf(stderr, "bench: gpu-compute unavailable: %s\n", gpu_side.why_not[0].c_str());
    if (want_fragment && !gpu_side.why_not[1].empty())
      std::fprintf(stderr, "bench: gpu-fragment unavailable: %s\n", gpu_side.why_not[1].c_str());
  }

  // ---- runs ----------------------------------------------------------------------------------
  std::vector<Row> rows;
  std::vector<std::pair<std::string, std::string>> skipped;  // engine, why
  for (int g = 0; g < 2; ++g) {
    const char* name = g == 0 ? "gpu-compute" : "gpu-fragment";
    if (wants(name) && !gpu_side.why_not[g].empty()) skipped.emplace_back(name, gpu_side.why_not[g]);
  }
  std::vector<std::pair<int, double>> write_roofs;
  const int total = int(sizes.size() * engines.size());
  int done = 0;
  for (long nl : sizes) {
    const int n = int(nl);
    const AttentionProblem problem = makeProblem(heads, n, dim, causal, seed);
    const double out_bytes = attentionOutputBytes(heads, n, n);
    std::fprintf(stderr, "bench: n=%d: measuring write bandwidth for %.1f MB...\n", n, out_bytes / 1e6);
    const double write_gbps =
        measureWriteBandwidthGBps(std::size_t(out_bytes), simd, std::size_t(out_bytes) >= kCpuFastStreamingBytes);
    write_roofs.emplace_back(n, write_gbps);
    const double flops = attentionFlops(heads, n, n, dim, causal);
    const double roof_ms = rooflineMs(attentionFmaFlops(heads, n, n, dim, causal), out_bytes, peak, write_gbps);

    // The check every engine is compared with: cpu-ref up to ref_max, else cpu-fast.
    const bool ref_runs = n <= ref_max;
    std::optional<AttentionResult> check;
    const std::string check_engine = ref_runs ? "cpu-ref" : "cpu-fast";

    // cpu-ref first (it provides the check), then the others in the order given.
    std::vector<std::string> order;
    if (wants("cpu-ref")) order.push_back("cpu-ref");
    for (const std::string& e : engines)
      if (e != "cpu-ref") order.push_back(e);

    for (const std::string& engine : order) {
      ++done;
      Row row;
      row.engine = engine;
      row.n = n;
      row.check_engine = check_engine;
      row.write_gbps = write_gbps;
      std::fprintf(stderr, "bench: [%d/%d] %s n=%d heads=%d dim=%d%s ...\n", done, total, engine.c_str(), n, heads, dim,
                   causal ? " causal" : "");
      std::vector<double> times;
      AttentionResult result;
      if (engine == "cpu-ref") {
        if (!ref_runs) {
          std::fprintf(stderr, "bench: cpu-ref skipped at n=%d (above --ref-max %d)\n", n, ref_max);
          skipped.emplace_back("cpu-ref n=" + std::to_string(n), "above --ref-max " + std::to_string(ref_max));
          continue;
        }
        const int w = n > 1024 ? 0 : warmup;
        for (int r = 0; r < w + reps; ++r) {
          const auto t = std::chrono::steady_clock::now();
          result = computeReference(problem);
          if (r >= w) times.push_back(msSince(t));
        }
      } else if (engine == "cpu-fast") {
        for (int r = 0; r < warmup + reps; ++r) {
          const auto t = std::chrono::steady_clock::now();
          computeFastInto(problem, result);
          if (r >= warmup) times.push_back(msSince(t));
        }
        std::vector<double> fresh;
        for (int r = 0; r < reps; ++r) {
          const auto t = std::chrono::steady_clock::now();
          AttentionResult fresh_result = computeFast(problem);
          fresh.push_back(msSince(t));
        }
        row.fresh_result_ms = summarizeTimes(fresh).median_ms;
      } else {
        const int g = engine == "gpu-compute" ? 0 : 1;
        if (!gpu_side.why_not[g].empty()) continue;  // reported once above and in "skipped"
        std::vector<double> wall;
        std::string why;
        const bool ok = g == 0 ? timeGpu<gpu::GpuAttentionEngine>(problem, warmup, reps, &times, &wall, &result, &why)
                               : timeGpu<gpu::FragmentAttentionEngine>(problem, warmup, reps, &times, &wall, &result, &why);
        if (!ok) {
          std::fprintf(stderr, "bench: %s failed at n=%d: %s\n", engine.c_str(), n, why.c_str());
          skipped.emplace_back(engine + " n=" + std::to_string(n), why);
          continue;
        }
        const TimingSummary ws = summarizeTimes(wall);
        row.wall_ms = ws.median_ms;
        row.wall_min_ms = ws.min_ms;
        row.wall_max_ms = ws.max_ms;
      }
      row.t = summarizeTimes(times);
      if (engine == "gpu-compute" || engine == "gpu-fragment") row.gpu_ms = row.t.median_ms;
      row.gflops = flops / (row.t.median_ms * 1e6);
      row.gbps = out_bytes / (row.t.median_ms * 1e6);
      if (engine == "cpu-ref" || engine == "cpu-fast") {
        row.roofline_ms = roof_ms;
        row.efficiency = roof_ms / row.t.median_ms;
      }
      if (!check && engine == check_engine) {
        check = result;  // the check engine itself: error 0 by definition for cpu-ref, none for cpu-fast
        if (engine == "cpu-ref") row.max_abs_err = 0.0;
      } else {
        if (!check) {
          std::fprintf(stderr, "bench: computing the %s check for n=%d...\n", check_engine.c_str(), n);
          check = ref_runs ? computeReference(problem) : computeFast(problem);
        }
        if (engine != check_engine || engine == "cpu-ref") row.max_abs_err = maxAbsDifference(result, *check);
      }
      std::fprintf(stderr, "bench: [%d/%d] %s n=%d: median %.3f ms\n", done, total, engine.c_str(), n, row.t.median_ms);
      rows.push_back(row);
    }
  }

  // ---- table ---------------------------------------------------------------------------------
  std::printf("attnviz bench: heads=%d dim=%d%s, %d timed runs after %d warm-up; self-attention nq = nk = n\n", heads, dim,
              causal ? " causal" : "", reps, warmup);
  std::printf("CPU: %s (%d threads, cpu-fast path %s)%s\n", cpu.c_str(), threads, simdPathName(simd),
              noisy ? fmt(", busy: %.0f%% of the CPUs in use by others at the start", busy).c_str() : "");
  if (want_compute || want_fragment)
    std::printf("GL renderer: %s\n", gpu_side.renderer.empty() ? ("none (" + gpu_side.error + ")").c_str() : gpu_side.renderer.c_str());
  std::printf("Roofs (measured now): peak fp32 FMA %.1f GFLOP/s; write bandwidth (stores as cpu-fast, streaming from 32 MiB)", peak);
  for (const auto& [n, bw] : write_roofs) std::printf(" n=%d: %.1f GB/s;", n, bw);
  std::printf("\nGFLOP/s counts heads*visible pairs*(2*dim+5); GB/s = output bytes (4*heads*n*n) / median;\n"
              "roofline = max(2*dim*heads*visible pairs / peak FMA, output bytes / write bandwidth); eff = roofline / median.\n");
  std::printf("%-12s %6s %11s %11s %11s %9s %8s %11s %6s %10s %10s %10s %10s\n", "engine", "n", "median ms", "min ms", "max ms",
              "GFLOP/s", "GB/s", "roofline ms", "eff", "max|err|", "vs", "fresh ms", "wall ms");
  for (const Row& r : rows) {
    std::printf("%-12s %6d %11.3f %11.3f %11.3f %9.2f %8.2f %11s %6s %10s %10s %10s %10s\n", r.engine.c_str(), r.n,
                r.t.median_ms, r.t.min_ms, r.t.max_ms, r.gflops, r.gbps, optFmt("%.3f", r.roofline_ms).c_str(),
                optFmt("%.2f", r.efficiency).c_str(), optFmt("%.2e", r.max_abs_err).c_str(),
                r.max_abs_err ? r.check_engine.c_str() : "-", optFmt("%.2f", r.fresh_result_ms).c_str(),
                optFmt("%.3f", r.wall_ms).c_str());
  }
  // Speed-ups of every engine over cpu-ref at each size where both ran.
  for (const Row& r : rows) {
    if (r.engine == "cpu-ref") continue;
    for (const Row& ref : rows)
      if (ref.engine == "cpu-ref" && ref.n == r.n)
        std::printf("speed-up %s / cpu-ref at n=%d: %.1fx\n", r.engine.c_str(), r.n, ref.t.median_ms / r.t.median_ms);
  }
  for (const auto& [what, why] : skipped) std::printf("skipped: %s: %s\n", what.c_str(), why.c_str());
  if (want_compute || want_fragment)
    std::printf("GPU rows: median/min/max = gpu ms (%s); wall ms = compute + readback on the host clock.\n",
                gpu_side.software ? "wall time until glFinish: this software renderer's timer query is not trusted"
                                  : "GL_TIME_ELAPSED over Q/K upload and the passes");

  // ---- files ---------------------------------------------------------------------------------
  if (!json_path.empty()) {
    nlohmann::ordered_json j;
    j["device"] = {{"cpu", cpu},
                   {"gl_renderer", gpu_side.renderer.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(gpu_side.renderer)},
                   {"threads", threads},
                   {"simd", simdPathName(simd)},
                   {"busy_percent_before", busy}};
    nlohmann::ordered_json by_n = nlohmann::ordered_json::object();
    for (const auto& [n, bw] : write_roofs) by_n[std::to_string(n)] = bw;
    j["roofs"] = {{"fma_gflops", peak},
                  {"write_gbps", write_roofs.empty() ? 0.0 : write_roofs.back().second},
                  {"write_gbps_by_n", by_n},
                  {"write_gbps_note", "a pre-faulted buffer of the output's size filled by all threads with the stores cpu-fast uses at that size (streaming from 32 MiB)"}};
    j["config"] = {{"heads", heads}, {"dim", dim}, {"causal", causal}, {"reps", reps}, {"warmup", warmup},
                   {"ref_max", ref_max}, {"seed", seed},
                   {"flops_formula", "heads * visible_pairs * (2*dim + 5)"},
                   {"roofline_formula", "max(heads*visible_pairs*2*dim / fma_gflops, 4*heads*n*n / write_gbps)"},
                   {"gpu_timer", gpu_side.software ? "wall until glFinish (software renderer)" : "GL_TIME_ELAPSED"}};
    nlohmann::ordered_json results = nlohmann::ordered_json::array();
    for (const Row& r : rows) {
      nlohmann::ordered_json o;
      o["engine"] = r.engine;
      o["n"] = r.n;
      o["heads"] = heads;
      o["dim"] = dim;
      o["causal"] = causal;
      o["median_ms"] = r.t.median_ms;
      o["min_ms"] = r.t.min_ms;
      o["max_ms"] = r.t.max_ms;
      o["gflops"] = r.gflops;
      o["gbps"] = r.gbps;
      o["roofline_ms"] = opt(r.roofline_ms);
      o["efficiency"] = opt(r.efficiency);
      o["max_abs_err"] = opt(r.max_abs_err);
      o["check_engine"] = r.max_abs_err ? nlohmann::ordered_json(r.check_engine) : nlohmann::ordered_json(nullptr);
      if (r.engine == "cpu-fast") o["fresh_result_ms"] = opt(r.fresh_result_ms);
      if (r.gpu_ms) {
        o["gpu_ms"] = *r.gpu_ms;
        o["wall_ms"] = opt(r.wall_ms);
        o["wall_min_ms"] = opt(r.wall_min_ms);
        o["wall_max_ms"] = opt(r.wall_max_ms);
      }
      results.push_back(o);
    }
    j["results"] = results;
    nlohmann::ordered_json sk = nlohmann::ordered_json::array();
    for (const auto& [what, why] : skipped) sk.push_back({{"what", what}, {"reason", why}});
    j["skipped"] = sk;
    std::ofstream out(json_path);
    out << jsonText(j);
    if (!out) {
      std::fprintf(stderr, "attnviz bench: cannot write '%s'\n", json_path.c_str());
      return 1;
    }
  }
  if (!csv_path.empty()) {
    std::ofstream out(csv_path);
    out << "engine,n,heads,dim,causal,median_ms,min_ms,max_ms,gflops,gbps,roofline_ms,efficiency,max_abs_err,check_engine,"
           "fresh_result_ms,gpu_ms,wall_ms\n";
    auto o = [](const std::optional<double>& v) { return v ? fmt("%.6g", *v) : std::string(); };
    for (const Row& r : rows)
      out << r.engine << ',' << r.n << ',' << heads << ',' << dim << ',' << (causal ? 1 : 0) << ',' << fmt("%.6g", r.t.median_ms)
          << ',' << fmt("%.6g", r.t.min_ms) << ',' << fmt("%.6g", r.t.max_ms) << ',' << fmt("%.6g", r.gflops) << ','
          << fmt("%.6g", r.gbps) << ',' << o(r.roofline_ms) << ',' << o(r.efficiency) << ',' << o(r.max_abs_err) << ','
          << (r.max_abs_err ? r.check_engine : "") << ',' << o(r.fresh_result_ms) << ',' << o(r.gpu_ms) << ',' << o(r.wall_ms)
          << '\n';
    if (!out) {
      std::fprintf(stderr, "attnviz bench: cannot write '%s'\n", csv_path.c_str());
      return 1;
    }
  }
  if (!plot_path.empty()) {
    std::vector<PlotSeries> series;
    for (const std::string& engine : engines) {
      PlotSeries s{engine, {}, false};
      for (const Row& r : rows)
        if (r.engine == engine) s.points.push_back({double(r.n), r.t.median_ms});
      if (!s.points.empty()) series.push_back(std::move(s));
    }
    PlotSeries roof{"CPU roofline", {}, true};
    for (const Row& r : rows)
      if (r.roofline_ms && (roof.points.empty() || roof.points.back().first != double(r.n)))
        roof.points.push_back({double(r.n), *r.roofline_ms});
    if (!roof.points.empty()) series.push_back(std::move(roof));
    const std::string title = "Attention time vs sequence length (heads " + std::to_string(heads) + ", d " + std::to_string(dim) +
                              (causal ? ", causal" : "") + ")";
    std::ofstream out(plot_path);
    out << renderLogLogPlotSvg(series, title, "sequence length n (nq = nk)", "median time (ms)");
    if (!out) {
      std::fprintf(stderr, "attnviz bench: cannot write '%s'\n", plot_path.c_str());
      return 1;
    }
  }
  return 0;
}

}  // namespace attnviz::app
