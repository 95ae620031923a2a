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
struct GemmState {};
inline GemmState beginTileGemm() { return {}; }
inline void endTileGemm(GemmState&) {}

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
// out has row stride ld. The accumulators (kMR x kNV vectors) stay in registers. With rowmax
// ([kMR][kW] lane maxima), each row's scores are folded into it while still in registers, so the
// softmax need not read them once more for the maximum.
inline void scoreTile(const float* qt, const float* panel, int d, float* out, std::size_t ld, float* rowmax, GemmState&) {
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
  if (rowmax) {
#pragma GCC unroll 32
    for (int r = 0; r < kMR; ++r) {
      V m = S::load(rowmax + r * kW);
#pragma GCC unroll 8
      for (int v = 0; v < kNV; ++v) m = S::max(m, acc[r][v]);
      S::store(rowmax + r * kW, m);
    }
  }
}
#endif  // ATTNVIZ_KERNEL_OWN_TILE_GEMM

// Output chunk [j, j + kW): normalised probability for visible keys (< len), 0 after.
inline V outputChunk(const float* sc, int j, int len, V inv) {
  if (j + kW <= len) return S::mul(S::load(sc + j), inv);
  if (j >= len) return S::zero();
  return S::mul(S::loadPartial(sc + j, len - j, 0.0f), inv);
}

// Maximum of one row of log2-domain scores sc[0..len) (keys >= len are masked: causal). fused, if
// given, holds the lane maxima of sc[0..j0) (folded in by scoreTile); with the custom mask row mrow
// (then j0 = 0), invisible scores are set to -inf on the way.
inline float rowMax(float* sc, int len, const std::uint8_t* mrow, const float* fused, int j0) {
  const float kNegInf = -std::numeric_limits<float>::infinity();
  V m0 = fused ? S::load(fused) : S::set1(kNegInf), m1 = S::set1(kNegInf);
  int j = j0;
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
  return S::hmax(S::max(m0, m1));
}

// A row whose exponentials are in its scratch row and whose output is not yet written.
struct PendingRow {
  const float* sc = nullptr;
  int len = 0;
  float* out = nullptr;
  float inv = 0.0f;  // 1 / sum of the exponentials
};

// Streaming stores need aligned addresses: the elements before the first aligned one are written
// one by one here. Returns where the vector writes start.
inline int writeHead(const PendingRow& w, int nk, bool streaming) {
  if (!streaming || kW == 1) return 0;
  constexpr std::uintptr_t kAlign = sizeof(float) * kW;
  const std::uintptr_t addr = reinterpret_cast<std::uintptr_t>(w.out);
  int head = int(((kAlign - addr % kAlign) % kAlign) / sizeof(float));
  if (head > nk) head = nk;
  for (int j = 0; j < head; ++j) w.out[j] = j < w.len ? w.sc[j] * w.inv : 0.0f;
  return head;
}

inline void expChunk(float* sc, int j, V mv, V& sum) {
  const V e = S::exp2(S::sub(S::load(sc + j), mv));
  S::store(sc + j, e);
  sum = S::add(sum, e);
}

template <bool kStreaming>
inline void putChunk(float* out, V v) {
  if constexpr (kStreaming) S::stream(out, v);
  else S::store(out, v);
}

// Writes a pending row's output from column j (after its head) to nk: normalised probabilities,
// 0 past len.
template <bool kStreaming>
inline void writeRest(const PendingRow& w, int j, int nk, V inv) {
  for (; j + kW <= nk; j += kW) putChunk<kStreaming>(w.out + j, outputChunk(w.sc, j, w.len, inv));
  if (j < nk) S::storePartial(w.out + j, outputChunk(w.sc, j, w.len, inv), nk - j);
}

// A pending row's whole output, written exactly once.
template <bool kStreaming>
inline void writeRow(const PendingRow& w, int nk) {
  writeRest<kStreaming>(w, writeHead(w, nk, kStreaming), nk, S::set1(w.inv));
}

// e = 2^(s - m) over sc[0..len), kept in the scratch row; returns their sum. Meanwhile writes the
// previous row's output, if any, a chunk per chunk: the stores to memory then overlap this row's
// arithmetic instead of stalling a loop of their own.
template <bool kStreaming>
inline float expSumWritingPrevious(float* sc, int len, float m, const PendingRow* pending, int nk) {
  const V mv = S::set1(m);
  V s0 = S::zero(), s1 = S::zero();
  int je = 0;
  if (pending) {
    const PendingRow prev = *pending;  // a copy: the stores to sc cannot change it
    const V inv = S::set1(prev.inv);
    int jw = writeHead(prev, nk, kStreaming);
    for (; je + 2 * kW <= len && jw + 2 * kW <= prev.len; je += 2 * kW, jw += 2 * kW) {
      expChunk(sc, je, mv, s0);
      putChunk<kStreaming>(prev.out + jw, S::mul(S::load(prev.sc + jw), inv));
      expChunk(sc, je + kW, mv, s1);
      putChunk<kStreaming>(prev.out + jw + kW, S::mul(S::load(prev.sc + jw + kW), inv));
    }
    writeRest<kStreaming>(prev, jw, nk, inv);
  }
  for (; je + 2 * kW <= len; je += 2 * kW) {
    expChunk(sc, je, mv, s0);
    expChunk(sc, je + kW, mv, s1);
  }
  for (; je + kW <= len; je += kW) expChunk(sc, je, mv, s0);
  if (je < len) {
    const V e = S::exp2(S::sub(S::loadPartial(sc + je, len - je, -std::numeric_limits<float>::infinity()), mv));
    S::storePartial(sc + je, e, len - je);
    s1 = S::add(s1, e);
  }
  return S::hsum(S::add(s0, s1));
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
  float* rowmax = c.scratch[worker].row_max;
  // Q tiles with the score scale and log2(e) folded in; rows past nq are zero.
  const float* q = c.q + (std::size_t(h) * c.nq + i0) * c.d;
  const std::size_t q_used = std::size_t(rows) * c.d, q_tiles = std::size_t(tiles) * kMR * c.d;
  for (std::size_t x = 0; x < q_used; ++x) qt[x] = q[x] * c.qscale;
  for (std::size_t x = q_used; x < q_tiles; ++x) qt[x] = 0.0f;
  prepareQTile(qt, tiles * kMR, c.d);
  for (int r = 0; r < tiles * kMR * kW; ++r) rowmax[r] = -std::numeric_limits<float>::infinity();

  const bool causal = c.mask == MaskKind::Causal;
  const float* kp = c.kpack + std::size_t(h) * c.panels * c.d * kNR;
  // Causal: tile t's last row sees keys < i0 + (t + 1) * kMR; later panels are not computed.
  const int keys_needed = causal ? (c.nk < i0 + rows ? c.nk : i0 + rows) : c.nk;
  const int panels = (keys_needed + kNR - 1) / kNR;
  // Tile t's maxima are folded in during the GEMM for the panels every row of the tile sees whole
  // (no zero padding past nk, no causal mask; none with a custom mask): the first fused[t].
  constexpr int kMaxTiles = 8;
  int fused[kMaxTiles];
  for (int t = 0; t < tiles; ++t) {
    // With a score bias the GEMM's maxima are not the row's: none are fused.
    const int seen = c.mask == MaskKind::Custom || c.bias ? 0 : causal ? (c.nk < i0 + t * kMR + 1 ? c.nk : i0 + t * kMR + 1) : c.nk;
    fused[t] = seen / kNR;
  }
  GemmState gemm = beginTileGemm();
  for (int p = 0; p < panels; ++p) {
    const float* panel = kp + std::size_t(p) * c.d * kNR;
    for (int t = 0; t < tiles; ++t) {
      if (causal && p * kNR >= i0 + (t + 1) * kMR) continue;  // every key of the panel is masked for this tile
      scoreTile(qt + std::size_t(t) * kMR * c.d, panel, c.d, sc + std::size_t(t) * kMR * c.ld + std::size_t(p) * kNR, c.ld,
                p < fused[t] ? rowmax + std::size_t(t) * kMR * kW : nullptr, gemm);
    }
  }
  endTileGemm(gemm);

  // Per row: the maximum, then the exponentials and their sum while the previous row's output is
  // written; the last row is written after the loop. A row that must go to the exact path (scores
  // not finite, or no visible key) is redone there and leaves the pending row as it was.
  const float kInf = std::numeric_limits<float>::infinity();
  PendingRow pending;
  bool has_pending = false;
  for (int r = 0; r < rows; ++r) {
    const int i = i0 + r;
    const int len = causal ? (i + 1 < c.nk ? i + 1 : c.nk) : c.nk;
    const std::uint8_t* mrow = c.mask == MaskKind::Custom ? c.custom + std::size_t(i) * c.nk : nullptr;
    float* out = c.out + (std::size_t(h) * c.nq + i) * c.nk;
    float* row = sc + std::size_t(r) * c.ld;
    const int j0 = fused[r / kMR] * kNR;
    if (c.bias) {  // the additive scores, in the log2 domain like the rest of the row
      const float* brow = c.bias + (std::size_t(h) * c.nq + i) * c.nk;
      for (int j = 0; j < len; ++j) row[j] += brow[j] * c.bias_scale;
    }
    const float m = rowMax(row, len, mrow, j0 > 0 ? rowmax + std::size_t(r) * kW : nullptr, j0);
    if (!(m > -kInf) || !(m < kInf)) {
      c.redo_row(c, h, i, worker);
      continue;
    }
    const PendingRow* prev = has_pending ? &pending : nullptr;
    const float sum = c.streaming ? expSumWritingPrevious<true>(row, len, m, prev, c.nk)
                                  : expSumWritingPrevious<false>(row, len, m, prev, c.nk);
    has_pending = false;
    // The maximum contributes exactly 2^0 = 1, so sum >= 1 unless a NaN got in.
    if (!(sum >= 1.0f) || !(sum < kInf)) {
      c.redo_row(c, h, i, worker);
      continue;
    }
    pending = PendingRow{row, len, out, 1.0f / sum};
    has_pending = true;
  }
  if (has_pending) {
    if (c.streaming) writeRow<true>(pending, c.nk);
    else writeRow<false>(pending, c.nk);
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
