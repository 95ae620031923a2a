// config.json of a Hugging Face checkpoint, for the architectures attnviz runs: the decoders gpt2,
// the Llama family (llama, mistral, qwen2, qwen3, phi3, gemma2, gemma3_text), gpt_neox (Pythia) and opt, and the BERT
// family of encoders (bert, roberta, distilbert), and the encoder-decoders bart, marian and t5. Needs
// no GL context.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace attnviz::model {

enum class Architecture { Gpt2, Llama, NeoX, Opt, Bert, Bart, T5 };

// Bounds on the sizes in config.json, far above what any real model uses (in brackets the largest
// we know of, 2026-12): a damaged or hostile config is refused before anything is sized by it.
inline constexpr int kMaxLayers = 1024;              // [126, Llama 3.1 405B]
inline constexpr int kMaxHeads = 1024;               // [128]
inline constexpr int kMaxHidden = 65536;             // [18432]; also heads * head_dim
inline constexpr int kMaxHeadDim = 4096;             // [256]
inline constexpr int kMaxIntermediate = 1 << 19;     // [73728]
inline constexpr int kMaxPositions = 1 << 24;        // [10M, Llama 4 Scout]
inline constexpr int kMaxVocabulary = 1 << 21;       // [262144, Gemma 3]

struct ModelConfig {
  std::string model_type;  // as in the file: "gpt2", "llama", "mistral", "qwen2"
  Architecture arch = Architecture::Gpt2;
  int vocab_size = 0;
  int hidden_size = 0;        // n_embd
  int num_layers = 0;         // n_layer / num_hidden_layers
  int num_heads = 0;          // n_head / num_attention_heads
  int num_kv_heads = 0;       // num_key_value_heads (= num_heads for gpt2)
  int head_dim = 0;           // head_dim, else hidden_size / num_heads
  int intermediate_size = 0;  // n_inner (default 4 * n_embd) / intermediate_size
  int max_positions = 0;      // n_positions / max_position_embeddings
  double norm_eps = 1e-5;     // layer_norm_epsilon / rms_norm_eps
  double rope_theta = 10000;  // Llama family
  double rope_linear_factor = 1;  // rope_scaling {"rope_type": "linear", "factor": f}
  // rope_scaling {"rope_type": "llama3", ...} (Llama 3.1 / 3.2): factor > 0 when active.
  struct Llama3Rope {
    double factor = 0, low_freq_factor = 1, high_freq_factor = 4, original_max_positions = 8192;
  } rope_llama3;
  int sliding_window = 0;     // keys a local layer's query sees (its own included); 0 = none
  bool qkv_bias = false;      // qwen2 always; llama with attention_bias
  bool o_bias = false;        // llama with attention_bias
  bool mlp_bias = false;      // llama with mlp_bias
  int rotary_dims = 0;        // dimensions of each head that rotate: head_dim, or gpt_neox's head_dim * rotary_pct
  bool parallel_residual = false;  // gpt_neox use_parallel_residual: x + attn(ln1(x)) + mlp(ln2(x))
  bool post_layer_norm = false;    // opt do_layer_norm_before = false: LayerNorm after each residual add
  bool final_norm = true;          // opt: no final_layer_norm with post-LN or _remove_final_layer_norm
  int position_offset = 0;         // opt: learned positions start at row 2 of embed_positions
  bool fused_projections = false;  // phi3: one qkv_proj (q | k | v rows) and one gate_up_proj (gate | up)
  bool qk_norm = false;       // qwen3, gemma3_text: RMSNorm over each head's q and k before rotary (q_norm, k_norm)
  // Gemma (gemma2, gemma3_text): every RMSNorm scales by (1 + weight); besides input_layernorm
  // and the MLP's pre_feedforward_layernorm, post_attention_layernorm and post_feedforward_layernorm
  // normalise each sublayer's output before the residual add; embeddings times sqrt(hidden)
  // (embed_scale); GeGLU with activation "gelu_pytorch_tanh".
  bool gemma = false;
  double attention_scale = 0;  // factor of q.k: query_pre_attn_scalar^-0.5 (Gemma); 0 = 1/sqrt(head_dim)
  double attn_softcap = 0;     // attn_logit_softcapping: score -> cap * tanh(score / cap); 0 = none
  double final_softcap = 0;    // final_logit_softcapping on the logits likewise; 0 = none
  // [num_layers] 1 = a local layer (sliding-window attention over sliding_window keys), 0 = global;
  // empty when no layer slides. Gemma by its rules or layer_types; Mistral and Phi-3 every layer;
  // Qwen2 / Qwen3 with use_sliding_window the layers from max_window_layers on.
  std::vector<std::uint8_t> local_layers;
  double rope_local_theta = 0;  // gemma3_text: the local layers' rope base, without rope_scaling; 0 = rope_theta
  bool tie_word_embeddings = true;
  int bos_token_id = -1;
  // Encoders (Architecture::Bert): every token attends to every other (no causal mask), the
  // embeddings are LayerNormed (embed_norm_eps), and the logits are the masked-LM head's.
  bool bidirectional = false;
  int type_vocab_size = 0;         // bert: token-type (segment) embeddings; 0 = none (distilbert)
  double embed_norm_eps = 1e-12;   // the embeddings' LayerNorm (and the MLM head's)
  int sep_token_id = -1;           // bert: tokens after the first one are segment 1 (sentence B)
  int mask_token_id = -1;          // [MASK] / <mask>, when config.json names it
  // Names of the BERT-family tensors: bert/roberta (encoder.layer.N.attention.self.query ...) or
  // distilbert (transformer.layer.N.attention.q_lin ...).
  bool distilbert_names = false;
  // Encoder-decoders (Architecture::Bart: bart, marian; Architecture::T5): num_layers, num_heads and
  // intermediate_size are the encoder's; the decoder's follow. max_positions bounds the source and
  // the target each.
  bool encoder_decoder = false;
  int decoder_layers = 0;
  int decoder_intermediate_size = 0;
  int decoder_start_token_id = -1;
  int eos_token_id = -1;
  int pad_token_id = -1;
  double embed_scale = 1.0;          // scale_embedding: sqrt(d_model)
  bool sinusoidal_positions = false;  // marian: sin | cos halves, computed, not read
  bool embed_layer_norm = false;      // bart: layernorm_embedding after the embeddings
  std::string activation = "gelu";    // the MLP's: gelu (exact), swish (silu) or relu; t5: relu or gelu_new
  // T5 (Architecture::T5): pre-LN blocks with RMS norms (norm_eps = layer_norm_epsilon), no
  // 1/sqrt(d) on the scores, a relative position bias per stack (in its first layer) added to the
  // self-attention scores, feed-forward wi -> act -> wo or, gated, act(wi_0) * wi_1 -> wo.
  // head_dim is d_kv (num_heads * d_kv may differ from d_model).
  int relative_buckets = 0;          // relative_attention_num_buckets
  int relative_max_distance = 0;     // relative_attention_max_distance
  bool gated_ffn = false;            // feed_forward_proj "gated-gelu"

  // The key/value head query head h reads: h / (num_heads / num_kv_heads).
  int kvHeadOf(int head) const { return head / (num_heads / num_kv_heads); }
  bool isLocalLayer(int layer) const { return layer >= 0 && std::size_t(layer) < local_layers.size() && local_layers[std::size_t(layer)]; }
  // Keys a query of `layer` sees back to (its own included); 0 = every earlier key.
  int windowOf(int layer) const { return isLocalLayer(layer) ? sliding_window : 0; }
};

const std::vector<std::string>& supportedModelTypes();

// The rotary inverse frequencies [head_dim / 2] of a Llama-family config, in double, after its
// rope_scaling (linear or llama3); with `local`, those of Gemma 3's local layers (rope_local_theta,
// unscaled). parseModelConfig has checked that each is finite and positive.
std::vector<double> rotaryInverseFrequencies(const ModelConfig& config, bool local = false);

// Parses config.json text; `file` names it in messages. Throws ModelError: not JSON, unknown
// model_type (listing the supported ones), a field its type needs missing or not a positive
// number, a size beyond the bounds above, inconsistent sizes, a number that would make the forward
// non-finite (rope_theta, rope_scaling factors, epsilon outside their ranges), a rope_scaling or
// activation that is not implemented (by name).
ModelConfig parseModelConfig(const std::string& json_text, const std::string& file = "config.json");
ModelConfig loadModelConfig(const std::string& path);

}  // namespace attnviz::model
