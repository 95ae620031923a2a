// Arithmetic of the attention benchmark (attnviz bench, the benchmark panel): timing summaries,
// the operation and byte counts behind GFLOP/s, GB/s and the roofline, and result differences.
// Needs no GL context.
#pragma once

#include <cstddef>
#include <vector>

#include "core/attention.h"

namespace attnviz {

struct TimingSummary {
  double median_ms = 0, min_ms = 0, max_ms = 0;
};
// Median (mean of the middle two for an even count), min and max; all 0 for no samples.
TimingSummary summarizeTimes(std::vector<double> ms);

// (query, key) pairs an engine must score: nq * nk, or with a causal mask sum_i min(i + 1, nk).
double visiblePairs(int nq, int nk, bool causal);

// Operations counted for GFLOP/s: heads * visiblePairs * (2 d + 5), i.e. 2 d for the dot product
// q.k (d multiply-adds) and 5 for the softmax (max, subtract, exp, sum, normalise) per pair.
double attentionFlops(int heads, int nq, int nk, int d, bool causal);
// The roofline's compute term: the multiply-adds only, heads * visiblePairs * 2 d.
double attentionFmaFlops(int heads, int nq, int nk, int d, bool causal);
// Bytes of the output P, the roofline's memory term: 4 * heads * nq * nk (written once).
double attentionOutputBytes(int heads, int nq, int nk);

// max |a - b| over P; +inf if the shapes differ, a value is NaN/inf in one but not equal in both,
// or the fully-masked flags differ.
double maxAbsDifference(const AttentionResult& a, const AttentionResult& b);

}  // namespace attnviz
