#include "model/forward_kernels.h"

#include <cmath>
#include <cstdint>
#include <limits>

#include "core/cpu_fast.h"

#if defined(__x86_64__)
// GCC 12 warns (maybe-)uninitialized about the _mm512_undefined_* placeholders of the intrinsics
// headers once inlined (GCC bug 105593, fixed in 12.3/13), attributed to the header's lines.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#endif

// Everything the AVX-512 section needs is included above its pragma, and it calls no inline
// standard-library code: nothing from the standard library gets compiled for AVX-512 (that could
// leak into baseline callers through the one-definition rule), as in core/cpu_fast.cpp.

namespace attnviz::model::kernels {
namespace {

constexpr float kLog2e = 1.4426950408889634f;
constexpr float kInvSqrt2 = 0.70710678118654752f;
// Abramowitz & Stegun 7.1.26: erf(a) ~ 1 - t (a1 + t (a2 + t (a3 + t (a4 + t a5)))) e^(-a^2), t = 1 / (1 + p a).
constexpr float kP = 0.3275911f, kA1 = 0.254829592f, kA2 = -0.284496736f, kA3 = 1.421413741f, kA4 = -1.453152027f,
                kA5 = 1.061405429f;
// Values per exp2 call in GELU: the arguments of one block stay in L1.
constexpr std::size_t kBlock = 256;

bool useAvx512(SimdPath path) { return path == SimdPath::Avx512 || path == SimdPath::Amx; }
// The exp2 path cpu-fast takes for the plain loops: the vector one of the CPU where it has one.
SimdPath expPath(SimdPath path) { return path == SimdPath::Amx ? SimdPath::Avx512 : path; }

// ---- plain C++ (every CPU) ---------------------------------------------------------------------

void softmaxPlain(SimdPath path, float* v, std::size_t n) {
  float mx = v[0];
  for (std::size_t j = 1; j < n; ++j) mx = mx < v[j] ? v[j] : mx;
  for (std::size_t j = 0; j < n; ++j) v[j] = (v[j] - mx) * kLog2e;
  cpuFastExp2(expPath(path), v, v, n);
  double sum = 0;
  for (std::size_t j = 0; j < n; ++j) sum += v[j];
  const float inv = float(1.0 / sum);
  for (std::size_t j = 0; j < n; ++j) v[j] *= inv;
}

void layerNormPlain(const float* x, const float* add, int m, int d, const float* w, const float* b, double eps, float* out) {
  for (int r = 0; r < m; ++r) {
    const float* row = x + std::size_t(r) * d;
    float* o = out + std::size_t(r) * d;
    if (add) {
      const float* a = add + std::size_t(r) * d;
      for (int c = 0; c < d; ++c) o[c] = row[c] + a[c];
      row = o;
    }
    double mean = 0;
    for (int c = 0; c < d; ++c) mean += row[c];
    mean /= d;
    double var = 0;
    for (int c = 0; c < d; ++c) var += (row[c] - mean) * (row[c] - mean);
    var /= d;
    const double inv = 1.0 / std::sqrt(var + eps);
    for (int c = 0; c < d; ++c) o[c] = float((row[c] - mean) * inv) * w[c] + b[c];
  }
}

void geluErfPlain(SimdPath path, float* x, std::size_t n, const float* bias) {
  float e[kBlock];
  for (std::size_t c0 = 0; c0 < n; c0 += kBlock) {
    const std::size_t len = n - c0 < kBlock ? n - c0 : kBlock;
    float* v = x + c0;
    if (bias)
      for (std::size_t i = 0; i < len; ++i) v[i] += bias[c0 + i];
    for (std::size_t i = 0; i < len; ++i) {
      const float u = v[i] * kInvSqrt2;
      e[i] = -(u * u) * kLog2e;
    }
    cpuFastExp2(expPath(path), e, e, len);
    for (std::size_t i = 0; i < len; ++i) {
      const float u = v[i] * kInvSqrt2, a = std::abs(u);
      const float t = 1.0f / (1.0f + kP * a);
      const float poly = t * (kA1 + t * (kA2 + t * (kA3 + t * (kA4 + t * kA5))));
      const float erf_abs = 1.0f - poly * e[i];
      v[i] = 0.5f * v[i] * (1.0f + (u < 0 ? -erf_abs : erf_abs));
    }
  }
}

// ---- AVX-512F ----------------------------------------------------------------------------------
#if defined(__x86_64__)
// GCC and Clang spell "these functions may use AVX-512" differently (the fuzz build is Clang's).
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx2,fma")
#endif

inline __mmask16 firstLanes(std::size_t k) { return __mmask16((1u << k) - 1u); }

// The two halves of 16 floats as 8 doubles each.
inline __m512d lowHalf(__m512 v) { return _mm512_cvtps_pd(_mm512_castps512_ps256(v)); }
inline __m512d highHalf(__m512 v) { return _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1))); }
inline __m512 joinHalves(__m512d lo, __m512d hi) {
  const __m256 l = _mm512_cvtpd_ps(lo), h = _mm512_cvtpd_ps(hi);
  return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castps_pd(_mm512_castps256_ps512(l)), _mm256_castps_pd(h), 1));
}

void softmaxAvx512(float* v, std::size_t n) {
  const std::size_t full = n & ~std::size_t(15);
  const __mmask16 tail = firstLanes(n - full);
  const __m512 neg_inf = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  __m512 mx = neg_inf;
  for (std::size_t j = 0; j < full; j += 16) mx = _mm512_max_ps(mx, _mm512_loadu_ps(v + j));
  if (tail) mx = _mm512_max_ps(mx, _mm512_mask_loadu_ps(neg_inf, tail, v + full));
  const __m512 m = _mm512_set1_ps(_mm512_reduce_max_ps(mx)), l2e = _mm512_set1_ps(kLog2e);
  for (std::size_t j = 0; j < full; j += 16) _mm512_storeu_ps(v + j, _mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(v + j), m), l2e));
  if (tail) _mm512_mask_storeu_ps(v + full, tail, _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(tail, v + full), m), l2e));
  cpuFastExp2(SimdPath::Avx512, v, v, n);
  __m512d s0 = _mm512_setzero_pd(), s1 = _mm512_setzero_pd();
  for (std::size_t j = 0; j < full; j += 16) {
    const __m512 p = _mm512_loadu_ps(v + j);
    s0 = _mm512_add_pd(s0, lowHalf(p));
    s1 = _mm512_add_pd(s1, highHalf(p));
  }
  if (tail) {
    const __m512 p = _mm512_maskz_loadu_ps(tail, v + full);
    s0 = _mm512_add_pd(s0, lowHalf(p));
    s1 = _mm512_add_pd(s1, highHalf(p));
  }
  const __m512 inv = _mm512_set1_ps(float(1.0 / _mm512_reduce_add_pd(_mm512_add_pd(s0, s1))));
  for (std::size_t j = 0; j < full; j += 16) _mm512_storeu_ps(v + j, _mm512_mul_ps(_mm512_loadu_ps(v + j), inv));
  if (tail) _mm512_mask_storeu_ps(v + full, tail, _mm512_mul_ps(_mm512_maskz_loadu_ps(tail, v + full), inv));
}

void layerNormAvx512(const float* x, const float* add, int m, int d, const float* w, const float* b, double eps, float* out) {
  const std::size_t full = std::size_t(d) & ~std::size_t(15);
  const __mmask16 tail = firstLanes(std::size_t(d) - full);
  for (int r = 0; r < m; ++r) {
    const float* row = x + std::size_t(r) * d;
    float* o = out + std::size_t(r) * d;
    // Pass 1: the residual sum (rounded to float and stored, as x += add would) and its sum in double.
    __m512d s0 = _mm512_setzero_pd(), s1 = _mm512_setzero_pd();
    const float* a = add ? add + std::size_t(r) * d : nullptr;
    for (std::size_t c = 0; c < full; c += 16) {
      __m512 v = _mm512_loadu_ps(row + c);
      if (a) {
        v = _mm512_add_ps(v, _mm512_loadu_ps(a + c));
        _mm512_storeu_ps(o + c, v);
      }
      s0 = _mm512_add_pd(s0, lowHalf(v));
      s1 = _mm512_add_pd(s1, highHalf(v));
    }
    if (tail) {
      __m512 v = _mm512_maskz_loadu_ps(tail, row + full);
      if (a) {
        v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(tail, a + full));
        _mm512_mask_storeu_ps(o + full, tail, v);
      }
      s0 = _mm512_add_pd(s0, lowHalf(v));
      s1 = _mm512_add_pd(s1, highHalf(v));
    }
    if (a) row = o;
    const double mean_d = _mm512_reduce_add_pd(_mm512_add_pd(s0, s1)) / d;
    const __m512d mean = _mm512_set1_pd(mean_d);
    // Pass 2: variance of the centred values (masked-off lanes are zeros, centred they would count: mask them).
    __m512d q0 = _mm512_setzero_pd(), q1 = _mm512_setzero_pd();
    for (std::size_t c = 0; c < full; c += 16) {
      const __m512 v = _mm512_loadu_ps(row + c);
      const __m512d lo = _mm512_sub_pd(lowHalf(v), mean), hi = _mm512_sub_pd(highHalf(v), mean);
      q0 = _mm512_fmadd_pd(lo, lo, q0);
      q1 = _mm512_fmadd_pd(hi, hi, q1);
    }
    if (tail) {
      const __m512 v = _mm512_maskz_loadu_ps(tail, row + full);
      const __mmask8 tail_lo = __mmask8(tail & 0xff), tail_hi = __mmask8(tail >> 8);
      const __m512d lo = _mm512_maskz_sub_pd(tail_lo, lowHalf(v), mean), hi = _mm512_maskz_sub_pd(tail_hi, highHalf(v), mean);
      q0 = _mm512_fmadd_pd(lo, lo, q0);
      q1 = _mm512_fmadd_pd(hi, hi, q1);
    }
    const double var = _mm512_reduce_add_pd(_mm512_add_pd(q0, q1)) / d;
    const __m512d inv = _mm512_set1_pd(1.0 / __builtin_sqrt(var + eps));
    // Pass 3: float((v - mean) * inv) * w + b.
    for (std::size_t c = 0; c < full; c += 16) {
      const __m512 v = _mm512_loadu_ps(row + c);
      const __m512 z = joinHalves(_mm512_mul_pd(_mm512_sub_pd(lowHalf(v), mean), inv), _mm512_mul_pd(_mm512_sub_pd(highHalf(v), mean), inv));
      _mm512_storeu_ps(o + c, _mm512_fmadd_ps(z, _mm512_loadu_ps(w + c), _mm512_loadu_ps(b + c)));
    }
    if (tail) {
      const __m512 v = _mm512_maskz_loadu_ps(tail, row + full);
      const __m512 z = joinHalves(_mm512_mul_pd(_mm512_sub_pd(lowHalf(v), mean), inv), _mm512_mul_pd(_mm512_sub_pd(highHalf(v), mean), inv));
      _mm512_mask_storeu_ps(o + full, tail, _mm512_fmadd_ps(z, _mm512_maskz_loadu_ps(tail, w + full), _mm512_maskz_loadu_ps(tail, b + full)));
    }
  }
}

// 0.5 v (1 + sign(u) erf|u|), u = v / sqrt 2, e = e^(-u^2) already computed.
inline __m512 geluOf(__m512 v, __m512 e) {
  const __m512 u = _mm512_mul_ps(v, _mm512_set1_ps(kInvSqrt2));
  const __m512 a = _mm512_abs_ps(u);
  const __m512 one = _mm512_set1_ps(1.0f);
  const __m512 t = _mm512_div_ps(one, _mm512_fmadd_ps(_mm512_set1_ps(kP), a, one));
  __m512 poly = _mm512_fmadd_ps(t, _mm512_set1_ps(kA5), _mm512_set1_ps(kA4));
  poly = _mm512_fmadd_ps(t, poly, _mm512_set1_ps(kA3));
  poly = _mm512_fmadd_ps(t, poly, _mm512_set1_ps(kA2));
  poly = _mm512_fmadd_ps(t, poly, _mm512_set1_ps(kA1));
  poly = _mm512_mul_ps(t, poly);
  const __m512 erf_abs = _mm512_fnmadd_ps(poly, e, one);
  // erf is odd: the sign bit of u goes onto erf|u|.
  const __m512i sign = _mm512_and_si512(_mm512_castps_si512(u), _mm512_set1_epi32(int(0x80000000u)));
  const __m512 erf_u = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(erf_abs), sign));
  return _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), v), _mm512_add_ps(one, erf_u));
}

void geluErfAvx512(float* x, std::size_t n, const float* bias) {
  alignas(64) float e[kBlock];
  const __m512 minus_log2e_half = _mm512_set1_ps(-kLog2e * 0.5f);  // -(v / sqrt 2)^2 log2 e = -v^2 log2(e) / 2
  for (std::size_t c0 = 0; c0 < n; c0 += kBlock) {
    const std::size_t len = n - c0 < kBlock ? n - c0 : kBlock;
    float* v = x + c0;
    const std::size_t full = len & ~std::size_t(15);
    const __mmask16 tail = firstLanes(len - full);
    // The bias goes in while the block is read for the exponent's argument (and is stored back).
    for (std::size_t i = 0; i < full; i += 16) {
      __m512 u = _mm512_loadu_ps(v + i);
      if (bias) {
        u = _mm512_add_ps(u, _mm512_loadu_ps(bias + c0 + i));
        _mm512_storeu_ps(v + i, u);
      }
      _mm512_store_ps(e + i, _mm512_mul_ps(_mm512_mul_ps(u, u), minus_log2e_half));
    }
    if (tail) {
      __m512 u = _mm512_maskz_loadu_ps(tail, v + full);
      if (bias) {
        u = _mm512_add_ps(u, _mm512_maskz_loadu_ps(tail, bias + c0 + full));
        _mm512_mask_storeu_ps(v + full, tail, u);
      }
      _mm512_mask_storeu_ps(e + full, tail, _mm512_mul_ps(_mm512_mul_ps(u, u), minus_log2e_half));
    }
    cpuFastExp2(SimdPath::Avx512, e, e, len);
    for (std::size_t i = 0; i < full; i += 16) _mm512_storeu_ps(v + i, geluOf(_mm512_loadu_ps(v + i), _mm512_load_ps(e + i)));
    if (tail) _mm512_mask_storeu_ps(v + full, tail, geluOf(_mm512_maskz_loadu_ps(tail, v + full), _mm512_maskz_loadu_ps(tail, e + full)));
  }
}

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#endif

}  // namespace

SimdPath forwardPath() {
  static const SimdPath path = bestSimdPath();
  return path;
}

void softmax(SimdPath path, float* v, std::size_t n) {
#if defined(__x86_64__)
  if (useAvx512(path)) return softmaxAvx512(v, n);
#endif
  softmaxPlain(path, v, n);
}

void layerNorm(SimdPath path, const float* x, const float* add, int m, int d, const float* w, const float* b, double eps, float* out) {
#if defined(__x86_64__)
  if (useAvx512(path)) return layerNormAvx512(x, add, m, d, w, b, eps, out);
#endif
  layerNormPlain(x, add, m, d, w, b, eps, out);
}

void geluErf(SimdPath path, float* x, std::size_t n) {
#if defined(__x86_64__)
  if (useAvx512(path)) return geluErfAvx512(x, n, nullptr);
#endif
  geluErfPlain(path, x, n, nullptr);
}

void biasGeluErf(SimdPath path, float* x, int m, int width, const float* bias) {
  for (int r = 0; r < m; ++r) {
    float* row = x + std::size_t(r) * width;
#if defined(__x86_64__)
    if (useAvx512(path)) {
      geluErfAvx512(row, std::size_t(width), bias);
      continue;
    }
#endif
    geluErfPlain(path, row, std::size_t(width), bias);
  }
}

}  // namespace attnviz::model::kernels
