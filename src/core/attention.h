// Attention problem and result types, and the reference engine.
//
// LAYOUT (the one place it is written down): every matrix is float32, row-major, heads outermost.
//   Q  [heads][nq][d]       element (h, i, c)  at  q[(h * nq + i) * d + c]
//   K  [heads][nk][d]       element (h, j, c)  at  k[(h * nk + j) * d + c]
//   V  [heads][nk][dv]      element (h, j, c)  at  v[(h * nk + j) * dv + c]   (optional: dv may be 0)
//   P  [heads][nq][nk]      element (h, i, j)  at  p[(h * nq + i) * nk + j]
//   custom mask [nq][nk]    1 = key j visible to query i, 0 = masked (shared by all heads)
//   score bias  [heads][nq][nk]  element (h, i, j) at  score_bias[(h * nq + i) * nk + j] (optional)
// Rows are queries ("attends from"), columns are keys ("attends to"). In cross-attention the rows
// are the target (decoder) tokens and the columns the source (encoder) tokens.
//
// Needs no GL context.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace attnviz {

enum class MaskKind {
  None,    // every key visible
  Causal,  // key j visible to query i iff j <= i (top-left aligned, as torch.tril)
  Custom,  // AttentionProblem::custom_mask decides
};

// Temperatures below this are clamped to it: the softmax of scores / 1e-3 is already one-hot to
// float precision, and smaller values only risk overflow in engines that do not accumulate in double.
inline constexpr float kMinTemperature = 1e-3f;

// The largest result any engine is asked to hold: 2^31 weights (8 GiB of float32), e.g. 8 heads of
// 16384 x 16384. validate() refuses larger problems rather than letting an allocation fail.
inline constexpr long long kMaxResultWeights = 1LL << 31;

// Engines that compute scores in float (cpu-fast, the GPU engines) refuse problems whose scaled
// scores could pass this magnitude; float overflows near 3.4e38 and exp() long before.
inline constexpr double kFloatScoreLimit = 1e30;

struct AttentionProblem {
  int heads = 0;
  int nq = 0;   // query rows
  int nk = 0;   // key columns
  int d = 0;    // query/key width (d_k)
  int dv = 0;   // value width, 0 when no V is given
  std::vector<float> q;  // [heads][nq][d]
  std::vector<float> k;  // [heads][nk][d]
  std::vector<float> v;  // [heads][nk][dv] or empty
  MaskKind mask = MaskKind::None;
  std::vector<std::uint8_t> custom_mask;  // [nq][nk], only for MaskKind::Custom
  float temperature = 1.0f;
  // If false the scores are not divided by sqrt(d) (used to show why the scaling exists; T5 never scales).
  bool scale_by_sqrt_d = true;
  // The factor of q·k when scaling is on, if not 1/sqrt(d): Gemma's query_pre_attn_scalar^-0.5.
  // 0 = 1/sqrt(d).
  double score_scale = 0;
  // Optional additive scores, [heads][nq][nk] or empty: the score of (h, i, j) is
  // (q·k [/ sqrt d] + score_bias) / T. T5's relative position bias lives here. Finite values only.
  std::vector<float> score_bias;
  std::vector<std::string> head_names;    // heads entries (may be empty: "head 0", ...)
  std::vector<std::string> query_labels;  // nq entries (may be empty)
  std::vector<std::string> key_labels;    // nk entries (may be empty)

  std::size_t qIndex(int h, int i, int c) const { return (std::size_t(h) * nq + i) * d + c; }
  std::size_t kIndex(int h, int j, int c) const { return (std::size_t(h) * nk + j) * d + c; }
  bool visible(int i, int j) const {
    switch (mask) {
      case MaskKind::None: return true;
      case MaskKind::Causal: return j <= i;
      case MaskKind::Custom: return custom_mask[std::size_t(i) * nk + j] != 0;
    }
    return true;
  }
  bool hasScoreBias() const { return !score_bias.empty(); }
  // The bias of (h, i, j) already divided by T (0 without a bias).
  double biasTerm(int h, int i, int j) const {
    return score_bias.empty() ? 0.0 : double(score_bias[(std::size_t(h) * nq + i) * nk + j]) / double(effectiveTemperature());
  }
  float effectiveTemperature() const { return temperature < kMinTemperature ? kMinTemperature : temperature; }
  // The factor the raw score q.k is multiplied by: 1/sqrt(d) or score_scale (if enabled) / T.
  double scoreScale() const;
  // Empty string when the shapes and sizes agree; otherwise what is wrong, in words.
  std::string validate() const;
  // Upper bound of the score magnitude over all pairs: max|q| · max|k| · d · scoreScale() + max|bias| / T.
  double scoreMagnitudeBound() const;
  // Empty when scores fit float arithmetic (bound <= kFloatScoreLimit); otherwise why not.
  std::string checkFloatRange() const;
};

struct AttentionResult {
  int heads = 0;
  int nq = 0;
  int nk = 0;
  std::vector<float> p;                       // [heads][nq][nk]
  std::vector<std::uint8_t> row_fully_masked; // [heads][nq]: 1 where no key was visible (row is all 0)

  std::size_t index(int h, int i, int j) const { return (std::size_t(h) * nq + i) * nk + j; }
  float at(int h, int i, int j) const { return p[index(h, i, j)]; }
  const float* row(int h, int i) const { return p.data() + index(h, i, 0); }
  const float* head(int h) const { return p.data() + index(h, 0, 0); }
};

// The truth every other engine is held to: per row, scores in double, max-subtracted softmax in
// double, rounded to float at the end. Masked keys get exactly 0; a row with no visible key is all
// zeros and flagged in row_fully_masked. Throws std::invalid_argument if problem.validate() fails.
AttentionResult computeReference(const AttentionProblem& problem);

// Weighted sum of values for one query row: out[c] = sum_j P[h][i][j] * V[h][j][c]. Needs dv > 0.
std::vector<double> attendValues(const AttentionProblem& problem, const AttentionResult& result, int h, int i);

// Mean over heads, as a one-head result (fully-masked flags are combined with AND).
AttentionResult meanOverHeads(const AttentionResult& result);

// One head of a result as a one-head result.
AttentionResult selectHead(const AttentionResult& result, int h);

}  // namespace attnviz
