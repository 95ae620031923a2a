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
// The runs are gpu::BenchRunner (shared with the app's Benchmark tab); this file parses the
// options, makes the headless context, prints the table and writes the files.
#include <algorithm>
#include <climits>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "app/cli_args.h"
#include "app/commands.h"
#include "core/bench_report.h"
#include "core/strict_number.h"
#include "gpu/bench_runner.h"
#include "gpu/fragment_engine.h"
#include "gpu/gl_context.h"
#include "gpu/gpu_engine.h"

namespace attnviz::app {

namespace {

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
    const auto v = parseDecimalInteger(item, INT_MIN, INT_MAX);
    if (!v) throw UsageError("option '--" + option + "' expects integers separated by commas, got '" + text + "'");
    out.push_back(long(*v));
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

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string optFmt(const char* f, const std::optional<double>& v) { return v ? fmt(f, *v) : std::string("-"); }

// A headless context for the GPU engines (current on this thread until it is destroyed); when
// there is no GL 4.3, one of 3.3 for gpu-fragment and why gpu-compute cannot run. Which engines
// the context supports and its renderer are the runner's probe.
struct GpuSide {
  std::unique_ptr<gpu::GlContext> context;
  std::string error;         // why no context could be made
  std::string compute_why;   // why gpu-compute cannot run although a (3.3) context exists
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
    if (g.context) g.compute_why = "no GL 4.3 context: " + error;
  }
  if (!g.context) g.error = error;
  return g;
}

}  // namespace

int runBench(int argc, char** argv) {
  CliArgs args("bench", {"sizes", "heads", "dim", "engines", "reps", "warmup", "ref-max", "seed", "json", "csv", "plot"},
               {"causal", "help"});
  BenchConfig config;
  std::string json_path, csv_path, plot_path;
  try {
    args.parse(argc, argv);
    if (args.has("help")) {
      printHelp();
      return 0;
    }
    if (!args.positional().empty()) throw UsageError("unexpected argument '" + args.positional()[0] + "'");
    config.sizes.clear();
    for (long n : parseList("sizes", args.getOr("sizes", "64,256,1024,4096,8192"))) {
      if (n < 1 || n > 65536) throw UsageError("size " + std::to_string(n) + " is out of range (1..65536)");
      config.sizes.push_back(int(n));
    }
    config.heads = int(intOption(args, "heads", 4, 1, 64));
    config.dim = int(intOption(args, "dim", 64, 1, 1024));
    config.reps = int(intOption(args, "reps", 5, 1, 1000));
    config.warmup = int(intOption(args, "warmup", 1, 0, 100));
    config.ref_max = int(intOption(args, "ref-max", 2048, 0, 1 << 20));
    config.seed = unsigned(intOption(args, "seed", 1, 0, 1L << 31));
    config.causal = args.has("causal");
    json_path = args.getOr("json", "");
    csv_path = args.getOr("csv", "");
    plot_path = args.getOr("plot", "");
    config.engines.clear();
    std::stringstream list(args.getOr("engines", "cpu-ref,cpu-fast,gpu-compute,gpu-fragment"));
    std::string e;
    std::set<std::string> seen;
    const std::vector<std::string>& known = benchEngineNames();
    while (std::getline(list, e, ',')) {
      if (std::find(known.begin(), known.end(), e) == known.end())
        throw UsageError("unknown engine '" + e + "' (expected cpu-ref, cpu-fast, gpu-compute or gpu-fragment)");
      if (seen.insert(e).second) config.engines.push_back(e);
    }
    if (config.engines.empty()) throw UsageError("option '--engines' needs at least one engine");
    const std::string invalid = validateBenchConfig(config);
    if (!invalid.empty()) throw UsageError(invalid);
  } catch (const UsageError& err) {
    return reportUsageError("bench", err.what());
  }

  auto wants = [&](const std::string& name) {
    return std::find(config.engines.begin(), config.engines.end(), name) != config.engines.end();
  };
  const bool want_compute = wants("gpu-compute"), want_fragment = wants("gpu-fragment");

  gpu::BenchRunner runner(config);
  runner.setLogCallback([](const std::string& line) { std::fprintf(stderr, "bench: %s\n", line.c_str()); });
  GpuSide gpu_side;
  if (want_compute || want_fragment) {
    std::fprintf(stderr, "bench: making a headless GL context...\n");
    gpu_side = makeGpuSide(want_compute, want_fragment);
    if (!gpu_side.context) runner.setNoGlContext(gpu_side.error);
    else if (!gpu_side.compute_why.empty()) runner.setEngineUnavailable("gpu-compute", gpu_side.compute_why);
  }
  runner.runAll();  // the headless context stays current on this thread for the GPU steps
  const BenchReport& report = runner.report();
  const BenchDevice& device = report.device;
  const bool noisy = device.busy_percent > 15;

  // ---- table ---------------------------------------------------------------------------------
  std::printf("attnviz bench: heads=%d dim=%d%s, %d timed runs after %d warm-up; self-attention nq = nk = n\n", config.heads,
              config.dim, config.causal ? " causal" : "", config.reps, config.warmup);
  std::printf("CPU: %s (%d threads, cpu-fast path %s)%s\n", device.cpu.c_str(), device.threads, device.simd.c_str(),
              noisy ? fmt(", busy: %.0f%% of the CPUs in use by others at the start", device.busy_percent).c_str() : "");
  if (want_compute || want_fragment)
    std::printf("GL renderer: %s\n", device.gl_renderer.empty() ? ("none (" + gpu_side.error + ")").c_str() : device.gl_renderer.c_str());
  const FmaRoof& fr = report.fma_roof;
  std::printf("Roofs (measured now): peak fp32 FMA %.1f GFLOP/s of a theoretical %.1f (%d cores x %d FMA ports x %d lanes x 2 x %.2f GHz"
              " inferred, %.0f%%); write bandwidth (stores as cpu-fast, streaming from 32 MiB)",
              report.peak_fma_gflops, fr.theoretical_gflops, fr.cores, fr.fma_ports, fr.lanes, fr.frequency_ghz,
              fr.theoretical_gflops > 0 ? 100.0 * report.peak_fma_gflops / fr.theoretical_gflops : 0.0);
  for (const auto& [n, bw] : report.write_roofs) std::printf(" n=%d: %.1f GB/s;", n, bw);
  std::printf("\nGFLOP/s counts heads*visible pairs*(2*dim+5); GB/s = output bytes (4*heads*n*n) / median;\n"
              "roofline = max(2*dim*heads*visible pairs / peak FMA, output bytes / write bandwidth); eff = roofline / median.\n");
  std::printf("%-12s %6s %11s %11s %11s %9s %8s %11s %6s %10s %10s %10s %10s\n", "engine", "n", "median ms", "min ms", "max ms",
              "GFLOP/s", "GB/s", "roofline ms", "eff", "max|err|", "vs", "fresh ms", "wall ms");
  for (const BenchRow& r : report.rows) {
    std::printf("%-12s %6d %11.3f %11.3f %11.3f %9.2f %8.2f %11s %6s %10s %10s %10s %10s\n", r.engine.c_str(), r.n,
                r.t.median_ms, r.t.min_ms, r.t.max_ms, r.gflops, r.gbps, optFmt("%.3f", r.roofline_ms).c_str(),
                optFmt("%.2f", r.efficiency).c_str(), optFmt("%.2e", r.max_abs_err).c_str(),
                r.max_abs_err ? r.check_engine.c_str() : "-", optFmt("%.2f", r.fresh_result_ms).c_str(),
                optFmt("%.3f", r.wall_ms).c_str());
  }
  // Speed-ups of every engine over cpu-ref at each size where both ran.
  for (const BenchRow& r : report.rows) {
    if (r.engine == "cpu-ref") continue;
    for (const BenchRow& ref : report.rows)
      if (ref.engine == "cpu-ref" && ref.n == r.n)
        std::printf("speed-up %s / cpu-ref at n=%d: %.1fx\n", r.engine.c_str(), r.n, ref.t.median_ms / r.t.median_ms);
  }
  for (const auto& [what, why] : report.skipped) std::printf("skipped: %s: %s\n", what.c_str(), why.c_str());
  if (want_compute || want_fragment)
    std::printf("GPU rows: median/min/max = gpu ms (%s); wall ms = compute + readback on the host clock.\n",
                device.software_gl ? "wall time until glFinish: this software renderer's timer query is not trusted"
                                   : "GL_TIME_ELAPSED over Q/K upload and the passes");

  // ---- files ---------------------------------------------------------------------------------
  auto write = [](const std::string& path, const std::string& text) {
    if (path.empty()) return true;
    std::ofstream out(path);
    out << text;
    if (!out) {
      std::fprintf(stderr, "attnviz bench: cannot write '%s'\n", path.c_str());
      return false;
    }
    return true;
  };
  if (!write(json_path, json_path.empty() ? "" : benchReportJson(report))) return 1;
  if (!write(csv_path, csv_path.empty() ? "" : benchReportCsv(report))) return 1;
  if (!write(plot_path, plot_path.empty() ? "" : benchReportSvg(report))) return 1;
  return 0;
}

}  // namespace attnviz::app
