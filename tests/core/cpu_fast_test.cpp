// cpu-fast against cpu-ref (the truth), ggml test-backend-ops style: a table of cases over sizes
// (including partial micro-tiles and a 16384-key row), cross shapes, masks, temperatures, heads and
// widths, each run on every instruction-set path this CPU has and with both kinds of stores.
// Order of checks: shape, NaN/inf, masked entries exactly 0 and fully-masked flags equal, then the
// max abs error against a tolerance derived per case (see caseTolerance).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/attention.h"
#include "core/cpu_fast.h"
#include "core/thread_pool.h"
#include "core/thread_priority.h"

using namespace attnviz;

namespace {

constexpr double kU = 1.0 / (1 << 24);  // unit roundoff of float (2^-24)

// Relative error bound of the vectorised exp2, in units of kU (asserted in Exp2IsAccurate):
// degree-7 Taylor polynomial on [-1/2, 1/2] (truncation < 0.1 u) evaluated by Horner with FMA;
// measured 1.17 u (AVX2, AVX-512) and 1.0 u (scalar: libm exp2f) on 2 million points.
constexpr double kExp2MaxUlps = 3.0;

struct Case {
  int heads, nq, nk, d;
  MaskKind mask;
  float temperature;
  unsigned seed;
  bool scale_by_sqrt_d = true;
  float bias = 0;  // > 0: an additive score bias [heads][nq][nk] with this standard deviation (T5)
};

std::string sci(double x) {
  std::ostringstream s;
  s.precision(3);
  s << std::scientific << x;
  return s.str();
}

std::string describe(const Case& c) {
  std::ostringstream s;
  s << "h" << c.heads << "_nq" << c.nq << "_nk" << c.nk << "_d" << c.d << "_"
    << (c.mask == MaskKind::None ? "none" : c.mask == MaskKind::Causal ? "causal" : "custom") << "_T"
    << c.temperature << (c.scale_by_sqrt_d ? "" : "_noscale") << (c.bias > 0 ? "_bias" : "") << "_seed" << c.seed;
  std::string out = s.str();
  for (char& ch : out)
    if (ch == '.' || ch == '-' || ch == '+') ch = 'p';
  return out;
}

AttentionProblem makeProblem(const Case& c) {
  AttentionProblem p;
  p.heads = c.heads;
  p.nq = c.nq;
  p.nk = c.nk;
  p.d = c.d;
  p.mask = c.mask;
  p.temperature = c.temperature;
  p.scale_by_sqrt_d = c.scale_by_sqrt_d;
  std::mt19937 rng(c.seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  p.q.resize(std::size_t(c.heads) * c.nq * c.d);
  p.k.resize(std::size_t(c.heads) * c.nk * c.d);
  for (float& x : p.q) x = normal(rng);
  for (float& x : p.k) x = normal(rng);
  if (c.bias > 0) {
    p.score_bias.resize(std::size_t(c.heads) * c.nq * c.nk);
    for (float& x : p.score_bias) x = c.bias * normal(rng);
  }
  if (c.mask == MaskKind::Custom) {
    // Random visibility (about 60 %), row 0 fully masked, the last row with exactly one visible key.
    std::bernoulli_distribution visible(0.6);
    p.custom_mask.resize(std::size_t(c.nq) * c.nk);
    for (auto& m : p.custom_mask) m = visible(rng) ? 1 : 0;
    std::fill(p.custom_mask.begin(), p.custom_mask.begin() + c.nk, std::uint8_t(0));
    if (c.nq > 1) {
      auto last = p.custom_mask.begin() + std::ptrdiff_t(c.nq - 1) * c.nk;
      std::fill(last, last + c.nk, std::uint8_t(0));
      last[c.nk / 2] = 1;
    }
  }
  return p;
}

double gamma(double n) { return n * kU / (1.0 - n * kU); }

// Tolerance on |P_fast - P_ref| for one case, from float rounding (u = 2^-24); P_ref is exact to
// 0.5 u (double arithmetic rounded once).
//  * Scores: cpu-fast forms t_j = sum_c fl(q_c * qscale) * k_c in float (qscale = scale * log2 e,
//    itself rounded): by Higham's bound |dt_j| <= gamma(d + 2) * qscale * sum_c |q_c k_c|
//    <= gamma(d + 2) * qscale * |q_i| |k_j| (Cauchy-Schwarz), i.e. an error in the natural-log score
//    of at most D = gamma(d + 2) * scoreScale() * max_i |q_i| * max_j |k_j|.
//  * Softmax of perturbed scores: moving every score by at most D moves each probability by at most
//    tanh(D / 2) <= D / 2 (worst case: the score itself up, all others down).
//  * exp2 (kExp2MaxUlps), rounding of t_j - max (< 1 u after weighting by the probability): they
//    act like further score perturbations, (kExp2MaxUlps + 1) u / 2 on the probability.
//  * The sum: each SIMD lane adds at most ceil(nk / lanes) terms, then a tree of log2(lanes)
//    levels: relative error gamma(nk / lanes + log2 lanes + 1); 1/sum and the multiply: 2 u;
//    the reference's own rounding 0.5 u. These scale P (<= 1) so they bound the abs error as is.
// Scalar path: lanes = 2 (two accumulators). The tolerance is a bound, not an estimate: the errors
// seen are far smaller (reported by the test); a wrong mask, index or max gives errors near 1.
double caseTolerance(const AttentionProblem& p, int lanes) {
  auto maxNorm = [](const std::vector<float>& m, std::size_t rows, int d) {
    double best = 0;
    for (std::size_t r = 0; r < rows; ++r) {
      double s = 0;
      for (int c = 0; c < d; ++c) s += double(m[r * d + c]) * m[r * d + c];
      best = std::max(best, std::sqrt(s));
    }
    return best;
  };
  const double qn = maxNorm(p.q, std::size_t(p.heads) * p.nq, p.d);
  const double kn = maxNorm(p.k, std::size_t(p.heads) * p.nk, p.d);
  // A score bias b is added in float after the product: b * (log2 e / T) and the sum round once
  // each, relative to the scores' magnitude (scaled q.k plus |b| / T).
  double max_bias = 0;
  for (float b : p.score_bias) max_bias = std::max(max_bias, double(std::fabs(b)));
  const double bias_err = max_bias > 0 ? gamma(3) * (p.scoreScale() * qn * kn + max_bias / p.effectiveTemperature()) : 0.0;
  const double score_err = gamma(p.d + 2) * p.scoreScale() * qn * kn + bias_err;
  const double sum_terms = std::ceil(double(p.nk) / lanes) + std::log2(double(lanes)) + 1;
  return std::tanh(score_err / 2) + (kExp2MaxUlps + 1) * kU / 2 + gamma(sum_terms) + 2.5 * kU;
}

int lanesOf(SimdPath path) { return path == SimdPath::Avx512 || path == SimdPath::Amx ? 32 : path == SimdPath::Avx2 ? 16 : 2; }

const char* storesName(CpuFastOptions::Stores s) {
  return s == CpuFastOptions::Stores::Streaming ? "streaming" : s == CpuFastOptions::Stores::Regular ? "regular" : "auto";
}

std::vector<Case> cases() {
  const MaskKind N = MaskKind::None, C = MaskKind::Causal, X = MaskKind::Custom;
  std::vector<Case> v = {
      {1, 1, 1, 1, N, 1.0f, 1},       {1, 1, 1, 64, C, 1.0f, 2},      {1, 1, 1, 8, X, 1.0f, 3},
      {1, 2, 3, 2, N, 1.0f, 4},       {2, 63, 63, 64, N, 1.0f, 5},    {2, 65, 65, 64, C, 1.0f, 6},
      {3, 65, 63, 16, X, 1.0f, 7},    {1, 257, 257, 64, N, 1.0f, 8},  {4, 257, 257, 32, C, 0.5f, 9},
      {2, 257, 257, 8, X, 2.0f, 10},  {1, 1000, 1000, 64, N, 1.0f, 11}, {1, 1000, 1000, 16, C, 1.0f, 12},
      {1, 1, 16384, 64, N, 1.0f, 13}, {2, 3, 16384, 8, C, 1.0f, 14},  {1, 2, 16384, 4, X, 1.0f, 15},
      // cross-attention shapes (rows = target tokens, columns = source tokens)
      {2, 37, 300, 24, N, 1.0f, 16},  {2, 300, 37, 24, C, 1.0f, 17},  {1, 129, 5, 7, X, 1.0f, 18},
      {3, 5, 129, 7, C, 1.0f, 19},    {1, 13, 1, 3, N, 1.0f, 20},
      // temperatures 1e-4 (clamped to kMinTemperature) .. 10
      {2, 33, 47, 64, N, 1e-4f, 21},  {2, 33, 47, 64, C, 1e-3f, 22},  {2, 33, 47, 64, X, 0.01f, 23},
      {2, 33, 47, 64, N, 0.1f, 24},   {2, 33, 47, 64, N, 10.0f, 25},  {1, 40, 40, 256, C, 1e-4f, 26},
      // heads 1..8, widths 1..256
      {5, 31, 29, 1, N, 1.0f, 27},    {6, 17, 45, 3, C, 1.0f, 28},    {7, 20, 20, 128, X, 1.0f, 29},
      {8, 50, 70, 256, N, 1.0f, 30},  {8, 97, 97, 17, C, 1.0f, 31},
  };
  Case noscale{2, 50, 50, 64, N, 1.0f, 32};
  noscale.scale_by_sqrt_d = false;
  v.push_back(noscale);
  // An additive score bias (T5's relative positions): every mask, cross shapes, partial tiles,
  // temperatures, with and without 1/sqrt(d).
  for (Case c : std::vector<Case>{{4, 23, 23, 8, N, 1.0f, 40},    {4, 18, 18, 8, C, 1.0f, 41},   {2, 65, 63, 16, X, 1.0f, 42},
                                  {3, 37, 300, 24, N, 0.5f, 43},  {2, 257, 257, 64, C, 2.0f, 44}, {1, 1, 1, 4, N, 1.0f, 45},
                                  {2, 33, 47, 64, N, 1e-3f, 46}}) {
    c.bias = 2.0f;
    c.scale_by_sqrt_d = c.seed % 2 == 0;
    v.push_back(c);
  }
  return v;
}

class CpuFastTable : public ::testing::TestWithParam<Case> {};

TEST_P(CpuFastTable, AgreesWithReferenceOnEveryPath) {
  const Case& tc = GetParam();
  const std::string name = describe(tc);
  const AttentionProblem p = makeProblem(tc);
  const AttentionResult ref = computeReference(p);
  for (SimdPath path : supportedSimdPaths()) {
    const double tol = caseTolerance(p, lanesOf(path));
    for (auto stores : {CpuFastOptions::Stores::Streaming, CpuFastOptions::Stores::Regular}) {
      CpuFastOptions options;
      options.simd = path;
      options.stores = stores;
      AttentionResult r;
      computeFastInto(p, r, options);
      const std::string where = name + " path=" + simdPathName(path) + " stores=" + storesName(stores);
      ASSERT_EQ(r.heads, p.heads) << where;
      ASSERT_EQ(r.nq, p.nq) << where;
      ASSERT_EQ(r.nk, p.nk) << where;
      ASSERT_EQ(r.p.size(), ref.p.size()) << where;
      for (std::size_t e = 0; e < r.p.size(); ++e)
        ASSERT_TRUE(std::isfinite(r.p[e])) << where << " element " << e << " = " << r.p[e];
      ASSERT_EQ(r.row_fully_masked, ref.row_fully_masked) << where;
      double max_err = 0;
      std::size_t worst = 0;
      for (int h = 0; h < p.heads; ++h)
        for (int i = 0; i < p.nq; ++i)
          for (int j = 0; j < p.nk; ++j) {
            const std::size_t e = r.index(h, i, j);
            if (!p.visible(i, j)) {
              ASSERT_EQ(r.p[e], 0.0f) << where << " masked (" << h << "," << i << "," << j << ")";
            }
            const double err = std::fabs(double(r.p[e]) - double(ref.p[e]));
            if (err > max_err) {
              max_err = err;
              worst = e;
            }
          }
      EXPECT_LE(max_err, tol) << where << " worst element " << worst << ": fast " << r.p[worst] << " ref "
                              << ref.p[worst];
      RecordProperty(std::string("max_abs_err_") + simdPathName(path) + "_" + storesName(stores), sci(max_err));
      RecordProperty(std::string("tolerance_") + simdPathName(path), sci(tol));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, CpuFastTable, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& param_info) { return describe(param_info.param); });

TEST(CpuFast, Exp2IsAccurate) {
  std::vector<float> x;
  for (int i = 0; i <= 2000000; ++i) x.push_back(-126.0f * float(i) / 2000000.0f);
  for (float s : {0.0f, -0.0f, -0.5f, -0.49999997f, -1.5f, -125.5f, -126.0f}) x.push_back(s);
  x.push_back(-1e-30f);
  for (SimdPath path : supportedSimdPaths()) {
    std::vector<float> y(x.size() + 3);  // odd length: the partial last vector is used too
    cpuFastExp2(path, x.data(), y.data(), x.size());
    double worst = 0;
    float worst_x = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double want = std::exp2(double(x[i]));
      const double rel = std::fabs(double(y[i]) - want) / want / kU;
      if (rel > worst) {
        worst = rel;
        worst_x = x[i];
      }
    }
    EXPECT_LE(worst, kExp2MaxUlps) << simdPathName(path) << " worst at x = " << worst_x;
    RecordProperty(std::string("exp2_max_ulps_") + simdPathName(path), sci(worst));

    const float special[] = {-126.5f, -127.0f, -200.0f, -std::numeric_limits<float>::infinity(),
                             std::numeric_limits<float>::quiet_NaN()};
    float out[5];
    cpuFastExp2(path, special, out, 5);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(out[i], 0.0f) << simdPathName(path) << " x = " << special[i];
    EXPECT_TRUE(std::isnan(out[4])) << simdPathName(path);
  }
}

// The bias must change the maps (a kernel that ignored it would pass a table of tiny biases).
TEST(CpuFast, AScoreBiasIsAddedNotIgnored) {
  Case c{2, 30, 30, 8, MaskKind::Causal, 1.0f, 47};
  c.bias = 2.0f;
  AttentionProblem p = makeProblem(c);
  const AttentionResult with = computeFast(p);
  p.score_bias.clear();
  const AttentionResult without = computeFast(p);
  double diff = 0;
  for (std::size_t i = 0; i < with.p.size(); ++i) diff = std::max(diff, std::fabs(double(with.p[i]) - without.p[i]));
  EXPECT_GT(diff, 0.1);
}

TEST(CpuFast, ComputeFastMatchesComputeFastInto) {
  const AttentionProblem p = makeProblem({3, 70, 90, 32, MaskKind::Causal, 0.7f, 40});
  const AttentionResult a = computeFast(p);
  AttentionResult b;
  computeFastInto(p, b);
  EXPECT_EQ(a.p, b.p);
  EXPECT_EQ(a.row_fully_masked, b.row_fully_masked);
}

// The default path: the float kernels for small problems (the window's sentences), the AMX tiles
// from kCpuFastAmxMinProbabilities where the CPU has them and d allows.
TEST(CpuFast, DefaultPathTakesTheTilesOnlyForLargeProblems) {
  if (requestedSimdPath()) GTEST_SKIP() << "ATTNVIZ_SIMD chooses the path";
  auto shape = [](int heads, int n, int d) {
    AttentionProblem p;
    p.heads = heads;
    p.nq = p.nk = n;
    p.d = d;
    return p;
  };
  const bool amx = simdPathSupported(SimdPath::Amx);
  EXPECT_EQ(cpuFastDefaultPath(shape(4, 64, 64)), bestSimdPath());
  EXPECT_EQ(cpuFastDefaultPath(shape(4, 511, 64)), bestSimdPath());  // just under 2^20 probabilities
  EXPECT_EQ(cpuFastDefaultPath(shape(4, 512, 64)), amx ? SimdPath::Amx : bestSimdPath());
  EXPECT_EQ(cpuFastDefaultPath(shape(1, 4096, 128)), amx ? SimdPath::Amx : bestSimdPath());
  EXPECT_EQ(cpuFastDefaultPath(shape(4, 512, 48)), bestSimdPath());  // d not a multiple of 32
  EXPECT_NE(bestSimdPath(), SimdPath::Amx);
}

// What computeFast gives by default on a problem large enough for the tiles stays within the same
// derived bound as the table (which forces each path on smaller shapes).
TEST(CpuFast, DefaultPathOnALargeProblemIsWithinTheBound) {
  for (MaskKind mask : {MaskKind::None, MaskKind::Causal}) {
    const AttentionProblem p = makeProblem({4, 512, 512, 64, mask, 1.0f, 43});
    const SimdPath path = cpuFastDefaultPath(p);
    const AttentionResult fast = computeFast(p);
    const AttentionResult ref = computeReference(p);
    ASSERT_EQ(fast.p.size(), ref.p.size());
    double max_err = 0;
    for (std::size_t e = 0; e < ref.p.size(); ++e) max_err = std::max(max_err, std::fabs(double(fast.p[e]) - double(ref.p[e])));
    EXPECT_LE(max_err, caseTolerance(p, lanesOf(path))) << simdPathName(path);
    EXPECT_GT(max_err, 0.0) << "an exact match would mean the check compared an engine with itself";
    RecordProperty(std::string("default_path_max_abs_err_") + simdPathName(path), sci(max_err));
  }
}

TEST(CpuFast, ReusesTheOutputWithoutReallocating) {
  const AttentionProblem p = makeProblem({2, 100, 120, 16, MaskKind::Custom, 1.0f, 41});
  AttentionResult r;
  computeFastInto(p, r);
  const float* data = r.p.data();
  const std::vector<float> first = r.p;
  std::fill(r.p.begin(), r.p.end(), 123.0f);  // stale values must all be overwritten
  computeFastInto(p, r);
  EXPECT_EQ(r.p.data(), data);
  EXPECT_EQ(r.p, first);
  // A smaller problem into the same result resizes it and is still right.
  const AttentionProblem small = makeProblem({1, 5, 7, 4, MaskKind::None, 1.0f, 42});
  computeFastInto(small, r);
  EXPECT_EQ(r.p.size(), 35u);
  EXPECT_EQ(r.p, computeFast(small).p);
}

TEST(CpuFast, ResultDoesNotDependOnThreadsOrStores) {
  // Each row is computed by one task with the same arithmetic whatever the thread count: bitwise equal.
  const AttentionProblem p = makeProblem({4, 300, 500, 64, MaskKind::None, 1.0f, 43});
  CpuFastOptions one;
  one.max_threads = 1;
  one.stores = CpuFastOptions::Stores::Regular;
  AttentionResult a, b;
  computeFastInto(p, a, one);
  CpuFastOptions all;
  all.stores = CpuFastOptions::Stores::Streaming;
  computeFastInto(p, b, all);
  EXPECT_EQ(a.p, b.p);
}

TEST(CpuFast, RowsWithNonFiniteFloatScoresFollowTheReferenceExactly) {
  // Scores of ~1e40 overflow float but not double: such rows go to the exact (double) path.
  AttentionProblem p = makeProblem({2, 20, 40, 8, MaskKind::Causal, 1.0f, 44});
  for (int c = 0; c < p.d; ++c) p.q[p.qIndex(1, 7, c)] = 3e19f;
  const AttentionResult ref = computeReference(p);
  const AttentionResult r = computeFast(p);
  for (int j = 0; j < p.nk; ++j) EXPECT_EQ(r.at(1, 7, j), ref.at(1, 7, j)) << "key " << j;
  for (float x : r.p) ASSERT_TRUE(std::isfinite(x));
}

TEST(CpuFast, FullyMaskedRowsAreZeroAndFlagged) {
  AttentionProblem p = makeProblem({2, 4, 33, 8, MaskKind::Custom, 1.0f, 45});
  std::fill(p.custom_mask.begin(), p.custom_mask.end(), std::uint8_t(0));
  p.custom_mask[std::size_t(2) * p.nk + 32] = 1;  // row 2 sees only the last key
  const AttentionResult r = computeFast(p);
  for (int h = 0; h < 2; ++h)
    for (int i = 0; i < 4; ++i) {
      EXPECT_EQ(r.row_fully_masked[std::size_t(h) * 4 + i], i == 2 ? 0 : 1);
      for (int j = 0; j < p.nk; ++j) EXPECT_EQ(r.at(h, i, j), i == 2 && j == 32 ? 1.0f : 0.0f);
    }
}

TEST(CpuFast, RejectsInvalidProblemsAndUnsupportedPaths) {
  AttentionProblem p = makeProblem({1, 2, 2, 2, MaskKind::None, 1.0f, 46});
  p.k.pop_back();
  EXPECT_THROW(computeFast(p), std::invalid_argument);
  const AttentionProblem ok = makeProblem({1, 2, 2, 2, MaskKind::None, 1.0f, 46});
  for (SimdPath path : {SimdPath::Avx2, SimdPath::Avx512}) {
    if (simdPathSupported(path)) continue;
    CpuFastOptions o;
    o.simd = path;
    AttentionResult r;
    EXPECT_THROW(computeFastInto(ok, r, o), std::invalid_argument) << simdPathName(path);
  }
}

TEST(ThreadPool, RunsEveryTaskOnceAndPropagatesExceptions) {
  ThreadPool pool(3);
  std::vector<std::atomic<int>> hits(1000);
  pool.run(1000, [&](int t, int w) {
    ASSERT_GE(w, 0);
    ASSERT_LT(w, 3);
    hits[std::size_t(t)].fetch_add(1);
  });
  for (auto& h : hits) EXPECT_EQ(h.load(), 1);
  EXPECT_THROW(pool.run(100, [](int t, int) {
    if (t == 50) throw std::runtime_error("task 50");
  }),
               std::runtime_error);
  std::atomic<int> count{0};
  pool.run(10, [&](int, int w) {
    EXPECT_EQ(w, 0);
    count++;
  }, 1);
  EXPECT_EQ(count.load(), 10);
}

#if defined(__linux__)
// The window puts the pool's threads behind its frames; the thread calling run() keeps its nice.
TEST(ThreadPool, WorkersMovedToBackgroundRunAtTheBackgroundNice) {
  ThreadPool pool(2);
  const int caller_nice = thisThreadNice();
  if (caller_nice >= kBackgroundNice) GTEST_SKIP() << "the tests run at nice " << caller_nice << ": nothing to lower";
  pool.moveWorkersToBackground();
  // Two tasks that wait for each other, so each worker takes one.
  std::atomic<int> started{0};
  int nice_of[2] = {-100, -100};
  pool.run(2, [&](int, int w) {
    started.fetch_add(1);
    for (int spin = 0; spin < 5000 && started.load() < 2; ++spin) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    nice_of[w] = thisThreadNice();
  });
  ASSERT_EQ(started.load(), 2);
  EXPECT_EQ(nice_of[0], caller_nice);
  EXPECT_EQ(nice_of[1], kBackgroundNice);
  EXPECT_EQ(thisThreadNice(), caller_nice);
}
#endif

}  // namespace
