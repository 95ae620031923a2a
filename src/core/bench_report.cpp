#include "core/bench_report.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

namespace attnviz {

namespace {

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

template <class T>
nlohmann::ordered_json opt(const std::optional<T>& v) {
  return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
}

}  // namespace

const std::vector<std::string>& benchEngineNames() {
  static const std::vector<std::string> names{"cpu-ref", "cpu-fast", "gpu-compute", "gpu-fragment"};
  return names;
}

bool BenchReport::wantsGpu() const {
  for (const std::string& e : config.engines)
    if (e == "gpu-compute" || e == "gpu-fragment") return true;
  return false;
}

std::string validateBenchConfig(const BenchConfig& c) {
  if (c.sizes.empty()) return "no size given";
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  const double memory = pages > 0 && page > 0 ? double(pages) * double(page) : 0.0;
  for (int n : c.sizes) {
    if (n < 1 || n > 65536) return "size " + std::to_string(n) + " is out of range (1..65536)";
    // The result, a reused result, the check and the bandwidth buffer may all be alive at once.
    const double need = 4.0 * attentionOutputBytes(c.heads, n, n);
    if (memory > 0 && need > 0.8 * memory)
      return "size " + std::to_string(n) + " with " + std::to_string(c.heads) + " heads needs about " + fmt("%.1f", need / 1e9) +
             " GB, more than this machine has";
  }
  if (c.heads < 1 || c.heads > 64) return "heads must be between 1 and 64";
  if (c.dim < 1 || c.dim > 1024) return "dim must be between 1 and 1024";
  if (c.reps < 1) return "reps must be at least 1";
  if (c.warmup < 0) return "warmup must not be negative";
  if (c.engines.empty()) return "no engine selected";
  for (const std::string& e : c.engines)
    if (std::find(benchEngineNames().begin(), benchEngineNames().end(), e) == benchEngineNames().end())
      return "unknown engine '" + e + "' (expected cpu-ref, cpu-fast, gpu-compute or gpu-fragment)";
  return "";
}

AttentionProblem makeBenchProblem(int heads, int n, int d, bool causal, unsigned seed) {
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

std::string benchReportJson(const BenchReport& r) {
  const BenchConfig& c = r.config;
  nlohmann::ordered_json j;
  j["device"] = {{"cpu", r.device.cpu},
                 {"gl_renderer", r.device.gl_renderer.empty() ? nlohmann::ordered_json(nullptr)
                                                              : nlohmann::ordered_json(r.device.gl_renderer)},
                 {"threads", r.device.threads},
                 {"simd", r.device.simd},
                 {"busy_percent_before", r.device.busy_percent}};
  nlohmann::ordered_json by_n = nlohmann::ordered_json::object();
  for (const auto& [n, bw] : r.write_roofs) by_n[std::to_string(n)] = bw;
  j["device"]["fma_ports_per_core"] = r.fma_roof.fma_ports;
  j["device"]["frequency_ghz_inferred"] = r.fma_roof.frequency_ghz;
  j["roofs"] = {{"fma_gflops", r.peak_fma_gflops},
                {"fma_theoretical_gflops", r.fma_roof.theoretical_gflops},
                {"fma_theoretical_formula", "cores * fma_ports * lanes * 2 * frequency_ghz (frequency from a dependent add chain)"},
                {"fma_cores", r.fma_roof.cores},
                {"fma_lanes", r.fma_roof.lanes},
                {"fma_pinned", r.fma_roof.pinned},
                {"write_gbps", r.write_roofs.empty() ? 0.0 : r.write_roofs.back().second},
                {"write_gbps_by_n", by_n},
                {"write_gbps_note", "a pre-faulted buffer of the output's size filled by all threads with the stores cpu-fast uses at that size (streaming from 32 MiB)"}};
  j["config"] = {{"heads", c.heads}, {"dim", c.dim}, {"causal", c.causal}, {"reps", c.reps}, {"warmup", c.warmup},
                 {"ref_max", c.ref_max}, {"seed", c.seed},
                 {"flops_formula", "heads * visible_pairs * (2*dim + 5)"},
                 {"roofline_formula", "max(heads*visible_pairs*2*dim / fma_gflops, 4*heads*n*n / write_gbps)"},
                 {"gpu_timer", r.device.software_gl ? "wall until glFinish (software renderer)" : "GL_TIME_ELAPSED"}};
  if (r.cancelled) j["cancelled"] = true;
  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  for (const BenchRow& row : r.rows) {
    nlohmann::ordered_json o;
    o["engine"] = row.engine;
    if (!row.simd.empty()) o["simd"] = row.simd;
    o["n"] = row.n;
    o["heads"] = c.heads;
    o["dim"] = c.dim;
    o["causal"] = c.causal;
    o["median_ms"] = row.t.median_ms;
    o["min_ms"] = row.t.min_ms;
    o["max_ms"] = row.t.max_ms;
    o["gflops"] = row.gflops;
    o["gbps"] = row.gbps;
    o["roofline_ms"] = opt(row.roofline_ms);
    o["efficiency"] = opt(row.efficiency);
    o["max_abs_err"] = opt(row.max_abs_err);
    o["check_engine"] = row.max_abs_err ? nlohmann::ordered_json(row.check_engine) : nlohmann::ordered_json(nullptr);
    if (row.engine == "cpu-fast") o["fresh_result_ms"] = opt(row.fresh_result_ms);
    if (row.gpu_ms) {
      o["gpu_ms"] = *row.gpu_ms;
      o["wall_ms"] = opt(row.wall_ms);
      o["wall_min_ms"] = opt(row.wall_min_ms);
      o["wall_max_ms"] = opt(row.wall_max_ms);
    }
    results.push_back(o);
  }
  j["results"] = results;
  nlohmann::ordered_json sk = nlohmann::ordered_json::array();
  for (const auto& [what, why] : r.skipped) sk.push_back({{"what", what}, {"reason", why}});
  j["skipped"] = sk;
  return j.dump(2) + "\n";
}

std::string benchReportCsv(const BenchReport& r) {
  const BenchConfig& c = r.config;
  std::ostringstream out;
  out << "engine,n,heads,dim,causal,median_ms,min_ms,max_ms,gflops,gbps,roofline_ms,efficiency,max_abs_err,check_engine,"
         "fresh_result_ms,gpu_ms,wall_ms\n";
  auto o = [](const std::optional<double>& v) { return v ? fmt("%.6g", *v) : std::string(); };
  for (const BenchRow& row : r.rows)
    out << row.engine << ',' << row.n << ',' << c.heads << ',' << c.dim << ',' << (c.causal ? 1 : 0) << ','
        << fmt("%.6g", row.t.median_ms) << ',' << fmt("%.6g", row.t.min_ms) << ',' << fmt("%.6g", row.t.max_ms) << ','
        << fmt("%.6g", row.gflops) << ',' << fmt("%.6g", row.gbps) << ',' << o(row.roofline_ms) << ',' << o(row.efficiency)
        << ',' << o(row.max_abs_err) << ',' << (row.max_abs_err ? row.check_engine : "") << ',' << o(row.fresh_result_ms) << ','
        << o(row.gpu_ms) << ',' << o(row.wall_ms) << '\n';
  return out.str();
}

std::vector<PlotSeries> benchPlotSeries(const BenchReport& r) {
  std::vector<PlotSeries> series;
  for (const std::string& engine : r.config.engines) {
    PlotSeries s{engine, {}, false};
    for (const BenchRow& row : r.rows)
      if (row.engine == engine) s.points.push_back({double(row.n), row.t.median_ms});
    if (!s.points.empty()) series.push_back(std::move(s));
  }
  PlotSeries roof{"CPU roofline", {}, true};
  for (const BenchRow& row : r.rows)
    if (row.roofline_ms && (roof.points.empty() || roof.points.back().first != double(row.n)))
      roof.points.push_back({double(row.n), *row.roofline_ms});
  if (!roof.points.empty()) series.push_back(std::move(roof));
  return series;
}

std::string benchPlotTitle(const BenchConfig& c) {
  return "Attention time vs sequence length (heads " + std::to_string(c.heads) + ", d " + std::to_string(c.dim) +
         (c.causal ? ", causal" : "") + ")";
}

std::string benchReportSvg(const BenchReport& r) {
  // The file names the machine, so figures from different CPUs are never mixed up.
  std::string title = benchPlotTitle(r.config);
  if (!r.device.cpu.empty()) title += "\n" + r.device.cpu + ", " + std::to_string(r.device.threads) + " threads; cpu-fast: " + r.device.simd;
  return renderLogLogPlotSvg(benchPlotSeries(r), title, "sequence length n (nq = nk)", "median time (ms)");
}

}  // namespace attnviz
