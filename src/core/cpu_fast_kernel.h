// The cpu-fast kernels, written once over a SIMD traits struct `S` and compiled once per
// instruction set: cpu_fast.cpp includes this file three times, each time inside its own
// namespace that first defines `S` (scalar, AVX2 + FMA, AVX-512F) and, for the vector ones, under
// `#pragma GCC target(...)`. Hence no include guard and no includes here: everything this file
// needs is included by cpu_fast.cpp before the first pragma, so no standard-library code is ever
// compiled for a wider instruction set than the baseline (that would break the one-definition rule).
//
// S provides: V (vector type), W (floats per vector), MR x NV (micro-tile: MR query rows by NV
// vectors of keys), zero, set1, load/store (unaligned), loadPartial/storePartial (first n < W
// lanes), stream (aligned non-temporal store), fence, fmadd, add, sub, mul, max, hmax, hsum,
// exp2 (see cpuFastExp2 in cpu_fast.h), maskInvisible (lanes whose mask byte is 0 become -inf).

constexpr int kMR = S::MR;
constexpr int kW = S::W;
constexpr int kNV = S::NV;
constexpr int kNR = kNV * kW;  // keys per packed panel
using V = S::V;

#ifndef ATTNVIZ_KERNEL_OWN_TILE_GEMM
// The AMX kernel brings its own packKeyPanel, scoreTile, prepareQTile, beginTileGemm and endTileGemm.

// Nothing to do: the FMA kernels read the float Q tile as it is.
inline void prepareQTile(float*, int, int) {}
inline void beginTileGemm() {}
inline void endTileGemm() {}

// Packs keys [panel*kNR, panel*kNR + kNR) of head h as [d][kNR] (zero past nk).
inline void packKeyPanel(const FastContext& c, int h, int panel) {
  const float* k = c.k + std::size_t(h) * c.nk * c.d;
  float* dst = c.kpack + (std::size_t(h) * c.panels + panel) * std::size_t(c.d) * kNR;
  for (int v = 0; v < kNR; ++v) {
    const int j = panel * kNR + v;
    if (j < c.nk) {
      const float* kj = k + std::size_t(j) * c.d;
      for (int cc = 0; cc < c.d; ++cc) dst[std::size_t(cc) * kNR + v] = kj[cc];
    } else {
      for (int cc = 0; cc < c.d; ++cc) dst[std::size_t(cc) * kNR + v] = 0.0f;
    }
  }
}

// scores[r][0..kNR) = qt[r] . panel keys, for kMR rows. qt is [kMR][d]; the panel [d][kNR];
// out has row stride ld. The accumulators (kMR x kNV vectors) stay in registers.
inline void scoreTile(const float* qt, const float* panel, int d, float* out, std::size_t ld) {
  V acc[kMR][kNV];
#pragma GCC unroll 32
  for (int r = 0; r < kMR; ++r)
#pragma GCC unroll 8
    for (int v = 0; v < kNV; ++v) acc[r][v] = S::zero();
  for (int cc = 0; cc < d; ++cc) {
    const float* kc = panel + std::size_t(cc) * kNR;
    V kv[kNV];
#pragma GCC unroll 8
    for (int v = 0; v < kNV; ++v) kv[v] = S::load(kc + v * kW);
#pragma GCC unroll 32
    for (int r = 0; r < kMR; ++r) {
      const V qb = S::set1(qt[r * d + cc]);
#pragma GCC unroll 8
      for (int v = 0; v < kNV; ++v) acc[r][v] = S::fmadd(qb, kv[v], acc[r][v]);
    }
  }
#pragma GCC unroll 32
  for (int r = 0; r < kMR; ++r)
#pragma GCC unroll 8
    for (int v = 0; v < kNV; ++v) S::store(out + std::size_t(r) * ld + v * kW, acc[r][v]);
}
#endif  // ATTNVIZ_KERNEL_OWN_TILE_GEMM

// Output chunk [j, j + kW): normalised probability for visible keys (< len), 0 after.
inline V outputChunk(const float* sc, int j, int len, V inv) {
  if (j + kW <= len) return S::mul(S::load(sc + j), inv);
  if (j >= len) return S::zero();
  return S::mul(S::loadPartial(sc + j, len - j, 0.0f), inv);
}

// Softmax of one row of log2-domain scores sc[0..len) (keys >= len are masked: causal), with the
// custom mask row mrow if given; writes out[0..nk) once. Returns kRowOk, or kRowRedo when the row
// must go to the exact path (non-finite scores, or no visible key); then out is untouched.
inline int softmaxRow(float* sc, int len, int nk, const std::uint8_t* mrow, float* out, bool streaming) {
  const float kNegInf = -std::numeric_limits<float>::infinity();
  // 1. row maximum (masked keys set to -inf first)
  V m0 = S::set1(kNegInf), m1 = m0;
  int j = 0;
  if (mrow) {
    for (; j + kW <= len; j += kW) {
      const V x = S::maskInvisible(S::load(sc + j), mrow + j);
      S::store(sc + j, x);
      m0 = S::max(m0, x);
    }
    for (int t = j; t < len; ++t)
      if (!mrow[t]) sc[t] = kNegInf;
  } else {
    for (; j + 2 * kW <= len; j += 2 * kW) {
      m0 = S::max(m0, S::load(sc + j));
      m1 = S::max(m1, S::load(sc + j + kW));
    }
    for (; j + kW <= len; j += kW) m0 = S::max(m0, S::load(sc + j));
  }
  if (j < len) m1 = S::max(m1, S::loadPartial(sc + j, len - j, kNegInf));
  const float m = S::hmax(S::max(m0, m1));
  if (!(m > kNegInf) || !(m < std::numeric_limits<float>::infinity())) return kRowRedo;

  // 2. e = 2^(s - max), kept in the scratch row, and their sum
  const V mv = S::set1(m);
  V s0 = S::zero(), s1 = S::zero();
  j = 0;
  for (; j + 2 * kW <= len; j += 2 * kW) {
    const V e0 = S::exp2(S::sub(S::load(sc + j), mv));
    const V e1 = S::exp2(S::sub(S::load(sc + j + kW), mv));
    S::store(sc + j, e0);
    S::store(sc + j + kW, e1);
    s0 = S::add(s0, e0);
    s1 = S::add(s1, e1);
  }
  for (; j + kW <= len; j += kW) {
    const V e = S::exp2(S::sub(S::load(sc + j), mv));
    S::store(sc + j, e);
    s0 = S::add(s0, e);
  }
  if (j < len) {
    const V e = S::exp2(S::sub(S::loadPartial(sc + j, len - j, kNegInf), mv));
    S::storePartial(sc + j, e, len - j);
    s1 = S::add(s1, e);
  }
  const float sum = S::hsum(S::add(s0, s1));
  // The maximum contributes exactly 2^0 = 1, so sum >= 1 unless a NaN got in.
  if (!(sum >= 1.0f) || !(sum < std::numeric_limits<float>::infinity())) return kRowRedo;

  // 3. normalise and write the output row exactly once
  const float invf = 1.0f / sum;
  const V inv = S::set1(invf);
  j = 0;
  if (streaming && kW > 1) {
    constexpr std::uintptr_t kAlign = sizeof(float) * kW;
    const std::uintptr_t addr = reinterpret_cast<std::uintptr_t>(out);
    int head = int(((kAlign - addr % kAlign) % kAlign) / sizeof(float));
    if (head > nk) head = nk;
    for (; j < head; ++j) out[j] = j < len ? sc[j] * invf : 0.0f;
    for (; j + kW <= nk; j += kW) S::stream(out + j, outputChunk(sc, j, len, inv));
  } else {
    for (; j + kW <= nk; j += kW) S::store(out + j, outputChunk(sc, j, len, inv));
  }
  if (j < nk) S::storePartial(out + j, outputChunk(sc, j, len, inv), nk - j);
  return kRowOk;
}

// One task: query rows [b * rows_per_task, ...) of head h, as c.tiles micro-tiles of kMR rows that
// share each key panel while it is in L1 (the panel is loaded from memory once per task, not once
// per kMR rows: that is what keeps the GEMM compute-bound once K no longer fits in L2).
inline void attentionTask(const FastContext& c, int task, int worker) {
  const int h = task / c.blocks, b = task % c.blocks;
  const int i0 = b * kMR * c.tiles;
  const int rows = kMR * c.tiles < c.nq - i0 ? kMR * c.tiles : c.nq - i0;
  const int tiles = (rows + kMR - 1) / kMR;
  float* qt = c.scratch[worker].q_tile;
  float* sc = c.scratch[worker].scores;
  // Q tiles with the score scale and log2(e) folded in; rows past nq are zero.
  const float* q = c.q + (std::size_t(h) * c.nq + i0) * c.d;
  for (int r = 0; r < tiles * kMR; ++r)
    for (int cc = 0; cc < c.d; ++cc) qt[r * c.d + cc] = r < rows ? q[std::size_t(r) * c.d + cc] * c.qscale : 0.0f;
  prepareQTile(qt, tiles * kMR, c.d);

  const bool causal = c.mask == MaskKind::Causal;
  const float* kp = c.kpack + std::size_t(h) * c.panels * c.d * kNR;
  // Causal: tile t's last row sees keys < i0 + (t + 1) * kMR; later panels are not computed.
  const int keys_needed = causal ? (c.nk < i0 + rows ? c.nk : i0 + rows) : c.nk;
  const int panels = (keys_needed + kNR - 1) / kNR;
  beginTileGemm();
  for (int p = 0; p < panels; ++p) {
    const float* panel = kp + std::size_t(p) * c.d * kNR;
    for (int t = 0; t < tiles; ++t) {
      if (causal && p * kNR >= i0 + (t + 1) * kMR) continue;  // every key of the panel is masked for this tile
      scoreTile(qt + std::size_t(t) * kMR * c.d, panel, c.d, sc + std::size_t(t) * kMR * c.ld + std::size_t(p) * kNR, c.ld);
    }
  }
  endTileGemm();

  for (int r = 0; r < rows; ++r) {
    const int i = i0 + r;
    const int len = causal ? (i + 1 < c.nk ? i + 1 : c.nk) : c.nk;
    const std::uint8_t* mrow = c.mask == MaskKind::Custom ? c.custom + std::size_t(i) * c.nk : nullptr;
    float* out = c.out + (std::size_t(h) * c.nq + i) * c.nk;
    if (softmaxRow(sc + std::size_t(r) * c.ld, len, c.nk, mrow, out, c.streaming) != kRowOk) c.redo_row(c, h, i, worker);
  }
  S::fence();
}

inline void computeAll(const FastContext& c, ThreadPool& pool, int max_workers) {
  pool.run(c.heads * c.panels, [&c](int t, int) { packKeyPanel(c, t / c.panels, t % c.panels); }, max_workers);
  pool.run(c.heads * c.blocks, [&c](int t, int w) { attentionTask(c, t, w); }, max_workers);
}

inline void exp2Array(const float* x, float* out, std::size_t n) {
  std::size_t i = 0;
  for (; i + kW <= n; i += kW) S::store(out + i, S::exp2(S::load(x + i)));
  if (i < n) S::storePartial(out + i, S::exp2(S::loadPartial(x + i, int(n - i), 0.0f)), int(n - i));
}
