// Deterministic attention problems and the GPU-vs-reference tolerance used by the GPU tests.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <ostream>
#include <sstream>
#include <string>

#include "core/attention.h"

namespace attnviz::gpu::testing {

struct Case {
  int nq, nk, d, heads;
  MaskKind mask;
  float temperature;
  std::uint32_t seed;
  bool scale_by_sqrt_d = true;

  std::string name() const {
    std::ostringstream s;
    s << "nq" << nq << "_nk" << nk << "_d" << d << "_h" << heads << "_"
      << (mask == MaskKind::None ? "none" : mask == MaskKind::Causal ? "causal" : "custom") << "_T";
    std::string t = std::to_string(temperature);
    t.erase(t.find_last_not_of('0') + 1);
    if (!t.empty() && t.back() == '.') t.pop_back();
    for (char& c : t)
      if (c == '.') c = 'p';
    s << t << (scale_by_sqrt_d ? "" : "_noscale") << "_seed" << seed;
    return s.str();
  }
};

// gtest prints the case by name in failure messages of TEST_P.
inline void PrintTo(const Case& c, std::ostream* os) { *os << c.name(); }

// Q, K uniform in [-2, 2) from mt19937 (its output sequence is fixed by the standard, unlike the
// distributions). Custom masks: each cell visible with probability 1/2, and query row 1 (row 0 when
// nq == 1) fully masked, so every custom case covers the "no visible key" row.
inline AttentionProblem makeProblem(const Case& c) {
  std::mt19937 rng(c.seed);
  auto uniform = [&rng] { return float(double(rng()) / 4294967296.0 * 4.0 - 2.0); };
  AttentionProblem p;
  p.heads = c.heads;
  p.nq = c.nq;
  p.nk = c.nk;
  p.d = c.d;
  p.q.resize(std::size_t(c.heads) * c.nq * c.d);
  p.k.resize(std::size_t(c.heads) * c.nk * c.d);
  for (float& x : p.q) x = uniform();
  for (float& x : p.k) x = uniform();
  p.mask = c.mask;
  p.temperature = c.temperature;
  p.scale_by_sqrt_d = c.scale_by_sqrt_d;
  if (c.mask == MaskKind::Custom) {
    p.custom_mask.resize(std::size_t(c.nq) * c.nk);
    for (auto& m : p.custom_mask) m = std::uint8_t(rng() & 1u);
    const int dead_row = c.nq > 1 ? 1 : 0;
    std::fill_n(p.custom_mask.begin() + std::ptrdiff_t(std::size_t(dead_row) * c.nk), c.nk, std::uint8_t(0));
  }
  return p;
}

// Tolerance of a float32 GPU softmax against computeReference (double), from forward error analysis:
//   u = 2^-24 (float unit roundoff), s = problem.scoreScale(), A = max ||q_i|| * ||k_j|| (bounds
//   sum_c |q_c k_c| by Cauchy-Schwarz).
//   * a score's absolute error (the exponent) is at most delta = (d + 3) u s A: the float dot product
//     (gamma_d, Higham "Accuracy and Stability", eq. 3.5) plus rounding the scale, the product and
//     the max subtraction;
//   * exp2 has at most (3 + 2|x|) ULP (GLSL 4.30 spec, 4.7.1), which summed over a row is at most
//     (3 + 4 log2 nk) u relative; the float row sum at most nk u (gamma_nk); division 2.5 ULP and the
//     reference's final rounding 0.5 ULP;
//   so every p_j has relative error <= rel = 2 delta + (3 + 4 log2 nk + nk + 3) u, and the absolute
//   error is <= rel * max_j p_j. That is the max-abs tolerance (worst case, so never flaky).
//   The normalised MSE sum (dp)^2 / sum p^2 uses the probabilistic version of the same analysis
//   (Higham & Mary 2019: errors grow like sqrt(n) u, not n u; lambda = 4), and never below 1e-7,
//   the NMSE ggml's test-backend-ops accepts for f32 ops.
struct Tolerance {
  double max_abs;
  double nmse;
};

inline Tolerance softmaxTolerance(const AttentionProblem& p, double max_p_ref) {
  const double u = std::ldexp(1.0, -24);
  auto maxNorm = [&](const std::vector<float>& m, int rows) {
    double best = 0;
    for (std::size_t r = 0; r < std::size_t(p.heads) * rows; ++r) {
      double n2 = 0;
      for (int c = 0; c < p.d; ++c) n2 += double(m[r * p.d + c]) * m[r * p.d + c];
      best = std::max(best, std::sqrt(n2));
    }
    return best;
  };
  const double s = p.scoreScale();
  const double a = maxNorm(p.q, p.nq) * maxNorm(p.k, p.nk);
  const double log2nk = std::log2(double(p.nk));
  const double rel_worst = 2.0 * (p.d + 3) * u * s * a + (3 + 4 * log2nk + p.nk + 3) * u;
  const double lambda = 4.0;
  const double rel_prob = lambda * (2.0 * (std::sqrt(double(p.d)) + 3) * u * s * a +
                                    (3 + 4 * log2nk + std::sqrt(double(p.nk)) + 3) * u);
  return {rel_worst * max_p_ref, std::max(1e-7, rel_prob * rel_prob)};
}

}  // namespace attnviz::gpu::testing
