// Measurements behind `attnviz model-bench` (benchmarks, not tests): the machine's sgemm rate and
// the process's resident memory. Needs no GL context.
#pragma once

#include <cstddef>

namespace attnviz::model {

// Median GFLOP/s of `repeats` single-precision m x k by k x n products (OpenBLAS, all its threads).
double measureSgemmGflops(int m, int n, int k, int repeats);

// Median milliseconds of one matrix-vector pass over `floats` weights (in 1024 x 1024 blocks): the
// floor of a one-token forward, which must read every weight once.
double measureWeightStreamMs(std::size_t floats, int repeats);

struct ResidentMemory {
  std::size_t current_bytes = 0;  // VmRSS
  std::size_t peak_bytes = 0;     // VmHWM
};
ResidentMemory residentMemory();

}  // namespace attnviz::model
