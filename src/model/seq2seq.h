// The forward pass of an encoder-decoder transformer (bart, marian, t5) on the CPU with OpenBLAS,
// keeping what the three kinds of attention views need. Needs no GL context.
//
// The source runs through the encoder once (bidirectional self-attention); every decoder layer
// then projects the encoder's output to its cross-attention keys and values, also once. The target
// (decoder_start_token_id first) runs through the decoder causally with its self-attention keys and
// values cached, so a generated token costs one row per layer. Cache layout as in transformer.h:
// Q [heads][n][head_dim], K and V [heads][n][head_dim]; for cross-attention Q has the target's
// rows and K/V the source's.
//
// T5's self-attention adds a relative position bias to q.k (and does not divide by sqrt(d)); the
// maps' problems must carry it (scoreBias), the cached Q/K alone do not give them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/attention_kind.h"
#include "model/head_ablation.h"
#include "model/model_config.h"
#include "model/safetensors.h"
#include "model/transformer.h"

namespace attnviz::model {

struct Seq2SeqWeights;  // seq2seq.cpp

// T5Attention._relative_position_bucket: the bucket of relative = key position - query position.
// Bidirectional (encoder): half the buckets for keys after the query; unidirectional (decoder):
// keys after the query share bucket 0. In each half, distances below half of it are exact, larger
// ones logarithmic up to max_distance (computed in float, as Hugging Face's torch code does).
int t5RelativeBucket(int relative, bool bidirectional, int buckets, int max_distance);

// One stack's relative position bias: table [buckets][heads] (its layer 0's relative_attention_bias).
struct RelativeBias {
  const float* table = nullptr;
  int heads = 0, buckets = 0, max_distance = 0;
  bool bidirectional = false;
  int bucket(int relative) const { return t5RelativeBucket(relative, bidirectional, buckets, max_distance); }
  float at(int head, int relative) const { return table[std::size_t(bucket(relative)) * heads + head]; }
};

class Seq2SeqTransformer {
 public:
  // Checks every tensor's presence and shape and the memory budget before reading (ModelError).
  Seq2SeqTransformer(ModelConfig config, WeightStore weights, const LoadObserver& observer = {});
  ~Seq2SeqTransformer();
  Seq2SeqTransformer(Seq2SeqTransformer&&) noexcept;
  Seq2SeqTransformer& operator=(Seq2SeqTransformer&&) noexcept;

  const ModelConfig& config() const { return config_; }

  // Runs the encoder on `ids` (unless they are the current source) and forgets the target.
  // ModelError for an id outside the vocabulary, no ids, more than max_positions, or a forward
  // that stops being finite.
  void setSource(const std::vector<int>& ids);
  // Makes the decoder's ids equal to `ids` (the first is normally decoder_start_token_id), keeping
  // the longest common prefix; returns the number of tokens kept. Needs a source.
  int setTarget(const std::vector<int>& ids);
  void appendTarget(int id);

  const std::vector<int>& sourceIds() const { return source_; }
  const std::vector<int>& targetIds() const { return target_; }
  int layers(AttentionKind kind) const { return kind == AttentionKind::encoder ? config_.num_layers : config_.decoder_layers; }
  // Q/K/V of one layer of a kind: encoder self (source x source), decoder self (target x
  // target, causal) or cross (target queries, source keys and values).
  const LayerCache& layer(AttentionKind kind, int l) const;

  // T5: the position bias its self-attention adds to q.k, [heads][n][n] for every head (head < 0)
  // or [1][n][n] for one, over the current source (encoder) or target (decoder); empty for the
  // cross-attention and for bart/marian (no bias). scoresScaledBySqrtD(): false for T5.
  std::vector<float> scoreBias(AttentionKind kind, int head = -1) const;
  bool scoresScaledBySqrtD() const { return config_.arch != Architecture::T5; }

  // Zero ablation (head_ablation.h's definition): the outputs of these heads of a kind (their
  // head_dim slices before the output projection) are zeros in every forward from now on, until
  // set again ({} for none). Reruns the encoder when its heads change, then the decoder over the
  // target so far; the caches and maps are then those of the ablated model.
  void setAblation(const std::vector<KindHeadRef>& heads);
  const std::vector<KindHeadRef>& ablation() const { return ablation_; }

  // ||v_j W_O^h|| for every key j of a head of a kind (head_ablation.h): the encoder's or the
  // decoder's self-attention over its own tokens, the cross-attention over the source. [keys].
  std::vector<float> valueOutputNorms(AttentionKind kind, int layer, int head) const;

  // Logits [vocab] of the next target token after target position `position`.
  std::vector<float> logits(int position) const;
  // Multiply-adds * 2 of the encoder over the source and of the decoder over `count` target
  // tokens after `prefix` (projections, scores, P.V, MLPs, the cross keys/values once).
  double encoderFlops() const;
  double decoderFlops(int prefix, int count) const;
  std::size_t cacheBytes() const;

 private:
  void runEncoder();
  void runDecoder(int start);
  void truncateTarget(int n);
  RelativeBias relativeBias(AttentionKind kind) const;

  // [layer][head] != 0: that head of the kind is zero-ablated (empty when none is).
  const std::vector<char>* ablatedHeads(AttentionKind kind, int layer) const;

  ModelConfig config_;
  WeightStore store_;
  std::vector<KindHeadRef> ablation_;
  std::vector<std::vector<char>> ablated_[3];  // by AttentionKind: [layer][head]
  std::unique_ptr<Seq2SeqWeights> w_;
  std::vector<int> source_, target_;
  std::vector<LayerCache> encoder_, decoder_, cross_;
  std::vector<float> encoder_out_;   // [ns][D]: what the cross-attention reads
  std::vector<float> decoder_out_;   // [nt][D]: final decoder states
};

}  // namespace attnviz::model
