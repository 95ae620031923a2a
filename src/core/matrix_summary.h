// What the window's panels read of one shown matrix besides its weights: the stats, the maxima
// the auto and row colour scales divide by, the largest weight past a causal map's first row and
// the patterns. A real model's worker summarises every head of a layer (and their mean) once,
// when it computes the layer's maps, so that a head or layer switch on the UI thread rescans
// nothing. Needs no GL context.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/attention.h"
#include "core/patterns.h"
#include "core/stats.h"

namespace attnviz {

class ThreadPool;

// A cell and its weight; w < 0 when there is none.
struct CellMax {
  float w = -1;
  int row = 0, col = 0;
};

// What a summary depends on besides the weights. The UI uses a summary only when its own inputs
// are these (the causal checkbox, a sliding window and the labels can differ from the worker's).
struct SummaryInputs {
  std::vector<int> visible_keys;  // [nq]: keys each row can see (the normalised entropy's denominator)
  bool causal = false;            // max_past_first_row is looked for
  bool self_attention = false;    // the positional pattern detectors run
  std::vector<std::string> key_labels;  // [nk] or empty: name the sink token
};

struct MatrixSummary {
  MatrixStats stats;
  float max = 0;               // matrixMaximum
  std::vector<float> row_max;  // rowMaxima, [nq]
  CellMax max_past_first_row;  // largest weight outside row 0 on or below the diagonal (causal only, nq > 1)
  std::vector<PatternFinding> patterns;
};

// One [nq][nk] matrix; row_fully_masked has nq entries or none.
MatrixSummary summarizeMatrix(const float* p, int nq, int nk, const std::vector<std::uint8_t>& row_fully_masked,
                              const SummaryInputs& in);

// The mean of a layer's heads (as meanOverHeads computes it), the rows spread over `pool` (may be
// null). The worker sends it with a layer's maps, ahead of their summary.
std::shared_ptr<const AttentionResult> meanOfLayer(const AttentionResult& maps, ThreadPool* pool = nullptr);

// Every head of a layer's maps, and their mean (meanOfLayer, unless it is given).
struct LayerSummary {
  SummaryInputs inputs;
  int heads = 0, nq = 0, nk = 0;
  std::vector<MatrixSummary> head;
  std::shared_ptr<const AttentionResult> mean;  // one head
  MatrixSummary mean_summary;
  std::size_t bytes() const;
};
// `pool` (may be null) spreads the heads over its workers.
LayerSummary summarizeLayer(const AttentionResult& maps, SummaryInputs in, ThreadPool* pool = nullptr,
                            std::shared_ptr<const AttentionResult> mean = nullptr);

// How many keys each query of `problem` sees (nk without a mask, i + 1 causal, counted in a
// custom mask).
std::vector<int> visibleKeysOf(const AttentionProblem& problem);

}  // namespace attnviz
