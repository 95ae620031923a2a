// Per-head stats reduced on the GPU (both engines): only these small vectors are read back.
// Entropy in bits. Needs no GL context to use the struct itself.
#pragma once

#include <string>
#include <vector>

#include "core/stats.h"

namespace attnviz::gpu {

// Stats of one head reduced on the GPU; only these vectors ([nq] and [nk]) are read back.
struct GpuRowStats {
  int head = 0;
  int nq = 0;
  int nk = 0;
  std::vector<float> row_entropy_bits;  // [nq], bits; 0 for a fully masked row
  std::vector<float> row_max_weight;    // [nq]
  std::vector<int> row_max_col;         // [nq], first column holding the row maximum
  std::vector<int> visible_keys;        // [nq], 0 = fully masked row
  std::vector<double> column_sums;      // [nk]
  float max_weight = 0.0f;              // over the head, first cell in row-major order on ties
  int max_row = 0;
  int max_col = 0;
  std::string error;                    // non-empty when the reduction could not run

  // The same numbers in core's MatrixStats form (averages and argmax done on these small vectors).
  MatrixStats toMatrixStats() const;
};

}  // namespace attnviz::gpu
