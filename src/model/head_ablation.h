// Beyond attention weights: what a head moves and what happens without it. Needs no GL context.
//
// * Value-weighted attention (Kobayashi et al. 2020, "Attention is Not Only a Weight"): for query i,
//   key j and head h, C_ij = ||alpha_ij * v_j W_O^h||, the size of the vector query i receives from
//   key j through that head. v_j includes the value bias (it is part of the value vector that
//   travels); the output projection's bias b_O is excluded, as Kobayashi et al. do: it is added once
//   per position, after the heads are summed, so it belongs to no key and no head. Since alpha >= 0,
//   C_ij = alpha_ij * ||v_j W_O^h||: one norm per key ("weight x ||value||").
// * Head ablation: the head's output (its head_dim slice of the concatenated heads, before W_O) is
//   replaced by zeros ("zero") or by its mean over the positions of this text in the unablated
//   forward ("mean"; not causal: early positions receive an average that includes later tokens).
//   b_O stays in both cases. The forward reruns from the first ablated layer on the residual stream
//   recorded for the layers below (AblationBase), so the layers below are never recomputed.
// * Head importance (Michel et al. 2019, with zero ablation as the mask): the increase of the
//   text's next-token loss, the mean over positions 0..n-2 of -ln p(token i+1 | tokens 0..i), in
//   nats, when that head alone is zero-ablated.
#pragma once

#include <string>
#include <vector>

#include "model/attention_kind.h"

namespace attnviz::model {

class ModelSession;

struct HeadRef {
  int layer = 0;
  int head = 0;
  bool operator==(const HeadRef& o) const { return layer == o.layer && head == o.head; }
};

enum class AblationMode { Zero, Mean };

// A head of one kind of an encoder-decoder's attention ("cross L2H1").
struct KindHeadRef {
  AttentionKind kind = AttentionKind::cross;
  HeadRef head;
  bool operator==(const KindHeadRef& o) const { return kind == o.kind && head == o.head; }
};

// Parses "L5H1,L6H9" (case-insensitive, spaces around commas allowed) against a model of
// `layers` x `heads`. Throws ModelError naming the bad item: not of the form L<n>H<n>, a layer or
// head out of range (with the range), a duplicate, or an empty list.
std::vector<HeadRef> parseHeadList(const std::string& text, int layers, int heads);
std::string headRefName(const HeadRef& h);  // "L5H1"

// The id of an ablation target: "#ID", or text the session's tokenizer makes one token of (a
// leading BOS it adds is ignored). Throws ModelError naming the problem (outside the vocabulary,
// no tokenizer, several tokens).
int targetTokenId(const ModelSession& session, const std::string& text);

// What an ablated rerun starts from, for one sequence of ids: recorded by one full forward.
// Memory: layers x n x hidden floats (GPT-2 small at 1024 tokens: 36 MiB).
struct AblationBase {
  std::vector<int> ids;                          // the sequence it was recorded for
  std::vector<std::vector<float>> residual;      // [layer] -> [n][hidden]: the input of that layer
  std::vector<std::vector<float>> head_mean;     // [layer] -> [heads * head_dim]: mean over positions
                                                 // of the concatenated head outputs (before W_O)
};

// Value-weighted contributions of one head map p [nq][nk] (rows over keys; a cross-attention's
// keys are the source) with the norms ||v_j W_O^h|| [nk]: out[i][j] = p[i][j] * norms[j].
// row_normalised divides each row by its sum (rows then sum to 1, comparable to the weights; a
// row whose sum is 0 stays 0).
std::vector<float> contributionsOfWeights(const float* p, int nq, int nk, const std::vector<float>& norms, bool row_normalised);

// Log-softmax helpers in double with the maximum subtracted.
// KL(p || q) in nats of the softmaxes of two logit vectors of equal length.
double klDivergenceOfLogits(const std::vector<float>& p_logits, const std::vector<float>& q_logits);
// ln softmax(logits)[id].
double logProbOf(const std::vector<float>& logits, int id);

}  // namespace attnviz::model
