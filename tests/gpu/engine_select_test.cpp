// runAttention(): names, explicit engines, auto with its fallback, errors as exceptions.
#include <gtest/gtest.h>

#include <cstdlib>

#include "core/attention.h"
#include "gl_test_support.h"
#include "gpu/engine_select.h"
#include "gpu/fragment_engine.h"
#include "gpu/gpu_engine.h"
#include "problem_factory.h"

namespace attnviz::gpu {
namespace {

// Sets an environment variable for the scope of a test.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (old_.empty()) unsetenv(name_);
    else setenv(name_, old_.c_str(), 1);
  }

 private:
  const char* name_;
  std::string old_;
};

const testing::Case kCase{20, 30, 16, 2, MaskKind::Causal, 1.0f, 51};

TEST(EngineSelect, NamesAutoFirst) {
  const std::vector<std::string> names = engineNames();
  ASSERT_EQ(names.size(), 5u);
  EXPECT_EQ(names.front(), "auto");
  for (const char* n : {"cpu-ref", "cpu-fast", "gpu-compute", "gpu-fragment"})
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
}

TEST(EngineSelect, UnknownEngineAndInvalidProblemAreInvalidArgument) {
  const AttentionProblem p = testing::makeProblem(kCase);
  EXPECT_THROW(runAttention(p, "gpu-vulkan"), std::invalid_argument);
  AttentionProblem bad = p;
  bad.k.pop_back();
  EXPECT_THROW(runAttention(bad, "cpu-ref"), std::invalid_argument);
  EXPECT_THROW(runAttention(bad, "gpu-compute"), std::invalid_argument);
}

TEST(EngineSelect, CpuEnginesNeedNoGl) {
  ScopedEnv no_gl("ATTNVIZ_GL_BACKEND", "none-for-this-test");
  const AttentionProblem p = testing::makeProblem(kCase);
  const EngineRun ref = runAttention(p, "cpu-ref");
  EXPECT_EQ(ref.engine, "cpu-ref");
  EXPECT_TRUE(ref.fallback_reason.empty());
  EXPECT_EQ(ref.result.p, computeReference(p).p);
  const EngineRun fast = runAttention(p, "cpu-fast");
  EXPECT_EQ(fast.engine, "cpu-fast");
  ASSERT_EQ(fast.result.p.size(), ref.result.p.size());
}

TEST(EngineSelect, ExplicitGpuEngineWithoutGlThrowsEngineUnavailable) {
  ScopedEnv no_gl("ATTNVIZ_GL_BACKEND", "none-for-this-test");
  const AttentionProblem p = testing::makeProblem(kCase);
  for (const char* name : {"gpu-compute", "gpu-fragment"}) {
    try {
      runAttention(p, name);
      ADD_FAILURE() << name << " ran without a GL context";
    } catch (const EngineUnavailable& e) {
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("none-for-this-test"), std::string::npos) << e.what();
    }
  }
}

TEST(EngineSelect, AutoFallsBackToCpuRefWithAReason) {
  ScopedEnv no_gl("ATTNVIZ_GL_BACKEND", "none-for-this-test");
  const AttentionProblem p = testing::makeProblem(kCase);
  const EngineRun run = runAttention(p, "auto");
  EXPECT_EQ(run.engine, "cpu-ref");
  EXPECT_FALSE(run.fallback_reason.empty());
  EXPECT_EQ(run.result.p, computeReference(p).p);
}

// A problem with a score bias (T5) is never drawn without it: the GPU engines, which have no bias
// pass, are refused by name when asked for, auto takes cpu-ref and says why, and the engines
// themselves refuse it (the window calls them directly).
TEST(EngineSelect, AScoreBiasRunsOnTheCpuAndIsRefusedByTheGpuEnginesByName) {
  AttentionProblem p = testing::makeProblem(kCase);
  p.score_bias.assign(std::size_t(p.heads) * p.nq * p.nk, 0.5f);
  for (std::size_t i = 0; i < p.score_bias.size(); i += 3) p.score_bias[i] = -1.5f;
  for (const char* name : {"gpu-compute", "gpu-fragment"}) {
    try {
      runAttention(p, name);
      ADD_FAILURE() << name << " ran a biased problem";
    } catch (const EngineUnavailable& e) {
      EXPECT_NE(std::string(e.what()).find("score bias"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  }
  const EngineRun run = runAttention(p, "auto");
  EXPECT_EQ(run.engine, "cpu-ref");
  EXPECT_NE(run.fallback_reason.find("score bias"), std::string::npos) << run.fallback_reason;
  EXPECT_EQ(run.result.p, computeReference(p).p);
  if (testing::sharedContext(nullptr) && testing::sharedContext(nullptr)->version().atLeast(3, 3)) {
    std::string why;
    FragmentAttentionEngine fragment;
    EXPECT_FALSE(fragment.compute(p, &why));
    EXPECT_NE(why.find("gpu-fragment does not implement an additive score bias"), std::string::npos) << why;
    if (testing::sharedContext(nullptr)->version().atLeast(4, 3)) {
      GpuAttentionEngine compute;
      why.clear();
      EXPECT_FALSE(compute.compute(p, &why));
      EXPECT_NE(why.find("gpu-compute does not implement an additive score bias"), std::string::npos) << why;
    }
  }
}

TEST(EngineSelect, GpuEnginesAgreeWithReference) {
  ATTNVIZ_REQUIRE_GL_VERSION(3, 3);
  const AttentionProblem p = testing::makeProblem(kCase);
  const AttentionResult ref = computeReference(p);
  double max_p = 0;
  for (float x : ref.p) max_p = std::max(max_p, double(x));
  const double tol = testing::softmaxTolerance(p, max_p).max_abs;
  std::vector<std::string> engines = {"gpu-fragment"};
  const bool compute = testing::sharedContext(nullptr)->version().atLeast(4, 3);
  if (compute) engines.push_back("gpu-compute");
  for (const std::string& name : engines) {
    const EngineRun run = runAttention(p, name);
    EXPECT_EQ(run.engine, name);
    EXPECT_TRUE(run.fallback_reason.empty()) << run.fallback_reason;
    EXPECT_GE(run.compute_ms, 0.0);
    ASSERT_EQ(run.result.p.size(), ref.p.size()) << name;
    for (std::size_t e = 0; e < ref.p.size(); ++e)
      ASSERT_NEAR(run.result.p[e], ref.p[e], tol) << name << " " << kCase.name() << " at " << e;
    EXPECT_EQ(run.result.row_fully_masked, ref.row_fully_masked) << name;
  }
  const EngineRun a = runAttention(p, "auto");
  EXPECT_EQ(a.engine, compute ? "gpu-compute" : "gpu-fragment");
  EXPECT_EQ(a.fallback_reason.empty(), compute) << a.fallback_reason;
  testing::sharedContext(nullptr);  // runAttention's own context is gone; make ours current again
}

}  // namespace
}  // namespace attnviz::gpu
