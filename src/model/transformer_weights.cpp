#include "model/transformer_weights.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace attnviz::model {

namespace {

// bert / roberta / xlm-roberta (modeling_bert's names) and distilbert (its own), with or without
// the *ForMaskedLM prefix (Loader::resolve); the masked-LM head when the file has one.
void readBertWeights(Loader& ld, const ModelConfig& c, TransformerWeights& w) {
  const int D = c.hidden_size, I = c.intermediate_size;
  const bool distil = c.distilbert_names;
  ld.names = &w.embedding_names;
  w.embed = Matrix{ld.tensor("embeddings.word_embeddings.weight", {c.vocab_size, D}), D, c.vocab_size, true};
  w.positions = Vec{ld.tensor("embeddings.position_embeddings.weight", {c.max_positions + c.position_offset, D})};
  if (c.type_vocab_size > 0) w.token_types = Vec{ld.tensor("embeddings.token_type_embeddings.weight", {c.type_vocab_size, D})};
  w.embed_norm_w = ld.vec("embeddings.LayerNorm.weight", D);
  w.embed_norm_b = ld.vec("embeddings.LayerNorm.bias", D);
  for (int l = 0; l < c.num_layers; ++l) {
    auto& L = w.layers[std::size_t(l)];
    ld.names = &w.layer_names[std::size_t(l)];
    const std::string p = (distil ? "transformer.layer." : "encoder.layer.") + std::to_string(l) + ".";
    // Query, key, value, attention output, its LayerNorm, MLP in and out, the MLP's LayerNorm.
    const char* const bert[] = {"attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
                                "attention.output.LayerNorm", "intermediate.dense", "output.dense", "output.LayerNorm"};
    const char* const distilbert[] = {"attention.q_lin", "attention.k_lin", "attention.v_lin", "attention.out_lin",
                                      "sa_layer_norm", "ffn.lin1", "ffn.lin2", "output_layer_norm"};
    const char* const* n = distil ? distilbert : bert;
    const auto name = [&](int i, const char* what) { return p + n[i] + "." + what; };
    L.q = ld.linear(name(0, "weight"), D, D);
    L.q_b = ld.vec(name(0, "bias"), D);
    L.k = ld.linear(name(1, "weight"), D, D);
    L.k_b = ld.vec(name(1, "bias"), D);
    L.v = ld.linear(name(2, "weight"), D, D);
    L.v_b = ld.vec(name(2, "bias"), D);
    L.o = ld.linear(name(3, "weight"), D, D);
    L.o_b = ld.vec(name(3, "bias"), D);
    L.norm1_w = ld.vec(name(4, "weight"), D);
    L.norm1_b = ld.vec(name(4, "bias"), D);
    L.up = ld.linear(name(5, "weight"), D, I);
    L.up_b = ld.vec(name(5, "bias"), I);
    L.down = ld.linear(name(6, "weight"), I, D);
    L.down_b = ld.vec(name(6, "bias"), D);
    L.norm2_w = ld.vec(name(7, "weight"), D);
    L.norm2_b = ld.vec(name(7, "bias"), D);
  }
  // The masked-LM head: BertForMaskedLM's cls.predictions, RobertaForMaskedLM's lm_head,
  // DistilBertForMaskedLM's vocab_*. Its decoder is tied to the word embeddings; a file that
  // stores the decoder's weight anyway is read as it is.
  struct HeadNames {
    const char *dense, *norm, *decoder, *bias, *decoder_bias;
  };
  const HeadNames bert_head{"cls.predictions.transform.dense", "cls.predictions.transform.LayerNorm", "cls.predictions.decoder.weight",
                            "cls.predictions.bias", "cls.predictions.decoder.bias"};
  const HeadNames roberta_head{"lm_head.dense", "lm_head.layer_norm", "lm_head.decoder.weight", "lm_head.bias", "lm_head.decoder.bias"};
  const HeadNames distil_head{"vocab_transform", "vocab_layer_norm", "vocab_projector.weight", "vocab_projector.bias", "vocab_projector.bias"};
  const HeadNames& h = distil ? distil_head : c.model_type == "bert" ? bert_head : roberta_head;
  const std::string dense = h.dense, norm = h.norm;
  ld.names = &w.head_names;
  if (!ld.has(dense + ".weight")) return;
  w.has_mlm_head = true;
  w.mlm_dense = ld.linear(dense + ".weight", D, D);
  w.mlm_dense_b = ld.vec(dense + ".bias", D);
  w.mlm_norm_w = ld.vec(norm + ".weight", D);
  w.mlm_norm_b = ld.vec(norm + ".bias", D);
  w.mlm_bias = ld.vec(ld.has(h.bias) ? h.bias : h.decoder_bias, c.vocab_size);
  if (ld.has(h.decoder)) {
    w.lm_head = ld.linear(h.decoder, D, c.vocab_size);
    w.separate_lm_head = true;
  } else {
    w.head_names.push_back(w.embedding_names.front());
  }
}

}  // namespace

void readWeights(Loader& ld, const ModelConfig& c, const WeightStore& store, TransformerWeights& wr) {
  TransformerWeights* w = &wr;
  const int D = c.hidden_size, I = c.intermediate_size, hd = c.head_dim;
  w->layers.resize(std::size_t(c.num_layers));
  w->layer_names.resize(std::size_t(c.num_layers));
  if (c.arch == Architecture::Gpt2) {
    ld.names = &w->embedding_names;
    w->embed = Matrix{ld.tensor("wte.weight", {c.vocab_size, D}), D, c.vocab_size, true};
    w->positions = Vec{ld.tensor("wpe.weight", {c.max_positions, D})};
    for (int l = 0; l < c.num_layers; ++l) {
      auto& L = w->layers[std::size_t(l)];
      ld.names = &w->layer_names[std::size_t(l)];
      const std::string p = "h." + std::to_string(l) + ".";
      L.norm1_w = ld.vec(p + "ln_1.weight", D);
      L.norm1_b = ld.vec(p + "ln_1.bias", D);
      L.qkv = ld.conv1d(p + "attn.c_attn.weight", D, 3 * D);
      L.qkv_b = ld.vec(p + "attn.c_attn.bias", 3 * D);
      L.o = ld.conv1d(p + "attn.c_proj.weight", D, D);
      L.o_b = ld.vec(p + "attn.c_proj.bias", D);
      L.norm2_w = ld.vec(p + "ln_2.weight", D);
      L.norm2_b = ld.vec(p + "ln_2.bias", D);
      L.up = ld.conv1d(p + "mlp.c_fc.weight", D, I);
      L.up_b = ld.vec(p + "mlp.c_fc.bias", I);
      L.down = ld.conv1d(p + "mlp.c_proj.weight", I, D);
      L.down_b = ld.vec(p + "mlp.c_proj.bias", D);
    }
    ld.names = &w->final_names;
    w->final_w = ld.vec("ln_f.weight", D);
    w->final_b = ld.vec("ln_f.bias", D);
    w->head_names = {w->embedding_names.front()};
  } else if (c.arch == Architecture::Bert) {
    readBertWeights(ld, c, *w);
  } else if (c.arch == Architecture::Opt) {
    // OPTModel files name tensors decoder.*, OPTForCausalLM files model.decoder.* (Loader::resolve).
    ld.names = &w->embedding_names;
    w->embed = Matrix{ld.tensor("decoder.embed_tokens.weight", {c.vocab_size, D}), D, c.vocab_size, true};
    w->positions = Vec{ld.tensor("decoder.embed_positions.weight", {c.max_positions + c.position_offset, D})};
    for (int l = 0; l < c.num_layers; ++l) {
      auto& L = w->layers[std::size_t(l)];
      ld.names = &w->layer_names[std::size_t(l)];
      const std::string p = "decoder.layers." + std::to_string(l) + ".";
      L.norm1_w = ld.vec(p + "self_attn_layer_norm.weight", D);
      L.norm1_b = ld.vec(p + "self_attn_layer_norm.bias", D);
      L.q = ld.linear(p + "self_attn.q_proj.weight", D, D);
      L.k = ld.linear(p + "self_attn.k_proj.weight", D, D);
      L.v = ld.linear(p + "self_attn.v_proj.weight", D, D);
      L.q_b = ld.vec(p + "self_attn.q_proj.bias", D);
      L.k_b = ld.vec(p + "self_attn.k_proj.bias", D);
      L.v_b = ld.vec(p + "self_attn.v_proj.bias", D);
      L.o = ld.linear(p + "self_attn.out_proj.weight", D, D);
      L.o_b = ld.vec(p + "self_attn.out_proj.bias", D);
      L.norm2_w = ld.vec(p + "final_layer_norm.weight", D);
      L.norm2_b = ld.vec(p + "final_layer_norm.bias", D);
      L.up = ld.linear(p + "fc1.weight", D, I);
      L.up_b = ld.vec(p + "fc1.bias", I);
      L.down = ld.linear(p + "fc2.weight", I, D);
      L.down_b = ld.vec(p + "fc2.bias", D);
    }
    ld.names = &w->final_names;
    if (c.final_norm) {
      w->final_w = ld.vec("decoder.final_layer_norm.weight", D);
      w->final_b = ld.vec("decoder.final_layer_norm.bias", D);
    }
    w->head_names = {w->embedding_names.front()};
    if (!c.tie_word_embeddings) {
      w->head_names.clear();
      ld.names = &w->head_names;
      w->lm_head = ld.linear("lm_head.weight", D, c.vocab_size);
      w->separate_lm_head = true;
    }
  } else if (c.arch == Architecture::NeoX) {
    ld.names = &w->embedding_names;
    w->embed = Matrix{ld.tensor("gpt_neox.embed_in.weight", {c.vocab_size, D}), D, c.vocab_size, true};
    for (int l = 0; l < c.num_layers; ++l) {
      auto& L = w->layers[std::size_t(l)];
      ld.names = &w->layer_names[std::size_t(l)];
      const std::string p = "gpt_neox.layers." + std::to_string(l) + ".";
      L.norm1_w = ld.vec(p + "input_layernorm.weight", D);
      L.norm1_b = ld.vec(p + "input_layernorm.bias", D);
      L.qkv = ld.linear(p + "attention.query_key_value.weight", D, 3 * D);
      L.qkv_b = ld.vec(p + "attention.query_key_value.bias", 3 * D);
      L.o = ld.linear(p + "attention.dense.weight", D, D);
      L.o_b = ld.vec(p + "attention.dense.bias", D);
      L.norm2_w = ld.vec(p + "post_attention_layernorm.weight", D);
      L.norm2_b = ld.vec(p + "post_attention_layernorm.bias", D);
      L.up = ld.linear(p + "mlp.dense_h_to_4h.weight", D, I);
      L.up_b = ld.vec(p + "mlp.dense_h_to_4h.bias", I);
      L.down = ld.linear(p + "mlp.dense_4h_to_h.weight", I, D);
      L.down_b = ld.vec(p + "mlp.dense_4h_to_h.bias", D);
    }
    ld.names = &w->final_names;
    w->final_w = ld.vec("gpt_neox.final_layer_norm.weight", D);
    w->final_b = ld.vec("gpt_neox.final_layer_norm.bias", D);
    w->head_names = {w->embedding_names.front()};
    if (!c.tie_word_embeddings) {
      w->head_names.clear();
      ld.names = &w->head_names;
      w->lm_head = ld.linear("embed_out.weight", D, c.vocab_size);
      w->separate_lm_head = true;
    }
  } else {
    const int H = c.num_heads, KV = c.num_kv_heads;
    ld.names = &w->embedding_names;
    w->embed = Matrix{ld.tensor("model.embed_tokens.weight", {c.vocab_size, D}), D, c.vocab_size, true};
    for (int l = 0; l < c.num_layers; ++l) {
      auto& L = w->layers[std::size_t(l)];
      ld.names = &w->layer_names[std::size_t(l)];
      const std::string p = "model.layers." + std::to_string(l) + ".";
      L.norm1_w = ld.vec(p + "input_layernorm.weight", D);
      if (c.fused_projections) {
        L.qkv = ld.linear(p + "self_attn.qkv_proj.weight", D, (H + 2 * KV) * hd);
      } else {
        L.q = ld.linear(p + "self_attn.q_proj.weight", D, H * hd);
        L.k = ld.linear(p + "self_attn.k_proj.weight", D, KV * hd);
        L.v = ld.linear(p + "self_attn.v_proj.weight", D, KV * hd);
      }
      if (c.qkv_bias) {
        L.q_b = ld.vec(p + "self_attn.q_proj.bias", H * hd);
        L.k_b = ld.vec(p + "self_attn.k_proj.bias", KV * hd);
        L.v_b = ld.vec(p + "self_attn.v_proj.bias", KV * hd);
      }
      if (c.qk_norm) {
        L.q_norm_w = ld.vec(p + "self_attn.q_norm.weight", hd);
        L.k_norm_w = ld.vec(p + "self_attn.k_norm.weight", hd);
      }
      L.o = ld.linear(p + "self_attn.o_proj.weight", H * hd, D);
      if (c.o_bias) L.o_b = ld.vec(p + "self_attn.o_proj.bias", D);
      if (c.gemma) {
        L.attn_out_norm_w = ld.vec(p + "post_attention_layernorm.weight", D);
        L.norm2_w = ld.vec(p + "pre_feedforward_layernorm.weight", D);
        L.mlp_out_norm_w = ld.vec(p + "post_feedforward_layernorm.weight", D);
      } else {
        L.norm2_w = ld.vec(p + "post_attention_layernorm.weight", D);
      }
      if (c.fused_projections) {
        L.gate_up = ld.linear(p + "mlp.gate_up_proj.weight", D, 2 * I);
      } else {
        L.gate = ld.linear(p + "mlp.gate_proj.weight", D, I);
        L.up = ld.linear(p + "mlp.up_proj.weight", D, I);
      }
      L.down = ld.linear(p + "mlp.down_proj.weight", I, D);
      if (c.mlp_bias) {
        L.gate_b = ld.vec(p + "mlp.gate_proj.bias", I);
        L.up_b = ld.vec(p + "mlp.up_proj.bias", I);
        L.down_b = ld.vec(p + "mlp.down_proj.bias", D);
      }
    }
    ld.names = &w->final_names;
    w->final_w = ld.vec("model.norm.weight", D);
    w->head_names = {w->embedding_names.front()};
    if (!c.tie_word_embeddings) {
      if (!store.has("lm_head.weight"))
        throw ModelError(store.source() + ": tensor 'lm_head.weight' is missing (config.json says tie_word_embeddings: false)");
      w->head_names.clear();
      ld.names = &w->head_names;
      w->lm_head = ld.linear("lm_head.weight", D, c.vocab_size);
      w->separate_lm_head = true;
    }
  }
  ld.names = nullptr;
}

bool packMatrix(Matrix& m, DType stored) {
  if (!m.t.data || m.format != WeightFormat::F32) return false;
  const float* src = m.t.data;
  const std::size_t n = std::size_t(m.in) * std::size_t(m.out);
  const WeightFormat format = stored == DType::BF16 ? WeightFormat::BF16 : WeightFormat::F16;
  if (format == WeightFormat::F16 && stored == DType::F32)
    for (std::size_t i = 0; i < n; ++i)
      if (std::isfinite(src[i]) && std::abs(src[i]) > kHalfMax) return false;  // f16 would turn it into Inf
  // bf16 as stored: the float32 copy was made by a shift, so its high half is the stored bits.
  const auto pack = [&](float x) -> std::uint16_t {
    if (format == WeightFormat::F16) return floatToHalf(x);
    std::uint32_t bits;
    std::memcpy(&bits, &x, 4);
    return std::uint16_t(bits >> 16);
  };
  std::vector<std::uint16_t> packed(n);
  if (m.transposed) {
    for (std::size_t i = 0; i < n; ++i) packed[i] = pack(src[i]);
  } else {  // Conv1D [in][out] -> [out][in], in tiles that stay in cache
    constexpr int kTile = 64;
    for (int i0 = 0; i0 < m.in; i0 += kTile)
      for (int o0 = 0; o0 < m.out; o0 += kTile)
        for (int i = i0; i < std::min(i0 + kTile, m.in); ++i)
          for (int o = o0; o < std::min(o0 + kTile, m.out); ++o)
            packed[std::size_t(o) * m.in + i] = pack(src[std::size_t(i) * m.out + o]);
  }
  m.packed = std::move(packed);
  m.format = format;
  m.t.data = nullptr;
  m.t.owned = std::vector<float>();
  return true;
}

PackedBytes packLinearWeights(TransformerWeights& w, const WeightStore& store) {
  PackedBytes bytes;
  const WeightPolicy policy = weightPolicy();
  if (policy == WeightPolicy::Float32) return bytes;
  for (auto& L : w.layers)
    for (Matrix* m : {&L.qkv, &L.q, &L.k, &L.v, &L.o, &L.up, &L.gate, &L.down, &L.gate_up}) {
      if (!m->t.data || m->name.empty()) continue;
      const bool mapped = m->t.owned.empty();
      const DType stored = store.info(m->name).dtype;
      if (stored == DType::F32 && policy != WeightPolicy::Round16) continue;
      if (!packMatrix(*m, stored)) continue;
      if (mapped) store.releasePages(m->name);
      (mapped ? bytes.freed_mapped : bytes.freed_converted) += m->packed.size() * sizeof(float);
      bytes.packed += m->packed.size() * sizeof(std::uint16_t);
    }
  return bytes;
}

}  // namespace attnviz::model
