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
#include <thread>
#include <vector>

#if defined(__linux__)
#include <pthread.h>
#include <sched.h>
#endif
#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include "core/thread_pool.h"

namespace attnviz {

namespace {

// Independent FMA chains per thread: at least latency (4 cycles) x FMA ports (2) and enough more to
// hide the loop's own instructions, while staying in registers beside the two constants (32 zmm for
// AVX-512, 16 ymm for AVX2, 16 xmm for scalar).
constexpr int kChainsAvx512 = 24;
constexpr int kChainsAvx2 = 12;
constexpr int kChainsScalar = 12;

// Each returns a value that depends on every FMA so that none can be removed.
float fmaLoopScalar(long iters) {
  float a[kChainsScalar];
  for (int c = 0; c < kChainsScalar; ++c) a[c] = 1.0f + 0.001f * float(c);
  const float m = 0.999999f, b = 1e-7f;
  for (long i = 0; i < iters; ++i)
    for (int c = 0; c < kChainsScalar; ++c) {
      a[c] = a[c] * m + b;
#if defined(__x86_64__)
      asm volatile("" : "+x"(a[c]));  // one scalar chain per register: no vectorising across chains
#endif
    }
  float s = 0;
  for (int c = 0; c < kChainsScalar; ++c) s += a[c];
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
  __m512 a[kChainsAvx512];
  for (int c = 0; c < kChainsAvx512; ++c) a[c] = _mm512_set1_ps(1.0f + 0.001f * float(c));
  const __m512 m = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (long i = 0; i < iters; ++i) {
#pragma GCC unroll 32
    for (int c = 0; c < kChainsAvx512; ++c) a[c] = _mm512_fmadd_ps(a[c], m, b);
  }
  __m512 s = _mm512_setzero_ps();
  for (int c = 0; c < kChainsAvx512; ++c) s = _mm512_add_ps(s, a[c]);
  float out[16];
  _mm512_storeu_ps(out, s);
  return out[0] + out[15];
}

// 200 dependent register-to-register adds per iteration: one cycle each on every x86 core, so
// cycles = 200 * iters (the loop's own counter runs beside them on another port). Not `add $1`:
// Golden Cove and later fold chains of immediate adds at rename, several per cycle.
long addChain(long iters) {
  long x = 0, one = 1;
  for (long i = 0; i < iters; ++i) asm volatile(".rept 200\n\taddq %1, %0\n\t.endr" : "+r"(x) : "r"(one));
  return x;
}
constexpr int kAddsPerIteration = 200;

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

// The AMX path's roofs are those of its AVX-512 instructions (the fp32 FMA roof: the work counted is
// fp32 multiply-adds whatever unit does them).
SimdPath vectorPathOf(SimdPath path) { return path == SimdPath::Amx ? SimdPath::Avx512 : path; }

int lanesOf(SimdPath path) {
  path = vectorPathOf(path);
  return path == SimdPath::Avx512 ? 16 : path == SimdPath::Avx2 ? 8 : 1;
}

// FMAs per loop iteration (lanes x chains).
int fmasPerIteration(SimdPath path) {
  switch (vectorPathOf(path)) {
    case SimdPath::Avx512: return 16 * kChainsAvx512;
    case SimdPath::Avx2: return 8 * kChainsAvx2;
    case SimdPath::Amx:
    case SimdPath::Scalar: break;
  }
  return kChainsScalar;
}

float fmaLoop(SimdPath path, long iters) {
  path = vectorPathOf(path);
#if defined(__x86_64__)
  if (path == SimdPath::Avx512) return fmaLoopAvx512(iters);
  if (path == SimdPath::Avx2) return fmaLoopAvx2(iters);
#endif
  (void)path;
  return fmaLoopScalar(iters);
}

void fill(SimdPath path, float* p, std::size_t n, float value, bool streaming) {
  path = vectorPathOf(path);
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
std::atomic<long> g_isink{0};

// The CPUs this process may run on, in order.
std::vector<int> allowedCpus() {
  std::vector<int> cpus;
#if defined(__linux__)
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0)
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &set)) cpus.push_back(c);
#endif
  return cpus;
}

// Runs body(worker) once on each of `workers` pool workers at the same time: each pins itself to
// cpus[worker] (when there are enough), waits at a barrier until all have arrived, runs, and gets
// its old affinity back. One task per worker is guaranteed by the barrier: a worker cannot take a
// second task before every task has been taken. Returns whether every worker was pinned.
template <class Body>
bool runPinnedTogether(int workers, const std::vector<int>& cpus, Body&& body) {
  std::atomic<int> arrived{0}, pinned{0};
  sharedThreadPool().run(workers, [&](int, int worker) {
#if defined(__linux__)
    cpu_set_t old_set;
    CPU_ZERO(&old_set);
    const bool have_old = pthread_getaffinity_np(pthread_self(), sizeof old_set, &old_set) == 0;
    bool pin = false;
    if (have_old && std::size_t(workers) <= cpus.size()) {
      cpu_set_t one;
      CPU_ZERO(&one);
      CPU_SET(cpus[std::size_t(worker)], &one);
      pin = pthread_setaffinity_np(pthread_self(), sizeof one, &one) == 0;
    }
    if (pin) pinned.fetch_add(1);
#endif
    arrived.fetch_add(1);
    while (arrived.load() < workers) std::this_thread::yield();
    body(worker);
#if defined(__linux__)
    if (pin) pthread_setaffinity_np(pthread_self(), sizeof old_set, &old_set);
#endif
  }, workers);
  return pinned.load() == workers;
}

}  // namespace

int fmaPortsPerCore(SimdPath path) {
#if defined(__x86_64__)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (path != SimdPath::Scalar && __get_cpuid(0, &eax, &ebx, &ecx, &edx) && ebx == 0x68747541 /* "Auth"enticAMD */) {
    __get_cpuid(1, &eax, &ebx, &ecx, &edx);
    const unsigned family = ((eax >> 8) & 0xf) + ((eax >> 20) & 0xff);
    if (family <= 0x19 && vectorPathOf(path) == SimdPath::Avx512) return 1;  // Zen 4: 512-bit FMAs on two 256-bit pipes
  }
#endif
  (void)path;
  return 2;
}

FmaRoof measureFmaRoof(SimdPath path, double seconds, int reps, int max_threads) {
  FmaRoof roof;
  if (!simdPathSupported(path)) return roof;
  ThreadPool& pool = sharedThreadPool();
  const std::vector<int> cpus = allowedCpus();
  // One worker per CPU at most: workers sharing a core (ATTNVIZ_THREADS above the CPU count) would
  // each find slices with the core to themselves, and their sum would overstate the roof.
  int workers = max_threads > 0 ? std::min(max_threads, pool.size()) : pool.size();
  if (!cpus.empty()) workers = std::min<int>(workers, int(cpus.size()));
  roof.cores = workers;
  roof.lanes = lanesOf(path);
  roof.fma_ports = fmaPortsPerCore(path);
  // Calibrate the iteration counts on this thread, then run them on all.
  auto calibrate = [seconds](auto&& loop) {
    long iters = 1 << 10;
    for (;;) {
      const auto t = std::chrono::steady_clock::now();
      loop(iters);
      const double s = secondsSince(t);
      if (s > seconds / 8 || iters > (1L << 40)) return std::max(1L, long(double(iters) * seconds / std::max(s, 1e-9)));
      iters *= 4;
    }
  };
  const long iters = calibrate([path](long i) { g_sink.store(fmaLoop(path, i), std::memory_order_relaxed); });
#if defined(__x86_64__)
  const long add_iters = calibrate([](long i) { g_isink.store(addChain(i), std::memory_order_relaxed); }) / 32;
#endif
  // Both figures are the best of short slices, an add-chain slice after every FMA slice (so both
  // sample the same clock): time taken from the probe by other processes only lowers a slice's
  // figure, and a short slice is more likely to run undisturbed on a shared machine.
  constexpr int kSlices = 32;  // FMA slices per run, each followed by an add-chain slice as long
  std::vector<double> fma_s(std::size_t(workers), 0.0), ghz_best(std::size_t(workers), 0.0);
  bool all_pinned = true;
  for (int rep = 0; rep < std::max(1, reps); ++rep) {
    all_pinned = runPinnedTogether(workers, cpus, [&](int w) {
#if defined(__x86_64__)
      auto slice = [&] {
        const auto t = std::chrono::steady_clock::now();
        g_isink.store(addChain(add_iters), std::memory_order_relaxed);
        const double ghz = double(kAddsPerIteration) * double(add_iters) / std::max(secondsSince(t), 1e-9) / 1e9;
        ghz_best[std::size_t(w)] = std::max(ghz_best[std::size_t(w)], ghz);
      };
#endif
      for (int i = 0; i < kSlices; ++i) {
        const auto t = std::chrono::steady_clock::now();
        g_sink.store(fmaLoop(path, iters / kSlices), std::memory_order_relaxed);
        const double s = secondsSince(t);
        if (fma_s[std::size_t(w)] == 0 || s < fma_s[std::size_t(w)]) fma_s[std::size_t(w)] = s;
#if defined(__x86_64__)
        slice();
#endif
      }
    }) && all_pinned;
  }
  // The workers ran their FMA slices at the same time; each one's fastest slice is its rate with
  // every core busy, and the roof is the sum of those rates.
  for (int w = 0; w < workers; ++w)
    roof.measured_gflops += 2.0 * fmasPerIteration(path) * double(iters / kSlices) / std::max(fma_s[std::size_t(w)], 1e-9) / 1e9;
  // The fastest core's best slice: the theoretical figure is then an upper bound even when one
  // core's slices were all disturbed.
  roof.frequency_ghz = *std::max_element(ghz_best.begin(), ghz_best.end());
  roof.pinned = all_pinned;
  roof.theoretical_gflops = double(roof.cores) * roof.fma_ports * roof.lanes * 2.0 * roof.frequency_ghz;
  return roof;
}

double measurePeakFmaGflops(SimdPath path, double seconds, int max_threads) {
  return measureFmaRoof(path, seconds, 5, max_threads).measured_gflops;
}

double measureWriteBandwidthGBps(std::size_t bytes, SimdPath path, bool streaming, int reps, int max_threads) {
  if (bytes < 4096) bytes = 4096;
  if (!simdPathSupported(path)) path = SimdPath::Scalar;
  ThreadPool& pool = sharedThreadPool();
  const int workers = max_threads > 0 ? std::min(max_threads, pool.size()) : pool.size();
  const std::vector<int> cpus = allowedCpus();
  const std::size_t n = bytes / sizeof(float);
  const std::size_t alloc = ((n * sizeof(float) + 63) / 64) * 64;
  float* buffer = static_cast<float*>(std::aligned_alloc(64, alloc));
  if (!buffer) throw std::bad_alloc();
  // Each worker writes one contiguous share; chunks of 64 floats keep the shares cache-line aligned.
  const std::size_t chunk = ((n / std::size_t(workers) + 63) / 64) * 64;
  const int repeat = int(std::min<std::size_t>(100000, std::max<std::size_t>(1, (std::size_t(64) << 20) / (n * sizeof(float)))));
  std::vector<double> seconds(std::size_t(workers), 0.0);
  auto fillAll = [&](float value, SimdPath with, int times) {
    runPinnedTogether(workers, cpus, [&](int w) {
      const std::size_t begin = std::min(n, std::size_t(w) * chunk), end = std::min(n, begin + chunk);
      const auto t = std::chrono::steady_clock::now();
      for (int r = 0; r < times; ++r) fill(with, buffer + begin, end - begin, value + float(r), streaming);
      seconds[std::size_t(w)] = secondsSince(t);
    });
  };
  fillAll(0.0f, SimdPath::Scalar, 1);  // fault the pages in (not timed)
  double best = 0.0;
  for (int rep = 0; rep < std::max(1, reps); ++rep) {
    fillAll(float(rep + 1), path, repeat);
    // All shares are written at once: the bytes over the slowest worker's time.
    const double slowest = *std::max_element(seconds.begin(), seconds.end());
    best = std::max(best, double(n * sizeof(float)) * repeat / std::max(slowest, 1e-9) / 1e9);
  }
  std::free(buffer);
  return best;
}

double rooflineMs(double flops, double bytes, double peak_gflops, double write_gbps) {
  if (peak_gflops <= 0 || write_gbps <= 0) return 0.0;
  return std::max(flops / (peak_gflops * 1e9), bytes / (write_gbps * 1e9)) * 1e3;
}

}  // namespace attnviz
