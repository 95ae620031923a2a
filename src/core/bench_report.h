// What one run of the attention benchmark is and produces: its configuration, one row per
// (engine, size), the device and the measured roofs, and the files made from it (JSON, CSV, SVG
// plot). Shared by `attnviz bench` and the app's Benchmark tab, so both write the same schema.
// The runs themselves are gpu/bench_runner.h. Needs no GL context.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/attention.h"
#include "core/bench_metrics.h"
#include "core/roofline.h"
#include "core/svg_plot.h"

namespace attnviz {

// The engines the benchmark knows, in their usual order.
const std::vector<std::string>& benchEngineNames();

struct BenchConfig {
  std::vector<int> sizes{64, 256, 1024, 4096, 8192};  // sequence lengths n (self-attention, nq = nk = n)
  std::vector<std::string> engines{"cpu-ref", "cpu-fast", "gpu-compute", "gpu-fragment"};
  int heads = 4, dim = 64;
  bool causal = false;
  int reps = 5;       // timed runs per (engine, size)
  int warmup = 1;     // untimed runs before them (cpu-ref above n = 1024: none)
  int ref_max = 2048; // largest n cpu-ref runs at; above it cpu-fast is the check
  unsigned seed = 1;
};

// Empty when the configuration can run; else why not, in words (unknown engine, size out of
// 1..65536, no engine, a size needing more memory than this machine has). Duplicated engines are
// not an error here; the CLI drops them.
std::string validateBenchConfig(const BenchConfig& config);

// Random N(0,1) Q and K for size n (seeded by seed and n), as `attnviz bench` has always used.
AttentionProblem makeBenchProblem(int heads, int n, int dim, bool causal, unsigned seed);

struct BenchRow {
  std::string engine;
  std::string simd;  // cpu-fast rows: the instruction-set path it took at this size
  int n = 0;
  TimingSummary t;  // ms; for GPU engines the GPU time (see gpu_ms)
  double gflops = 0, gbps = 0;
  std::optional<double> roofline_ms, efficiency, write_gbps;  // CPU engines only (roofline, efficiency)
  std::optional<double> max_abs_err;
  std::string check_engine;  // what max_abs_err is against
  std::optional<double> gpu_ms, wall_ms, wall_min_ms, wall_max_ms, fresh_result_ms;
};

struct BenchDevice {
  std::string cpu;          // CPU model name
  int threads = 0;          // workers of the shared thread pool
  std::string simd;         // cpu-fast's instruction-set path(s) over the configured sizes
  double busy_percent = -1; // share of the CPUs busy with other work before the run; -1 unknown
  std::string gl_renderer;  // empty when no GL context was used
  std::string gl_error;     // why there was no GL context, when one was wanted
  bool software_gl = false; // llvmpipe/softpipe: the GPU timer is the wall time until glFinish
};

struct BenchReport {
  BenchConfig config;
  BenchDevice device;
  double peak_fma_gflops = 0;                    // measured once per run (fma_roof.measured_gflops)
  FmaRoof fma_roof;                               // the same measurement with its theoretical peak
  std::vector<std::pair<int, double>> write_roofs;  // (n, GB/s) measured for each size's output
  std::vector<BenchRow> rows;                     // in the order they were measured
  std::vector<std::pair<std::string, std::string>> skipped;  // (what, why)
  bool cancelled = false;

  bool wantsGpu() const;  // the configuration names gpu-compute or gpu-fragment
};

// The files (the schema of `attnviz bench --json/--csv/--plot`).
std::string benchReportJson(const BenchReport& report);
std::string benchReportCsv(const BenchReport& report);
// Median time vs n per engine (in the configuration's order), then the CPU roofline (dashed).
std::vector<PlotSeries> benchPlotSeries(const BenchReport& report);
std::string benchPlotTitle(const BenchConfig& config);
std::string benchReportSvg(const BenchReport& report);  // titled with the CPU and cpu-fast's SIMD path

}  // namespace attnviz
