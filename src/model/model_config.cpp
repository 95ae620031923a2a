#include "model/model_config.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "model/model_error.h"
#include "model/model_json.h"
#include "core/input_file.h"

namespace attnviz::model {
namespace {

using nlohmann::json;

// Real configs hold a few hundred values (a classifier's id2label a few thousand).
constexpr std::size_t kMaxConfigJsonValues = 1u << 20;
// Ranges of the real-valued fields: real models use epsilons of 1e-12..1e-5, rope_theta of
// 500..1e6 and scaling factors of 2..64. Outside these (far wider) ranges the forward's numbers
// stop being finite (rope_theta 1e-300: 1 / theta^(2i/d) overflows; factor 1e-300: inv_freq / f
// overflows; then cos(inf) = NaN) or stop meaning anything.
constexpr double kMinNormEps = 1e-30, kMaxNormEps = 1.0;
constexpr double kMinRopeTheta = 1.0, kMaxRopeTheta = 1e12;
constexpr double kMinRopeFactor = 1e-3, kMaxRopeFactor = 1e6;

std::string shortNumber(double x);

struct Reader {
  const json& doc;
  const std::string& file;
  const std::string& type;

  [[noreturn]] void fail(const std::string& what) const { throw ModelError(file + ": " + what); }

  int positiveInt(const char* key) const {
    const auto it = doc.find(key);
    if (it == doc.end() || it->is_null()) fail("model_type '" + type + "' needs the field \"" + key + "\"");
    if (!it->is_number_integer() || it->get<std::int64_t>() <= 0 || it->get<std::int64_t>() > (1 << 30))
      fail(std::string("\"") + key + "\" must be a positive integer");
    return int(it->get<std::int64_t>());
  }
  // A positive integer no larger than `most`, a bound that no real model comes near (see kMax*).
  int boundedInt(const char* key, int most, const char* what) const {
    const int v = positiveInt(key);
    if (v > most)
      fail(std::string("\"") + key + "\" is " + std::to_string(v) + "; attnviz reads models with at most " + std::to_string(most) +
           " " + what);
    return v;
  }
  int boundedIntOr(const char* key, int fallback, int most, const char* what) const {
    const auto it = doc.find(key);
    return it == doc.end() || it->is_null() ? fallback : boundedInt(key, most, what);
  }
  // A finite number in [least, most] (the message says the range).
  double numberInOr(const char* key, double fallback, double least, double most) const {
    const auto it = doc.find(key);
    if (it == doc.end() || it->is_null()) return fallback;
    const double v = it->is_number() ? it->get<double>() : std::nan("");
    if (!(v >= least && v <= most)) fail(std::string("\"") + key + "\" must be a number from " + shortNumber(least) + " to " + shortNumber(most));
    return v;
  }
  int positiveIntOr(const char* key, int fallback) const {
    const auto it = doc.find(key);
    return it == doc.end() || it->is_null() ? fallback : positiveInt(key);
  }
  // 0 is a valid id; a list (several eos) is not needed. An integer outside the vocabulary is
  // refused rather than cut to 32 bits (2^32 + 264 would otherwise become 264).
  int tokenIdOr(const char* key, int vocabSize) const {
    const auto it = doc.find(key);
    if (it == doc.end() || !it->is_number_integer()) return -1;
    if (it->is_number_unsigned() ? it->get<std::uint64_t>() >= std::uint64_t(vocabSize) : it->get<std::int64_t>() >= vocabSize)
      fail(std::string("\"") + key + "\" is " + it->dump() + ", outside the vocabulary (0.." + std::to_string(vocabSize - 1) + ")");
    if (it->get<std::int64_t>() < 0) return -1;
    return int(it->get<std::int64_t>());
  }
  bool boolOr(const char* key, bool fallback) const {
    const auto it = doc.find(key);
    if (it == doc.end() || it->is_null()) return fallback;
    if (!it->is_boolean()) fail(std::string("\"") + key + "\" must be true or false");
    return it->get<bool>();
  }
  std::string stringOr(const char* key, const std::string& fallback) const {
    const auto it = doc.find(key);
    if (it == doc.end() || it->is_null()) return fallback;
    if (!it->is_string()) fail(std::string("\"") + key + "\" must be a string");
    return it->get<std::string>();
  }
};

std::string shortNumber(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", x);
  return buf;
}

std::string supportedList() {
  std::string s;
  for (const auto& t : supportedModelTypes()) s += (s.empty() ? "" : ", ") + t;
  return s;
}

// The sizes every config.json after GPT-2 names alike (the MLP width under `mlp_key`); key/value
// heads default to the attention heads.
void readHubSizes(const Reader& r, ModelConfig& c, const char* mlp_key) {
  c.vocab_size = r.boundedInt("vocab_size", kMaxVocabulary, "vocabulary entries");
  c.hidden_size = r.boundedInt("hidden_size", kMaxHidden, "hidden units");
  c.num_layers = r.boundedInt("num_hidden_layers", kMaxLayers, "layers");
  c.num_heads = c.num_kv_heads = r.boundedInt("num_attention_heads", kMaxHeads, "heads");
  c.intermediate_size = r.boundedInt(mlp_key, kMaxIntermediate, "MLP units");
  c.max_positions = r.boundedInt("max_position_embeddings", kMaxPositions, "positions");
}

// What every BERT-family encoder shares once its sizes are read.
void readEncoderCommon(const Reader& r, ModelConfig& c) {
  if (c.hidden_size % c.num_heads != 0)
    r.fail("the hidden size " + std::to_string(c.hidden_size) + " is not a multiple of the " + std::to_string(c.num_heads) + " heads");
  c.head_dim = c.hidden_size / c.num_heads;
  c.bidirectional = true;
  c.post_layer_norm = true;
  c.final_norm = false;
  c.tie_word_embeddings = true;
  if (r.boolOr("is_decoder", false)) r.fail("is_decoder = true (a BERT-family model used as a decoder) is not implemented");
  if (r.boolOr("add_cross_attention", false)) r.fail("add_cross_attention = true is not implemented");
  c.bos_token_id = r.tokenIdOr("bos_token_id", c.vocab_size);
}

// "layer_types" (transformers >= 4.53): one "sliding_attention" or "full_attention" per layer into
// c.local_layers; false when the file has none.
bool readLayerTypes(const Reader& r, ModelConfig& c) {
  const auto types = r.doc.find("layer_types");
  if (types == r.doc.end() || types->is_null()) return false;
  if (!types->is_array() || types->size() != std::size_t(c.num_layers))
    r.fail("\"layer_types\" must be a list of " + std::to_string(c.num_layers) + " entries (one per layer)");
  c.local_layers.assign(std::size_t(c.num_layers), 0);
  for (int l = 0; l < c.num_layers; ++l) {
    const json& t = (*types)[std::size_t(l)];
    const std::string kind = t.is_string() ? t.get<std::string>() : t.dump();
    if (kind != "sliding_attention" && kind != "full_attention")
      r.fail("layer_types[" + std::to_string(l) + "] is '" + quoteForMessage(kind, 60) + "'; attnviz knows sliding_attention and full_attention");
    c.local_layers[std::size_t(l)] = kind == "sliding_attention";
  }
  return true;
}

// Mistral, Phi-3 (every layer) and Qwen2 / Qwen3 with use_sliding_window (layers from
// max_window_layers on) slide over c.sliding_window keys, unless layer_types says otherwise;
// without a window every layer is global.
void readSlidingLayers(const Reader& r, ModelConfig& c, int first_sliding_layer) {
  if (c.sliding_window <= 0) return;
  if (readLayerTypes(r, c)) return;
  c.local_layers.assign(std::size_t(c.num_layers), 0);
  for (int l = std::max(first_sliding_layer, 0); l < c.num_layers; ++l) c.local_layers[std::size_t(l)] = 1;
}

// gemma2 / gemma3_text after the Llama-family sizes: Gemma2Config / Gemma3TextConfig and their
// modeling files. A field the file leaves out takes the class default, as Hugging Face does,
// except query_pre_attn_scalar: its default is one model's (224, Gemma 2 9B), so it is required.
void readGemma(const Reader& r, ModelConfig& c) {
  const json& doc = r.doc;
  const bool g3 = c.model_type == "gemma3_text";
  c.gemma = true;
  c.embed_scale = std::sqrt(double(c.hidden_size));
  c.tie_word_embeddings = r.boolOr("tie_word_embeddings", true);
  c.qkv_bias = c.o_bias = r.boolOr("attention_bias", false);
  c.qk_norm = g3;
  if (r.boolOr("use_bidirectional_attention", false))
    r.fail("use_bidirectional_attention = true (an embedding model without the causal mask) is not implemented");
  if (!doc.contains("query_pre_attn_scalar") || doc["query_pre_attn_scalar"].is_null())
    r.fail("model_type '" + c.model_type + "' needs the field \"query_pre_attn_scalar\" (the attention scores' scale)");
  c.attention_scale = 1.0 / std::sqrt(r.numberInOr("query_pre_attn_scalar", 1.0, 1.0, 1e6));
  // Absent: the class default (Gemma 2: 50 and 30; Gemma 3: none); null: none.
  const auto cap = [&](const char* key, double fallback) {
    if (!doc.contains(key)) return fallback;
    return r.numberInOr(key, 0.0, 1e-3, 1e6);
  };
  c.attn_softcap = cap("attn_logit_softcapping", g3 ? 0.0 : 50.0);
  c.final_softcap = cap("final_logit_softcapping", g3 ? 0.0 : 30.0);
  c.sliding_window = r.boundedIntOr("sliding_window", 4096, kMaxPositions, "positions of sliding window");
  if (g3) {
    c.rope_theta = r.numberInOr("rope_theta", 1e6, kMinRopeTheta, kMaxRopeTheta);
    c.rope_local_theta = r.numberInOr("rope_local_base_freq", 10000.0, kMinRopeTheta, kMaxRopeTheta);
  }
  // transformers 5 writes rope_parameters instead: one set, or one per layer kind
  // ({"full_attention": {...}, "sliding_attention": {...}}), each a rope_type with its rope_theta.
  if (const auto rp = doc.find("rope_parameters"); rp != doc.end() && !rp->is_null()) {
    if (const auto rs = doc.find("rope_scaling"); rs != doc.end() && !rs->is_null())
      r.fail("both rope_parameters and rope_scaling are set; attnviz reads one or the other");
    if (!rp->is_object()) r.fail("\"rope_parameters\" must be an object");
    const auto read = [&](const json& set, const char* where, bool local) {
      if (!set.is_object()) r.fail(std::string("rope_parameters") + where + " must be an object");
      const Reader sub{set, r.file, r.type};
      const std::string kind = sub.stringOr("rope_type", sub.stringOr("type", "default"));
      if (kind != "default" && (local || kind != "linear"))
        r.fail("rope_parameters" + std::string(where) + " rope_type '" + quoteForMessage(kind, 60) + "' is not implemented for " +
               c.model_type + " (supported: default" + (local ? "" : ", linear") + ")");
      double& theta = local ? c.rope_local_theta : c.rope_theta;
      theta = sub.numberInOr("rope_theta", theta, kMinRopeTheta, kMaxRopeTheta);
      if (kind == "linear") {
        c.rope_linear_factor = sub.numberInOr("factor", std::nan(""), kMinRopeFactor, kMaxRopeFactor);
        if (std::isnan(c.rope_linear_factor)) r.fail("rope_parameters" + std::string(where) + " 'linear' needs a positive \"factor\"");
      }
    };
    const bool per_kind = rp->contains("full_attention") || rp->contains("sliding_attention");
    if (per_kind && rp->contains("full_attention")) read((*rp)["full_attention"], "[\"full_attention\"]", false);
    if (per_kind && rp->contains("sliding_attention")) read((*rp)["sliding_attention"], "[\"sliding_attention\"]", true);
    if (!per_kind) read(*rp, "", false);
  }
  // Which layers slide: layer_types when the file has it; else Gemma 2's even layers, Gemma 3's
  // all but every sliding_window_pattern-th.
  if (!readLayerTypes(r, c)) {
    const char* key = doc.contains("sliding_window_pattern") ? "sliding_window_pattern" : "_sliding_window_pattern";
    const int pattern = g3 ? r.boundedIntOr(key, 6, kMaxLayers, "layers per sliding-window pattern") : 2;
    c.local_layers.assign(std::size_t(c.num_layers), 0);
    for (int l = 0; l < c.num_layers; ++l) c.local_layers[std::size_t(l)] = (l + 1) % pattern != 0;
  }
}

}  // namespace

const std::vector<std::string>& supportedModelTypes() {
  static const std::vector<std::string> types = {"bart",    "bert", "distilbert", "gemma2", "gemma3_text", "gpt2",
                                                 "gpt_neox", "llama", "marian",     "mistral", "opt",        "phi3",
                                                 "qwen2",   "qwen3", "roberta",    "t5",     "xlm-roberta"};
  return types;
}

ModelConfig parseModelConfig(const std::string& json_text, const std::string& file) {
  checkJsonLimits(json_text, file, kMaxConfigJsonValues);
  json doc;
  try {
    doc = json::parse(json_text);
  } catch (const json::exception&) {
    throw ModelError(file + ": not valid JSON");
  }
  if (!doc.is_object()) throw ModelError(file + ": not a JSON object");
  const auto mt = doc.find("model_type");
  if (mt == doc.end() || !mt->is_string())
    throw ModelError(file + ": no \"model_type\" (supported: " + supportedList() + ")");
  ModelConfig c;
  c.model_type = mt->get<std::string>();
  const Reader r{doc, file, c.model_type};
  if (c.model_type == "gpt2") {
    c.arch = Architecture::Gpt2;
    c.vocab_size = r.boundedInt("vocab_size", kMaxVocabulary, "vocabulary entries");
    c.hidden_size = r.boundedInt("n_embd", kMaxHidden, "hidden units");
    c.num_layers = r.boundedInt("n_layer", kMaxLayers, "layers");
    c.num_heads = r.boundedInt("n_head", kMaxHeads, "heads");
    c.num_kv_heads = c.num_heads;
    c.max_positions = r.boundedInt("n_positions", kMaxPositions, "positions");
    c.intermediate_size = r.boundedIntOr("n_inner", 4 * c.hidden_size, kMaxIntermediate, "MLP units");
    c.norm_eps = r.numberInOr("layer_norm_epsilon", 1e-5, kMinNormEps, kMaxNormEps);
    const std::string act = r.stringOr("activation_function", "gelu_new");
    if (act != "gelu_new") r.fail("activation_function '" + act + "' is not implemented (gpt2 supports gelu_new)");
    if (r.boolOr("scale_attn_by_inverse_layer_idx", false))
      r.fail("scale_attn_by_inverse_layer_idx is not implemented");
    if (!r.boolOr("scale_attn_weights", true)) r.fail("scale_attn_weights = false is not implemented");
    if (c.hidden_size % c.num_heads != 0)
      r.fail("n_embd " + std::to_string(c.hidden_size) + " is not a multiple of n_head " + std::to_string(c.num_heads));
    c.head_dim = c.hidden_size / c.num_heads;
    c.tie_word_embeddings = true;
    c.bos_token_id = r.tokenIdOr("bos_token_id", c.vocab_size);
  } else if (c.model_type == "llama" || c.model_type == "mistral" || c.model_type == "qwen2" ||
             c.model_type == "qwen3" || c.model_type == "phi3" || c.model_type == "gemma2" || c.model_type == "gemma3_text") {
    c.arch = Architecture::Llama;
    readHubSizes(r, c, "intermediate_size");
    c.num_kv_heads = r.boundedIntOr("num_key_value_heads", c.num_heads, kMaxHeads, "key/value heads");
    c.norm_eps = r.numberInOr("rms_norm_eps", 1e-6, kMinNormEps, kMaxNormEps);
    c.rope_theta = r.numberInOr("rope_theta", 10000.0, kMinRopeTheta, kMaxRopeTheta);
    const bool gemma = c.model_type == "gemma2" || c.model_type == "gemma3_text";
    // Gemma's MLP reads hidden_activation (its configs carry a hidden_act too, which it ignores).
    const std::string act = gemma ? r.stringOr("hidden_activation", "gelu_pytorch_tanh") : r.stringOr("hidden_act", "silu");
    if (act != (gemma ? "gelu_pytorch_tanh" : "silu"))
      r.fail(std::string(gemma ? "hidden_activation '" : "hidden_act '") + quoteForMessage(act, 60) + "' is not implemented (supported: " +
             (gemma ? "gelu_pytorch_tanh" : "silu") + ")");
    c.activation = act;
    if (c.num_kv_heads > c.num_heads)
      r.fail("num_key_value_heads " + std::to_string(c.num_kv_heads) + " is more than num_attention_heads " + std::to_string(c.num_heads));
    if (c.num_heads % c.num_kv_heads != 0)
      r.fail("num_attention_heads " + std::to_string(c.num_heads) + " is not a multiple of num_key_value_heads " +
             std::to_string(c.num_kv_heads));
    if (doc.contains("head_dim") && !doc["head_dim"].is_null()) {
      c.head_dim = r.boundedInt("head_dim", kMaxHeadDim, "units per head");
    } else {
      if (c.hidden_size % c.num_heads != 0)
        r.fail("hidden_size " + std::to_string(c.hidden_size) + " is not a multiple of num_attention_heads " +
               std::to_string(c.num_heads));
      c.head_dim = c.hidden_size / c.num_heads;
    }
    if (c.head_dim % 2 != 0) r.fail("head_dim " + std::to_string(c.head_dim) + " is odd; rotary positions need it even");
    c.tie_word_embeddings = r.boolOr("tie_word_embeddings", false);
    if (c.model_type == "qwen2") {
      c.qkv_bias = true;
      if (r.boolOr("use_sliding_window", false)) c.sliding_window = r.positiveIntOr("sliding_window", 0);
      readSlidingLayers(r, c, r.boundedIntOr("max_window_layers", 28, kMaxLayers, "layers"));
    } else if (c.model_type == "qwen3") {
      // Qwen3Attention: q/k/v/o biases only with attention_bias; q_norm and k_norm always.
      c.qkv_bias = c.o_bias = r.boolOr("attention_bias", false);
      c.qk_norm = true;
      if (r.boolOr("use_sliding_window", false)) c.sliding_window = r.positiveIntOr("sliding_window", 0);
      readSlidingLayers(r, c, r.boundedIntOr("max_window_layers", 28, kMaxLayers, "layers"));
    } else if (c.model_type == "phi3") {
      // Phi3Attention / Phi3MLP: fused projections, no biases, Mistral's sliding window.
      c.fused_projections = true;
      c.sliding_window = r.positiveIntOr("sliding_window", 0);
      readSlidingLayers(r, c, 0);
      if (doc.contains("partial_rotary_factor") && !doc["partial_rotary_factor"].is_null() &&
          !(doc["partial_rotary_factor"].is_number() && doc["partial_rotary_factor"].get<double>() == 1.0))
        r.fail("partial_rotary_factor other than 1 is not implemented for phi3");
    } else if (c.model_type == "mistral") {
      c.sliding_window = r.positiveIntOr("sliding_window", 0);
      readSlidingLayers(r, c, 0);
    } else if (gemma) {
      readGemma(r, c);
    } else {
      c.qkv_bias = c.o_bias = r.boolOr("attention_bias", false);
      c.mlp_bias = r.boolOr("mlp_bias", false);
    }
    const auto rs = doc.find("rope_scaling");
    if (rs != doc.end() && !rs->is_null()) {
      if (!rs->is_object()) r.fail("rope_scaling must be an object or null");
      std::string kind = rs->contains("rope_type") && (*rs)["rope_type"].is_string() ? (*rs)["rope_type"].get<std::string>()
                         : rs->contains("type") && (*rs)["type"].is_string()       ? (*rs)["type"].get<std::string>()
                                                                                    : "";
      // A positive number within [least, most] (see the ranges at the top).
      auto number = [&](const char* key, double least, double most) {
        const auto f = rs->find(key);
        if (f == rs->end() || !f->is_number() || !(f->get<double>() > 0))
          r.fail("rope_scaling '" + kind + "' needs a positive \"" + key + "\"");
        if (!(f->get<double>() >= least && f->get<double>() <= most))
          r.fail("rope_scaling \"" + std::string(key) + "\" must be from " + shortNumber(least) + " to " + shortNumber(most));
        return f->get<double>();
      };
      // Gemma 3 scales its global layers' rotary only (its local ones keep rope_local_base_freq).
      if (gemma && kind != "default" && kind != "linear")
        r.fail("rope_scaling '" + (kind.empty() ? std::string("(no rope_type)") : quoteForMessage(kind, 60)) + "' is not implemented for " +
               c.model_type + " (supported: default, linear)");
      if (kind == "linear") {
        c.rope_linear_factor = number("factor", kMinRopeFactor, kMaxRopeFactor);
      } else if (kind == "llama3") {
        c.rope_llama3.factor = number("factor", kMinRopeFactor, kMaxRopeFactor);
        c.rope_llama3.low_freq_factor = number("low_freq_factor", kMinRopeFactor, kMaxRopeFactor);
        c.rope_llama3.high_freq_factor = number("high_freq_factor", kMinRopeFactor, kMaxRopeFactor);
        c.rope_llama3.original_max_positions = number("original_max_position_embeddings", 1, kMaxPositions);
        if (!(c.rope_llama3.high_freq_factor > c.rope_llama3.low_freq_factor))
          r.fail("rope_scaling 'llama3' needs high_freq_factor > low_freq_factor");
      } else if (kind != "default") {
        r.fail("rope_scaling '" + (kind.empty() ? std::string("(no rope_type)") : kind) +
               "' is not implemented (supported: default, linear, llama3)");
      }
    }
    c.bos_token_id = r.tokenIdOr("bos_token_id", c.vocab_size);
    if (std::int64_t(c.num_heads) * c.head_dim > kMaxHidden)
      r.fail("num_attention_heads x head_dim = " + std::to_string(std::int64_t(c.num_heads) * c.head_dim) +
             "; attnviz reads models with at most " + std::to_string(kMaxHidden) + " query units per layer");
    // The rotary frequencies the forward uses: each must be finite and positive, and so must the
    // largest angle (position x frequency), or cos/sin turn into NaN.
    for (const bool local : {false, true}) {
      const std::vector<double> freq = rotaryInverseFrequencies(c, local);
      for (std::size_t i = 0; i < freq.size(); ++i)
        if (!(freq[i] > 0 && std::isfinite(freq[i]) && std::isfinite(float(freq[i] * c.max_positions))))
          r.fail(std::string(local ? "rope_local_base_freq " : "rope_theta ") + shortNumber(local ? c.rope_local_theta : c.rope_theta) +
                 " with this rope_scaling gives the rotary frequency " + shortNumber(freq[i]) + " (pair " + std::to_string(i) +
                 "), which is not a positive finite number");
    }
    c.rotary_dims = c.head_dim;
  } else if (c.model_type == "gpt_neox") {
    // GPTNeoXConfig / modeling_gpt_neox: fused query_key_value laid out per head, rotary on the
    // first head_dim * rotary_pct dimensions, LayerNorms with biases, exact (erf) GELU.
    c.arch = Architecture::NeoX;
    readHubSizes(r, c, "intermediate_size");
    c.norm_eps = r.numberInOr("layer_norm_eps", 1e-5, kMinNormEps, kMaxNormEps);
    c.rope_theta = r.numberInOr("rotary_emb_base", 10000.0, kMinRopeTheta, kMaxRopeTheta);
    if (c.hidden_size % c.num_heads != 0)
      r.fail("hidden_size " + std::to_string(c.hidden_size) + " is not a multiple of num_attention_heads " + std::to_string(c.num_heads));
    c.head_dim = c.hidden_size / c.num_heads;
    const double pct = r.numberInOr("rotary_pct", 0.25, 1e-9, 1.0);
    c.rotary_dims = int(c.head_dim * pct);  // int() as the Hugging Face code truncates
    if (c.rotary_dims < 2 || c.rotary_dims % 2 != 0)
      r.fail("rotary_pct " + shortNumber(pct) + " gives " + std::to_string(c.rotary_dims) +
             " rotary dimensions per head; rotary positions need an even number of at least 2");
    c.parallel_residual = r.boolOr("use_parallel_residual", true);
    const std::string act = r.stringOr("hidden_act", "gelu");
    if (act != "gelu") r.fail("hidden_act '" + act + "' is not implemented (supported: gelu)");
    if (!r.boolOr("attention_bias", true)) r.fail("attention_bias = false is not implemented");
    const auto rs = doc.find("rope_scaling");
    if (rs != doc.end() && !rs->is_null()) r.fail("rope_scaling is not implemented for gpt_neox");
    c.tie_word_embeddings = r.boolOr("tie_word_embeddings", false);
    c.bos_token_id = r.tokenIdOr("bos_token_id", c.vocab_size);
  } else if (c.model_type == "opt") {
    // OPTConfig / modeling_opt: learned positions offset by 2, separate q/k/v/out_proj with biases,
    // LayerNorm before (or, with do_layer_norm_before false, after) each block, ReLU, tied head.
    c.arch = Architecture::Opt;
    readHubSizes(r, c, "ffn_dim");
    if (c.hidden_size % c.num_heads != 0)
      r.fail("hidden_size " + std::to_string(c.hidden_size) + " is not a multiple of num_attention_heads " + std::to_string(c.num_heads));
    c.head_dim = c.hidden_size / c.num_heads;
    if (doc.contains("word_embed_proj_dim") && !doc["word_embed_proj_dim"].is_null() &&
        r.boundedInt("word_embed_proj_dim", kMaxHidden, "units") != c.hidden_size)
      r.fail("word_embed_proj_dim different from hidden_size (project_in / project_out, as in opt-350m) is not implemented");
    const std::string act = r.stringOr("activation_function", "relu");
    if (act != "relu") r.fail("activation_function '" + act + "' is not implemented (supported: relu)");
    if (!r.boolOr("enable_bias", true)) r.fail("enable_bias = false is not implemented");
    if (!r.boolOr("layer_norm_elementwise_affine", true)) r.fail("layer_norm_elementwise_affine = false is not implemented");
    c.post_layer_norm = !r.boolOr("do_layer_norm_before", true);
    c.final_norm = !c.post_layer_norm && !r.boolOr("_remove_final_layer_norm", false);
    c.position_offset = 2;
    c.norm_eps = 1e-5;  // nn.LayerNorm's default; OPTConfig has no epsilon field
    c.tie_word_embeddings = r.boolOr("tie_word_embeddings", true);
    c.bos_token_id = r.tokenIdOr("bos_token_id", c.vocab_size);
  } else if (c.model_type == "bert" || c.model_type == "roberta" || c.model_type == "xlm-roberta") {
    // modeling_bert / modeling_roberta: word + position + token-type embeddings, LayerNorm after
    // the sum and after each residual add (post-LN), exact GELU, no causal mask. RoBERTa's
    // positions start at padding_idx + 1 (create_position_ids_from_input_ids), so its table has
    // that many rows more than it has usable positions.
    c.arch = Architecture::Bert;
    readHubSizes(r, c, "intermediate_size");
    readEncoderCommon(r, c);
    c.norm_eps = c.embed_norm_eps = r.numberInOr("layer_norm_eps", 1e-12, kMinNormEps, kMaxNormEps);
    c.type_vocab_size = r.boundedIntOr("type_vocab_size", 2, 1024, "token types");
    const std::string act = r.stringOr("hidden_act", "gelu");
    if (act != "gelu") r.fail("hidden_act '" + act + "' is not implemented (supported: gelu)");
    const std::string positions = r.stringOr("position_embedding_type", "absolute");
    if (positions != "absolute")
      r.fail("position_embedding_type '" + quoteForMessage(positions, 60) + "' is not implemented (supported: absolute)");
    if (c.model_type != "bert") {
      const int pad = r.tokenIdOr("pad_token_id", c.vocab_size);
      c.position_offset = (pad < 0 ? 1 : pad) + 1;
      if (c.max_positions <= c.position_offset)
        r.fail("max_position_embeddings " + std::to_string(c.max_positions) + " leaves no position after the offset of " +
               std::to_string(c.position_offset) + " (padding_idx + 1)");
      c.max_positions -= c.position_offset;
    }
    c.sep_token_id = r.tokenIdOr("sep_token_id", c.vocab_size);
  } else if (c.model_type == "distilbert") {
    // modeling_distilbert: BERT's layout under its own names (dim, n_layers, hidden_dim), no token
    // types, every LayerNorm with eps 1e-12.
    c.arch = Architecture::Bert;
    c.distilbert_names = true;
    c.vocab_size = r.boundedInt("vocab_size", kMaxVocabulary, "vocabulary entries");
    c.hidden_size = r.boundedInt("dim", kMaxHidden, "hidden units");
    c.num_layers = r.boundedInt("n_layers", kMaxLayers, "layers");
    c.num_heads = c.num_kv_heads = r.boundedInt("n_heads", kMaxHeads, "heads");
    c.intermediate_size = r.boundedInt("hidden_dim", kMaxIntermediate, "MLP units");
    c.max_positions = r.boundedInt("max_position_embeddings", kMaxPositions, "positions");
    readEncoderCommon(r, c);
    c.norm_eps = c.embed_norm_eps = 1e-12;
    const std::string act = r.stringOr("activation", "gelu");
    if (act != "gelu") r.fail("activation '" + act + "' is not implemented (supported: gelu)");
  } else if (c.model_type == "bart" || c.model_type == "marian") {
    // modeling_bart / modeling_marian (Marian's layers are BART's): post-LN encoder and decoder
    // layers, the decoder's cross-attention after its self-attention, embeddings times
    // sqrt(d_model) with scale_embedding; BART learns positions offset by 2 and LayerNorms the
    // embeddings, Marian adds a fixed sinusoid; the head is tied to the shared embeddings plus
    // final_logits_bias.
    c.arch = Architecture::Bart;
    c.encoder_decoder = true;
    c.vocab_size = r.boundedInt("vocab_size", kMaxVocabulary, "vocabulary entries");
    c.hidden_size = r.boundedInt("d_model", kMaxHidden, "hidden units");
    c.num_layers = r.boundedInt("encoder_layers", kMaxLayers, "layers");
    c.decoder_layers = r.boundedInt("decoder_layers", kMaxLayers, "layers");
    c.num_heads = c.num_kv_heads = r.boundedInt("encoder_attention_heads", kMaxHeads, "heads");
    if (r.boundedInt("decoder_attention_heads", kMaxHeads, "heads") != c.num_heads)
      r.fail("decoder_attention_heads different from encoder_attention_heads is not implemented");
    c.intermediate_size = r.boundedInt("encoder_ffn_dim", kMaxIntermediate, "MLP units");
    c.decoder_intermediate_size = r.boundedInt("decoder_ffn_dim", kMaxIntermediate, "MLP units");
    c.max_positions = r.boundedInt("max_position_embeddings", kMaxPositions, "positions");
    if (c.hidden_size % c.num_heads != 0)
      r.fail("d_model " + std::to_string(c.hidden_size) + " is not a multiple of the " + std::to_string(c.num_heads) + " heads");
    c.head_dim = c.hidden_size / c.num_heads;
    c.activation = r.stringOr("activation_function", "gelu");
    if (c.activation != "gelu" && c.activation != "swish" && c.activation != "silu" && c.activation != "relu")
      r.fail("activation_function '" + quoteForMessage(c.activation, 60) + "' is not implemented (supported: gelu, swish, silu, relu)");
    if (c.activation == "silu") c.activation = "swish";
    if (r.boolOr("normalize_before", false)) r.fail("normalize_before = true (pre-LN, as in mBART) is not implemented");
    if (r.boolOr("add_final_layer_norm", false)) r.fail("add_final_layer_norm = true is not implemented");
    if (c.model_type == "marian") {
      if (r.boundedIntOr("decoder_vocab_size", c.vocab_size, kMaxVocabulary, "vocabulary entries") != c.vocab_size ||
          !r.boolOr("share_encoder_decoder_embeddings", true))
        r.fail("a decoder vocabulary of its own (share_encoder_decoder_embeddings = false) is not implemented");
      c.sinusoidal_positions = true;
    } else {
      c.position_offset = 2;  // BartLearnedPositionalEmbedding
      c.embed_layer_norm = true;
    }
    c.embed_scale = r.boolOr("scale_embedding", c.model_type == "marian") ? std::sqrt(double(c.hidden_size)) : 1.0;
    c.norm_eps = 1e-5;  // nn.LayerNorm's default; the configs have no epsilon
    c.tie_word_embeddings = r.boolOr("tie_word_embeddings", true);
    c.bos_token_id = r.tokenIdOr("bos_token_id", c.vocab_size);
    c.eos_token_id = r.tokenIdOr("eos_token_id", c.vocab_size);
    c.pad_token_id = r.tokenIdOr("pad_token_id", c.vocab_size);
    c.decoder_start_token_id = r.tokenIdOr("decoder_start_token_id", c.vocab_size);
    if (c.decoder_start_token_id < 0) r.fail("model_type '" + c.model_type + "' needs the field \"decoder_start_token_id\"");
    c.post_layer_norm = true;
    c.final_norm = false;
  } else if (c.model_type == "t5") {
    // T5Config / modeling_t5: d_kv per head, num_decoder_layers defaulting to num_layers, the
    // relative position buckets, T5LayerNorm's epsilon, feed_forward_proj "relu" or "gated-gelu"
    // (gelu_new, as T5Config maps it), the shared embeddings tied to the head unless
    // tie_word_embeddings is false (Flan-T5), decoder_start_token_id = pad (0).
    c.arch = Architecture::T5;
    c.encoder_decoder = true;
    c.vocab_size = r.boundedInt("vocab_size", kMaxVocabulary, "vocabulary entries");
    c.hidden_size = r.boundedInt("d_model", kMaxHidden, "hidden units");
    c.head_dim = r.boundedInt("d_kv", kMaxHeadDim, "units per head");
    c.num_heads = c.num_kv_heads = r.boundedInt("num_heads", kMaxHeads, "heads");
    if (std::int64_t(c.num_heads) * c.head_dim > kMaxHidden)
      r.fail("num_heads x d_kv = " + std::to_string(std::int64_t(c.num_heads) * c.head_dim) + "; attnviz reads models with at most " +
             std::to_string(kMaxHidden) + " attention units per layer");
    c.num_layers = r.boundedInt("num_layers", kMaxLayers, "layers");
    c.decoder_layers = r.boundedIntOr("num_decoder_layers", c.num_layers, kMaxLayers, "layers");
    c.intermediate_size = c.decoder_intermediate_size = r.boundedInt("d_ff", kMaxIntermediate, "MLP units");
    // No position table bounds T5; n_positions (512 in the released configs) bounds source and target.
    c.max_positions = r.boundedIntOr("n_positions", 512, kMaxPositions, "positions");
    c.relative_buckets = r.boundedIntOr("relative_attention_num_buckets", 32, 1 << 16, "relative position buckets");
    c.relative_max_distance = r.boundedIntOr("relative_attention_max_distance", 128, kMaxPositions, "positions of relative distance");
    if (c.relative_buckets < 4)
      r.fail("relative_attention_num_buckets " + std::to_string(c.relative_buckets) + " is below 4 (half exact, half logarithmic, each direction)");
    if (c.relative_max_distance <= c.relative_buckets / 4)
      r.fail("relative_attention_max_distance " + std::to_string(c.relative_max_distance) +
             " must be more than the exact buckets (relative_attention_num_buckets / 4)");
    c.norm_eps = r.numberInOr("layer_norm_epsilon", 1e-6, kMinNormEps, kMaxNormEps);
    const std::string ffn = r.stringOr("feed_forward_proj", "relu");
    if (ffn == "relu") {
      c.activation = "relu";
    } else if (ffn == "gated-gelu") {
      c.activation = "gelu_new";
      c.gated_ffn = true;
    } else {
      r.fail("feed_forward_proj '" + quoteForMessage(ffn, 60) + "' is not implemented (supported: relu, gated-gelu)");
    }
    c.tie_word_embeddings = r.boolOr("tie_word_embeddings", true);
    c.pad_token_id = r.tokenIdOr("pad_token_id", c.vocab_size);
    c.eos_token_id = r.tokenIdOr("eos_token_id", c.vocab_size);
    c.decoder_start_token_id = r.tokenIdOr("decoder_start_token_id", c.vocab_size);
    if (c.decoder_start_token_id < 0) c.decoder_start_token_id = c.pad_token_id >= 0 ? c.pad_token_id : 0;
    c.final_norm = true;
  } else if (c.model_type == "gemma3") {
    throw ModelError(file + ": model_type 'gemma3' (Gemma 3 with its vision tower: the text model's settings under \"text_config\","
                     " its weights under language_model.) is not implemented; the text-only model_type gemma3_text"
                     " (gemma-3-270m, gemma-3-1b) is");
  } else {
    throw ModelError(file + ": model_type '" + quoteForMessage(c.model_type, 100) + "' is not supported (supported: " + supportedList() + ")");
  }
  return c;
}

std::vector<double> rotaryInverseFrequencies(const ModelConfig& c, bool local) {
  const int hd = c.rotary_dims > 0 ? c.rotary_dims : c.head_dim;
  std::vector<double> out(std::size_t(std::max(hd / 2, 0)));
  if (local && c.rope_local_theta > 0) {  // Gemma 3's local layers: the default rotary of their own base
    for (int i = 0; i < hd / 2; ++i) out[std::size_t(i)] = 1.0 / std::pow(c.rope_local_theta, double(2 * i) / hd);
    return out;
  }
  const ModelConfig::Llama3Rope& l3 = c.rope_llama3;
  for (int i = 0; i < hd / 2; ++i) {
    double f = 1.0 / std::pow(c.rope_theta, double(2 * i) / hd) / c.rope_linear_factor;
    if (l3.factor > 0) {
      // Llama 3.1's scaling as Hugging Face computes it: long wavelengths slowed by `factor`,
      // short ones kept, the band between blended linearly in original_len / wavelength.
      const double wavelength = 2 * M_PI / f;
      const double low_wavelength = l3.original_max_positions / l3.low_freq_factor;
      const double high_wavelength = l3.original_max_positions / l3.high_freq_factor;
      if (wavelength > low_wavelength) {
        f /= l3.factor;
      } else if (wavelength >= high_wavelength) {
        const double smooth = (l3.original_max_positions / wavelength - l3.low_freq_factor) /
                              (l3.high_freq_factor - l3.low_freq_factor);
        f = (1 - smooth) * f / l3.factor + smooth * f;
      }
    }
    out[std::size_t(i)] = f;
  }
  return out;
}

ModelConfig loadModelConfig(const std::string& path) {
  std::string text;
  try {
    text = readInputFile(path, InputKind::ModelConfig);  // regular files only, never blocks, capped (4 MiB)
  } catch (const InputError& e) {
    throw ModelError(e.what());
  }
  return parseModelConfig(text, path);
}

}  // namespace attnviz::model
