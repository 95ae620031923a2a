// ModelSession: the one object the window controller and the CLI hold for a real model.
//
// It owns the weights (memory-mapped safetensors), the tokenizer and the forward pass's cache:
// per layer the queries of every head (after rotary positions) and the keys and values of every
// key/value head, never the n x n maps. A map is computed on demand by the existing engines from
// problemFor(), so memory grows with layers * n * head_dim, not layers * heads * n^2.
//
// Numbering follows Hugging Face and the literature: layers and heads from 0, "L5H1" = layer 5,
// head 1. With grouped-query attention query head h reads key/value head kvHeadOf(h) =
// h / (numHeads() / numKvHeads()).
//
// Not thread-safe: one caller at a time (the controller's thread). Needs no GL context.
// Every failure is a model::ModelError with a one-line message.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/attention.h"
#include "model/attention_kind.h"
#include "model/head_ablation.h"
#include "model/head_measures.h"
#include "model/model_config.h"
#include "model/safetensors.h"

namespace attnviz::model {

class Transformer;
class Seq2SeqTransformer;
struct LayerCache;
class ModelTokenizer;

struct NextToken {
  int id = 0;
  std::string token;  // readable piece (as tokenLabels() shows it)
  double prob = 0.0;  // softmax of the logits at that position
};

struct GenerateOptions {
  int count = 1;             // tokens to append
  bool sample = false;       // false: greedy (the most probable token)
  double temperature = 1.0;  // for sampling only
  std::uint64_t seed = 0;    // for sampling only: the same seed gives the same tokens
};

// What the last setText/setTokenIds/generate did: how much the cache saved.
struct ForwardReport {
  int tokens = 0;           // sequence length after the call
  int reused_prefix = 0;    // tokens whose cached Q/K/V were kept
  int recomputed = 0;       // tokens run through the layers
  double milliseconds = 0;  // wall time of the forward part
};

// What ablate() found at the last position (definitions in head_ablation.h).
struct AblationOutcome {
  std::vector<HeadRef> heads;
  AblationMode mode = AblationMode::Zero;
  int rerun_from_layer = 0;              // layers below it were taken from the recorded residual stream
  std::vector<NextToken> before, after;  // top-k next tokens without and with the ablation
  double kl_nats = 0;                    // KL(before || after) of the next-token distributions
  int target_id = -1;                    // -1: no target asked for
  double target_logprob_before = 0, target_logprob_after = 0;  // ln p(target)
  bool has_loss = false;                 // the text has >= 2 tokens
  double loss_before = 0, loss_after = 0;  // mean next-token loss, nats
};

// What ablateTranslation() found (definitions in head_ablation.h; zero ablation).
struct TranslationAblation {
  std::vector<KindHeadRef> heads;
  std::vector<int> before, after;  // greedy translations: the ids after the start token (</s> last when reached)
  int first_difference = -1;       // the first index where they differ (-1: the same)
  // Teacher forcing on `before`: per token mean of KL(unablated || ablated) of the next-token
  // distributions, and of ln p(before's token) without and with the ablation.
  double kl_nats = 0, logprob_before = 0, logprob_after = 0;
};

class ModelSession {
 public:
  // pathOrName: a directory with config.json, weights and tokenizer, or a Hugging Face cache name
  // (e.g. "gpt2", "HuggingFaceTB/SmolLM2-135M"). Throws ModelError.
  // require_tokenizer = false loads the weights alone (benchmarks, forward tests): then only
  // setTokenIds works and labels are "#id". `observer` hears of each tensor, then of the tokenizer
  // ("tokenizer", 0 of 1), and may throw to stop.
  static std::unique_ptr<ModelSession> load(const std::string& path_or_name, bool require_tokenizer = true,
                                            const LoadObserver& observer = {});
  ~ModelSession();
  ModelSession(const ModelSession&) = delete;
  ModelSession& operator=(const ModelSession&) = delete;

  const std::string& name() const { return name_; }            // as given, or the directory's name
  const std::string& directory() const { return directory_; }  // the resolved snapshot directory
  const ModelConfig& config() const;
  bool hasTokenizer() const;
  const ModelTokenizer* tokenizer() const { return tokenizer_.get(); }  // null when loaded without one

  // Tokenizes and runs the forward from the first token that differs from the current ones,
  // reusing the cached prefix. Throws ModelError when the text is longer than the model allows
  // (the message names the limit) or empty.
  ForwardReport setText(const std::string& text);
  // The same from token ids (tests, induction, tools without a tokenizer). Ids must be < vocab.
  ForwardReport setTokenIds(const std::vector<int>& ids);
  const ForwardReport& lastForward() const { return last_; }
  // Called during a decoder-only or encoder forward with (steps done, steps in all), before each
  // layer of each chunk; may throw to cancel it (the cached prefix stays, the text is unchanged).
  void setProgressCallback(std::function<void(int, int)> callback);

  int numTokens() const;
  const std::vector<int>& tokenIds() const;
  // The text a sequence of ids stands for (their bytes concatenated; what generate() appended).
  // Throws ModelError without a tokenizer that can decode.
  std::string decode(const std::vector<int>& ids) const;
  // An encoder-decoder's target as text (ModelTokenizer::decodeSequence: no leading space).
  std::string decodeTarget(const std::vector<int>& ids) const;
  // The readable label of any id ("#id" when the tokenizer has no piece for it).
  std::string tokenLabel(int id) const { return labelOf(id); }
  // Readable pieces, one per token (a leading space shown as a subtle mark, e.g. "·bank").
  const std::vector<std::string>& tokenLabels() const { return labels_; }

  // Encoders (the BERT family) attend in both directions: no causal mask, no generation, and
  // the logits are the masked-LM head's (fill-mask). attentionKinds() is {decoder}, {encoder}, or
  // for an encoder-decoder (bart, marian, t5) {encoder, decoder, cross}.
  bool isEncoder() const;
  bool isEncoderDecoder() const { return seq2seq_ != nullptr; }
  std::vector<AttentionKind> attentionKinds() const;

  // Encoder-decoders. setText / setTokenIds give the source (the encoder's input) and reset the
  // target to decoder_start_token_id alone; setTarget gives the decoder's input after that start
  // token (teacher forcing: "what if the translation were this?"); generate appends to the
  // target, greedy or sampled, stopping after the end-of-sequence token. The kind of attention
  // chosen (setAttentionKind, default cross) decides what numLayers, numTokens, tokenIds,
  // tokenLabels, headName and problemFor speak of: the encoder's (source x source), the
  // decoder's (target x target, causal) or the cross-attention (target queries x source keys).
  // ModelError for a kind the model does not have.
  ForwardReport setTarget(const std::string& text);
  ForwardReport setTargetIds(const std::vector<int>& ids_after_start);
  void setAttentionKind(AttentionKind kind);
  AttentionKind attentionKind() const { return kind_; }
  const std::vector<std::string>& sourceLabels() const { return source_labels_; }
  const std::vector<std::string>& targetLabels() const { return target_labels_; }
  const std::vector<int>& sourceIds() const;
  const std::vector<int>& targetIds() const;  // the decoder's input, decoder_start_token_id first
  // Labels of the keys of the chosen kind (the source for encoder and cross attention).
  const std::vector<std::string>& keyLabels() const;
  // The tokenizer's mask token ("[MASK]", "<mask>"), -1 when it has none; the positions holding it.
  int maskTokenId() const { return mask_id_; }
  std::vector<int> maskPositions() const;
  // Token types (segments) the forward used, one per token (all 0 but for BERT's "A [SEP] B").
  std::vector<int> segmentIds() const;

  int numLayers() const;
  int numHeads() const;
  int numKvHeads() const;
  int headDim() const;
  int kvHeadOf(int head) const;
  std::string headName(int layer, int head) const;  // "L5H1", with "(kv 0)" under GQA

  // The attention problem of one head (heads = 1) or of every head of the layer (heads =
  // numHeads(), head_names "L5H0"...) with causal mask (none for an encoder), scale 1/sqrt(head_dim), temperature 1,
  // q = that head's queries, k/v = its key/value head's keys/values, token labels. T5: no
  // 1/sqrt(head_dim), and its relative position bias in score_bias (self-attention only), which
  // cpu-ref and cpu-fast add and the GPU engines refuse by name.
  // Throws ModelError for a layer/head out of range or before any text.
  AttentionProblem problemFor(int layer, int head) const;
  AttentionProblem problemForLayer(int layer) const;

  // Top-k next tokens after `position` (default: the last token). k is clamped to the vocabulary.
  std::vector<NextToken> nextTokens(int k, int position = -1) const;
  // The k most probable tokens of one row of logits [vocab] (softmax in double, the maximum
  // subtracted; larger logit first, ties by id): what nextTokens and ablation report.
  std::vector<NextToken> topTokens(const std::vector<float>& logits, int k) const;
  // Appends tokens one at a time with the KV cache; returns the ids appended. Throws ModelError
  // for an encoder (it has no next token to predict).
  std::vector<int> generate(const GenerateOptions& options);

  // Measures of every layer x head on the current text (cpu-fast maps, head by head).
  std::vector<HeadMeasures> measures() const;
  // Induction scores [layer][head] on `repeat` random tokens repeated twice (seeded, after BOS
  // when the config names one). Runs its own forward, then the current text's again.
  std::vector<std::vector<double>> inductionScores(int repeat = 50, std::uint64_t seed = 1);
  // Attention rollout after the last layer, [n][n] row-major (see head_measures.h).
  std::vector<float> rollout() const;

  // Head ablation and importance (head_ablation.h; implemented in head_ablation.cpp). Each call
  // records the residual stream of the current text once (one forward), then reruns only from
  // the first ablated layer; the cache and the maps of the current text are left as they were.
  // heads must be valid and distinct (parseHeadList checks both); target_id < 0: none.
  AblationOutcome ablate(const std::vector<HeadRef>& heads, AblationMode mode, int top_k, int target_id = -1);
  // [layer][head]: the increase of the next-token loss (nats) when that head alone is
  // zero-ablated. progress(done, total) is called after each head when given. Throws ModelError
  // for fewer than 2 tokens.
  // An encoder-decoder's: the heads of the kind shown, on the loss of the target (>= 1 token
  // after the start) as nextTokenLoss() gives it.
  std::vector<std::vector<double>> headImportance(const std::function<void(int, int)>& progress = {});
  // Encoder-decoders: zero-ablates heads of any kind from now on (maps, logits, generation), {}
  // for none (Seq2SeqTransformer::setAblation). Throws ModelError for other models.
  void setAblation(const std::vector<KindHeadRef>& heads);
  // Translates the current source greedily (up to max_tokens) without and with `heads`
  // zero-ablated and compares the two; the target, the ablation and the maps are left as they were.
  TranslationAblation ablateTranslation(const std::vector<KindHeadRef>& heads, int max_tokens);
  // Every head's attention problem (as problemForLayer) of each layer from the first ablated one
  // on, in the run with `heads` ablated: [layer - *from_layer]. The ablated layer's own maps equal
  // the unablated ones (ablation acts after the weights); the layers above it see a changed input.
  std::vector<AttentionProblem> ablatedProblems(const std::vector<HeadRef>& heads, AblationMode mode, int* from_layer);
  // The text's mean next-token loss, nats (>= 2 tokens); an encoder-decoder's: of its target's
  // tokens after the start token, teacher-forced.
  double nextTokenLoss() const;
  // ||v_j W_O^h|| per key j (b_O excluded), [keys]: multiply the weights' columns by it for the
  // value-weighted contributions (contributionsOfWeights). An encoder-decoder's: of the kind of
  // attention shown (a cross-attention head's keys are the source).
  std::vector<float> valueOutputNorms(int layer, int head) const;

  // For benchmarks and tests. transformer() throws ModelError for an encoder-decoder.
  const Transformer& transformer() const;
  const Seq2SeqTransformer* seq2seq() const { return seq2seq_.get(); }
  std::size_t cacheBytes() const;

 private:
  ModelSession();
  void relabel();
  AttentionProblem problemOfCache(const LayerCache& lc, int layer) const;
  std::string labelOf(int id) const;

  std::string name_, directory_;
  void requireDecoderOnlyOrEncoder(const char* what) const;
  std::vector<int> generateTarget(const GenerateOptions& options);
  std::vector<std::vector<double>> targetHeadImportance(const std::function<void(int, int)>& progress);
  // Fills last_ for a forward started at t0 over `tokens` tokens of which `kept` were cached; relabels.
  const ForwardReport& reportForward(std::chrono::steady_clock::time_point t0, int tokens, int kept);

  std::unique_ptr<Transformer> transformer_;
  std::unique_ptr<Seq2SeqTransformer> seq2seq_;
  AttentionKind kind_ = AttentionKind::decoder;
  std::vector<std::string> source_labels_, target_labels_;
  std::unique_ptr<ModelTokenizer> tokenizer_;
  std::vector<std::string> labels_;
  ForwardReport last_;
  int mask_id_ = -1;
};

}  // namespace attnviz::model
