#include "core/roofline.h"

// See cpu_fast.cpp: GCC 12 bug 105593 (false -Wuninitialized inside AVX-512 intrinsics).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include "core/thread_pool.h"

namespace attnviz {

namespace {

// Independent FMA chains per thread: more than latency (4 cycles) x FMA ports (2), and few enough
// to stay in registers with the two constants (16 ymm for AVX2, 32 zmm for AVX-512).
constexpr int kChains = 16;
constexpr int kChainsAvx2 = 12;

// Each returns a value that depends on every FMA so that none can be removed.
float fmaLoopScalar(long iters) {
  float a[kChains];
  for (int c = 0; c < kChains; ++c) a[c] = 1.0f + 0.001f * float(c);
  const float m = 0.999999f, b = 1e-7f;
  for (long i = 0; i < iters; ++i)
    for (int c = 0; c < kChains; ++c) a[c] = a[c] * m + b;
  float s = 0;
  for (int c = 0; c < kChains; ++c) s += a[c];
  return s;
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) float fmaLoopAvx2(long iters) {
  __m256 a[kChainsAvx2];
  for (int c = 0; c < kChainsAvx2; ++c) a[c] = _mm256_set1_ps(1.0f + 0.001f * float(c));
  const __m256 m = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (long i = 0; i < iters; ++i) {
#pragma GCC unroll 16
    for (int c = 0; c < kChainsAvx2; ++c) a[c] = _mm256_fmadd_ps(a[c], m, b);
  }
  __m256 s = _mm256_setzero_ps();
  for (int c = 0; c < kChainsAvx2; ++c) s = _mm256_add_ps(s, a[c]);
  float out[8];
  _mm256_storeu_ps(out, s);
  return out[0] + out[7];
}

__attribute__((target("avx512f,avx2,fma"))) float fmaLoopAvx512(long iters) {
  __m512 a[kChains];
  for (int c = 0; c < kChains; ++c) a[c] = _mm512_set1_ps(1.0f + 0.001f * float(c));
  const __m512 m = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (long i = 0; i < iters; ++i) {
#pragma GCC unroll 16
    for (int c = 0; c < kChains; ++c) a[c] = _mm512_fmadd_ps(a[c], m, b);
  }
  __m512 s = _mm512_setzero_ps();
  for (int c = 0; c < kChains; ++c) s = _mm512_add_ps(s, a[c]);
  float out[16];
  _mm512_storeu_ps(out, s);
  return out[0] + out[15];
}

__attribute__((target("avx2"))) void fillAvx2(float* p, std::size_t n, float value, bool streaming) {
  const __m256 v = _mm256_set1_ps(value);
  std::size_t i = 0;
  for (; i < n && (reinterpret_cast<std::uintptr_t>(p + i) % 32) != 0; ++i) p[i] = value;
  if (streaming) {
    for (; i + 32 <= n; i += 32) {
      _mm256_stream_ps(p + i, v);
      _mm256_stream_ps(p + i + 8, v);
      _mm256_stream_ps(p + i + 16, v);
      _mm256_stream_ps(p + i + 24, v);
    }
    _mm_sfence();
  } else {
    for (; i + 32 <= n; i += 32) {
      _mm256_store_ps(p + i, v);
      _mm256_store_ps(p + i + 8, v);
      _mm256_store_ps(p + i + 16, v);
      _mm256_store_ps(p + i + 24, v);
    }
  }
  for (; i < n; ++i) p[i] = value;
}

__attribute__((target("avx512f"))) void fillAvx512(float* p, std::size_t n, float value, bool streaming) {
  const __m512 v = _mm512_set1_ps(value);
  std::size_t i = 0;
  for (; i < n && (reinterpret_cast<std::uintptr_t>(p + i) % 64) != 0; ++i) p[i] = value;
  if (streaming) {
    for (; i + 64 <= n; i += 64) {
      _mm512_stream_ps(p + i, v);
      _mm512_stream_ps(p + i + 16, v);
      _mm512_stream_ps(p + i + 32, v);
      _mm512_stream_ps(p + i + 48, v);
    }
    _mm_sfence();
  } else {
    for (; i + 64 <= n; i += 64) {
      _mm512_store_ps(p + i, v);
      _mm512_store_ps(p + i + 16, v);
      _mm512_store_ps(p + i + 32, v);
      _mm512_store_ps(p + i + 48, v);
    }
  }
  for (; i < n; ++i) p[i] = value;
}
#endif

// FMAs per loop iteration (lanes x chains).
int fmasPerIteration(SimdPath path) {
  switch (path) {
    case SimdPath::Avx512: return 16 * kChains;
    case SimdPath::Avx2: return 8 * kChainsAvx2;
    case SimdPath::Scalar: break;
  }
  return kChains;
}

float fmaLoop(SimdPath path, long iters) {
#if defined(__x86_64__)
  if (path == SimdPath::Avx512) return fmaLoopAvx512(iters);
  if (path == SimdPath::Avx2) return fmaLoopAvx2(iters);
#endif
  (void)path;
  return fmaLoopScalar(iters);
}

void fill(SimdPath path, float* p, std::size_t n, float value, bool streaming) {
#if defined(__x86_64__)
  if (path == SimdPath::Avx512) return fillAvx512(p, n, value, streaming);
  if (path == SimdPath::Avx2) return fillAvx2(p, n, value, streaming);
#endif
  (void)path;
  (void)streaming;
  std::fill(p, p + n, value);
}

double secondsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

std::atomic<float> g_sink{0.0f};

}  // namespace

double measurePeakFmaGflops(SimdPath path, double seconds, int max_threads) {
  if (!simdPathSupported(path)) return 0.0;
  ThreadPool& pool = sharedThreadPool();
  const int workers = max_threads > 0 ? std::min(max_threads, pool.size()) : pool.size();
  // Calibrate the iteration count on one thread, then run it on all.
  long iters = 1 << 14;
  for (;;) {
    const auto t = std::chrono::steady_clock::now();
    g_sink.store(fmaLoop(path, iters), std::memory_order_relaxed);
    const double s = secondsSince(t);
    if (s > seconds / 4 || iters > (1L << 40)) {
      iters = std::max(1L, long(double(iters) * seconds / std::max(s, 1e-9)));
      break;
    }
    iters *= 4;
  }
  double best = 0.0;
  for (int rep = 0; rep < 3; ++rep) {
    const auto t = std::chrono::steady_clock::now();
    pool.run(workers, [&](int, int) { g_sink.store(fmaLoop(path, iters), std::memory_order_relaxed); }, workers);
    const double s = secondsSince(t);
    const double flops = 2.0 * fmasPerIteration(path) * double(iters) * workers;
    best = std::max(best, flops / s / 1e9);
  }
  return best;
}

double measureWriteBandwidthGBps(std::size_t bytes, SimdPath path, bool streaming, int reps, int max_threads) {
  if (bytes < 4096) bytes = 4096;
  if (!simdPathSupported(path)) path = SimdPath::Scalar;
  ThreadPool& pool = sharedThreadPool();
  const int workers = max_threads > 0 ? std::min(max_threads, pool.size()) : pool.size();
  const std::size_t n = bytes / sizeof(float);
  const std::size_t alloc = ((n * sizeof(float) + 63) / 64) * 64;
  float* buffer = static_cast<float*>(std::aligned_alloc(64, alloc));
  if (!buffer) throw std::bad_alloc();
  // Each worker writes one contiguous share; chunks of 64 floats keep the shares cache-line aligned.
  const std::size_t chunk = ((n / std::size_t(workers) + 63) / 64) * 64;
  const int repeat = int(std::min<std::size_t>(100000, std::max<std::size_t>(1, (std::size_t(64) << 20) / (n * sizeof(float)))));
  auto fillAll = [&](float value, SimdPath with, int times) {
    pool.run(workers, [&](int t, int) {
      const std::size_t begin = std::min(n, std::size_t(t) * chunk), end = std::min(n, begin + chunk);
      for (int r = 0; r < times; ++r) fill(with, buffer + begin, end - begin, value + float(r), streaming);
    }, workers);
  };
  fillAll(0.0f, SimdPath::Scalar, 1);  // fault the pages in (not timed)
  double best = 0.0;
  for (int rep = 0; rep < std::max(1, reps); ++rep) {
    const auto t = std::chrono::steady_clock::now();
    fillAll(float(rep + 1), path, repeat);
    best = std::max(best, double(n * sizeof(float)) * repeat / secondsSince(t) / 1e9);
  }
  std::free(buffer);
  return best;
}

double rooflineMs(double flops, double bytes, double peak_gflops, double write_gbps) {
  if (peak_gflops <= 0 || write_gbps <= 0) return 0.0;
  return std::max(flops / (peak_gflops * 1e9), bytes / (write_gbps * 1e9)) * 1e3;
}

}  // namespace attnviz
