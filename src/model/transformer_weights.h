// Internal to the forward pass (transformer.cpp, transformer_weights.cpp): the weights of one
// architecture as the forward reads them, and the loader that checks and reads them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "model/model_config.h"
#include "model/model_error.h"
#include "model/packed_weights.h"
#include "model/safetensors.h"

namespace attnviz::model {

inline std::string shapeText(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// "bert", "roberta" or "distilbert": the prefix of a BERT-family model's tensors in its *ForMaskedLM files.
inline std::string bertPrefix(const ModelConfig& c) {
  if (c.distilbert_names) return "distilbert";
  return c.model_type == "bert" ? "bert" : "roberta";
}

// "x.LayerNorm.weight" -> "x.LayerNorm.gamma", ".bias" -> ".beta"; empty for other names.
inline std::string tensorflowLayerNormName(const std::string& name) {
  const auto ends = [&](const std::string& tail) {
    return name.size() >= tail.size() && name.compare(name.size() - tail.size(), tail.size(), tail) == 0;
  };
  if (ends("LayerNorm.weight")) return name.substr(0, name.size() - 6) + "gamma";
  if (ends("LayerNorm.bias")) return name.substr(0, name.size() - 4) + "beta";
  return {};
}

// A weight matrix as stored: Conv1D [in][out] (y = x W) or nn.Linear [out][in] (y = x Wᵀ).
// A layer's matrix may instead be packed in 16 bits (packLinearWeights): then `packed` holds it
// [out][in] whatever the checkpoint's layout, and t holds no data.
struct Matrix {
  FloatTensor t;
  int in = 0, out = 0;
  bool transposed = false;  // true for nn.Linear [out][in]
  std::string name;         // the stored tensor's name (set by Loader::conv1d / linear)
  WeightFormat format = WeightFormat::F32;
  std::vector<std::uint16_t> packed;
};

struct Vec {
  FloatTensor t;
  const float* data() const { return t.data; }
};

struct TransformerWeights {
  struct Layer {
    Vec norm1_w, norm1_b, norm2_w, norm2_b;
    Matrix qkv;           // gpt2: c_attn [D][3D]
    Vec qkv_b;
    Matrix q, k, v;       // llama family
    Vec q_b, k_b, v_b;
    Vec q_norm_w, k_norm_w;  // qwen3, gemma3_text [head_dim]
    // gemma: post_attention_layernorm and post_feedforward_layernorm on each sublayer's output
    // (norm2 is then pre_feedforward_layernorm, the MLP's input norm).
    Vec attn_out_norm_w, mlp_out_norm_w;
    Matrix o;
    Vec o_b;
    Matrix up, gate, down;  // gpt2: up = c_fc, down = c_proj
    Matrix gate_up;         // phi3: [gate | up] in one nn.Linear
    Vec up_b, gate_b, down_b;
  };
  Matrix embed;  // [vocab][D]
  Vec positions; // gpt2 wpe [P][D]
  std::vector<Layer> layers;
  Vec final_w, final_b;
  Matrix lm_head;  // [vocab][D] (tied: a second view of embed)
  bool separate_lm_head = false;
  // BERT family: token-type embeddings [types][D], the embeddings' LayerNorm, and the masked-LM
  // head (dense -> GELU -> LayerNorm -> the tied decoder + its bias) when the file has one.
  Vec token_types, embed_norm_w, embed_norm_b;
  bool has_mlm_head = false;
  Matrix mlm_dense;
  Vec mlm_dense_b, mlm_norm_w, mlm_norm_b, mlm_bias;
  // Tensor names, to say which one holds a non-finite value when a stage's output is not finite.
  std::vector<std::vector<std::string>> layer_names;  // [layer]
  std::vector<std::string> embedding_names, final_names, head_names;
};

// Reads the tensors of an architecture. A dry loader only checks that each exists with its
// shape and counts the bytes it would hold, so every missing or mis-shaped tensor and the memory
// budget are checked before any weight is converted.
class Loader {
 public:
  Loader(const WeightStore& store, const ModelConfig& config, bool dry) : store_(store), config_(config), dry_(dry) {}
  std::uint64_t mapped_bytes = 0, converted_bytes = 0;
  std::vector<std::string>* names = nullptr;  // where the names of the tensors read go
  int tensors = 0;                            // read so far (a dry run counts them all)
  int total = 0;                              // for the observer: the dry run's count
  const LoadObserver* observer = nullptr;

  std::string resolve(const std::string& name) const {
    std::string found = find(name);
    if (found.empty())
      throw ModelError(store_.source() + ": tensor '" + name + "' is missing (model_type " + config_.model_type + " needs it)");
    return found;
  }
  bool has(const std::string& name) const { return !find(name).empty(); }

  // The stored name of `name` under the prefixes and spellings of its architecture; empty when absent.
  std::string find(const std::string& name) const {
    if (store_.has(name)) return name;
    if (config_.arch == Architecture::Gpt2 && store_.has("transformer." + name)) return "transformer." + name;
    // OPTForCausalLM, BartForConditionalGeneration, MarianMTModel
    if ((config_.arch == Architecture::Opt || config_.arch == Architecture::Bart) && store_.has("model." + name)) return "model." + name;
    if (config_.arch == Architecture::Bert) {
      // BertModel files name tensors embeddings.*, BertForMaskedLM files bert.embeddings.*
      // (roberta., distilbert. likewise); checkpoints converted from TensorFlow call a
      // LayerNorm's weight and bias gamma and beta.
      const std::string prefix = bertPrefix(config_) + ".";
      for (const std::string& candidate : {name, prefix + name})
        for (const std::string& spelled : {candidate, tensorflowLayerNormName(candidate)})
          if (!spelled.empty() && store_.has(spelled)) return spelled;
    }
    return {};
  }

  FloatTensor tensor(const std::string& name, const std::vector<std::int64_t>& shape) {
    const std::string real = resolve(name);
    const TensorInfo& info = store_.info(real);
    if (info.shape != shape)
      throw ModelError(store_.fileOf(real) + ": tensor '" + real + "' has shape " + shapeText(info.shape) + " but the config implies " +
                       shapeText(shape));
    if (names) names->push_back(real);
    ++tensors;
    if (dry_) {
      (store_.loadsWithoutCopy(real) ? mapped_bytes : converted_bytes) += std::uint64_t(info.elements()) * sizeof(float);
      FloatTensor t;
      t.shape = info.shape;
      return t;
    }
    FloatTensor t = store_.load(real);
    if (observer && *observer) (*observer)(std::filesystem::path(store_.fileOf(real)).filename().string(), tensors, total);
    return t;
  }
  Vec vec(const std::string& name, int n) { return Vec{tensor(name, {n})}; }
  Matrix conv1d(const std::string& name, int in, int out) { return Matrix{tensor(name, {in, out}), in, out, false, resolve(name)}; }
  Matrix linear(const std::string& name, int in, int out) { return Matrix{tensor(name, {out, in}), in, out, true, resolve(name)}; }

 private:
  const WeightStore& store_;
  const ModelConfig& config_;
  bool dry_;
};

// Reads every tensor of `c` through `ld` into `w` (the names per stage into w.*_names).
void readWeights(Loader& ld, const ModelConfig& c, const WeightStore& store, TransformerWeights& w);

// Packs every layer's linear matrices (Q/K/V, output, MLP; not the embeddings or heads) in 16
// bits as weightPolicy() says: a BF16 or F16 tensor exactly as stored; an F32 one only under
// Round16, rounded to f16 unless a finite value lies beyond kHalfMax (then it stays F32). The
// float32 data is released (a mapped tensor's pages handed back to the kernel). Returns what it
// held and freed.
struct PackedBytes {
  std::uint64_t packed = 0, freed_mapped = 0, freed_converted = 0;
};
PackedBytes packLinearWeights(TransformerWeights& w, const WeightStore& store);
// The 16-bit copy of one matrix as packLinearWeights makes it (false: it stays F32).
bool packMatrix(Matrix& m, DType stored);

// ||v_j W_O^h|| for the n value vectors v [n][head_dim] of one head: W_O^h is that head's head_dim
// rows (Conv1D [heads * head_dim][D]) or columns (nn.Linear [D][heads * head_dim]) of the output
// projection `o`; its bias is excluded (head_ablation.h). [n].
std::vector<float> valueOutputNormsOf(const float* v, int n, int head_dim, const Matrix& o, int head);

}  // namespace attnviz::model
