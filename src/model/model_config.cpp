#include "model/model_config.h"

#include <cmath>
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
  double positiveNumberOr(const char* key, double fallback) const {
    const auto it = doc.find(key);
    if (it == doc.end() || it->is_null()) return fallback;
    if (!it->is_number() || !(it->get<double>() > 0) || !std::isfinite(it->get<double>()))
      fail(std::string("\"") + key + "\" must be a positive number");
    return it->get<double>();
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

std::string supportedList() {
  std::string s;
  for (const auto& t : supportedModelTypes()) s += (s.empty() ? "" : ", ") + t;
  return s;
}

}  // namespace

const std::vector<std::string>& supportedModelTypes() {
  static const std::vector<std::string> types = {"gpt2", "llama", "mistral", "qwen2"};
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
    c.vocab_size = r.positiveInt("vocab_size");
    c.hidden_size = r.positiveInt("n_embd");
    c.num_layers = r.positiveInt("n_layer");
    c.num_heads = r.positiveInt("n_head");
    c.num_kv_heads = c.num_heads;
    c.max_positions = r.positiveInt("n_positions");
    c.intermediate_size = r.positiveIntOr("n_inner", 4 * c.hidden_size);
    c.norm_eps = r.positiveNumberOr("layer_norm_epsilon", 1e-5);
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
  } else if (c.model_type == "llama" || c.model_type == "mistral" || c.model_type == "qwen2") {
    c.arch = Architecture::Llama;
    c.vocab_size = r.positiveInt("vocab_size");
    c.hidden_size = r.positiveInt("hidden_size");
    c.num_layers = r.positiveInt("num_hidden_layers");
    c.num_heads = r.positiveInt("num_attention_heads");
    c.num_kv_heads = r.positiveIntOr("num_key_value_heads", c.num_heads);
    c.intermediate_size = r.positiveInt("intermediate_size");
    c.max_positions = r.positiveInt("max_position_embeddings");
    c.norm_eps = r.positiveNumberOr("rms_norm_eps", 1e-6);
    c.rope_theta = r.positiveNumberOr("rope_theta", 10000.0);
    const std::string act = r.stringOr("hidden_act", "silu");
    if (act != "silu") r.fail("hidden_act '" + act + "' is not implemented (supported: silu)");
    if (c.num_heads % c.num_kv_heads != 0)
      r.fail("num_attention_heads " + std::to_string(c.num_heads) + " is not a multiple of num_key_value_heads " +
             std::to_string(c.num_kv_heads));
    if (doc.contains("head_dim") && !doc["head_dim"].is_null()) {
      c.head_dim = r.positiveInt("head_dim");
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
    } else if (c.model_type == "mistral") {
      c.sliding_window = r.positiveIntOr("sliding_window", 0);
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
      if (kind == "linear") {
        const auto f = rs->find("factor");
        if (f == rs->end() || !f->is_number() || !(f->get<double>() > 0)) r.fail("rope_scaling 'linear' needs a positive factor");
        c.rope_linear_factor = f->get<double>();
      } else if (kind == "llama3") {
        auto number = [&](const char* key) {
          const auto f = rs->find(key);
          if (f == rs->end() || !f->is_number() || !(f->get<double>() > 0))
            r.fail(std::string("rope_scaling 'llama3' needs a positive \"") + key + "\"");
          return f->get<double>();
        };
        c.rope_llama3.factor = number("factor");
        c.rope_llama3.low_freq_factor = number("low_freq_factor");
        c.rope_llama3.high_freq_factor = number("high_freq_factor");
        c.rope_llama3.original_max_positions = number("original_max_position_embeddings");
        if (!(c.rope_llama3.high_freq_factor > c.rope_llama3.low_freq_factor))
          r.fail("rope_scaling 'llama3' needs high_freq_factor > low_freq_factor");
      } else if (kind != "default") {
        r.fail("rope_scaling '" + (kind.empty() ? std::string("(no rope_type)") : kind) +
               "' is not implemented (supported: default, linear, llama3)");
      }
    }
    c.bos_token_id = r.tokenIdOr("bos_token_id", c.vocab_size);
  } else {
    throw ModelError(file + ": model_type '" + quoteForMessage(c.model_type, 100) + "' is not supported (supported: " + supportedList() + ")");
  }
  return c;
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
