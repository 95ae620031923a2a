// The simulated heads of the demo (self and cross, causal or not) through each GPU engine: the
// same argmax per row as cpu-ref, weights within the engine tolerance, and the same stats.
#include <gtest/gtest.h>

#include <cmath>

#include "core/simulated_model.h"
#include "core/stats.h"
#include "gl_test_support.h"
#include "gpu/engine_select.h"
#include "gpu/fragment_engine.h"
#include "gpu/gpu_engine.h"
#include "problem_factory.h"

using namespace attnviz;
using namespace attnviz::gpu;

namespace {

struct Input {
  const char* text;
  const char* target;
  bool causal;
  float temperature;
};

const Input kInputs[] = {
    {"The bank by the river was steep.", nullptr, false, 1.0f},
    {"The animal didn't cross the street because it was too tired.", nullptr, true, 0.5f},
    {"The cat sat on the mat.", "Le chat était assis sur le tapis.", false, 2.0f},
};

AttentionProblem build(const Input& in) {
  SimulatedInput s;
  s.text = in.text;
  if (in.target) {
    s.target = in.target;
    s.mode = AttentionMode::Cross;
  }
  s.causal = in.causal;
  s.temperature = in.temperature;
  return buildSimulatedProblem(s);
}

template <class Engine>
void checkEngine(const char* name) {
  for (const Input& in : kInputs) {
    const AttentionProblem p = build(in);
    const AttentionResult ref = computeReference(p);
    Engine engine;
    std::string error;
    const std::string where = std::string(name) + " on '" + in.text + "'";
    ASSERT_TRUE(engine.compute(p, &error)) << where << ": " << error;
    const AttentionResult got = engine.readBack();
    double max_ref = 0;
    for (float w : ref.p) max_ref = std::max(max_ref, double(w));
    const double tol = gpu::testing::softmaxTolerance(p, max_ref).max_abs;
    for (int h = 0; h < p.heads; ++h) {
      for (int i = 0; i < p.nq; ++i)
        for (int j = 0; j < p.nk; ++j)
          ASSERT_NEAR(got.at(h, i, j), ref.at(h, i, j), tol) << where << " head " << p.head_names[h] << " [" << i << "," << j << "]";
      const MatrixStats cpu = computeStats(ref.head(h), p.nq, p.nk);
      const MatrixStats gpu = engine.reduce(h).toMatrixStats();
      EXPECT_NEAR(gpu.avg_entropy_bits, cpu.avg_entropy_bits, 1e-4) << where << " head " << h;
      // Cells and columns are compared by value: simulated rows hold exact and near ties (causal
      // row 0 is 1.0 in every head), where float rounding may pick a different but equal cell.
      EXPECT_NEAR(cpu.column_sums[gpu.most_attended_index], cpu.column_sums[cpu.most_attended_index], p.nq * tol)
          << where << " head " << h;
      EXPECT_NEAR(ref.at(h, gpu.max_row, gpu.max_col), cpu.max_weight, tol) << where << " head " << h;
      EXPECT_NEAR(gpu.max_weight, cpu.max_weight, tol) << where << " head " << h;
    }
  }
}

}  // namespace

TEST(SimulatedHeadsOnGpu, ComputeEngineMatchesCpu) {
  ATTNVIZ_REQUIRE_GL_VERSION(4, 3);
  checkEngine<GpuAttentionEngine>("gpu-compute");
}

TEST(SimulatedHeadsOnGpu, FragmentEngineMatchesCpu) {
  ATTNVIZ_REQUIRE_GL_VERSION(3, 3);
  checkEngine<FragmentAttentionEngine>("gpu-fragment");
}

TEST(FloatRange, GpuEnginesRefuseScoresBeyondFloatAndAutoFallsBack) {
  ATTNVIZ_REQUIRE_GL_VERSION(3, 3);
  AttentionProblem p;
  p.heads = 1;
  p.nq = 2;
  p.nk = 3;
  p.d = 1;
  p.q = {1e19f, 1.0f};
  p.k = {1e19f, -1e19f, 2.0f};
  p.temperature = 1e-3f;
  EXPECT_FALSE(p.checkFloatRange().empty());
  FragmentAttentionEngine fragment;
  std::string error;
  EXPECT_FALSE(fragment.compute(p, &error));
  EXPECT_NE(error.find("float range"), std::string::npos) << error;
  EXPECT_THROW(runAttention(p, "gpu-fragment"), EngineUnavailable);
  // cpu-fast recomputes rows whose float scores overflow in double, as cpu-ref does.
  const EngineRun fast = runAttention(p, "cpu-fast");
  EXPECT_FLOAT_EQ(fast.result.at(0, 0, 0), 1.0f);
  const EngineRun run = runAttention(p, "auto");
  EXPECT_EQ(run.engine, "cpu-ref");
  EXPECT_NE(run.fallback_reason.find("float range"), std::string::npos) << run.fallback_reason;
  for (float w : run.result.p) EXPECT_TRUE(std::isfinite(w));
  EXPECT_FLOAT_EQ(run.result.at(0, 0, 0), 1.0f);
}
