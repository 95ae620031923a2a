#include "core/heatmap_display.h"

#include <algorithm>
#include <cstddef>

#if defined(__x86_64__)
// GCC 12 warns (maybe-)uninitialized about the _mm512_undefined_* placeholders of the intrinsics
// headers once inlined (GCC bug 105593), attributed to the header's lines.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#endif

// The AVX-512 section calls no inline standard-library code (it could leak into baseline callers
// through the one-definition rule): raw pointers and intrinsics only, as in core/cpu_fast.cpp.

namespace attnviz {
namespace {

// Level 0's cells [first, last] of one row: colourScaleT (the masked rest is -1).
void scaleRowPlain(ColourScale scale, const float* in, float* out, int n, float den) {
  for (int j = 0; j < n; ++j) out[j] = colourScaleT(scale, in[j], den);
}

void maxRowsPlain(const float* a, const float* b, float* out, int n) {
  for (int j = 0; j < n; ++j) out[j] = std::max(a[j], b[j]);
}

#if defined(__x86_64__)
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f")
#endif

inline __mmask16 firstLanes(int k) { return __mmask16((1u << k) - 1u); }

// Natural log for x in [1e-4, 1] (Cephes' logf: x = m · 2^e, m in [sqrt(1/2), sqrt(2)), a degree-9
// polynomial in m - 1, ln 2 split in two so e · ln 2 adds no rounding).
inline __m512 logAvx512(__m512 x) {
  __m512 m = _mm512_getmant_ps(x, _MM_MANT_NORM_p5_1, _MM_MANT_SIGN_zero);  // [0.5, 1)
  __m512 e = _mm512_add_ps(_mm512_getexp_ps(x), _mm512_set1_ps(1.0f));      // x = m · 2^e
  const __mmask16 small = _mm512_cmp_ps_mask(m, _mm512_set1_ps(0.707106781186547524f), _CMP_LT_OQ);
  e = _mm512_mask_sub_ps(e, small, e, _mm512_set1_ps(1.0f));
  const __m512 z = _mm512_sub_ps(_mm512_mask_add_ps(m, small, m, m), _mm512_set1_ps(1.0f));
  const __m512 zz = _mm512_mul_ps(z, z);
  __m512 y = _mm512_set1_ps(7.0376836292e-2f);
  y = _mm512_fmadd_ps(y, z, _mm512_set1_ps(-1.1514610310e-1f));
  y = _mm512_fmadd_ps(y, z, _mm512_set1_ps(1.1676998740e-1f));
  y = _mm512_fmadd_ps(y, z, _mm512_set1_ps(-1.2420140846e-1f));
  y = _mm512_fmadd_ps(y, z, _mm512_set1_ps(1.4249322787e-1f));
  y = _mm512_fmadd_ps(y, z, _mm512_set1_ps(-1.6668057665e-1f));
  y = _mm512_fmadd_ps(y, z, _mm512_set1_ps(2.0000714765e-1f));
  y = _mm512_fmadd_ps(y, z, _mm512_set1_ps(-2.4999993993e-1f));
  y = _mm512_fmadd_ps(y, z, _mm512_set1_ps(3.3333331174e-1f));
  y = _mm512_mul_ps(_mm512_mul_ps(y, z), zz);
  y = _mm512_fmadd_ps(e, _mm512_set1_ps(-2.12194440e-4f), y);
  y = _mm512_fmadd_ps(zz, _mm512_set1_ps(-0.5f), y);
  return _mm512_fmadd_ps(e, _mm512_set1_ps(0.693359375f), _mm512_add_ps(z, y));
}

inline __m512 scaleAvx512(ColourScale scale, __m512 p, __m512 den) {
  const __m512 zero = _mm512_setzero_ps(), one = _mm512_set1_ps(1.0f);
  const __mmask16 positive = _mm512_cmp_ps_mask(p, zero, _CMP_GT_OQ);  // false for NaN too
  __m512 t = p;
  if (scale == ColourScale::Auto || scale == ColourScale::Row) {
    t = _mm512_div_ps(p, den);
  } else if (scale == ColourScale::Log) {
    // Clamped to [floor, 1] first: t is 1 from p = 1 up (and for +inf), as colourScaleT's clamp.
    const __m512 x = _mm512_min_ps(_mm512_max_ps(p, _mm512_set1_ps(kLogScaleFloor)), one);
    const __m512 log10 = _mm512_mul_ps(logAvx512(x), _mm512_set1_ps(0.434294481903251828f));
    t = _mm512_mul_ps(_mm512_add_ps(log10, _mm512_set1_ps(kLogScaleDecades)), _mm512_set1_ps(1.0f / kLogScaleDecades));
  }
  // Into [0, 1] as std::clamp (the denominators are finite maxima, so t is never NaN here).
  t = _mm512_max_ps(_mm512_min_ps(t, one), zero);
  return _mm512_maskz_mov_ps(positive, t);
}

void scaleRowAvx512(ColourScale scale, const float* in, float* out, int n, float den) {
  const __m512 d = _mm512_set1_ps(den);
  const bool zero_row = (scale == ColourScale::Auto || scale == ColourScale::Row) && !(den > 0.0f);
  const int full = n & ~15;
  for (int j = 0; j < full; j += 16)
    _mm512_storeu_ps(out + j, zero_row ? _mm512_setzero_ps() : scaleAvx512(scale, _mm512_loadu_ps(in + j), d));
  if (const __mmask16 tail = firstLanes(n - full))
    _mm512_mask_storeu_ps(out + full, tail, zero_row ? _mm512_setzero_ps() : scaleAvx512(scale, _mm512_maskz_loadu_ps(tail, in + full), d));
}

void maxRowsAvx512(const float* a, const float* b, float* out, int n) {
  const int full = n & ~15;
  for (int j = 0; j < full; j += 16) _mm512_storeu_ps(out + j, _mm512_max_ps(_mm512_loadu_ps(a + j), _mm512_loadu_ps(b + j)));
  if (const __mmask16 tail = firstLanes(n - full))
    _mm512_mask_storeu_ps(out + full, tail, _mm512_max_ps(_mm512_maskz_loadu_ps(tail, a + full), _mm512_maskz_loadu_ps(tail, b + full)));
}

// The pairs of columns 2x, 2x + 1 for x < dw - 1, 16 at a time; returns how many were done.
int poolColumnPairsAvx512(const float* src, float* dst, int dw) {
  const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  const __m512i odd = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
  int x = 0;
  for (; x + 16 <= dw - 1; x += 16) {
    const __m512 lo = _mm512_loadu_ps(src + 2 * x), hi = _mm512_loadu_ps(src + 2 * x + 16);
    _mm512_storeu_ps(dst + x, _mm512_max_ps(_mm512_permutex2var_ps(lo, even, hi), _mm512_permutex2var_ps(lo, odd, hi)));
  }
  return x;
}

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#endif

bool avx512(SimdPath path) { return path == SimdPath::Avx512 || path == SimdPath::Amx; }

}  // namespace

SimdPath heatmapDisplayPath() {
  static const SimdPath path = bestSimdPath();
  return path;
}

void buildHeatmapDisplay(SimdPath path, const HeatmapDisplayInput& in, int level_count, std::vector<std::vector<float>>* levels) {
  const bool vector = avx512(path);
  (void)vector;  // unused where there is no AVX-512 section
  levels->resize(std::size_t(std::max(level_count, 1)));
  std::vector<float>& base = (*levels)[0];
  base.resize(std::size_t(in.nq) * std::size_t(in.nk));
  const bool per_row = in.scale == ColourScale::Row, uses_denominators = per_row || in.scale == ColourScale::Auto;
  for (int i = 0; i < in.nq; ++i) {
    const float den = uses_denominators ? in.denominators[per_row ? i : 0] : 0.0f;
    const float* src = in.p + std::size_t(i) * std::size_t(in.nk);
    float* out = base.data() + std::size_t(i) * std::size_t(in.nk);
    const int first = in.window > 0 ? std::clamp(i - in.window + 1, 0, in.nk) : 0;
    const int last = in.causal ? std::min(i, in.nk - 1) : in.nk - 1;
    std::fill(out, out + first, -1.0f);
    if (last >= first) {
#if defined(__x86_64__)
      if (vector)
        scaleRowAvx512(in.scale, src + first, out + first, last - first + 1, den);
      else
#endif
        scaleRowPlain(in.scale, src + first, out + first, last - first + 1, den);
    }
    std::fill(out + std::max(first, last + 1), out + in.nk, -1.0f);
  }
  std::vector<float> rows;  // one pooled level's rows, maximum over each pair (or three)
  for (int level = 1; level < level_count; ++level) {
    const int sw = std::max(1, in.nk >> (level - 1)), sh = std::max(1, in.nq >> (level - 1));
    const int dw = std::max(1, in.nk >> level), dh = std::max(1, in.nq >> level);
    const std::vector<float>& src = (*levels)[std::size_t(level - 1)];
    std::vector<float>& dst = (*levels)[std::size_t(level)];
    dst.resize(std::size_t(dw) * std::size_t(dh));
    rows.resize(std::size_t(sw));
    for (int y = 0; y < dh; ++y) {
      const int y1 = std::min(y == dh - 1 ? sh - 1 : 2 * y + 1, sh - 1);
      const float* first_row = src.data() + std::size_t(2 * y) * std::size_t(sw);
      std::copy(first_row, first_row + sw, rows.begin());
      for (int sy = 2 * y + 1; sy <= y1; ++sy) {
        const float* row = src.data() + std::size_t(sy) * std::size_t(sw);
#if defined(__x86_64__)
        if (vector)
          maxRowsAvx512(rows.data(), row, rows.data(), sw);
        else
#endif
          maxRowsPlain(rows.data(), row, rows.data(), sw);
      }
      float* out = dst.data() + std::size_t(y) * std::size_t(dw);
      int done = 0;
#if defined(__x86_64__)
      if (vector) done = poolColumnPairsAvx512(rows.data(), out, dw);
#endif
      // The rest, the last column's leftover included, in plain loops (the pairs before it are whole).
      for (int x = done; x < dw; ++x) {
        const int x1 = std::min(x == dw - 1 ? sw - 1 : 2 * x + 1, sw - 1);
        float m = -1.0f;
        for (int sx = 2 * x; sx <= x1; ++sx) m = std::max(m, rows[std::size_t(sx)]);
        out[x] = m;
      }
    }
  }
}

}  // namespace attnviz
