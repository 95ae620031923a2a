// Statistics of one attention probability matrix P[nq][nk] (row-major, rows sum to 1 or are
// fully masked zeros). Entropies are in bits (log base 2). Needs no GL context.
#pragma once

#include <cstdint>
#include <vector>

namespace attnviz {

struct MatrixStats {
  int nq = 0;
  int nk = 0;
  std::vector<double> row_entropy_bits;       // [nq]; 0 for a fully masked row
  std::vector<double> row_max_entropy_bits;   // [nq]: log2(number of visible keys) (log2 nk without mask info)
  double avg_entropy_bits = 0.0;              // mean over rows that are not fully masked
  double avg_normalized_entropy = 0.0;        // mean over those rows of entropy / log2(visible keys); rows with 1 key count as 0
  float max_weight = 0.0f;
  int max_row = 0;                            // cell holding max_weight (first in row-major order)
  int max_col = 0;
  std::vector<double> column_sums;            // [nk]
  int most_attended_index = 0;                // argmax of column_sums, ties -> lowest index
};

// visible_keys_per_row may be empty (then every row has nk keys); it gives the denominator for the
// normalised entropy so that causal rows are compared with what they could have spread over.
MatrixStats computeStats(const float* p, int nq, int nk, const std::vector<int>& visible_keys_per_row = {},
                         const std::vector<std::uint8_t>& row_fully_masked = {});

double rowEntropyBits(const float* row, int nk);

struct RankedKey {
  int index;
  float weight;
};
// The k largest weights of a row, largest first; ties -> lower index first.
std::vector<RankedKey> topK(const float* row, int nk, int k);

// 1-based rank of key j within its row (1 = the largest weight; ties share the better rank).
int rankInRow(const float* row, int nk, int j);

}  // namespace attnviz
