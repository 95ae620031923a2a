// The forward pass of a decoder-only transformer (gpt2, Llama family) on the CPU with OpenBLAS,
// keeping per layer what the attention views need. Needs no GL context.
//
// Cache layout (per layer): Q [heads][n][head_dim] after rotary positions, K and V
// [kv_heads][n][head_dim]; each head's rows are contiguous, so a head's queries are exactly the
// q of a one-head core::AttentionProblem. The final hidden states (after the last norm) are kept
// [n][hidden] so the logits of any position are one matrix-vector product.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model/head_ablation.h"
#include "model/model_config.h"
#include "model/packed_weights.h"
#include "model/safetensors.h"

namespace attnviz {
class MemoryEstimate;
}

namespace attnviz::model {

struct TransformerWeights;  // the tensors of one architecture (transformer.cpp)

struct LayerCache {
  std::vector<std::vector<float>> q;  // [heads] -> [n][head_dim]
  std::vector<std::vector<float>> k;  // [kv_heads] -> [n][head_dim]
  std::vector<std::vector<float>> v;  // [kv_heads] -> [n][head_dim]
};

class Transformer {
 public:
  // Checks that every tensor the architecture needs is there with the shape the config implies
  // (ModelError naming the file, the tensor, the expected and the found shape) and that the weights
  // fit the memory budget (core/memory_budget.h; ModelError with the estimate), then reads them.
  Transformer(ModelConfig config, WeightStore weights, const LoadObserver& observer = {});
  ~Transformer();
  Transformer(Transformer&&) noexcept;
  Transformer& operator=(Transformer&&) noexcept;

  const ModelConfig& config() const { return config_; }

  // Makes the cached sequence equal to `ids`: keeps the longest common prefix with the current
  // ids and runs the layers for the rest. Returns the number of tokens kept. Throws ModelError for
  // an id outside the vocabulary, a sequence longer than max_positions (naming the limit), one
  // whose memory (estimateTokens) is over the budget, or a forward whose values stop being finite
  // (naming the layer and stage, and the tensor holding a NaN/Inf when one does; the cache then
  // holds the prefix that was kept).
  int setTokens(const std::vector<int>& ids);
  // Appends one token (the generate path).
  void append(int id);

  int length() const { return int(ids_.size()); }
  const std::vector<int>& ids() const { return ids_; }
  const LayerCache& layer(int l) const { return cache_[std::size_t(l)]; }

  // Logits [vocab] at `position` (0..n-1), in double-free float but accumulated by BLAS; for an
  // encoder, its masked-LM head's (fill-mask at a [MASK]). Throws ModelError when one is not
  // finite (naming the output tensor), or for an encoder file without a masked-LM head.
  std::vector<float> logits(int position) const;
  bool hasLanguageModelHead() const;

  // BERT's token types of the current ids: 0 up to and including the first separator
  // (config().sep_token_id), 1 after it, as Hugging Face encodes a pair "A [SEP] B"; all 0
  // without token types or a known separator.
  std::vector<int> segmentIds() const;
  // Sets the separator when config.json does not name it (the session takes it from the
  // tokenizer); reruns the current ids if it changed.
  void setSeparatorId(int id);

  // What a sequence of n tokens takes: the weights (mapped and converted), the Q/K/V cache and
  // final hidden states, the forward's activations, the logits of one position and the largest
  // map the views compute (every head of one layer, as `dump` and the window's head grid do).
  MemoryEstimate estimateTokens(int n) const;
  // The format of every layer's linear matrices, layer by layer in the order Q/K/V (or fused
  // QKV), output, MLP (packed_weights.h; f32 where the CPU lacks the kernels or ATTNVIZ_WEIGHTS=f32).
  std::vector<WeightFormat> linearWeightFormats() const;
  // Bytes held by the per-layer cache and the final hidden states.
  std::size_t cacheBytes() const;
  // Multiply-adds * 2 of running `count` tokens after `prefix` through all layers (projections,
  // scores, P.V, MLP; without the logits). For the benchmark's FLOP rate.
  double forwardFlops(int prefix, int count) const;

  // Head ablation, contributions and loss (definitions in head_ablation.h). None of these change
  // the cache or the final hidden states of the current ids.
  //
  // One full forward of the current ids (from position 0, into scratch) recording the residual
  // stream entering every layer and every head's mean output. Throws ModelError before any text.
  AblationBase recordAblationBase();
  // Final hidden states [n][hidden] of the current ids with `heads` ablated: layers from
  // `from_layer` on are rerun on base.residual[from_layer] (-1: the first ablated layer; a smaller
  // from_layer reruns unchanged layers too, which tests use). `heads` may be empty. With
  // ablated_layers given, it receives the Q/K/V of layers from_layer.. of the ablated run
  // (index 0 = from_layer) for the ablated maps. base must have been recorded for the current ids.
  std::vector<float> ablatedFinalHidden(const AblationBase& base, const std::vector<HeadRef>& heads, AblationMode mode,
                                        int from_layer = -1, std::vector<LayerCache>* ablated_layers = nullptr);
  const std::vector<float>& finalHidden() const { return final_hidden_; }
  // Called before each layer of each chunk of setTokens' forward with (steps done, steps in all);
  // it may throw to cancel (setTokens then keeps the cached prefix, as for any failure).
  void setProgressCallback(std::function<void(int, int)> callback) { progress_ = std::move(callback); }
  // Logits [vocab] of one row of final hidden states (not checked for finiteness).
  std::vector<float> logitsOfHidden(const float* hidden_row) const;
  // Mean over positions 0..n-2 of -ln softmax(logits(i))[ids[i+1]], in nats, from final hidden
  // states [n][hidden] of the current ids (logits in blocks of rows, never [n][vocab] at once).
  // Throws ModelError for fewer than 2 tokens.
  double nextTokenLoss(const std::vector<float>& final_hidden) const;
  // ||v_j W_O^h|| for every key j of head `head` of `layer` (v of its key/value head, value bias
  // included, W_O^h the head's head_dim rows (Conv1D) / columns (nn.Linear) of the output
  // projection, b_O excluded), [n].
  std::vector<float> valueOutputNorms(int layer, int head) const;

 private:
  // Optional hooks of run(): where ablation and recording plug into the one forward.
  struct ForwardHooks {
    int first_layer = 0;                                  // layers below are skipped
    const std::vector<float>* residual_in = nullptr;      // [n][hidden] entering first_layer (> 0)
    std::vector<std::vector<float>>* residual_out = nullptr;  // [layer][n][hidden] recorded
    // Called with the chunk's concatenated head outputs [rows][heads * head_dim] before W_O.
    std::function<void(int layer, int first_row, int rows, float* heads)> before_output_projection;
  };
  void truncate(int n);
  void run(int start, const ForwardHooks* hooks = nullptr);  // runs tokens [start, n) given the cache for [0, start)
  // Runs `hooks` from position 0 with the cache of layers >= first and the final hidden states
  // swapped for scratch (restored even when the forward throws); returns the scratch hidden states.
  std::vector<float> runOnScratch(const ForwardHooks& hooks, std::vector<LayerCache>* scratch_layers);
  // Throws the ModelError for a non-finite value at `index` of a stage's output.
  [[noreturn]] void nonFinite(const std::string& stage, const std::vector<std::string>& tensors, int first_token, int width,
                              std::size_t index, float value) const;

  ModelConfig config_;
  WeightStore store_;
  TransformerWeights* w_ = nullptr;
  std::uint64_t weight_bytes_mapped_ = 0, weight_bytes_converted_ = 0, weight_bytes_packed_ = 0;
  std::vector<int> ids_;
  std::function<void(int, int)> progress_;
  std::vector<LayerCache> cache_;
  std::vector<float> final_hidden_;  // [n][hidden]
  std::vector<float> rope_inv_freq_;  // [head_dim / 2]
  std::vector<float> rope_inv_freq_local_;  // gemma3_text's local layers (rope_local_base_freq); else empty
  // valueOutputNorms of the keys so far, [layer][head][key]; truncate() keeps those of the prefix.
  mutable std::vector<std::vector<std::vector<float>>> value_norms_;
};

}  // namespace attnviz::model
