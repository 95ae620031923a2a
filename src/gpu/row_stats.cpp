#include "gpu/row_stats.h"

#include <cmath>

namespace attnviz::gpu {

MatrixStats GpuRowStats::toMatrixStats() const {
  MatrixStats out;
  out.nq = nq;
  out.nk = nk;
  out.row_entropy_bits.assign(std::size_t(nq), 0.0);
  out.row_max_entropy_bits.assign(std::size_t(nq), 0.0);
  double entropy_sum = 0.0, normalized_sum = 0.0;
  int counted = 0;
  for (int i = 0; i < nq; ++i) {
    const int visible = visible_keys.empty() ? nk : visible_keys[std::size_t(i)];
    out.row_max_entropy_bits[std::size_t(i)] = visible > 1 ? std::log2(double(visible)) : 0.0;
    if (visible == 0) continue;
    out.row_entropy_bits[std::size_t(i)] = row_entropy_bits[std::size_t(i)];
    entropy_sum += out.row_entropy_bits[std::size_t(i)];
    if (out.row_max_entropy_bits[std::size_t(i)] > 0.0)
      normalized_sum += out.row_entropy_bits[std::size_t(i)] / out.row_max_entropy_bits[std::size_t(i)];
    ++counted;
  }
  if (counted > 0) {
    out.avg_entropy_bits = entropy_sum / counted;
    out.avg_normalized_entropy = normalized_sum / counted;
  }
  out.max_weight = max_weight;
  out.max_row = max_row;
  out.max_col = max_col;
  out.column_sums = column_sums;
  out.most_attended_index = 0;
  for (int j = 1; j < nk; ++j)
    if (column_sums[std::size_t(j)] > column_sums[std::size_t(out.most_attended_index)]) out.most_attended_index = j;
  return out;
}

}  // namespace attnviz::gpu
