// GPU engines against cpu-ref (the truth), over a table of shapes, masks and temperatures
// (modelled on ggml's test-backend-ops). Order of checks: NaN/inf first, then masked cells exactly
// 0 and the fully-masked flags, then max abs error and normalised MSE against the tolerance of
// problem_factory.h. Every message names the case.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>

#include "core/attention.h"
#include "gl_test_support.h"
#include "gpu/fragment_engine.h"
#include "gpu/gpu_engine.h"
#include "problem_factory.h"

namespace attnviz::gpu {
namespace {

using testing::Case;

enum class Engine { Compute, Fragment };
const char* engineName(Engine e) { return e == Engine::Compute ? "gpu-compute" : "gpu-fragment"; }

// Runs the engine with its default options; on failure records it and returns an empty result.
AttentionResult runEngine(Engine e, const AttentionProblem& p, const std::string& where) {
  std::string error;
  if (e == Engine::Compute) {
    GpuAttentionEngine engine;
    if (!engine.compute(p, &error)) {
      ADD_FAILURE() << where << ": compute failed: " << error;
      return {};
    }
    return engine.readBack();
  }
  FragmentAttentionEngine engine;
  if (!engine.compute(p, &error)) {
    ADD_FAILURE() << where << ": compute failed: " << error;
    return {};
  }
  return engine.readBack();
}

void expectMatchesReference(const AttentionProblem& p, const AttentionResult& got, const AttentionResult& ref,
                            const std::string& where) {
  ASSERT_EQ(got.heads, ref.heads) << where;
  ASSERT_EQ(got.nq, ref.nq) << where;
  ASSERT_EQ(got.nk, ref.nk) << where;
  ASSERT_EQ(got.p.size(), ref.p.size()) << where;
  // 1. NaN / inf
  std::size_t bad = 0, first_bad = 0;
  for (std::size_t e = 0; e < got.p.size(); ++e)
    if (!std::isfinite(got.p[e]) && bad++ == 0) first_bad = e;
  ASSERT_EQ(bad, 0u) << where << ": " << bad << " non-finite values, first at flat index " << first_bad << " = "
                     << got.p[first_bad];
  // 2. flags, masked cells exactly 0
  EXPECT_EQ(got.row_fully_masked, ref.row_fully_masked) << where << ": fully-masked row flags differ";
  std::size_t masked_nonzero = 0;
  for (int h = 0; h < p.heads; ++h)
    for (int i = 0; i < p.nq; ++i)
      for (int j = 0; j < p.nk; ++j)
        if (!p.visible(i, j) && got.at(h, i, j) != 0.0f) ++masked_nonzero;
  EXPECT_EQ(masked_nonzero, 0u) << where << ": masked cells that are not exactly 0";
  // 3. error against the reference
  double max_abs = 0, err2 = 0, ref2 = 0, max_p = 0;
  std::size_t worst = 0;
  for (std::size_t e = 0; e < got.p.size(); ++e) {
    const double diff = std::abs(double(got.p[e]) - double(ref.p[e]));
    if (diff > max_abs) {
      max_abs = diff;
      worst = e;
    }
    err2 += diff * diff;
    ref2 += double(ref.p[e]) * ref.p[e];
    max_p = std::max(max_p, double(ref.p[e]));
  }
  const double nmse = ref2 > 0 ? err2 / ref2 : err2;
  const testing::Tolerance tol = testing::softmaxTolerance(p, max_p);
  const std::size_t plane = std::size_t(p.nq) * p.nk;
  EXPECT_LE(max_abs, tol.max_abs) << where << ": max abs error at (h " << worst / plane << ", i "
                                  << (worst % plane) / p.nk << ", j " << worst % p.nk << "): got " << got.p[worst]
                                  << ", reference " << ref.p[worst];
  EXPECT_LE(nmse, tol.nmse) << where << ": normalised MSE";
  if (std::getenv("ATTNVIZ_TEST_VERBOSE"))
    std::printf("%-60s max_abs %.3g (tol %.3g)  nmse %.3g (tol %.3g)\n", where.c_str(), max_abs, tol.max_abs, nmse,
                tol.nmse);
}

// ---- the table ------------------------------------------------------------------------------------
const MaskKind kNone = MaskKind::None, kCausal = MaskKind::Causal, kCustom = MaskKind::Custom;

const Case kCases[] = {
    // nq, nk, d, heads, mask, T, seed
    {1, 1, 1, 1, kNone, 1.0f, 1},
    {1, 1, 1, 1, kCausal, 1e-4f, 2},     // T below kMinTemperature: clamped, one key -> p = 1
    {1, 1, 3, 2, kCustom, 1.0f, 3},      // the only row is fully masked -> zeros + flag
    {63, 63, 64, 4, kCausal, 1.0f, 4},   // partial workgroups (16x16 scores tiles, 63 rows)
    {65, 65, 64, 2, kNone, 1.0f, 5},
    {63, 65, 17, 3, kCustom, 1.0f, 6},   // d not a multiple of 4 or of the 16-wide tile
    {65, 65, 64, 1, kCausal, 1e-4f, 7},  // near one-hot rows
    {257, 257, 32, 2, kCausal, 1.0f, 8},
    {257, 65, 256, 1, kNone, 10.0f, 9},  // d at its maximum, flat rows
    {65, 257, 8, 8, kNone, 10.0f, 10},
    {129, 77, 33, 2, kCustom, 0.5f, 11},
    {100, 100, 64, 64, kCausal, 1.0f, 12},  // heads at their maximum, all in one dispatch
    {1000, 1000, 64, 2, kCausal, 1.0f, 13}, // the one large square case
    {1, 16384, 64, 1, kNone, 1.0f, 14},     // a long row: nk at GL_MAX_TEXTURE_SIZE on llvmpipe
    {1, 16384, 16, 2, kNone, 1e-4f, 15},
    {2048, 3, 16, 2, kNone, 1.0f, 16},      // tall/skinny cross-attention shapes
    {3, 2048, 16, 2, kCustom, 1e-4f, 17},
    {16384, 1, 4, 1, kCausal, 1.0f, 18},    // nq at the texture limit, one key
    {63, 63, 64, 1, kNone, 1.0f, 19, false},  // no 1/sqrt(d): larger scores
};

class EngineVsReference : public ::testing::TestWithParam<std::tuple<Engine, Case>> {};

TEST_P(EngineVsReference, MatchesCpuReference) {
  const auto [engine, c] = GetParam();
  if (engine == Engine::Compute) ATTNVIZ_REQUIRE_GL_VERSION(4, 3);
  else ATTNVIZ_REQUIRE_GL_VERSION(3, 3);
  const std::string where = std::string(engineName(engine)) + " " + c.name();
  const AttentionProblem p = testing::makeProblem(c);
  const AttentionResult ref = computeReference(p);
  const AttentionResult got = runEngine(engine, p, where);
  if (::testing::Test::HasFailure()) return;
  expectMatchesReference(p, got, ref, where);
}

std::string caseName(const ::testing::TestParamInfo<std::tuple<Engine, Case>>& info) {
  return std::string(std::get<0>(info.param) == Engine::Compute ? "compute_" : "fragment_") +
         std::get<1>(info.param).name();
}

INSTANTIATE_TEST_SUITE_P(Table, EngineVsReference,
                         ::testing::Combine(::testing::Values(Engine::Compute, Engine::Fragment),
                                            ::testing::ValuesIn(kCases)),
                         caseName);

// ---- tiling beyond the device limits, forced with small fake limits ----------------------------
TEST(EngineTiling, ComputeSplitsStorageByHeadAndRows) {
  ATTNVIZ_REQUIRE_GL_VERSION(4, 3);
  const Case c{150, 300, 24, 3, MaskKind::Custom, 1.0f, 21};
  const AttentionProblem p = testing::makeProblem(c);
  const AttentionResult ref = computeReference(p);
  for (bool storage_output : {true, false}) {
    // Whole problem in one tile; 64 rows of P per tile; the block just holds one head's K.
    for (long long block : {1LL << 30, 300LL * 4 * 64, 300LL * 24 * 4}) {
      GpuAttentionEngine::Options opt;
      opt.force_storage_output = storage_output;
      opt.max_storage_block_bytes = block;
      GpuAttentionEngine engine(opt);
      std::string error;
      const std::string where = std::string("gpu-compute ") + (storage_output ? "storage" : "texture") +
                                " output, block " + std::to_string(block) + " B, " + c.name();
      ASSERT_TRUE(engine.compute(p, &error)) << where << ": " << error;
      EXPECT_EQ(engine.hasTexture(), !storage_output) << where;
      EXPECT_EQ(engine.probabilityTexture() != 0, !storage_output) << where;
      for (const auto& t : engine.storageTiles()) {
        EXPECT_LE((long long)t.heads * t.rows * p.nk * 4, block) << where << ": a tile exceeds the block limit";
      }
      if (storage_output && block < (1LL << 30)) {
        EXPECT_GT(engine.storageTiles().size(), std::size_t(p.heads)) << where << " (" << engine.layoutDescription() << ")";
      }
      if (!storage_output && block < (1LL << 30)) {
        EXPECT_EQ(engine.layoutDescription().find(", 1 tile"), std::string::npos) << where << ": " << engine.layoutDescription();
      }
      expectMatchesReference(p, engine.readBack(), ref, where);
    }
  }
}

TEST(EngineTiling, ComputeSplitsRowsAtTheWorkGroupCountWithSeveralHeads) {
  // A dispatch limit below nq forces row tiles; every head of such a tile must read its own rows.
  ATTNVIZ_REQUIRE_GL_VERSION(4, 3);
  const Case c{100, 40, 8, 3, MaskKind::Causal, 1.0f, 24};
  const AttentionProblem p = testing::makeProblem(c);
  const AttentionResult ref = computeReference(p);
  for (bool storage_output : {true, false}) {
    GpuAttentionEngine::Options opt;
    opt.force_storage_output = storage_output;
    opt.max_work_group_count = 32;
    GpuAttentionEngine engine(opt);
    std::string error;
    const std::string where = std::string("gpu-compute work groups <= 32, ") + (storage_output ? "storage " : "texture ") + c.name();
    ASSERT_TRUE(engine.compute(p, &error)) << where << ": " << error;
    expectMatchesReference(p, engine.readBack(), ref, where);
  }
}

TEST(EngineTiling, ComputeRefusesWhatCannotFitInsteadOfTruncating) {
  ATTNVIZ_REQUIRE_GL_VERSION(4, 3);
  const AttentionProblem p = testing::makeProblem({4, 600, 64, 1, MaskKind::None, 1.0f, 22});
  GpuAttentionEngine::Options opt;
  opt.max_storage_block_bytes = 600LL * 64 * 4 - 4;  // K of one head does not fit
  GpuAttentionEngine engine(opt);
  std::string error;
  EXPECT_FALSE(engine.compute(p, &error));
  EXPECT_NE(error.find("GL_MAX_SHADER_STORAGE_BLOCK_SIZE"), std::string::npos) << error;
  EXPECT_FALSE(engine.hasResult());
}

TEST(EngineTiling, FragmentTilesRowsAndColumnsBeyondMaxTextureSize) {
  ATTNVIZ_REQUIRE_GL_VERSION(3, 3);
  for (MaskKind mask : {MaskKind::Causal, MaskKind::Custom}) {
    const Case c{150, 300, 20, 2, mask, 1.0f, 23};
    const AttentionProblem p = testing::makeProblem(c);
    const AttentionResult ref = computeReference(p);
    for (int max_tex : {64, 17}) {  // 17: 16-wide reduction leaves a 2-level chain and ragged tiles
      FragmentAttentionEngine::Options opt;
      opt.max_texture_size = max_tex;
      FragmentAttentionEngine engine(opt);
      std::string error;
      const std::string where = "gpu-fragment max texture " + std::to_string(max_tex) + " " + c.name();
      ASSERT_TRUE(engine.compute(p, &error)) << where << ": " << error;
      EXPECT_FALSE(engine.hasTexture()) << where;
      expectMatchesReference(p, engine.readBack(), ref, where);
    }
  }
}

TEST(EngineOutput, TextureArrayHoldsOneLayerPerHead) {
  ATTNVIZ_REQUIRE_GL_VERSION(4, 3);
  const AttentionProblem p = testing::makeProblem({33, 47, 16, 3, MaskKind::Causal, 1.0f, 24});
  GpuAttentionEngine engine;
  std::string error;
  ASSERT_TRUE(engine.compute(p, &error)) << error;
  ASSERT_TRUE(engine.hasTexture());
  EXPECT_EQ(engine.textureLayers(), 3);
  GLint w = 0, h = 0, layers = 0, format = 0;
  glBindTexture(GL_TEXTURE_2D_ARRAY, engine.probabilityTexture());
  glGetTexLevelParameteriv(GL_TEXTURE_2D_ARRAY, 0, GL_TEXTURE_WIDTH, &w);
  glGetTexLevelParameteriv(GL_TEXTURE_2D_ARRAY, 0, GL_TEXTURE_HEIGHT, &h);
  glGetTexLevelParameteriv(GL_TEXTURE_2D_ARRAY, 0, GL_TEXTURE_DEPTH, &layers);
  glGetTexLevelParameteriv(GL_TEXTURE_2D_ARRAY, 0, GL_TEXTURE_INTERNAL_FORMAT, &format);
  glBindTexture(GL_TEXTURE_2D_ARRAY, 0);
  EXPECT_EQ(w, 47);
  EXPECT_EQ(h, 33);
  EXPECT_EQ(layers, 3);
  EXPECT_EQ(format, GL_R32F);
  EXPECT_GE(engine.lastGpuMs(), 0.0);

  FragmentAttentionEngine fragment;
  ASSERT_TRUE(fragment.compute(p, &error)) << error;
  EXPECT_TRUE(fragment.hasTexture());
  EXPECT_EQ(fragment.textureLayers(), 3);
  EXPECT_NE(fragment.probabilityTexture(), 0u);
}

TEST(EngineOutput, InvalidProblemIsAnErrorValue) {
  ATTNVIZ_REQUIRE_GL_VERSION(3, 3);
  AttentionProblem p = testing::makeProblem({4, 4, 4, 1, MaskKind::None, 1.0f, 25});
  p.q.pop_back();
  std::string error;
  FragmentAttentionEngine fragment;
  EXPECT_FALSE(fragment.compute(p, &error));
  EXPECT_NE(error.find("invalid problem"), std::string::npos) << error;
}

}  // namespace
}  // namespace attnviz::gpu
