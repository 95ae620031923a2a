// cpu-fast. Why it is shaped this way (figures for a 2-core Zen 4, H = 4, d = 64, n = 4096):
//  * The work is Q·Kᵀ (2·h·n²·d = 8.6 GFLOP) plus writing P (4·h·n² = 268 MB). The GEMM is the
//    larger part, so the micro-kernel keeps an MR x NR tile of scores in registers (12 x 32 on
//    AVX-512: 24 accumulators) and per step of d does NR/W vector loads of packed keys and MR
//    broadcasts of Q: 24 FMAs per 14 loads, enough to keep the FMA pipes busy.
//  * K is packed once per call ([panel][d][NR], transposed) so the key loads are contiguous; Q is
//    read straight from a small per-task tile that also carries the scale (1/sqrt(d)/T·log2 e).
//  * A task is up to 4 micro-tiles (48 rows on AVX-512) that use each key panel while it is in L1:
//    with one tile per task K (1 MiB per head at n = 4096) was re-read from memory for every 12 rows
//    (1.4 GB per call) and the GEMM ran at half speed; 4 tiles cut that to a quarter. The task's
//    scores (<= 60% of L2) stay in L2 between the GEMM and the softmax, which reads them twice
//    (exp2 + sum; normalise, during the next row's exp2: the maxima come from the GEMM) and writes
//    each output row once, with non-temporal stores for outputs larger than the L3, so P costs one
//    write of its bytes to memory and no read-for-ownership.
//  * Tasks are (head, row block) so both heads and rows spread over the workers; the pool hands
//    them out one at a time (causal blocks differ in cost).
//  * Measured (2-core Zen 4 VM, n = 4096): GEMM alone ~40 ms (peak 36.6 ms), softmax + writing P
//    alone ~13.5 ms (writing 268 MB at 27 GB/s is 10 ms), together ~52 ms: the writes do not yet
//    overlap the FMAs of the same core (rounds 3 and 4 below tried to make them).
//  * Nothing is allocated per call once the packed-K and scratch buffers have grown to the largest
//    problem seen; with computeFastInto the output is reused too.
// Round 3 (2-core Xeon with AVX-512 + AMX, 3.8 GHz, n = 4096; runs at real-time priority because
// the machine was shared): the corrected FMA roof is ~450-490 GFLOP/s (19-20 ms for Q·Kᵀ), the
// streaming-write roof ~35-44 GB/s (6-8 ms for P). AVX-512: ~46-58 ms in all, of which the GEMM
// alone ~30 ms: the 12x32 micro-kernel runs at ~65-70% of the FMA peak even with everything in L1
// (other shapes 6x64, 8x48, 14x32 and pre-broadcast Q were no better).
// Round 4 (same machine, 4.1 GHz, quiet): the row maxima are folded in by the GEMM (AMX: a
// micro-tile's while the next one's products run), each row's output is written during the next
// row's exp2, exp2 is 10 instructions, and scratch rows are an odd number of cache lines apart (a
// 4 KiB multiple put a tile's 16 rows in one L1 set). AMX 26 -> 20-21 ms (GEMM ~10 of it, writing P
// ~5.5 that nothing hides), AVX-512 41 -> 34-37 ms. Streaming stores hold the line fill buffers, so
// whatever waits for a cache miss while they drain stalls with them; measured worse, hence not
// kept: P written during the next task's GEMM (a slice per key panel or per micro-tile, by column
// or row by row from a second scratch block: 24-30 ms), a two-pass AMX task without a scores block
// writing P from registers (34 ms), reading each row whole before the fused exp2/write loop, 2 MiB
// pages for the scratch, more rows per task.
#include "core/cpu_fast.h"

// GCC 12 reports its own AVX-512 intrinsics' "__Y = __Y" idiom as uninitialised once they are
// inlined (GCC bug 105593, fixed in 12.3/13); the diagnostic is attributed to the header's lines.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include <unistd.h>

#include "core/thread_pool.h"

namespace attnviz {

namespace {

constexpr int kAmxMaxDim = 1024;  // the AMX path's stack rows; larger d (or d % 32 != 0) uses AVX-512

struct WorkerScratch {
  float* q_tile = nullptr;  // [MR][d]
  float* scores = nullptr;   // [rows per task][ld]
  float* row_max = nullptr;  // [rows per task][W]: lane maxima folded in by the GEMM
};

struct FastContext;
using RedoRowFn = void (*)(const FastContext&, int h, int i, int worker);

struct FastContext {
  const AttentionProblem* problem = nullptr;
  int heads = 0, nq = 0, nk = 0, d = 0;
  MaskKind mask = MaskKind::None;
  const std::uint8_t* custom = nullptr;
  const float* q = nullptr;
  const float* k = nullptr;
  float qscale = 1.0f;  // scoreScale() * log2(e)
  const float* bias = nullptr;  // score_bias or null
  float bias_scale = 1.0f;      // log2(e) / T
  float* kpack = nullptr;
  int panels = 0;      // key panels per head
  std::size_t ld = 0;  // scratch row stride = panels * NR
  int tiles = 1;       // micro-tiles of MR rows per task
  int blocks = 0;      // tasks (row blocks of tiles * MR rows) per head
  float* out = nullptr;
  std::uint8_t* flags = nullptr;
  bool streaming = false;
  const WorkerScratch* scratch = nullptr;
  RedoRowFn redo_row = nullptr;
};

// Grow-only, 64-byte aligned float storage.
class AlignedFloats {
 public:
  AlignedFloats() = default;
  AlignedFloats(const AlignedFloats&) = delete;
  AlignedFloats& operator=(const AlignedFloats&) = delete;
  ~AlignedFloats() { std::free(data_); }
  float* reserve(std::size_t n) {
    if (n > capacity_) {
      std::free(data_);
      data_ = nullptr;
      capacity_ = 0;
      const std::size_t bytes = ((n * sizeof(float) + 63) / 64) * 64;
      data_ = static_cast<float*>(std::aligned_alloc(64, bytes));
      if (!data_) throw std::bad_alloc();
      capacity_ = n;
    }
    return data_;
  }

 private:
  float* data_ = nullptr;
  std::size_t capacity_ = 0;
};

// Buffers kept between calls (guarded by mutex).
struct EngineState {
  std::mutex mutex;
  AlignedFloats kpack;
  std::vector<AlignedFloats> worker_buffers;
  std::vector<WorkerScratch> scratch;
  std::vector<std::vector<double>> redo_scores;  // per worker, for the exact path
};

// Per-core L2 size from the C library (sysconf), 1 MiB when it does not say.
std::size_t l2CacheBytes() {
  static const std::size_t bytes = [] {
    const long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
    return l2 >= (64L << 10) && l2 <= (64L << 20) ? std::size_t(l2) : std::size_t(1) << 20;
  }();
  return bytes;
}

EngineState& engineState() {
  static EngineState state;
  return state;
}

}  // namespace

// ---- scalar kernels --------------------------------------------------------------------------
namespace kernel_scalar {
struct S {
  using V = float;
  static constexpr int W = 1, MR = 4, NV = 4;
  static V zero() { return 0.0f; }
  static V set1(float x) { return x; }
  static V load(const float* p) { return *p; }
  static void store(float* p, V v) { *p = v; }
  static V loadPartial(const float*, int, float fill) { return fill; }  // W = 1: never a partial vector
  static void storePartial(float*, V, int) {}
  static void stream(float* p, V v) { *p = v; }
  static void fence() {}
  static V fmadd(V a, V b, V c) { return a * b + c; }
  static V add(V a, V b) { return a + b; }
  static V sub(V a, V b) { return a - b; }
  static V mul(V a, V b) { return a * b; }
  static V max(V a, V b) { return a > b ? a : b; }
  static float hmax(V v) { return v; }
  static float hsum(V v) { return v; }
  static V maskInvisible(V x, const std::uint8_t* m) { return *m ? x : -std::numeric_limits<float>::infinity(); }
  static V exp2(V x) {
    if (x != x) return x;
    if (x < -126.0f) return 0.0f;
    return std::exp2(x);
  }
};
#include "core/cpu_fast_kernel.h"
}  // namespace kernel_scalar

// ---- AVX2 + FMA kernels ------------------------------------------------------------------------
#if defined(__x86_64__)
#pragma GCC push_options
#pragma GCC target("avx2,fma")
namespace kernel_avx2 {
struct S {
  using V = __m256;
  static constexpr int W = 8, MR = 6, NV = 2;  // 12 accumulators + 2 keys + 1 broadcast <= 16 ymm
  static V zero() { return _mm256_setzero_ps(); }
  static V set1(float x) { return _mm256_set1_ps(x); }
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
  static __m256i laneMask(int n) { return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)); }
  static V loadPartial(const float* p, int n, float fill) {
    const __m256i m = laneMask(n);
    return _mm256_blendv_ps(_mm256_set1_ps(fill), _mm256_maskload_ps(p, m), _mm256_castsi256_ps(m));
  }
  static void storePartial(float* p, V v, int n) { _mm256_maskstore_ps(p, laneMask(n), v); }
  static void stream(float* p, V v) { _mm256_stream_ps(p, v); }
  static void fence() { _mm_sfence(); }
  static V fmadd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static V sub(V a, V b) { return _mm256_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static V max(V a, V b) { return _mm256_max_ps(a, b); }
  static float hmax(V v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
    return _mm_cvtss_f32(m);
  }
  static float hsum(V v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
  }
  static V maskInvisible(V x, const std::uint8_t* m) {
    std::uint64_t bytes;
    std::memcpy(&bytes, m, sizeof bytes);
    const __m256i w = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(static_cast<long long>(bytes)));
    const __m256i hidden = _mm256_cmpeq_epi32(w, _mm256_setzero_si256());
    return _mm256_blendv_ps(x, _mm256_set1_ps(-std::numeric_limits<float>::infinity()), _mm256_castsi256_ps(hidden));
  }
  // 2^x for x <= 0: x = n + f, f in [-1/2, 1/2]; 2^f by its degree-7 Taylor polynomial
  // (truncation < 6e-9 relative), 2^n built in the exponent bits. max(-127, x) keeps NaN (MAXPS
  // returns its second operand when either is NaN); x < -126 gives exactly 0.
  static V exp2(V x) {
    const V xc = _mm256_max_ps(_mm256_set1_ps(-127.0f), x);
    const V n = _mm256_round_ps(xc, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const V f = _mm256_sub_ps(xc, n);
    V p = _mm256_set1_ps(1.525273380405984e-05f);
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.540353039338161e-04f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.333355814642844e-03f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(9.618129107628477e-03f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(5.550410866482158e-02f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(2.402265069591007e-01f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(6.931471805599453e-01f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.0f));
    const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    const V r = _mm256_mul_ps(p, _mm256_castsi256_ps(e));
    const V tiny = _mm256_cmp_ps(x, _mm256_set1_ps(-126.0f), _CMP_LT_OQ);
    return _mm256_andnot_ps(tiny, r);
  }
};
#include "core/cpu_fast_kernel.h"
}  // namespace kernel_avx2
#pragma GCC pop_options

// ---- AVX-512F kernels --------------------------------------------------------------------------
#pragma GCC push_options
#pragma GCC target("avx512f,avx2,fma")
namespace kernel_avx512 {
struct S {
  using V = __m512;
  static constexpr int W = 16, MR = 12, NV = 2;  // 24 accumulators + 2 keys of 32 zmm
  static V zero() { return _mm512_setzero_ps(); }
  static V set1(float x) { return _mm512_set1_ps(x); }
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
  static __mmask16 laneMask(int n) { return __mmask16((1u << n) - 1u); }
  static V loadPartial(const float* p, int n, float fill) { return _mm512_mask_loadu_ps(_mm512_set1_ps(fill), laneMask(n), p); }
  static void storePartial(float* p, V v, int n) { _mm512_mask_storeu_ps(p, laneMask(n), v); }
  static void stream(float* p, V v) { _mm512_stream_ps(p, v); }
  static void fence() { _mm_sfence(); }
  static V fmadd(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static V sub(V a, V b) { return _mm512_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V max(V a, V b) { return _mm512_max_ps(a, b); }
  static float hmax(V v) { return _mm512_reduce_max_ps(v); }
  static float hsum(V v) { return _mm512_reduce_add_ps(v); }
  static V maskInvisible(V x, const std::uint8_t* m) {
    const __m512i w = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(m)));
    const __mmask16 visible = _mm512_test_epi32_mask(w, w);
    return _mm512_mask_mov_ps(_mm512_set1_ps(-std::numeric_limits<float>::infinity()), visible, x);
  }
  // 2^x for x <= 0: x = n + f, n = round(x), f in [-1/2, 1/2]; 2^f by a degree-6 polynomial fitted
  // for relative error (1.3 u evaluated in float, against 1e-9 truncation), 2^n by VSCALEFPS. Ten
  // vector instructions: the softmax spends most of its arithmetic here. x < -126 (and -inf) give
  // exactly 0 through the zeroing mask; NaN passes the mask (unordered compare) and stays NaN.
  static V exp2(V x) {
    const V n = _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const V f = _mm512_sub_ps(x, n);
    V p = _mm512_set1_ps(1.5353362e-04f);
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.3398875e-03f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(9.6184369e-03f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(5.5503324e-02f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(2.4022648e-01f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(6.9314718e-01f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f));
    const __mmask16 in_range = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-126.0f), _CMP_NLT_UQ);
    return _mm512_maskz_scalef_ps(in_range, p, n);
  }
};
#include "core/cpu_fast_kernel.h"
}  // namespace kernel_avx512
#pragma GCC pop_options

// ---- AMX-BF16 Q·Kᵀ (split into three bf16 products), AVX-512 softmax --------------------------
// Each float x is split as hi = bf16(x), lo = bf16(x - hi) (x - hi is exact in float), so
// x = hi + lo to a relative 2^-17; q·k ~ hi·hi + hi·lo + lo·hi (the dropped lo·lo is 2^-18 of
// each product), every product exact in the tile unit and accumulated in float. The tiles are
// 16 query rows x 32 dims (A) and 16 pairs of dims x 16 keys (B, pairs interleaved), giving 16 x 16
// float scores; a micro-tile is 16 rows x 32 keys (two C tiles), d a multiple of 32.
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512bf16,avx2,fma,amx-tile,amx-bf16")
namespace kernel_amx {
struct S : kernel_avx512::S {
  static constexpr int MR = 16, NV = 2;
};

constexpr int kTileRows = 16;  // rows of every tile; each row is 64 bytes

struct alignas(64) TileConfig {
  std::uint8_t palette = 1, start_row = 0, reserved[14] = {};
  std::uint16_t colsb[16] = {};
  std::uint8_t rows[16] = {};
};

// Tiles 0-1: C (scores of keys 0-15, 16-31); 2-3: A (Q hi, lo); 4-7: B (keys 0-15 hi, lo; 16-31 hi, lo).
const TileConfig& tileConfig() {
  static const TileConfig config = [] {
    TileConfig t;
    for (int i = 0; i < 8; ++i) {
      t.colsb[i] = 64;
      t.rows[i] = kTileRows;
    }
    return t;
  }();
  return config;
}

// hi/lo bf16 halves of 16 floats.
inline void split16(const float* x, std::uint16_t* hi, std::uint16_t* lo) {
  const __m512 v = _mm512_loadu_ps(x);
  const __m256i h = reinterpret_cast<__m256i>(_mm512_cvtneps_pbh(v));
  const __m512 hf = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  const __m256i l = reinterpret_cast<__m256i>(_mm512_cvtneps_pbh(_mm512_sub_ps(v, hf)));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(hi), h);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(lo), l);
}

// Rows of the float Q tile become, in place, hi[d] then lo[d] (bf16): the same bytes per row.
inline void prepareQTile(float* qt, int rows, int d) {
  float row[kAmxMaxDim];
  for (int r = 0; r < rows; ++r) {
    float* q = qt + std::size_t(r) * d;
    std::memcpy(row, q, sizeof(float) * std::size_t(d));
    auto* hi = reinterpret_cast<std::uint16_t*>(q);
    for (int c0 = 0; c0 < d; c0 += 16) split16(row + c0, hi + c0, hi + d + c0);
  }
}

// The row maxima of a micro-tile's scores are folded in while the next micro-tile's products run:
// read right after the tile store, they would wait for it.
struct GemmState {
  const float* scores = nullptr;  // the last micro-tile's, 16 rows x 32, row stride ld
  std::size_t ld = 0;
  float* rowmax = nullptr;  // its [16][16] lane maxima; null: nothing to fold
};

inline void foldDeferredMax(GemmState& g) {
  if (!g.rowmax) return;
  for (int r = 0; r < kTileRows; ++r) {
    const float* row = g.scores + std::size_t(r) * g.ld;
    const __m512 m = _mm512_max_ps(_mm512_loadu_ps(row), _mm512_loadu_ps(row + 16));
    _mm512_storeu_ps(g.rowmax + r * 16, _mm512_max_ps(_mm512_loadu_ps(g.rowmax + r * 16), m));
  }
  g.rowmax = nullptr;
}

inline GemmState beginTileGemm() {
  _tile_loadconfig(&tileConfig());
  return {};
}
inline void endTileGemm(GemmState& g) {
  foldDeferredMax(g);
  _tile_release();
}

// Panel `panel` of head h, in the panel's d * 32 floats of kpack: the hi halves then the lo
// halves, each as [d / 32 steps][2 key blocks][16 pairs of dims][16 keys][2] bf16.
inline void packKeyPanel(const FastContext& c, int h, int panel) {
  constexpr int kNR = 32;
  const float* k = c.k + std::size_t(h) * c.nk * c.d;
  auto* hi = reinterpret_cast<std::uint16_t*>(c.kpack + (std::size_t(h) * c.panels + panel) * std::size_t(c.d) * kNR);
  std::uint16_t* lo = hi + std::size_t(c.d) * kNR;
  std::uint16_t key_hi[kAmxMaxDim], key_lo[kAmxMaxDim];
  for (int v = 0; v < kNR; ++v) {
    const int j = panel * kNR + v;
    if (j < c.nk) {
      for (int c0 = 0; c0 < c.d; c0 += 16) split16(k + std::size_t(j) * c.d + c0, key_hi + c0, key_lo + c0);
    } else {
      std::memset(key_hi, 0, sizeof(std::uint16_t) * std::size_t(c.d));
      std::memset(key_lo, 0, sizeof(std::uint16_t) * std::size_t(c.d));
    }
    const int block = v / 16, col = v % 16;
    for (int cc = 0; cc < c.d; ++cc) {
      const int step = cc / 32, pair = (cc % 32) / 2, half = cc % 2;
      const std::size_t at = ((std::size_t(step) * 2 + block) * 16 + pair) * 32 + std::size_t(col) * 2 + half;
      hi[at] = key_hi[cc];
      lo[at] = key_lo[cc];
    }
  }
}

// scores[r][0..32) for the 16 rows of the prepared Q tile qt against one packed panel.
inline void scoreTile(const float* qt, const float* panel, int d, float* out, std::size_t ld, float* rowmax, GemmState& g) {
  const auto* q = reinterpret_cast<const std::uint16_t*>(qt);
  const auto* hi = reinterpret_cast<const std::uint16_t*>(panel);
  const std::uint16_t* lo = hi + std::size_t(d) * 32;
  const std::size_t q_stride = std::size_t(d) * sizeof(float);  // bytes per Q row: hi[d] lo[d]
  _tile_zero(0);
  _tile_zero(1);
  for (int step = 0; step < d / 32; ++step) {
    _tile_loadd(2, q + step * 32, q_stride);
    _tile_loadd(3, q + d + step * 32, q_stride);
    const std::size_t b0 = std::size_t(step) * 2 * 512, b1 = b0 + 512;
    _tile_loadd(4, hi + b0, 64);
    _tile_loadd(5, lo + b0, 64);
    _tile_loadd(6, hi + b1, 64);
    _tile_loadd(7, lo + b1, 64);
    _tile_dpbf16ps(0, 3, 4);  // the small products first
    _tile_dpbf16ps(0, 2, 5);
    _tile_dpbf16ps(0, 2, 4);
    _tile_dpbf16ps(1, 3, 6);
    _tile_dpbf16ps(1, 2, 7);
    _tile_dpbf16ps(1, 2, 6);
  }
  foldDeferredMax(g);  // the previous micro-tile's, while these products run
  _tile_stored(0, out, ld * sizeof(float));
  _tile_stored(1, out + 16, ld * sizeof(float));
  if (rowmax) g = GemmState{out, ld, rowmax};
}

#define ATTNVIZ_KERNEL_OWN_TILE_GEMM
#include "core/cpu_fast_kernel.h"
#undef ATTNVIZ_KERNEL_OWN_TILE_GEMM
}  // namespace kernel_amx
#pragma GCC pop_options
#endif  // __x86_64__

namespace {

// The exact path for one row: the same arithmetic as computeReference (double scores and softmax),
// so such rows match it bit for bit. Used for rows with no visible key and rows whose float scores
// are not finite.
void redoRowExactly(const FastContext& c, int h, int i, int worker) {
  const AttentionProblem& p = *c.problem;
  float* out = c.out + (std::size_t(h) * c.nq + i) * c.nk;
  bool any_visible = false;
  for (int j = 0; j < c.nk && !any_visible; ++j) any_visible = p.visible(i, j);
  if (!any_visible) {
    std::memset(out, 0, sizeof(float) * std::size_t(c.nk));
    c.flags[std::size_t(h) * c.nq + i] = 1;
    return;
  }
  std::vector<double>& scores = engineState().redo_scores[std::size_t(worker)];
  if (scores.size() < std::size_t(c.nk)) scores.resize(std::size_t(c.nk));
  const double scale = p.scoreScale();
  const float* qi = &p.q[p.qIndex(h, i, 0)];
  double row_max = -std::numeric_limits<double>::infinity();
  for (int j = 0; j < c.nk; ++j) {
    if (!p.visible(i, j)) continue;
    const float* kj = &p.k[p.kIndex(h, j, 0)];
    double dot = 0.0;
    for (int cc = 0; cc < c.d; ++cc) dot += double(qi[cc]) * double(kj[cc]);
    scores[std::size_t(j)] = dot * scale + p.biasTerm(h, i, j);
    row_max = std::max(row_max, scores[std::size_t(j)]);
  }
  double sum = 0.0;
  for (int j = 0; j < c.nk; ++j) {
    if (!p.visible(i, j)) continue;
    scores[std::size_t(j)] = std::exp(scores[std::size_t(j)] - row_max);
    sum += scores[std::size_t(j)];
  }
  for (int j = 0; j < c.nk; ++j) out[j] = p.visible(i, j) ? float(scores[std::size_t(j)] / sum) : 0.0f;
}

struct PathInfo {
  int mr, nr, w;
  void (*compute)(const FastContext&, ThreadPool&, int);
  void (*exp2)(const float*, float*, std::size_t);
};

PathInfo pathInfo(SimdPath path) {
  switch (path) {
#if defined(__x86_64__)
    case SimdPath::Amx: return {kernel_amx::kMR, kernel_amx::kNR, kernel_amx::kW, kernel_amx::computeAll, kernel_amx::exp2Array};
    case SimdPath::Avx512: return {kernel_avx512::kMR, kernel_avx512::kNR, kernel_avx512::kW, kernel_avx512::computeAll, kernel_avx512::exp2Array};
    case SimdPath::Avx2: return {kernel_avx2::kMR, kernel_avx2::kNR, kernel_avx2::kW, kernel_avx2::computeAll, kernel_avx2::exp2Array};
#else
    case SimdPath::Amx:
    case SimdPath::Avx512:
    case SimdPath::Avx2:
#endif
    case SimdPath::Scalar: break;
  }
  return {kernel_scalar::kMR, kernel_scalar::kNR, kernel_scalar::kW, kernel_scalar::computeAll, kernel_scalar::exp2Array};
}

bool amxShape(const AttentionProblem& problem) { return problem.d % 32 == 0 && problem.d <= kAmxMaxDim; }

SimdPath chosenPath(const std::optional<SimdPath>& requested) {
  if (!requested) return bestSimdPath();
  if (!simdPathSupported(*requested))
    throw std::invalid_argument(std::string("cpu-fast: this CPU does not support the ") + simdPathName(*requested) + " path");
  return *requested;
}

}  // namespace

void computeFastInto(const AttentionProblem& problem, AttentionResult& out, const CpuFastOptions& options) {
  if (std::string why = problem.validate(); !why.empty()) throw std::invalid_argument(why);
  SimdPath path = options.simd ? chosenPath(options.simd) : cpuFastDefaultPath(problem);
  // The tile kernel needs d in steps of 32 (one A tile's width); otherwise the FMA kernel.
  if (path == SimdPath::Amx && !amxShape(problem)) path = SimdPath::Avx512;
  const PathInfo info = pathInfo(path);

  const std::size_t total = std::size_t(problem.heads) * problem.nq * problem.nk;
  out.heads = problem.heads;
  out.nq = problem.nq;
  out.nk = problem.nk;
  if (out.p.size() != total) out.p.resize(total);  // every element is written below
  out.row_fully_masked.assign(std::size_t(problem.heads) * problem.nq, 0);

  ThreadPool& pool = sharedThreadPool();
  EngineState& state = engineState();
  std::lock_guard<std::mutex> lock(state.mutex);

  FastContext c;
  c.problem = &problem;
  c.heads = problem.heads;
  c.nq = problem.nq;
  c.nk = problem.nk;
  c.d = problem.d;
  c.mask = problem.mask;
  c.custom = problem.mask == MaskKind::Custom ? problem.custom_mask.data() : nullptr;
  c.q = problem.q.data();
  c.k = problem.k.data();
  c.qscale = float(problem.scoreScale() * 1.4426950408889634);  // log2(e): exp(s) = 2^(s log2 e)
  if (problem.hasScoreBias()) {
    c.bias = problem.score_bias.data();
    c.bias_scale = float(1.4426950408889634 / double(problem.effectiveTemperature()));
  }
  c.panels = (problem.nk + info.nr - 1) / info.nr;
  c.ld = std::size_t(c.panels) * info.nr;
  // An odd number of cache lines per scratch row: the micro-tiles store their rows at stride ld, and
  // a stride of a multiple of 4 KiB (n = 1024, 2048, ...) put every row in the same L1 set.
  if (c.ld % 16 == 0 && (c.ld / 16) % 2 == 0) c.ld += 16;
  // Micro-tiles per task: as many as keep the task's scores within 60% of the core's L2 (leaving
  // room for the key panels streaming through), at most 4; fewer when nq is small. (With a 2 MiB
  // L2 this gives n = 8192 three tiles instead of one: ~7% faster there, the same at 4096.)
  const std::size_t tile_bytes = std::size_t(info.mr) * c.ld * sizeof(float);
  c.tiles = int(std::max<std::size_t>(1, std::min<std::size_t>(4, l2CacheBytes() * 6 / 10 / tile_bytes)));
  c.tiles = std::min(c.tiles, (problem.nq + info.mr - 1) / info.mr);
  c.blocks = (problem.nq + info.mr * c.tiles - 1) / (info.mr * c.tiles);
  c.out = out.p.data();
  c.flags = out.row_fully_masked.data();
  const std::size_t out_bytes = total * sizeof(float);
  switch (options.stores) {
    case CpuFastOptions::Stores::Auto: c.streaming = out_bytes >= kCpuFastStreamingBytes; break;
    case CpuFastOptions::Stores::Streaming: c.streaming = true; break;
    case CpuFastOptions::Stores::Regular: c.streaming = false; break;
  }
  c.redo_row = redoRowExactly;

  // Small problems stay on the calling thread: waking the workers costs more than they save.
  int max_workers = options.max_threads > 0 ? options.max_threads : pool.size();
  if (double(total) * (problem.d + 8) < 2.0e5) max_workers = 1;
  if (max_workers > pool.size()) max_workers = pool.size();

  c.kpack = state.kpack.reserve(std::size_t(c.heads) * c.panels * c.d * info.nr);
  if (state.worker_buffers.size() < std::size_t(pool.size())) {
    state.worker_buffers = std::vector<AlignedFloats>(std::size_t(pool.size()));
    state.scratch.assign(std::size_t(pool.size()), WorkerScratch{});
    state.redo_scores.resize(std::size_t(pool.size()));
  }
  const std::size_t task_rows = std::size_t(info.mr) * c.tiles;
  const std::size_t q_tile = ((task_rows * c.d + 15) / 16) * 16;
  const std::size_t scores = task_rows * c.ld;
  for (int w = 0; w < max_workers; ++w) {
    float* base = state.worker_buffers[std::size_t(w)].reserve(q_tile + scores + task_rows * std::size_t(info.w));
    state.scratch[std::size_t(w)] = WorkerScratch{base, base + q_tile, base + q_tile + scores};
  }
  c.scratch = state.scratch.data();
  info.compute(c, pool, max_workers);
}

SimdPath cpuFastDefaultPath(const AttentionProblem& problem) {
  if (const auto requested = requestedSimdPath()) return *requested;
  const std::size_t probabilities = std::size_t(problem.heads) * std::size_t(problem.nq) * std::size_t(problem.nk);
  if (probabilities >= kCpuFastAmxMinProbabilities && amxShape(problem) && simdPathSupported(SimdPath::Amx)) return SimdPath::Amx;
  return bestSimdPath();
}

std::string cpuFastPathsDescription() {
  static_assert(kCpuFastAmxMinProbabilities == std::size_t(1) << 20, "the description below says 2^20");
  if (const auto requested = requestedSimdPath()) return std::string(simdPathName(*requested)) + " (ATTNVIZ_SIMD)";
  std::string out = simdPathName(bestSimdPath());
  if (simdPathSupported(SimdPath::Amx))
    out += std::string("; ") + simdPathName(SimdPath::Amx) + " from 2^20 probabilities when d % 32 == 0";
  return out;
}

AttentionResult computeFast(const AttentionProblem& problem) {
  AttentionResult r;
  computeFastInto(problem, r);
  return r;
}

void cpuFastExp2(SimdPath path, const float* x, float* out, std::size_t n) {
  pathInfo(chosenPath(path)).exp2(x, out, n);
}

}  // namespace attnviz
