// The forward pass of a decoder-only transformer (gpt2, Llama family) on the CPU with OpenBLAS,
// keeping per layer what the attention views need. Needs no GL context.
//
// Cache layout (per layer): Q [heads][n][head_dim] after rotary positions, K and V
// [kv_heads][n][head_dim]; each head's rows are contiguous, so a head's queries are exactly the
// q of a one-head core::AttentionProblem. The final hidden states (after the last norm) are kept
// [n][hidden] so the logits of any position are one matrix-vector product.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/model_config.h"
#include "model/safetensors.h"

namespace attnviz::model {

struct LayerCache {
  std::vector<std::vector<float>> q;  // [heads] -> [n][head_dim]
  std::vector<std::vector<float>> k;  // [kv_heads] -> [n][head_dim]
  std::vector<std::vector<float>> v;  // [kv_heads] -> [n][head_dim]
};

class Transformer {
 public:
  // Reads every tensor the architecture needs and checks its shape against the config; throws
  // ModelError naming the file, the tensor, the expected and the found shape.
  Transformer(ModelConfig config, WeightStore weights);
  ~Transformer();
  Transformer(Transformer&&) noexcept;
  Transformer& operator=(Transformer&&) noexcept;

  const ModelConfig& config() const { return config_; }

  // Makes the cached sequence equal to `ids`: keeps the longest common prefix with the current
  // ids and runs the layers for the rest. Returns the number of tokens kept. Throws ModelError for
  // an id outside the vocabulary or a sequence longer than max_positions (naming the limit).
  int setTokens(const std::vector<int>& ids);
  // Appends one token (the generate path).
  void append(int id);

  int length() const { return int(ids_.size()); }
  const std::vector<int>& ids() const { return ids_; }
  const LayerCache& layer(int l) const { return cache_[std::size_t(l)]; }

  // Logits [vocab] at `position` (0..n-1), in double-free float but accumulated by BLAS.
  std::vector<float> logits(int position) const;

  // Bytes held by the per-layer cache and the final hidden states.
  std::size_t cacheBytes() const;
  // Multiply-adds * 2 of running `count` tokens after `prefix` through all layers (projections,
  // scores, P.V, MLP; without the logits). For the benchmark's FLOP rate.
  double forwardFlops(int prefix, int count) const;

 private:
  struct Weights;
  void truncate(int n);
  void run(int start);  // runs tokens [start, n) given the cache for [0, start)

  ModelConfig config_;
  WeightStore store_;
  Weights* w_ = nullptr;
  std::vector<int> ids_;
  std::vector<LayerCache> cache_;
  std::vector<float> final_hidden_;  // [n][hidden]
  std::vector<float> rope_inv_freq_;  // [head_dim / 2]
};

}  // namespace attnviz::model
