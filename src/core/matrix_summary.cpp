#include "core/matrix_summary.h"

#include <algorithm>

#include "core/colour_scale.h"
#include "core/thread_pool.h"

namespace attnviz {

MatrixSummary summarizeMatrix(const float* p, int nq, int nk, const std::vector<std::uint8_t>& row_fully_masked,
                              const SummaryInputs& in) {
  MatrixSummary s;
  s.stats = computeStats(p, nq, nk, in.visible_keys, row_fully_masked);
  s.row_max = rowMaxima(p, nq, nk);
  for (float m : s.row_max) s.max = std::max(s.max, m);
  if (in.causal && nq > 1)
    for (int i = 1; i < nq; ++i) {
      const float* row = p + std::size_t(i) * std::size_t(nk);
      for (int j = 0; j < std::min(i + 1, nk); ++j)
        if (row[j] > s.max_past_first_row.w) s.max_past_first_row = {row[j], i, j};
    }
  s.patterns = detectPatterns(p, nq, nk, in.self_attention, in.key_labels, in.visible_keys);
  return s;
}

std::size_t LayerSummary::bytes() const {
  const std::size_t per_matrix = std::size_t(nq) * (2 * sizeof(double) + sizeof(float)) + std::size_t(nk) * sizeof(double);
  std::size_t n = per_matrix * (head.size() + 1);
  if (mean) n += mean->p.size() * sizeof(float);
  return n;
}

std::shared_ptr<const AttentionResult> meanOfLayer(const AttentionResult& maps, ThreadPool* pool) {
  // meanOverHeads' sums, in its order, a block of rows at a time (the sums stay in cache), the
  // blocks spread over the pool.
  AttentionResult mean;
  mean.heads = 1;
  mean.nq = maps.nq;
  mean.nk = maps.nk;
  const std::size_t plane = std::size_t(maps.nq) * std::size_t(maps.nk), rows = std::size_t(maps.nq);
  mean.p.resize(plane);
  constexpr int kBlockRows = 16;
  const int blocks = (maps.nq + kBlockRows - 1) / kBlockRows;
  const auto mean_block = [&](int b, int) {
    const std::size_t e0 = std::size_t(b) * kBlockRows * std::size_t(maps.nk);
    const std::size_t e1 = std::min(plane, e0 + kBlockRows * std::size_t(maps.nk));
    std::vector<double> acc(e1 - e0, 0.0);
    for (int h = 0; h < maps.heads; ++h) {
      const float* p = maps.p.data() + std::size_t(h) * plane + e0;
      for (std::size_t e = 0; e < acc.size(); ++e) acc[e] += p[e];
    }
    for (std::size_t e = 0; e < acc.size(); ++e) mean.p[e0 + e] = float(acc[e] / std::max(maps.heads, 1));
  };
  mean.row_fully_masked.assign(rows, maps.heads == 0 ? 0 : 1);
  for (std::size_t i = 0; i < rows; ++i)
    for (int h = 0; h < maps.heads; ++h)
      if (!maps.row_fully_masked[std::size_t(h) * rows + i]) mean.row_fully_masked[i] = 0;
  if (pool)
    pool->run(blocks, mean_block);
  else
    for (int b = 0; b < blocks; ++b) mean_block(b, 0);
  return std::make_shared<const AttentionResult>(std::move(mean));
}

LayerSummary summarizeLayer(const AttentionResult& maps, SummaryInputs in, ThreadPool* pool,
                            std::shared_ptr<const AttentionResult> mean) {
  LayerSummary out;
  out.inputs = std::move(in);
  out.heads = maps.heads;
  out.nq = maps.nq;
  out.nk = maps.nk;
  out.head.resize(std::size_t(maps.heads));
  out.mean = mean ? std::move(mean) : meanOfLayer(maps, pool);
  const AttentionResult& m = *out.mean;
  const std::size_t rows = std::size_t(maps.nq);
  // Task h < heads summarises head h; the last one the mean.
  const auto summarise = [&](int t, int) {
    if (t < maps.heads) {
      const std::vector<std::uint8_t> masked(maps.row_fully_masked.begin() + std::ptrdiff_t(t * rows),
                                             maps.row_fully_masked.begin() + std::ptrdiff_t((t + 1) * rows));
      out.head[std::size_t(t)] = summarizeMatrix(maps.head(t), maps.nq, maps.nk, masked, out.inputs);
    } else {
      out.mean_summary = summarizeMatrix(m.p.data(), m.nq, m.nk, m.row_fully_masked, out.inputs);
    }
  };
  if (pool)
    pool->run(maps.heads + 1, summarise);
  else
    for (int t = 0; t <= maps.heads; ++t) summarise(t, 0);
  return out;
}

std::vector<int> visibleKeysOf(const AttentionProblem& problem) {
  std::vector<int> v(std::size_t(std::max(problem.nq, 0)), problem.nk);
  for (int i = 0; i < problem.nq; ++i) {
    if (problem.mask == MaskKind::Causal) v[std::size_t(i)] = std::min(i + 1, problem.nk);
    if (problem.mask == MaskKind::Custom) {
      const std::uint8_t* row = problem.custom_mask.data() + std::size_t(i) * std::size_t(problem.nk);
      v[std::size_t(i)] = int(std::count_if(row, row + problem.nk, [](std::uint8_t m) { return m != 0; }));
    }
  }
  return v;
}

}  // namespace attnviz
