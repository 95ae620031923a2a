#include "core/stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace attnviz {

double rowEntropyBits(const float* row, int nk) {
  double h = 0.0;
  for (int j = 0; j < nk; ++j) {
    const double w = row[j];
    if (w > 0.0) h -= w * std::log2(w);
  }
  return h < 0.0 ? 0.0 : h;  // rounding can leave -0.0000001 for a one-hot row
}

MatrixStats computeStats(const float* p, int nq, int nk, const std::vector<int>& visible_keys_per_row,
                         const std::vector<std::uint8_t>& row_fully_masked) {
  MatrixStats s;
  s.nq = nq;
  s.nk = nk;
  s.row_entropy_bits.assign(std::size_t(nq), 0.0);
  s.row_max_entropy_bits.assign(std::size_t(nq), 0.0);
  s.column_sums.assign(std::size_t(nk), 0.0);
  double entropy_sum = 0.0, normalized_sum = 0.0;
  int counted_rows = 0;
  bool have_max = false;
  for (int i = 0; i < nq; ++i) {
    const float* row = p + std::size_t(i) * nk;
    for (int j = 0; j < nk; ++j) {
      s.column_sums[j] += row[j];
      if (!have_max || row[j] > s.max_weight) {
        s.max_weight = row[j];
        s.max_row = i;
        s.max_col = j;
        have_max = true;
      }
    }
    const bool masked = !row_fully_masked.empty() && row_fully_masked[i];
    const int visible = visible_keys_per_row.empty() ? nk : visible_keys_per_row[i];
    s.row_max_entropy_bits[i] = visible > 1 ? std::log2(double(visible)) : 0.0;
    if (masked) continue;
    s.row_entropy_bits[i] = rowEntropyBits(row, nk);
    entropy_sum += s.row_entropy_bits[i];
    if (s.row_max_entropy_bits[i] > 0.0) normalized_sum += s.row_entropy_bits[i] / s.row_max_entropy_bits[i];
    ++counted_rows;
  }
  if (counted_rows > 0) {
    s.avg_entropy_bits = entropy_sum / counted_rows;
    s.avg_normalized_entropy = normalized_sum / counted_rows;
  }
  for (int j = 1; j < nk; ++j)
    if (s.column_sums[j] > s.column_sums[s.most_attended_index]) s.most_attended_index = j;
  return s;
}

std::vector<RankedKey> topK(const float* row, int nk, int k) {
  std::vector<int> order(static_cast<std::size_t>(nk));
  std::iota(order.begin(), order.end(), 0);
  k = std::clamp(k, 0, nk);
  std::partial_sort(order.begin(), order.begin() + k, order.end(), [row](int a, int b) {
    return row[a] != row[b] ? row[a] > row[b] : a < b;
  });
  std::vector<RankedKey> out;
  out.reserve(std::size_t(k));
  for (int r = 0; r < k; ++r) out.push_back({order[r], row[order[r]]});
  return out;
}

int rankInRow(const float* row, int nk, int j) {
  int larger = 0;
  for (int x = 0; x < nk; ++x)
    if (row[x] > row[j]) ++larger;
  return larger + 1;
}

}  // namespace attnviz
