#include "model/packed_weights.h"

#include <cblas.h>
#include <cpuid.h>
// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*, which -Wmaybe-uninitialized flags.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "model/safetensors.h"

namespace attnviz::model {

const char* weightFormatName(WeightFormat format) {
  switch (format) {
    case WeightFormat::F16: return "f16";
    case WeightFormat::BF16: return "bf16";
    default: return "f32";
  }
}

std::uint16_t floatToHalf(float x) {
  std::uint32_t bits;
  std::memcpy(&bits, &x, 4);
  const std::uint16_t sign = std::uint16_t((bits >> 16) & 0x8000u);
  const std::uint32_t a = bits & 0x7fffffffu;
  if (a > 0x7f800000u) return std::uint16_t(sign | 0x7e00u | ((a >> 13) & 0x3ffu));  // NaN, kept quiet
  if (a >= 0x477ff000u) return std::uint16_t(sign | 0x7c00u);                       // >= 65520 (and Inf): Inf
  // Rounds q + rem / 2^shift to an integer, ties to even.
  const auto round = [](std::uint32_t q, std::uint32_t rem, std::uint32_t halfway) {
    return q + std::uint32_t(rem > halfway || (rem == halfway && (q & 1u)));
  };
  if (a >= 0x38800000u) {  // a normal half: rebias the exponent (127 -> 15), round off 13 bits
    const std::uint32_t r = a - 0x38000000u;
    return std::uint16_t(sign | round(r >> 13, r & 0x1fffu, 0x1000u));
  }
  if (a < 0x33000000u) return sign;  // below 2^-25 (half the smallest subnormal): 0
  // A subnormal half counts units of 2^-24: the float's value is mant * 2^(e - 150).
  const std::uint32_t e = a >> 23, mant = (a & 0x7fffffu) | 0x800000u, shift = 126u - e;  // 14..24
  return std::uint16_t(sign | round(mant >> shift, mant & ((1u << shift) - 1u), 1u << (shift - 1u)));
}

bool packedKernelsSupported() {
  static const bool yes = [] {
    __builtin_cpu_init();
    unsigned a = 0, b = 0, c = 0, d = 0;
    const bool f16c = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C);
    // avx2 and fma as cpu_features.cpp checks them (CPUID and the OS's saving of the registers).
    return f16c && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }();
  return yes;
}

namespace {
WeightPolicy policyOfEnvironment() {
  const char* env = std::getenv("ATTNVIZ_WEIGHTS");
  const std::string v = env ? env : "";
  return v == "f32" ? WeightPolicy::Float32 : v == "f16" ? WeightPolicy::Round16 : WeightPolicy::Exact16;
}
std::atomic<int> policy_override{-1};
}  // namespace

WeightPolicy weightPolicy() {
  if (!packedKernelsSupported()) return WeightPolicy::Float32;
  static const WeightPolicy from_environment = policyOfEnvironment();
  const int o = policy_override.load();
  return o < 0 ? from_environment : WeightPolicy(o);
}

void setWeightPolicy(WeightPolicy policy) { policy_override.store(int(policy)); }

namespace {

template <bool kBf16>
__attribute__((target("avx2,fma,f16c"))) inline __m256 widen8(const std::uint16_t* p) {
  const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  if (kBf16) return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
  return _mm256_cvtph_ps(h);
}

template <bool kBf16>
inline float widen1(std::uint16_t v) {
  return kBf16 ? bfloat16ToFloat(v) : halfToFloat(v);
}

__attribute__((target("avx2,fma,f16c"))) inline float sum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

// R rows of `in` (1 or 2) against 4 weight rows at a time: each weight is read once per call.
template <bool kBf16, int R>
__attribute__((target("avx2,fma,f16c"))) void dotRows(const float* in, const std::uint16_t* w, int out_dim, int in_dim, int ldo,
                                                      float beta, float* out) {
  const int body = in_dim & ~7;
  const auto finish = [&](int r, int o, float dot) {
    float& y = out[std::size_t(r) * ldo + o];
    y = beta == 0.0f ? dot : beta * y + dot;  // beta 0: out may hold anything
  };
  int o = 0;
  for (; o + 4 <= out_dim; o += 4) {
    const std::uint16_t* w0 = w + std::size_t(o) * in_dim;
    __m256 acc[R][4];
    for (int r = 0; r < R; ++r)
      for (int k = 0; k < 4; ++k) acc[r][k] = _mm256_setzero_ps();
    for (int i = 0; i < body; i += 8) {
      __m256 wv[4];
      for (int k = 0; k < 4; ++k) wv[k] = widen8<kBf16>(w0 + std::size_t(k) * in_dim + i);
      for (int r = 0; r < R; ++r) {
        const __m256 xv = _mm256_loadu_ps(in + std::size_t(r) * in_dim + i);
        for (int k = 0; k < 4; ++k) acc[r][k] = _mm256_fmadd_ps(wv[k], xv, acc[r][k]);
      }
    }
    for (int r = 0; r < R; ++r)
      for (int k = 0; k < 4; ++k) {
        float dot = sum8(acc[r][k]);
        for (int i = body; i < in_dim; ++i) dot += widen1<kBf16>(w0[std::size_t(k) * in_dim + i]) * in[std::size_t(r) * in_dim + i];
        finish(r, o + k, dot);
      }
  }
  for (; o < out_dim; ++o)
    for (int r = 0; r < R; ++r) {
      const std::uint16_t* wr = w + std::size_t(o) * in_dim;
      __m256 acc = _mm256_setzero_ps();
      for (int i = 0; i < body; i += 8) acc = _mm256_fmadd_ps(widen8<kBf16>(wr + i), _mm256_loadu_ps(in + std::size_t(r) * in_dim + i), acc);
      float dot = sum8(acc);
      for (int i = body; i < in_dim; ++i) dot += widen1<kBf16>(wr[i]) * in[std::size_t(r) * in_dim + i];
      finish(r, o, dot);
    }
}

// The same 16 weights at a time (AVX-512F): half the instructions per weight.
template <bool kBf16>
__attribute__((target("avx512f,avx2,fma,f16c"))) inline __m512 widen16(const std::uint16_t* p) {
  const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  if (kBf16) return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  return _mm512_cvtph_ps(h);
}

template <bool kBf16, int R>
__attribute__((target("avx512f,avx2,fma,f16c"))) void dotRows512(const float* in, const std::uint16_t* w, int out_dim, int in_dim,
                                                                 int ldo, float beta, float* out) {
  const int body = in_dim & ~15;
  const auto finish = [&](int r, int o, float dot) {
    float& y = out[std::size_t(r) * ldo + o];
    y = beta == 0.0f ? dot : beta * y + dot;
  };
  int o = 0;
  for (; o + 4 <= out_dim; o += 4) {
    const std::uint16_t* w0 = w + std::size_t(o) * in_dim;
    __m512 acc[R][4];
    for (int r = 0; r < R; ++r)
      for (int k = 0; k < 4; ++k) acc[r][k] = _mm512_setzero_ps();
    for (int i = 0; i < body; i += 16) {
      __m512 wv[4];
      for (int k = 0; k < 4; ++k) wv[k] = widen16<kBf16>(w0 + std::size_t(k) * in_dim + i);
      for (int r = 0; r < R; ++r) {
        const __m512 xv = _mm512_loadu_ps(in + std::size_t(r) * in_dim + i);
        for (int k = 0; k < 4; ++k) acc[r][k] = _mm512_fmadd_ps(wv[k], xv, acc[r][k]);
      }
    }
    for (int r = 0; r < R; ++r)
      for (int k = 0; k < 4; ++k) {
        float dot = _mm512_reduce_add_ps(acc[r][k]);
        for (int i = body; i < in_dim; ++i) dot += widen1<kBf16>(w0[std::size_t(k) * in_dim + i]) * in[std::size_t(r) * in_dim + i];
        finish(r, o + k, dot);
      }
  }
  // The last rows (fewer than 4) as the AVX2 kernel does them.
  if (o < out_dim) dotRows<kBf16, R>(in, w + std::size_t(o) * in_dim, out_dim - o, in_dim, ldo, beta, out + o);
}

bool avx512Supported() {
  static const bool yes = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") != 0;
  }();
  return yes;
}

// One call of the few-row kernels, on the widest instructions the CPU has.
template <bool kBf16, int R>
void dotRowsBest(const float* in, const std::uint16_t* w, int out_dim, int in_dim, int ldo, float beta, float* out) {
  if (avx512Supported()) dotRows512<kBf16, R>(in, w, out_dim, in_dim, ldo, beta, out);
  else dotRows<kBf16, R>(in, w, out_dim, in_dim, ldo, beta, out);
}

template <bool kBf16>
__attribute__((target("avx2,fma,f16c"))) void widenAll(const std::uint16_t* src, std::size_t n, float* dst) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, widen8<kBf16>(src + i));
  for (; i < n; ++i) dst[i] = widen1<kBf16>(src[i]);
}

}  // namespace

void packedToFloat(const std::uint16_t* src, WeightFormat format, std::size_t n, float* dst) {
  const bool bf16 = format == WeightFormat::BF16;
  if (packedKernelsSupported()) {
    if (bf16) widenAll<true>(src, n, dst);
    else widenAll<false>(src, n, dst);
    return;
  }
  for (std::size_t i = 0; i < n; ++i) dst[i] = bf16 ? bfloat16ToFloat(src[i]) : halfToFloat(src[i]);
}

void packedProject(const float* in, int m, const std::uint16_t* w, WeightFormat format, int out_dim, int in_dim, float beta,
                   float* out) {
  const bool bf16 = format == WeightFormat::BF16;
  if (m <= kPackedFewRows) {
    // Output rows [o0, o1) of every input row: in pairs, then the last one alone.
    const auto part = [&](int o0, int o1) {
      const std::uint16_t* wp = w + std::size_t(o0) * in_dim;
      for (int r = 0; r < m; r += 2) {
        const float* x = in + std::size_t(r) * in_dim;
        // dotRows writes out[r][o] at r * out_dim + o: offset the start, keep the row stride.
        float* y = out + std::size_t(r) * out_dim + o0;
        const int width = o1 - o0;
        if (r + 2 <= m) {
          if (bf16) dotRowsBest<true, 2>(x, wp, width, in_dim, out_dim, beta, y);
          else dotRowsBest<false, 2>(x, wp, width, in_dim, out_dim, beta, y);
        } else {
          if (bf16) dotRowsBest<true, 1>(x, wp, width, in_dim, out_dim, beta, y);
          else dotRowsBest<false, 1>(x, wp, width, in_dim, out_dim, beta, y);
        }
      }
    };
    // A large matrix is split over the shared pool's workers: one core alone does not draw the
    // memory bandwidth that streaming the weights needs.
    ThreadPool& pool = sharedThreadPool();
    const std::size_t weights = std::size_t(out_dim) * std::size_t(in_dim);
    const int parts = weights >= (std::size_t(1) << 18) && pool.size() > 1 ? std::min(out_dim / 4, 2 * pool.size()) : 1;
    if (parts <= 1) {
      part(0, out_dim);
      return;
    }
    pool.run(parts, [&](int t, int) {
      const int per = (out_dim / parts + 3) / 4 * 4;  // multiples of 4 rows for the kernel
      const int o0 = std::min(out_dim, t * per), o1 = t + 1 == parts ? out_dim : std::min(out_dim, o0 + per);
      if (o1 > o0) part(o0, o1);
    });
    return;
  }
  // Panels of output rows of about 1 MiB in float32 (within L2), each widened once per product.
  const int panel = std::clamp((1 << 18) / std::max(in_dim, 1), 16, std::max(out_dim, 1));
  thread_local std::vector<float> scratch;
  scratch.resize(std::size_t(panel) * std::size_t(in_dim));
  for (int o0 = 0; o0 < out_dim; o0 += panel) {
    const int rows = std::min(panel, out_dim - o0);
    packedToFloat(w + std::size_t(o0) * in_dim, format, std::size_t(rows) * in_dim, scratch.data());
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, rows, in_dim, 1.0f, in, in_dim, scratch.data(), in_dim, beta, out + o0,
                out_dim);
  }
}

}  // namespace attnviz::model
