// GPU reductions (row entropy in bits, column sums, max weight and cell) against core computeStats,
// and the stats of each GPU engine's result against those of cpu-ref.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "core/stats.h"
#include "gl_test_support.h"
#include "gpu/fragment_engine.h"
#include "gpu/gpu_engine.h"
#include "problem_factory.h"

namespace attnviz::gpu {
namespace {

using testing::Case;

std::vector<int> visibleKeys(const AttentionProblem& p) {
  std::vector<int> v(std::size_t(p.nq), 0);
  for (int i = 0; i < p.nq; ++i)
    for (int j = 0; j < p.nk; ++j) v[std::size_t(i)] += p.visible(i, j) ? 1 : 0;
  return v;
}

std::vector<std::uint8_t> headFlags(const AttentionResult& r, int h) {
  return {r.row_fully_masked.begin() + std::ptrdiff_t(h) * r.nq, r.row_fully_masked.begin() + std::ptrdiff_t(h + 1) * r.nq};
}

// Tolerances of a float GPU reduction against computeStats on the same P (double):
//   entropy: log2 has absolute error < 2^-21 in [0.5, 2] and 3 ULP elsewhere (GLSL 4.30, 4.7.1),
//     so sum p log2 p is off by <= 2^-21 + 3u H; float accumulation adds <= (nk/WG + log2 WG) u H
//     (strided per-invocation sums, then a tree), bounded here by nk u H_max + 2^-21 with H_max = log2 nk;
//   column sums: compensated (Kahan) summation, error <= 2u |sum| + O(nq u^2) (Higham, 4.3);
//   max weight and its cell: exact (comparisons only).
//   (gpu-fragment: GLSL 3.30 has no `precise`, so blocks of 64 rows instead: <= (64 + nq/64) u |sum|.)
void expectStatsEqual(const MatrixStats& gpu, const MatrixStats& cpu, int nk, double column_rel_tol,
                      const std::string& where) {
  const double u = std::ldexp(1.0, -24);
  const double h_max = std::log2(double(std::max(nk, 2)));
  const double entropy_tol = std::ldexp(1.0, -21) + (nk + 3) * u * h_max;
  ASSERT_EQ(gpu.row_entropy_bits.size(), cpu.row_entropy_bits.size()) << where;
  for (std::size_t i = 0; i < cpu.row_entropy_bits.size(); ++i) {
    ASSERT_TRUE(std::isfinite(gpu.row_entropy_bits[i])) << where << " row " << i;
    EXPECT_NEAR(gpu.row_entropy_bits[i], cpu.row_entropy_bits[i], entropy_tol) << where << " entropy of row " << i;
    EXPECT_DOUBLE_EQ(gpu.row_max_entropy_bits[i], cpu.row_max_entropy_bits[i]) << where << " row " << i;
  }
  EXPECT_NEAR(gpu.avg_entropy_bits, cpu.avg_entropy_bits, entropy_tol) << where;
  EXPECT_NEAR(gpu.avg_normalized_entropy, cpu.avg_normalized_entropy, entropy_tol) << where;
  EXPECT_EQ(gpu.max_weight, cpu.max_weight) << where;
  EXPECT_EQ(gpu.max_row, cpu.max_row) << where;
  EXPECT_EQ(gpu.max_col, cpu.max_col) << where;
  ASSERT_EQ(gpu.column_sums.size(), cpu.column_sums.size()) << where;
  for (std::size_t j = 0; j < cpu.column_sums.size(); ++j)
    EXPECT_NEAR(gpu.column_sums[j], cpu.column_sums[j], column_rel_tol * std::abs(cpu.column_sums[j]) + 1e-12)
        << where << " column " << j;
  // The most attended key: equal unless two column sums are within the tolerance of each other.
  const double a = cpu.column_sums[std::size_t(cpu.most_attended_index)];
  const double b = cpu.column_sums[std::size_t(gpu.most_attended_index)];
  EXPECT_NEAR(a, b, 2 * column_rel_tol * std::abs(a)) << where << " most attended " << gpu.most_attended_index << " vs "
                                         << cpu.most_attended_index;
}

enum class Mode { ComputeTexture, ComputeStorage, Fragment };
const char* modeName(Mode m) {
  return m == Mode::ComputeTexture ? "compute_texture" : m == Mode::ComputeStorage ? "compute_storage" : "fragment";
}

class GpuReduction : public ::testing::TestWithParam<std::tuple<Mode, Case>> {};

TEST_P(GpuReduction, EqualsCoreComputeStats) {
  const auto [mode, c] = GetParam();
  if (mode == Mode::Fragment) ATTNVIZ_REQUIRE_GL_VERSION(3, 3);
  else ATTNVIZ_REQUIRE_GL_VERSION(4, 3);
  const AttentionProblem p = testing::makeProblem(c);
  const double u = std::ldexp(1.0, -24);
  std::unique_ptr<GpuAttentionEngine> compute;
  std::unique_ptr<FragmentAttentionEngine> fragment;
  AttentionResult got;
  std::string error;
  double column_tol = 4 * u;
  if (mode == Mode::Fragment) {
    fragment = std::make_unique<FragmentAttentionEngine>();
    ASSERT_TRUE(fragment->compute(p, &error)) << c.name() << ": " << error;
    got = fragment->readBack();
    column_tol = (64 + p.nq / 64.0 + 2) * u;
  } else {
    GpuAttentionEngine::Options opt;
    if (mode == Mode::ComputeStorage) {
      opt.force_storage_output = true;
      opt.max_storage_block_bytes = (long long)p.nk * 4 * std::max(16, p.d);  // K fits; 16+ rows per tile
    }
    compute = std::make_unique<GpuAttentionEngine>(opt);
    ASSERT_TRUE(compute->compute(p, &error)) << c.name() << ": " << error;
    got = compute->readBack();
  }
  const std::vector<int> visible = visibleKeys(p);
  for (int h = 0; h < p.heads; ++h) {
    const std::string where = std::string(modeName(mode)) + " " + c.name() + " head " + std::to_string(h);
    const GpuRowStats g = compute ? compute->reduce(h) : fragment->reduce(h);
    ASSERT_TRUE(g.error.empty()) << where << ": " << g.error;
    EXPECT_EQ(g.visible_keys, visible) << where;
    const MatrixStats cpu = computeStats(got.head(h), p.nq, p.nk, visible, headFlags(got, h));
    expectStatsEqual(g.toMatrixStats(), cpu, p.nk, column_tol, where);
  }
  EXPECT_FALSE((compute ? compute->reduce(p.heads) : fragment->reduce(p.heads)).error.empty());
}

const Case kStatCases[] = {
    {1, 1, 1, 1, MaskKind::None, 1.0f, 31},
    {63, 65, 16, 2, MaskKind::Causal, 1.0f, 32},
    {129, 77, 33, 2, MaskKind::Custom, 0.5f, 33},   // includes a fully masked row
    {40, 300, 8, 1, MaskKind::None, 1e-4f, 34},     // one-hot rows: entropy 0, exact maxima
    {1, 16384, 16, 1, MaskKind::None, 10.0f, 35},   // long row, high entropy
    {700, 5, 8, 1, MaskKind::None, 1.0f, 36},       // column sums over many rows
};

INSTANTIATE_TEST_SUITE_P(Table, GpuReduction,
                         ::testing::Combine(::testing::Values(Mode::ComputeTexture, Mode::ComputeStorage, Mode::Fragment),
                                            ::testing::ValuesIn(kStatCases)),
                         [](const ::testing::TestParamInfo<std::tuple<Mode, Case>>& param_info) {
                           return std::string(modeName(std::get<0>(param_info.param))) + "_" +
                                  std::get<1>(param_info.param).name();
                         });

// Stats of each engine's P equal the stats of cpu-ref's P (the engines' tolerance carried through).
TEST(EngineStats, SimulatedLikeProblemStatsMatchReference) {
  ATTNVIZ_REQUIRE_GL_VERSION(3, 3);
  const Case c{24, 24, 32, 4, MaskKind::Causal, 1.0f, 41};
  const AttentionProblem p = testing::makeProblem(c);
  const AttentionResult ref = computeReference(p);
  const std::vector<int> visible = visibleKeys(p);
  std::vector<std::pair<std::string, AttentionResult>> results;
  std::string error;
  FragmentAttentionEngine fragment;
  ASSERT_TRUE(fragment.compute(p, &error)) << error;
  results.emplace_back("gpu-fragment", fragment.readBack());
  if (testing::sharedContext(nullptr)->version().atLeast(4, 3)) {
    GpuAttentionEngine compute;
    ASSERT_TRUE(compute.compute(p, &error)) << error;
    results.emplace_back("gpu-compute", compute.readBack());
  }
  for (const auto& [name, r] : results)
    for (int h = 0; h < p.heads; ++h) {
      const MatrixStats a = computeStats(r.head(h), p.nq, p.nk, visible, headFlags(r, h));
      const MatrixStats b = computeStats(ref.head(h), p.nq, p.nk, visible, headFlags(ref, h));
      const std::string where = name + " " + c.name() + " head " + std::to_string(h);
      EXPECT_NEAR(a.avg_entropy_bits, b.avg_entropy_bits, 1e-5) << where;  // p within ~1e-6, log2(24) < 5
      EXPECT_NEAR(a.max_weight, b.max_weight, 1e-6) << where;
      EXPECT_EQ(a.max_row, b.max_row) << where;
      EXPECT_EQ(a.max_col, b.max_col) << where;
      EXPECT_EQ(a.most_attended_index, b.most_attended_index) << where;
    }
}

}  // namespace
}  // namespace attnviz::gpu
