// The benchmark runner (gpu/bench_runner.h) with tiny sizes: the rows and their fields, the
// progress callback's count, cancelling, the order of step kinds and GPU rows on a headless context.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "gl_test_support.h"
#include "gpu/bench_runner.h"

using namespace attnviz;
using gpu::BenchRunner;

namespace {

BenchConfig tiny(std::vector<std::string> engines, std::vector<int> sizes = {8, 16}) {
  BenchConfig c;
  c.engines = std::move(engines);
  c.sizes = std::move(sizes);
  c.heads = 2;
  c.dim = 8;
  c.reps = 2;
  c.warmup = 1;
  return c;
}

}  // namespace

TEST(BenchRunner, CpuRowsHaveTheFieldsAndProgressCounts) {
  BenchRunner runner(tiny({"cpu-ref", "cpu-fast"}));
  std::vector<gpu::BenchProgress> seen;
  std::vector<std::string> log;
  runner.setProgressCallback([&](const gpu::BenchProgress& p) { seen.push_back(p); });
  runner.setLogCallback([&](const std::string& l) { log.push_back(l); });
  std::set<BenchRunner::StepKind> kinds;
  int steps = 0;
  while (!runner.done()) {
    kinds.insert(runner.nextStep());
    ASSERT_TRUE(runner.step());
    ASSERT_LT(++steps, 1000);
  }
  EXPECT_FALSE(runner.step());
  EXPECT_EQ(kinds, std::set<BenchRunner::StepKind>{BenchRunner::StepKind::Cpu});  // nothing needs GL

  const BenchReport& r = runner.report();
  EXPECT_FALSE(r.cancelled);
  EXPECT_GT(r.peak_fma_gflops, 0);
  ASSERT_EQ(r.write_roofs.size(), 2u);
  EXPECT_FALSE(r.device.cpu.empty());
  EXPECT_TRUE(r.device.gl_renderer.empty());
  ASSERT_EQ(r.rows.size(), 4u);
  for (const BenchRow& row : r.rows) {
    SCOPED_TRACE(row.engine + " n=" + std::to_string(row.n));
    EXPECT_GT(row.t.median_ms, 0);
    EXPECT_LE(row.t.min_ms, row.t.median_ms);
    EXPECT_LE(row.t.median_ms, row.t.max_ms);
    EXPECT_GT(row.gflops, 0);
    EXPECT_GT(row.gbps, 0);
    ASSERT_TRUE(row.roofline_ms && row.efficiency && row.max_abs_err);
    EXPECT_LE(*row.max_abs_err, 1e-5);
    EXPECT_EQ(row.check_engine, "cpu-ref");
    EXPECT_FALSE(row.gpu_ms.has_value());
    EXPECT_EQ(row.fresh_result_ms.has_value(), row.engine == "cpu-fast");
  }
  EXPECT_EQ(r.rows[0].engine, "cpu-ref");
  EXPECT_EQ(r.rows[0].max_abs_err.value_or(-1), 0.0);

  // Progress: every step reported, tasks counted up to 4 of 4, fraction never goes back.
  ASSERT_FALSE(seen.empty());
  EXPECT_GE(int(seen.size()), steps);
  int max_task = 0;
  double last = 0;
  for (const auto& p : seen) {
    EXPECT_EQ(p.tasks, 4);
    EXPECT_GE(p.fraction, last - 1e-12);
    last = p.fraction;
    max_task = std::max(max_task, p.task);
  }
  EXPECT_EQ(max_task, 4);
  EXPECT_TRUE(seen.back().done);
  EXPECT_EQ(seen.back().fraction, 1.0);
  EXPECT_TRUE(runner.progress().done);
  EXPECT_NE(std::find(log.begin(), log.end(), std::string("[4/4] cpu-fast n=16 heads=2 dim=8 ...")), log.end());
}

TEST(BenchRunner, CancelKeepsTheRowsMeasuredSoFar) {
  BenchRunner runner(tiny({"cpu-ref", "cpu-fast"}, {8, 16, 32}));
  runner.setProgressCallback([&](const gpu::BenchProgress& p) {
    if (p.task == 3) runner.cancel();  // from inside a step, as another thread could
  });
  runner.runAll();
  EXPECT_TRUE(runner.done());
  EXPECT_TRUE(runner.cancelled());
  const BenchReport& r = runner.report();
  EXPECT_TRUE(r.cancelled);
  EXPECT_EQ(r.rows.size(), 2u);  // n = 8 done, cancelled in the first run of the third task
  EXPECT_TRUE(runner.progress().done);
  EXPECT_EQ(r.write_roofs.size(), 2u);
}

TEST(BenchRunner, CancelBeforeTheFirstStepRunsNothing) {
  BenchRunner runner(tiny({"cpu-fast"}));
  runner.cancel();
  EXPECT_EQ(runner.nextStep(), BenchRunner::StepKind::Cpu);
  EXPECT_TRUE(runner.step());
  EXPECT_TRUE(runner.done());
  EXPECT_TRUE(runner.report().rows.empty());
  EXPECT_EQ(runner.report().peak_fma_gflops, 0);
}

TEST(BenchRunner, WithoutAContextGpuEnginesAreSkippedAndNoGpuStepRuns) {
  BenchRunner runner(tiny({"cpu-fast", "gpu-compute", "gpu-fragment"}, {8}));
  runner.setNoGlContext("test: none");
  while (!runner.done()) {
    ASSERT_NE(runner.nextStep(), BenchRunner::StepKind::Gpu);
    runner.step();
  }
  const BenchReport& r = runner.report();
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0].check_engine, "cpu-ref");  // computed as the check although cpu-ref is not timed
  ASSERT_EQ(r.skipped.size(), 2u);
  EXPECT_EQ(r.skipped[0].first, "gpu-compute");
  EXPECT_EQ(r.skipped[0].second, "no GL context: test: none");
  EXPECT_EQ(r.device.gl_error, "test: none");
}

TEST(BenchRunner, AboveRefMaxCpuFastIsTheCheck) {
  BenchConfig c = tiny({"cpu-ref", "cpu-fast"}, {8, 24});
  c.ref_max = 16;
  BenchRunner runner(c);
  runner.runAll();
  const BenchReport& r = runner.report();
  ASSERT_EQ(r.rows.size(), 3u);
  EXPECT_EQ(r.rows[2].engine, "cpu-fast");
  EXPECT_FALSE(r.rows[2].max_abs_err.has_value());
  ASSERT_EQ(r.skipped.size(), 1u);
  EXPECT_EQ(r.skipped[0].first, "cpu-ref n=24");
}

TEST(BenchRunner, GpuRowsOnAHeadlessContext) {
  ATTNVIZ_REQUIRE_GL_VERSION(4, 3);
  BenchRunner runner(tiny({"cpu-ref", "gpu-compute", "gpu-fragment"}, {8, 40}));
  std::vector<BenchRunner::StepKind> kinds;
  while (!runner.done()) {
    kinds.push_back(runner.nextStep());
    runner.step();
  }
  EXPECT_EQ(kinds[0], BenchRunner::StepKind::Cpu);  // device and peak FMA
  EXPECT_EQ(kinds[1], BenchRunner::StepKind::Gpu);  // the probe
  const BenchReport& r = runner.report();
  EXPECT_FALSE(r.device.gl_renderer.empty());
  ASSERT_EQ(r.rows.size(), 6u) << (r.skipped.empty() ? "" : r.skipped[0].second);
  for (const BenchRow& row : r.rows) {
    SCOPED_TRACE(row.engine + " n=" + std::to_string(row.n));
    if (row.engine == "cpu-ref") continue;
    ASSERT_TRUE(row.gpu_ms && row.wall_ms);
    EXPECT_EQ(*row.gpu_ms, row.t.median_ms);
    EXPECT_GT(*row.wall_ms, 0);
    EXPECT_FALSE(row.roofline_ms.has_value());
    ASSERT_TRUE(row.max_abs_err.has_value());
    EXPECT_LE(*row.max_abs_err, 1e-5);
  }
}

TEST(BenchRunner, CancelDuringAGpuRunReleasesTheEngineInAGpuStep) {
  ATTNVIZ_REQUIRE_GL_VERSION(4, 3);
  BenchConfig c = tiny({"gpu-compute"}, {8});
  c.reps = 3;
  BenchRunner runner(c);
  // Cancel from inside the first GPU run (as the UI's Cancel button during a run): the run
  // ends and the engine, still alive, is released by one more step of kind Gpu.
  runner.setProgressCallback([&](const gpu::BenchProgress& p) {
    if (p.engine == "gpu-compute" && p.run == 1) runner.cancel();
  });
  runner.runWhile(BenchRunner::StepKind::Cpu);  // device
  runner.runWhile(BenchRunner::StepKind::Gpu);  // probe
  runner.runWhile(BenchRunner::StepKind::Cpu);  // bandwidth for n = 8
  ASSERT_EQ(runner.nextStep(), BenchRunner::StepKind::Gpu);
  runner.step();  // first run; cancelled at its end
  EXPECT_EQ(runner.nextStep(), BenchRunner::StepKind::Gpu);
  runner.step();
  EXPECT_TRUE(runner.done());
  EXPECT_TRUE(runner.report().cancelled);
  EXPECT_TRUE(runner.report().rows.empty());
}
