// Internal to the forward passes (transformer.cpp, seq2seq.cpp; model_session.cpp soft-caps maps with them): the row operations they share,
// on float32 with OpenBLAS for the products. Needs no GL context.
#pragma once

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "core/cpu_fast.h"
#include "core/cpu_features.h"
#include "core/memory_budget.h"
#include "model/forward_kernels.h"
#include "model/model_error.h"
#include "model/transformer_weights.h"

namespace attnviz::model::ops {

// Index of the first value that is NaN or +-Inf, or n when all are finite. Bit tests (exponent all
// ones), so the loop vectorises without -ffast-math and costs about one pass over the data.
inline std::size_t firstNonFinite(const float* x, std::size_t n) {
  constexpr std::size_t kBlock = 1024;
  for (std::size_t b0 = 0; b0 < n; b0 += kBlock) {
    const std::size_t len = std::min(kBlock, n - b0);
    std::uint32_t bad = 0;
    for (std::size_t i = 0; i < len; ++i) {
      std::uint32_t bits;
      std::memcpy(&bits, x + b0 + i, 4);
      bad |= std::uint32_t((bits & 0x7f800000u) == 0x7f800000u);
    }
    if (bad)
      for (std::size_t i = b0; i < b0 + len; ++i)
        if (!std::isfinite(x[i])) return i;
  }
  return n;
}

inline const char* nonFiniteName(float x) { return std::isnan(x) ? "NaN" : x > 0 ? "+Inf" : "-Inf"; }

// checkMemoryBudget with the model layer's one error type.
inline void checkBudget(const MemoryEstimate& estimate, const std::string& request) {
  try {
    checkMemoryBudget(estimate, request);
  } catch (const MemoryBudgetError& e) {
    throw ModelError(e.what());
  }
}

// out[m][W.out] = in[m][W.in] . W (+ bias), BLAS.
inline void project(const float* in, int m, const Matrix& w, const Vec* bias, float* out) {
  if (bias && bias->t.data) {
    for (int r = 0; r < m; ++r) std::memcpy(out + std::size_t(r) * w.out, bias->data(), sizeof(float) * w.out);
  }
  const float beta = bias && bias->t.data ? 1.0f : 0.0f;
  if (w.format != WeightFormat::F32) {  // 16-bit weights (packed_weights.h), [out][in]
    packedProject(in, m, w.packed.data(), w.format, w.out, w.in, beta, out);
    return;
  }
  if (m == 1) {
    // One token (typing, generating): a matrix-vector product reads each weight once, where
    // sgemm would first pack the whole matrix.
    if (w.transposed)
      cblas_sgemv(CblasRowMajor, CblasNoTrans, w.out, w.in, 1.0f, w.t.data, w.in, in, 1, beta, out, 1);
    else
      cblas_sgemv(CblasRowMajor, CblasTrans, w.in, w.out, 1.0f, w.t.data, w.out, in, 1, beta, out, 1);
    return;
  }
  if (w.transposed)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, w.out, w.in, 1.0f, in, w.in, w.t.data, w.in, beta, out, w.out);
  else
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, w.out, w.in, 1.0f, in, w.in, w.t.data, w.out, beta, out, w.out);
}

// Runs body(row) for rows [0, m) on the calling thread. Not on the shared pool: OpenBLAS's own
// threads busy-wait for a while after each product, and pool workers sharing the second core with a
// spinning BLAS thread made the whole forward slower on the 2-core machine, not faster. (An
// encoder's heads do go on the pool, with OpenBLAS held to one thread: see transformer.cpp.)
template <class Body>
void forRows(int m, Body&& body) {
  for (int r = 0; r < m; ++r) body(r);
}

inline constexpr float kLog2e = 1.4426950408889634f;

// e^(-|x|) for a block of values, with cpu-fast's vectorised exp2 (valid for arguments <= 0).
inline void expMinusAbs(const float* x, float* out, std::size_t n) {
  static const SimdPath path = bestSimdPath();
  for (std::size_t i = 0; i < n; ++i) out[i] = -std::abs(x[i]) * kLog2e;
  cpuFastExp2(path, out, out, n);
}

// gelu_new(x) = 0.5 x (1 + tanh(u)), u = sqrt(2/pi)(x + 0.044715 x^3); tanh(u) = sign(u)(1 - e)/(1 + e)
// with e = exp(-2|u|) <= 1, so the exponential never overflows.
inline void geluNewRow(float* x, int n) {
  constexpr int kBlock = 256;
  float u[kBlock], e[kBlock];
  for (int c0 = 0; c0 < n; c0 += kBlock) {
    const int len = std::min(kBlock, n - c0);
    for (int i = 0; i < len; ++i) {
      const float v = x[c0 + i];
      u[i] = 2.0f * 0.7978845608028654f * (v + 0.044715f * v * v * v);
    }
    expMinusAbs(u, e, std::size_t(len));
    for (int i = 0; i < len; ++i) {
      const float t = (1.0f - e[i]) / (1.0f + e[i]);
      x[c0 + i] = 0.5f * x[c0 + i] * (1.0f + (u[i] < 0 ? -t : t));
    }
  }
}

// Softmax of one row of scores in place over entries [first, visible) (max subtracted, exp2 of
// cpu-fast, sum in double: kernels::softmax); the others (keys the row may not see: later ones, or
// ones before a sliding window) become 0.
inline void softmaxRow(float* s, int visible, int width, int first = 0) {
  kernels::softmax(kernels::forwardPath(), s + first, std::size_t(visible - first));
  for (int j = 0; j < first; ++j) s[j] = 0.0f;
  for (int j = visible; j < width; ++j) s[j] = 0.0f;
}

// Exact GELU, 0.5 x (1 + erf(x / sqrt 2)) (nn.GELU, ACT2FN["gelu"]): kernels::geluErf, erf from
// Abramowitz & Stegun 7.1.26 (absolute error <= 1.5e-7, below float's resolution of the result for
// |x| >= 1). std::erf in double cost a third of a BERT-base forward.
inline void geluErfRow(float* x, std::size_t n) { kernels::geluErf(kernels::forwardPath(), x, n); }
// The same of x + bias, bias[width] added to each of the m rows in the activation's pass.
inline void biasGeluErfRows(float* x, int m, int width, const float* bias) {
  kernels::biasGeluErf(kernels::forwardPath(), x, m, width, bias);
}

// gelu_pytorch_tanh(g) * up (Gemma's GeGLU): the tanh form of GELU is gelu_new's formula.
inline void geluTanhTimesRow(float* gate, const float* up, int n) {
  geluNewRow(gate, n);
  for (int i = 0; i < n; ++i) gate[i] *= up[i];
}

// silu(g) * up with e = exp(-|g|): silu(g) = g / (1 + e) for g >= 0, g e / (1 + e) for g < 0.
inline void siluTimesRow(float* gate, const float* up, int n) {
  constexpr int kBlock = 256;
  float e[kBlock];
  for (int c0 = 0; c0 < n; c0 += kBlock) {
    const int len = std::min(kBlock, n - c0);
    expMinusAbs(gate + c0, e, std::size_t(len));
    for (int i = 0; i < len; ++i) {
      const float g = gate[c0 + i];
      const float sig = g >= 0 ? 1.0f / (1.0f + e[i]) : e[i] / (1.0f + e[i]);
      gate[c0 + i] = g * sig * up[c0 + i];
    }
  }
}

// LayerNorm with statistics in double (two passes: mean, then variance of the centred values);
// with `add`, of x + add (the residual sum, also left in out). out may be x.
inline void layerNorm(const float* x, int m, int d, const float* w, const float* b, double eps, float* out, const float* add = nullptr) {
  kernels::layerNorm(kernels::forwardPath(), x, add, m, d, w, b, eps, out);
}

// RMSNorm as Hugging Face's LlamaRMSNorm: x / sqrt(mean(x^2) + eps), then times the weight;
// with weight_offset 1, GemmaRMSNorm's times (1 + weight).
inline void rmsNorm(const float* x, int m, int d, const float* w, double eps, float* out, float weight_offset = 0.0f) {
  forRows(m, [&](int r) {
    const float* row = x + std::size_t(r) * d;
    double ss = 0;
    for (int c = 0; c < d; ++c) ss += double(row[c]) * row[c];
    const double inv = 1.0 / std::sqrt(ss / d + eps);
    float* o = out + std::size_t(r) * d;
    for (int c = 0; c < d; ++c) o[c] = (weight_offset + w[c]) * float(row[c] * inv);
  });
}

// Gemma's soft-capping of scores or logits in place: cap * tanh(x / cap), with tanh(u) =
// sign(u)(1 - e)/(1 + e), e = exp(-2|u|) from cpu-fast's exp2 (absolute error ~1e-7 * cap; std::tanh
// in double was most of a Gemma 2 forward's attention time).
inline void softCap(float* x, std::size_t n, double cap) {
  constexpr std::size_t kBlock = 256;
  float u[kBlock], e[kBlock];
  const float two_over_cap = float(2.0 / cap), fcap = float(cap);
  for (std::size_t c0 = 0; c0 < n; c0 += kBlock) {
    const std::size_t len = std::min(kBlock, n - c0);
    for (std::size_t i = 0; i < len; ++i) u[i] = x[c0 + i] * two_over_cap;
    expMinusAbs(u, e, len);
    for (std::size_t i = 0; i < len; ++i) {
      const float t = (1.0f - e[i]) / (1.0f + e[i]);
      x[c0 + i] = fcap * (u[i] < 0 ? -t : t);
    }
  }
}

}  // namespace attnviz::model::ops
