// The forward's vectorised row kernels (model/forward_kernels.h) against double-precision loops of
// the same definitions, on every SIMD path the CPU supports, with bounds derived from float rounding
// (u = 2^-24, the unit roundoff):
//   softmax: the argument (v - max) log2 e is rounded twice, |dt| <= 2u |t|, which changes 2^t by a
//     relative ln 2 * 2u |t|; cpu-fast's exp2 adds at most kExp2Ulps u (asserted in
//     tests/core/cpu_fast_test.cpp); the double sum is exact to float's eyes; 1/sum and the product
//     add 2u. So |p - p*| <= p* (ln 2 * 2 |t| + kExp2Ulps + 2) u, plus 2^-125 for the values whose
//     exp2 argument is below -126 and so become 0.
//   LayerNorm: mean and variance in double (relative ~1e-16 of order d), the normalised value rounded
//     to float (u), times w and plus b with one fused rounding (u of the result): |o - o*| <= 2u
//     (|z w| + |o*|) + 1e-12 (z = the normalised value).
//   GELU: Abramowitz & Stegun's erf is within 1.5e-7 absolute. In float (first order, e = e^(-a^2)
//     <= 1): t = 1/(1 + p a) rounded moves poly by |t poly'(t)| u <= 3.5u; Horner's five steps on
//     terms below 1.5 add <= 7.5u; e is within kExp2Ulps u plus 2 * 0.74u from its rounded argument
//     (a^2 e^(-a^2) log2(e) ln 2 <= 0.37); 1 - poly e adds u: an absolute error of erf below 17.5u,
//     bounded by 18u. Then 1 + erf and the products add 2u |g|:
//     |g - g*| <= 0.5 |x| (1.5e-7 + 18u) + 2u |g*|.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "core/cpu_features.h"
#include "model/forward_kernels.h"

namespace attnviz::model {
namespace {

constexpr double kU = 1.0 / (1 << 24);
constexpr double kExp2Ulps = 3.0;  // cpu_fast_test.cpp's kExp2MaxUlps

std::vector<float> normal(std::size_t n, double sd, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0.0f, float(sd));
  std::vector<float> x(n);
  for (float& v : x) v = g(rng);
  return x;
}

// Lengths around the 16-lane vectors: below one, partial tails, several, BERT's 512 and 768.
const int kLengths[] = {1, 3, 15, 16, 17, 33, 100, 512, 768, 1000};

TEST(ForwardKernels, SoftmaxMatchesDoubleWithinItsBound) {
  for (SimdPath path : supportedSimdPaths())
    for (int n : kLengths)
      for (double sd : {0.5, 4.0, 30.0}) {  // scores from flat to peaked (30: most of e^x underflows)
        std::vector<float> v = normal(std::size_t(n), sd, unsigned(n * 7 + int(sd)));
        const std::vector<float> in = v;
        kernels::softmax(path, v.data(), v.size());
        double mx = in[0];
        for (float s : in) mx = std::max(mx, double(s));
        double sum = 0;
        for (float s : in) sum += std::exp(double(s) - mx);
        double total = 0;
        for (int j = 0; j < n; ++j) {
          const double want = std::exp(double(in[std::size_t(j)]) - mx) / sum;
          const double t = std::abs(double(in[std::size_t(j)]) - mx) * 1.4426950408889634;
          const double bound = want * (std::log(2.0) * 2.0 * t + kExp2Ulps + 2.0) * kU + std::ldexp(1.0, -125);
          ASSERT_LE(std::abs(double(v[std::size_t(j)]) - want), bound)
              << simdPathName(path) << " n " << n << " sd " << sd << " j " << j << " got " << v[std::size_t(j)] << " want " << want;
          total += v[std::size_t(j)];
        }
        EXPECT_NEAR(total, 1.0, 1e-5) << simdPathName(path) << " n " << n;
      }
}

TEST(ForwardKernels, LayerNormMatchesDoubleWithinItsBound) {
  for (SimdPath path : supportedSimdPaths())
    for (int d : kLengths) {
      if (d < 2) continue;
      const int m = 3;
      // An offset mean (the centring matters) and weights and biases of both signs.
      std::vector<float> x = normal(std::size_t(m) * d, 2.0, unsigned(d)), add = normal(std::size_t(m) * d, 1.0, unsigned(d + 1));
      for (float& v : x) v += 5.0f;
      const std::vector<float> w = normal(std::size_t(d), 1.0, unsigned(d + 2)), b = normal(std::size_t(d), 0.5, unsigned(d + 3));
      for (bool with_add : {false, true}) {
        std::vector<float> out(x.size());
        kernels::layerNorm(path, x.data(), with_add ? add.data() : nullptr, m, d, w.data(), b.data(), 1e-12, out.data());
        for (int r = 0; r < m; ++r) {
          std::vector<double> row(static_cast<std::size_t>(d));
          for (int c = 0; c < d; ++c) {
            const std::size_t i = std::size_t(r) * d + c;
            row[std::size_t(c)] = with_add ? double(float(x[i] + add[i])) : double(x[i]);  // the sum is rounded to float first
          }
          double mean = 0, var = 0;
          for (double v : row) mean += v;
          mean /= d;
          for (double v : row) var += (v - mean) * (v - mean);
          var /= d;
          for (int c = 0; c < d; ++c) {
            const double z = (row[std::size_t(c)] - mean) / std::sqrt(var + 1e-12);
            const double want = z * w[std::size_t(c)] + b[std::size_t(c)];
            const double bound = 2 * kU * (std::abs(z * w[std::size_t(c)]) + std::abs(want)) + 1e-12;
            ASSERT_LE(std::abs(double(out[std::size_t(r) * d + c]) - want), bound)
                << simdPathName(path) << " d " << d << " row " << r << " col " << c << (with_add ? " with residual" : "");
          }
        }
      }
    }
}

TEST(ForwardKernels, LayerNormInPlaceWithResidualEqualsTheTwoSteps) {
  for (SimdPath path : supportedSimdPaths()) {
    const int m = 4, d = 77;
    std::vector<float> x = normal(std::size_t(m) * d, 1.0, 11), add = normal(std::size_t(m) * d, 1.0, 12);
    const std::vector<float> w = normal(std::size_t(d), 1.0, 13), b = normal(std::size_t(d), 1.0, 14);
    std::vector<float> two = x;
    for (std::size_t i = 0; i < two.size(); ++i) two[i] += add[i];
    kernels::layerNorm(path, two.data(), nullptr, m, d, w.data(), b.data(), 1e-5, two.data());
    kernels::layerNorm(path, x.data(), add.data(), m, d, w.data(), b.data(), 1e-5, x.data());
    for (std::size_t i = 0; i < x.size(); ++i) ASSERT_EQ(x[i], two[i]) << simdPathName(path) << " index " << i;
  }
}

TEST(ForwardKernels, GeluErfMatchesDoubleWithinItsBound) {
  std::vector<float> x;
  for (int i = -40000; i <= 40000; ++i) x.push_back(float(i) * 2.5e-4f);  // [-10, 10], across erf's bend
  for (float s : {-30.0f, -9.5f, 1e-30f, -1e-30f, 0.0f, 40.0f, 1e4f}) x.push_back(s);
  x.push_back(3.0f);  // odd length: a partial last vector
  for (SimdPath path : supportedSimdPaths()) {
    std::vector<float> g = x;
    kernels::geluErf(path, g.data(), g.size());
    double worst = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double v = x[i], want = 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
      const double err = std::abs(double(g[i]) - want);
      const double bound = 0.5 * std::abs(v) * (1.5e-7 + 18 * kU) + 2 * kU * std::abs(want) + 1e-38;
      ASSERT_LE(err, bound) << simdPathName(path) << " x " << x[i] << " got " << g[i] << " want " << want;
      worst = std::max(worst, err / bound);
    }
    RecordProperty(std::string("gelu_worst_over_bound_") + simdPathName(path), std::to_string(worst));
  }
  for (SimdPath path : supportedSimdPaths()) {
    float special[] = {std::numeric_limits<float>::quiet_NaN(), -std::numeric_limits<float>::infinity()};
    kernels::geluErf(path, special, 2);
    EXPECT_TRUE(std::isnan(special[0])) << simdPathName(path);
    EXPECT_TRUE(std::isnan(special[1]) || special[1] == 0.0f) << simdPathName(path);  // -inf * 0
  }
}

// The bias folded into GELU's pass is exactly the bias added first: rows longer than one block of
// the kernel (256) with a partial vector at the end, so each block must read its own columns.
TEST(ForwardKernels, BiasInTheGeluPassEqualsAddingItFirst) {
  const int m = 3, width = 300;
  const std::vector<float> x = normal(std::size_t(m) * width, 2.0, 21), bias = normal(std::size_t(width), 1.0, 22);
  for (SimdPath path : supportedSimdPaths()) {
    std::vector<float> fused = x, apart = x;
    kernels::biasGeluErf(path, fused.data(), m, width, bias.data());
    for (int r = 0; r < m; ++r)
      for (int c = 0; c < width; ++c) apart[std::size_t(r) * width + c] += bias[std::size_t(c)];
    kernels::geluErf(path, apart.data(), apart.size());
    for (std::size_t i = 0; i < x.size(); ++i) ASSERT_EQ(fused[i], apart[i]) << simdPathName(path) << " index " << i;
  }
}

}  // namespace
}  // namespace attnviz::model
