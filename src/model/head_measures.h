// Per-head measures of attention maps and attention rollout. Needs no GL context.
//
// The measures of a causal map are over its query rows 1..n-1: row 0 can only attend to itself,
// so it says nothing about a head and would pull every mean towards "sharp, sink-like". A
// bidirectional (encoder) map's rows are all real, so all count there.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/attention.h"

namespace attnviz::model {

struct HeadMeasures {
  int layer = 0;
  int head = 0;
  double entropy_bits = 0;        // mean row entropy, bits
  double mean_distance = 0;       // mean over rows of sum_j A[i,j] * |i - j|, in tokens; NaN for cross maps
  double previous_token = 0;      // mean of A[i, i-1] over rows 1..n-1; NaN for cross maps
  double sink_mass = 0;           // mean of A[i, 0]
  double confidence = 0;          // mean of max_j A[i, j]
};

struct MeasureInfo {
  const char* key;         // column name in CSV/JSON: "entropy_bits", ...
  const char* title;       // short UI title
  const char* definition;  // one line for the UI
};
// The five measures above, then "induction" (computed on request, see ModelSession).
const std::vector<MeasureInfo>& measureInfos();

// Measures of one map p[nq][nk] (row-major, rows sum to 1). causal: only keys j <= i are read and
// row 0 is left out. A cross map (nq != nk, queries and keys different tokens) has no distance or
// previous token: those two are NaN.
HeadMeasures measureMap(const float* p, int nq, int nk, bool causal);

// Induction score of one map over a sequence of `repeat` random tokens repeated twice (n = 2T):
// the mean of A[i, i - T + 1] over the second copy, i = T..2T-1 (Olsson et al. 2022).
double inductionScore(const float* p, int n, int repeat);

// Attention rollout (Abnar & Zuidema 2020). Call add() once per layer in order, with the head
// mean of that layer's map; result() is R = Â_L ... Â_1 with Â = rownorm(½A + ½I), [n][n].
class Rollout {
 public:
  explicit Rollout(int n);
  void add(const std::vector<float>& head_mean);  // [n][n]
  const std::vector<float>& result() const { return r_; }

 private:
  int n_;
  int layers_ = 0;
  std::vector<float> r_, a_, tmp_;
};

// Of a problem's map cut into t x t blocks (block (by, bx) the rows by*nq/t.. and columns
// bx*nk/t..): 1 where the block holds no key its mask lets a query see (above the causal diagonal,
// before a sliding window), row-major [t][t].
std::vector<std::uint8_t> maskedBlocks(const AttentionProblem& problem, int t);

}  // namespace attnviz::model
