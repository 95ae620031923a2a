#include "model/seq2seq.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>

#include "model/forward_ops.h"
#include "model/model_error.h"
#include "model/transformer_weights.h"

namespace attnviz::model {

struct Seq2SeqWeights {
  struct Attention {
    Matrix q, k, v, o;
    Vec q_b, k_b, v_b, o_b, norm_w, norm_b;  // the LayerNorm after its residual add (t5: before, no bias)
  };
  struct Layer {
    Attention self, cross;  // cross only in the decoder
    Matrix fc1, fc2, fc_up;            // t5: wi (or wi_0), wo, and wi_1 when gated
    Vec fc1_b, fc2_b, norm_w, norm_b;  // final_layer_norm (t5: the feed-forward's pre-LN weight)
  };
  Matrix embed;                                // shared [vocab][D]
  Vec enc_positions, dec_positions;            // bart: [P + 2][D]; marian: the sinusoid, computed
  std::vector<float> sinusoid;                 // marian [P][D]
  Vec enc_embed_norm_w, enc_embed_norm_b, dec_embed_norm_w, dec_embed_norm_b;
  std::vector<Layer> encoder, decoder;
  Vec final_logits_bias;                       // [1][vocab], zeros when the file has none
  std::vector<float> zero_bias;
  Vec enc_relative_bias, dec_relative_bias;    // t5: [buckets][heads]
  Vec enc_final_norm, dec_final_norm;          // t5: final_layer_norm of each stack
  Matrix lm_head;
  bool separate_lm_head = false;
  std::vector<std::string> names;              // every tensor read, for non-finite messages
};

namespace {

using namespace ops;

constexpr int kAttentionRowBlock = 128;

// MarianSinusoidalPositionalEmbedding: angle pos / 10000^(2 (j / 2) / D); sin of the even j in the
// first half of the row, cos of the odd j in the second (not interleaved).
std::vector<float> marianSinusoid(int positions, int d) {
  std::vector<float> out(std::size_t(positions) * d);
  const int half = d % 2 == 0 ? d / 2 : d / 2 + 1;
  for (int pos = 0; pos < positions; ++pos) {
    float* row = out.data() + std::size_t(pos) * d;
    for (int j = 0; j < d; j += 2) row[j / 2] = float(std::sin(pos / std::pow(10000.0, double(2 * (j / 2)) / d)));
    for (int j = 1; j < d; j += 2) row[half + j / 2] = float(std::cos(pos / std::pow(10000.0, double(2 * (j / 2)) / d)));
  }
  return out;
}

void readAttention(Loader& ld, const std::string& p, int D, Seq2SeqWeights::Attention& a, const std::string& norm) {
  a.q = ld.linear(p + "q_proj.weight", D, D);
  a.q_b = ld.vec(p + "q_proj.bias", D);
  a.k = ld.linear(p + "k_proj.weight", D, D);
  a.k_b = ld.vec(p + "k_proj.bias", D);
  a.v = ld.linear(p + "v_proj.weight", D, D);
  a.v_b = ld.vec(p + "v_proj.bias", D);
  a.o = ld.linear(p + "out_proj.weight", D, D);
  a.o_b = ld.vec(p + "out_proj.bias", D);
  a.norm_w = ld.vec(norm + ".weight", D);
  a.norm_b = ld.vec(norm + ".bias", D);
}

// BartForConditionalGeneration / MarianMTModel names (model.*, Loader::resolve also takes a
// BartModel file without the prefix).
void readSeq2SeqWeights(Loader& ld, const ModelConfig& c, Seq2SeqWeights& w) {
  const int D = c.hidden_size, V = c.vocab_size;
  ld.names = &w.names;
  w.embed = Matrix{ld.tensor(ld.has("shared.weight") ? "shared.weight" : "encoder.embed_tokens.weight", {V, D}), D, V, true};
  if (!c.sinusoidal_positions) {
    w.enc_positions = Vec{ld.tensor("encoder.embed_positions.weight", {c.max_positions + c.position_offset, D})};
    w.dec_positions = Vec{ld.tensor("decoder.embed_positions.weight", {c.max_positions + c.position_offset, D})};
  }
  if (c.embed_layer_norm) {
    w.enc_embed_norm_w = ld.vec("encoder.layernorm_embedding.weight", D);
    w.enc_embed_norm_b = ld.vec("encoder.layernorm_embedding.bias", D);
    w.dec_embed_norm_w = ld.vec("decoder.layernorm_embedding.weight", D);
    w.dec_embed_norm_b = ld.vec("decoder.layernorm_embedding.bias", D);
  }
  const auto layers = [&](const char* side, int count, int ffn, std::vector<Seq2SeqWeights::Layer>& out, bool decoder) {
    out.resize(std::size_t(count));
    for (int l = 0; l < count; ++l) {
      auto& L = out[std::size_t(l)];
      const std::string p = std::string(side) + ".layers." + std::to_string(l) + ".";
      readAttention(ld, p + "self_attn.", D, L.self, p + "self_attn_layer_norm");
      if (decoder) readAttention(ld, p + "encoder_attn.", D, L.cross, p + "encoder_attn_layer_norm");
      L.fc1 = ld.linear(p + "fc1.weight", D, ffn);
      L.fc1_b = ld.vec(p + "fc1.bias", ffn);
      L.fc2 = ld.linear(p + "fc2.weight", ffn, D);
      L.fc2_b = ld.vec(p + "fc2.bias", D);
      L.norm_w = ld.vec(p + "final_layer_norm.weight", D);
      L.norm_b = ld.vec(p + "final_layer_norm.bias", D);
    }
  };
  layers("encoder", c.num_layers, c.intermediate_size, w.encoder, false);
  layers("decoder", c.decoder_layers, c.decoder_intermediate_size, w.decoder, true);
  if (ld.has("final_logits_bias")) w.final_logits_bias = Vec{ld.tensor("final_logits_bias", {1, V})};
  if (!c.tie_word_embeddings) {
    w.lm_head = ld.linear("lm_head.weight", D, V);
    w.separate_lm_head = true;
  }
  ld.names = nullptr;
}

// T5ForConditionalGeneration names: encoder.block.N.layer.0 (SelfAttention + layer_norm),
// decoder.block.N.layer.1 (EncDecAttention), the feed-forward in the last layer.M; no biases.
void readT5Weights(Loader& ld, const ModelConfig& c, Seq2SeqWeights& w) {
  const int D = c.hidden_size, V = c.vocab_size, A = c.num_heads * c.head_dim, I = c.intermediate_size;
  ld.names = &w.names;
  w.embed = Matrix{ld.tensor(ld.has("shared.weight") ? "shared.weight" : "encoder.embed_tokens.weight", {V, D}), D, V, true};
  const auto attention = [&](const std::string& p, const std::string& norm, Seq2SeqWeights::Attention& a) {
    a.q = ld.linear(p + "q.weight", D, A);
    a.k = ld.linear(p + "k.weight", D, A);
    a.v = ld.linear(p + "v.weight", D, A);
    a.o = ld.linear(p + "o.weight", A, D);
    a.norm_w = ld.vec(norm, D);
  };
  const auto stack = [&](const char* side, int count, std::vector<Seq2SeqWeights::Layer>& out, bool decoder, Vec& relative, Vec& final_norm) {
    out.resize(std::size_t(count));
    for (int l = 0; l < count; ++l) {
      auto& L = out[std::size_t(l)];
      const std::string p = std::string(side) + ".block." + std::to_string(l) + ".layer.";
      attention(p + "0.SelfAttention.", p + "0.layer_norm.weight", L.self);
      if (decoder) attention(p + "1.EncDecAttention.", p + "1.layer_norm.weight", L.cross);
      const std::string f = p + (decoder ? "2." : "1.");
      if (c.gated_ffn) {
        L.fc1 = ld.linear(f + "DenseReluDense.wi_0.weight", D, I);
        L.fc_up = ld.linear(f + "DenseReluDense.wi_1.weight", D, I);
      } else {
        L.fc1 = ld.linear(f + "DenseReluDense.wi.weight", D, I);
      }
      L.fc2 = ld.linear(f + "DenseReluDense.wo.weight", I, D);
      L.norm_w = ld.vec(f + "layer_norm.weight", D);
    }
    relative = Vec{ld.tensor(std::string(side) + ".block.0.layer.0.SelfAttention.relative_attention_bias.weight",
                             {c.relative_buckets, c.num_heads})};
    final_norm = ld.vec(std::string(side) + ".final_layer_norm.weight", D);
  };
  stack("encoder", c.num_layers, w.encoder, false, w.enc_relative_bias, w.enc_final_norm);
  stack("decoder", c.decoder_layers, w.decoder, true, w.dec_relative_bias, w.dec_final_norm);
  if (!c.tie_word_embeddings) {
    w.lm_head = ld.linear("lm_head.weight", D, V);
    w.separate_lm_head = true;
  }
  ld.names = nullptr;
}

// The attention of `rows` query rows (absolute positions first..first+rows-1) over keys 0..keys-1,
// causal or not, one head at a time, into out[r][h * hd] (row stride H * hd): softmax(q.k * scale
// + T5's relative position bias, when given).
void attend(const LayerCache& lc, int heads, int hd, int first, int rows, int keys, bool causal, double scale, const RelativeBias* bias,
            float* out, std::vector<float>& scores) {
  scores.resize(std::size_t(kAttentionRowBlock) * std::size_t(std::max(keys, 1)));
  // The bucket of every offset j - i, -(keys - 1)..keys - 1, once per call.
  std::vector<int> bucket_of;
  if (bias) {
    bucket_of.resize(std::size_t(2 * keys - 1));
    for (int off = -(keys - 1); off < keys; ++off) bucket_of[std::size_t(off + keys - 1)] = bias->bucket(off);
  }
  for (int h = 0; h < heads; ++h) {
    const float* Q = lc.q[std::size_t(h)].data();
    const float* K = lc.k[std::size_t(h)].data();
    const float* V = lc.v[std::size_t(h)].data();
    for (int b0 = 0; b0 < rows; b0 += kAttentionRowBlock) {
      const int block = std::min(kAttentionRowBlock, rows - b0);
      const int row0 = first + b0;
      const int seen = causal ? row0 + block : keys;
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, block, seen, hd, float(scale), Q + std::size_t(row0) * hd, hd, K, hd, 0.0f,
                  scores.data(), seen);
      for (int r = 0; r < block; ++r) {
        const int visible = causal ? row0 + r + 1 : keys;
        float* row = scores.data() + std::size_t(r) * seen;
        if (bias)
          for (int j = 0; j < visible; ++j) row[j] += bias->table[std::size_t(bucket_of[std::size_t(j - (row0 + r) + keys - 1)]) * heads + h];
        softmaxRow(row, visible, seen);
      }
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, block, hd, seen, 1.0f, scores.data(), seen, V, hd, 0.0f,
                  out + std::size_t(b0) * heads * hd + std::size_t(h) * hd, heads * hd);
    }
  }
}

// Zero ablation: the ablated heads' slices of `rows` concatenated head outputs [rows][heads * hd].
void zeroHeads(float* attn, int rows, int heads, int hd, const std::vector<char>* ablated) {
  if (!ablated) return;
  for (int h = 0; h < heads; ++h)
    if ((*ablated)[std::size_t(h)])
      for (int r = 0; r < rows; ++r) std::memset(attn + (std::size_t(r) * heads + h) * hd, 0, sizeof(float) * std::size_t(hd));
}

// T5 does not divide the scores by sqrt(head_dim) (its initialisation absorbs it).
double scoreScaleOf(const ModelConfig& c) { return c.arch == Architecture::T5 ? 1.0 : 1.0 / std::sqrt(double(c.head_dim)); }

// Rows [first, first + m) of `x` [m][D] projected and stored head-major into dst (resized to n rows).
void storeHeads(const float* proj, int m, int first, int n, int heads, int hd, std::vector<std::vector<float>>& dst) {
  dst.resize(std::size_t(heads));
  for (int h = 0; h < heads; ++h) {
    dst[std::size_t(h)].resize(std::size_t(n) * hd);
    for (int r = 0; r < m; ++r)
      std::memcpy(dst[std::size_t(h)].data() + std::size_t(first + r) * hd, proj + std::size_t(r) * heads * hd + std::size_t(h) * hd,
                  sizeof(float) * hd);
  }
}

void activate(const std::string& act, float* x, std::size_t n) {
  if (act == "relu") {
    for (std::size_t i = 0; i < n; ++i) x[i] = std::max(x[i], 0.0f);
  } else if (act == "swish") {
    for (std::size_t i = 0; i < n; ++i) x[i] = float(double(x[i]) / (1.0 + std::exp(-double(x[i]))));
  } else if (act == "gelu_new") {  // T5's gated-gelu
    for (std::size_t c0 = 0; c0 < n; c0 += 1 << 20) geluNewRow(x + c0, int(std::min<std::size_t>(n - c0, 1 << 20)));
  } else {  // exact GELU (ACT2FN["gelu"])
    geluErfRow(x, n);
  }
}

void checkFinite(const std::vector<float>& x, std::size_t n, const std::string& stage, const std::string& source) {
  if (std::size_t bad = firstNonFinite(x.data(), n); bad < n)
    throw ModelError(source + ": " + stage + " gave " + nonFiniteName(x[bad]) + "; attnviz does not run non-finite numbers");
}

}  // namespace

int t5RelativeBucket(int relative, bool bidirectional, int buckets, int max_distance) {
  int bucket = 0;
  int distance;
  if (bidirectional) {
    buckets /= 2;
    if (relative > 0) bucket += buckets;
    distance = relative < 0 ? -relative : relative;
  } else {
    distance = relative < 0 ? -relative : 0;
  }
  const int max_exact = buckets / 2;
  if (distance < max_exact) return bucket + distance;
  const float scaled = std::log(float(distance) / float(max_exact)) / float(std::log(double(max_distance) / max_exact)) *
                       float(buckets - max_exact);
  return bucket + std::min(max_exact + int(scaled), buckets - 1);
}

Seq2SeqTransformer::Seq2SeqTransformer(ModelConfig config, WeightStore weights, const LoadObserver& observer)
    : config_(std::move(config)), store_(std::move(weights)) {
  const ModelConfig& c = config_;
  int total_tensors = 0;
  {
    Loader dry(store_, c, true);
    Seq2SeqWeights shapes;
    (c.arch == Architecture::T5 ? readT5Weights : readSeq2SeqWeights)(dry, c, shapes);
    checkBudget(MemoryEstimate{}
                    .add("weights converted to float32", dry.converted_bytes)
                    .add("weights mapped", dry.mapped_bytes)
                    .add("sinusoidal positions", c.sinusoidal_positions ? double(c.max_positions) * c.hidden_size : 0.0, sizeof(float)),
                "loading the weights of " + store_.source());
    total_tensors = dry.tensors;
  }
  Loader ld(store_, c, false);
  ld.total = total_tensors;
  ld.observer = &observer;
  auto w = std::make_unique<Seq2SeqWeights>();
  (c.arch == Architecture::T5 ? readT5Weights : readSeq2SeqWeights)(ld, c, *w);
  if (c.sinusoidal_positions) {
    w->sinusoid = marianSinusoid(c.max_positions, c.hidden_size);
    w->enc_positions.t.data = w->dec_positions.t.data = w->sinusoid.data();
  }
  if (!w->final_logits_bias.t.data) {
    w->zero_bias.assign(std::size_t(c.vocab_size), 0.0f);
    w->final_logits_bias.t.data = w->zero_bias.data();
  }
  w_ = std::move(w);
  encoder_.resize(std::size_t(c.num_layers));
  decoder_.resize(std::size_t(c.decoder_layers));
  cross_.resize(std::size_t(c.decoder_layers));
}

// Out of line: Seq2SeqWeights is complete only here.
Seq2SeqTransformer::~Seq2SeqTransformer() = default;
Seq2SeqTransformer::Seq2SeqTransformer(Seq2SeqTransformer&&) noexcept = default;
Seq2SeqTransformer& Seq2SeqTransformer::operator=(Seq2SeqTransformer&&) noexcept = default;

const LayerCache& Seq2SeqTransformer::layer(AttentionKind kind, int l) const {
  const std::vector<LayerCache>& all = kind == AttentionKind::encoder ? encoder_ : kind == AttentionKind::decoder ? decoder_ : cross_;
  if (l < 0 || l >= int(all.size()))
    throw ModelError(std::string(attentionKindName(kind)) + " layer " + std::to_string(l) + " is out of range (0.." +
                     std::to_string(int(all.size()) - 1) + ")");
  return all[std::size_t(l)];
}

namespace {

void checkIds(const std::vector<int>& ids, const ModelConfig& c, const char* what) {
  if (ids.empty()) throw ModelError(std::string("the ") + what + " has no tokens");
  if (int(ids.size()) > c.max_positions)
    throw ModelError(std::string("the ") + what + " is " + std::to_string(ids.size()) + " tokens, longer than this model's limit of " +
                     std::to_string(c.max_positions) + " positions");
  for (std::size_t i = 0; i < ids.size(); ++i)
    if (ids[i] < 0 || ids[i] >= c.vocab_size)
      throw ModelError(std::string("token id ") + std::to_string(ids[i]) + " at " + what + " position " + std::to_string(i) +
                       " is outside the vocabulary (" + std::to_string(c.vocab_size) + ")");
}

}  // namespace

void Seq2SeqTransformer::setSource(const std::vector<int>& ids) {
  checkIds(ids, config_, "source");
  if (ids == source_) return;
  const MemoryEstimate estimate =
      MemoryEstimate{}.add("encoder Q/K/V and cross K/V", double(config_.num_layers * 3 + config_.decoder_layers * 2) * ids.size() *
                                                              config_.hidden_size, sizeof(float))
          .add("encoder activations", double(ids.size()) * (6.0 * config_.hidden_size + config_.intermediate_size) +
                                          double(kAttentionRowBlock) * ids.size(), sizeof(float));
  checkBudget(estimate, "the source of " + std::to_string(ids.size()) + " tokens through this model");
  source_ = ids;
  target_.clear();
  truncateTarget(0);
  try {
    runEncoder();
  } catch (...) {
    source_.clear();
    encoder_out_.clear();
    throw;
  }
}

void Seq2SeqTransformer::truncateTarget(int n) {
  const std::size_t rows = std::size_t(n) * std::size_t(config_.head_dim);
  for (auto& lc : decoder_) {
    for (auto* part : {&lc.q, &lc.k, &lc.v})
      for (auto& h : *part) h.resize(rows);
  }
  for (auto& lc : cross_)
    for (auto& h : lc.q) h.resize(rows);
  decoder_out_.resize(std::size_t(n) * std::size_t(config_.hidden_size));
  target_.resize(std::size_t(n));
}

int Seq2SeqTransformer::setTarget(const std::vector<int>& ids) {
  if (source_.empty()) throw ModelError("no source text has been run yet");
  checkIds(ids, config_, "target");
  std::size_t keep = 0;
  while (keep < ids.size() && keep < target_.size() && ids[keep] == target_[keep]) ++keep;
  if (keep == ids.size() && keep == target_.size()) return int(keep);
  const MemoryEstimate estimate =
      MemoryEstimate{}.add("decoder Q/K/V and cross Q", double(config_.decoder_layers) * 4 * ids.size() * config_.hidden_size, sizeof(float))
          .add("decoder activations", double(ids.size()) * (6.0 * config_.hidden_size + config_.decoder_intermediate_size) +
                                          double(kAttentionRowBlock) * std::max(ids.size(), source_.size()), sizeof(float))
          .add("logits", double(config_.vocab_size), 2.0 * sizeof(float));
  checkBudget(estimate, "the target of " + std::to_string(ids.size()) + " tokens through this model");
  truncateTarget(int(keep));
  target_ = ids;
  try {
    runDecoder(int(keep));
  } catch (...) {
    truncateTarget(int(keep));
    throw;
  }
  return int(keep);
}

void Seq2SeqTransformer::appendTarget(int id) {
  std::vector<int> ids = target_;
  ids.push_back(id);
  setTarget(ids);
}

namespace {

// The embeddings of ids[first..first+m) into out [m][D]: token row * embed_scale + the position's row
// (none for T5, whose positions are the attention's relative bias), then BART's layernorm_embedding.
void embedRows(const Seq2SeqWeights& w, const ModelConfig& c, const std::vector<int>& ids, int first, int m, const Vec& positions,
               const Vec& norm_w, const Vec& norm_b, float* out) {
  const int D = c.hidden_size;
  for (int r = 0; r < m; ++r) {
    const int pos = first + r;
    const float* e = w.embed.t.data + std::size_t(ids[std::size_t(pos)]) * D;
    const float* pe = positions.t.data ? positions.data() + std::size_t(pos + c.position_offset) * D : nullptr;
    float* row = out + std::size_t(r) * D;
    for (int k = 0; k < D; ++k) row[k] = float(e[k] * c.embed_scale) + (pe ? pe[k] : 0.0f);
  }
  if (c.embed_layer_norm) layerNorm(out, m, D, norm_w.data(), norm_b.data(), c.norm_eps, out);
}

// One stack's sublayers around the residual stream x [m][D]: T5 normalises a sublayer's input
// (pre-LN, RMS) and adds its output; BART and Marian add the output, then LayerNorm the sum.
struct Residual {
  const ModelConfig& c;
  int m;
  float* x;
  std::vector<float>& normed;  // [m][D], T5 only

  const float* input(const Vec& norm_w) {
    if (c.arch != Architecture::T5) return x;
    rmsNorm(x, m, c.hidden_size, norm_w.data(), c.norm_eps, normed.data());
    return normed.data();
  }
  void add(const float* out, const Vec& norm_w, const Vec& norm_b) {
    const std::size_t size = std::size_t(m) * c.hidden_size;
    for (std::size_t i = 0; i < size; ++i) x[i] += out[i];
    if (c.arch != Architecture::T5) layerNorm(x, m, c.hidden_size, norm_w.data(), norm_b.data(), c.norm_eps, x);
  }
};

// The feed-forward of one layer: fc2(act(fc1 x)), or T5's gated wo(act(wi_0 x) * wi_1 x), into out.
void feedForward(const ModelConfig& c, const Seq2SeqWeights::Layer& L, const float* in, int m, std::vector<float>& mlp,
                 std::vector<float>& up, float* out) {
  project(in, m, L.fc1, &L.fc1_b, mlp.data());
  activate(c.activation, mlp.data(), mlp.size());
  if (c.gated_ffn) {
    project(in, m, L.fc_up, nullptr, up.data());
    for (std::size_t i = 0; i < mlp.size(); ++i) mlp[i] *= up[i];
  }
  project(mlp.data(), m, L.fc2, &L.fc2_b, out);
}

}  // namespace

RelativeBias Seq2SeqTransformer::relativeBias(AttentionKind kind) const {
  RelativeBias rb;
  if (config_.arch != Architecture::T5 || kind == AttentionKind::cross) return rb;
  rb.table = (kind == AttentionKind::encoder ? w_->enc_relative_bias : w_->dec_relative_bias).data();
  rb.heads = config_.num_heads;
  rb.buckets = config_.relative_buckets;
  rb.max_distance = config_.relative_max_distance;
  rb.bidirectional = kind == AttentionKind::encoder;
  return rb;
}

std::vector<float> Seq2SeqTransformer::scoreBias(AttentionKind kind, int head) const {
  const RelativeBias rb = relativeBias(kind);
  if (!rb.table) return {};
  const int n = int(kind == AttentionKind::encoder ? source_.size() : target_.size());
  const int first = head < 0 ? 0 : head, last = head < 0 ? config_.num_heads : head + 1;
  std::vector<float> out(std::size_t(last - first) * n * n);
  std::size_t at = 0;
  for (int h = first; h < last; ++h)
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) out[at++] = rb.at(h, j - i);
  return out;
}

void Seq2SeqTransformer::runEncoder() {
  const ModelConfig& c = config_;
  const int n = int(source_.size()), D = c.hidden_size, H = c.num_heads, hd = c.head_dim, I = c.intermediate_size;
  const std::size_t A = std::size_t(H) * hd, widest = std::max<std::size_t>(D, A);
  std::vector<float> x(std::size_t(n) * D), proj(std::size_t(n) * widest), attn(std::size_t(n) * A), mlp(std::size_t(n) * I), scores;
  std::vector<float> normed(c.arch == Architecture::T5 ? std::size_t(n) * D : 0), up(c.gated_ffn ? mlp.size() : 0);
  embedRows(*w_, c, source_, 0, n, w_->enc_positions, w_->enc_embed_norm_w, w_->enc_embed_norm_b, x.data());
  checkFinite(x, x.size(), "the encoder's embeddings", store_.source());
  const RelativeBias bias = relativeBias(AttentionKind::encoder);
  Residual stream{c, n, x.data(), normed};
  for (int l = 0; l < c.num_layers; ++l) {
    const auto& L = w_->encoder[std::size_t(l)];
    LayerCache& lc = encoder_[std::size_t(l)];
    const float* in = stream.input(L.self.norm_w);
    project(in, n, L.self.q, &L.self.q_b, proj.data());
    storeHeads(proj.data(), n, 0, n, H, hd, lc.q);
    project(in, n, L.self.k, &L.self.k_b, proj.data());
    storeHeads(proj.data(), n, 0, n, H, hd, lc.k);
    project(in, n, L.self.v, &L.self.v_b, proj.data());
    storeHeads(proj.data(), n, 0, n, H, hd, lc.v);
    attend(lc, H, hd, 0, n, n, false, scoreScaleOf(c), bias.table ? &bias : nullptr, attn.data(), scores);
    zeroHeads(attn.data(), n, H, hd, ablatedHeads(AttentionKind::encoder, l));
    project(attn.data(), n, L.self.o, &L.self.o_b, proj.data());
    stream.add(proj.data(), L.self.norm_w, L.self.norm_b);
    feedForward(c, L, stream.input(L.norm_w), n, mlp, up, proj.data());
    stream.add(proj.data(), L.norm_w, L.norm_b);
    checkFinite(x, x.size(), "encoder layer " + std::to_string(l), store_.source());
  }
  if (c.final_norm) rmsNorm(x.data(), n, D, w_->enc_final_norm.data(), c.norm_eps, x.data());
  encoder_out_ = x;
  // Every decoder layer's cross-attention keys and values, once per source.
  for (int l = 0; l < c.decoder_layers; ++l) {
    const auto& L = w_->decoder[std::size_t(l)];
    project(x.data(), n, L.cross.k, &L.cross.k_b, proj.data());
    storeHeads(proj.data(), n, 0, n, H, hd, cross_[std::size_t(l)].k);
    project(x.data(), n, L.cross.v, &L.cross.v_b, proj.data());
    storeHeads(proj.data(), n, 0, n, H, hd, cross_[std::size_t(l)].v);
  }
}

void Seq2SeqTransformer::runDecoder(int start) {
  const ModelConfig& c = config_;
  const int n = int(target_.size()), ns = int(source_.size()), m = n - start;
  const int D = c.hidden_size, H = c.num_heads, hd = c.head_dim, I = c.decoder_intermediate_size;
  if (m <= 0) return;
  const std::size_t A = std::size_t(H) * hd, widest = std::max<std::size_t>(D, A);
  std::vector<float> y(std::size_t(m) * D), proj(std::size_t(m) * widest), attn(std::size_t(m) * A), mlp(std::size_t(m) * I), scores;
  std::vector<float> normed(c.arch == Architecture::T5 ? std::size_t(m) * D : 0), up(c.gated_ffn ? mlp.size() : 0);
  embedRows(*w_, c, target_, start, m, w_->dec_positions, w_->dec_embed_norm_w, w_->dec_embed_norm_b, y.data());
  checkFinite(y, y.size(), "the decoder's embeddings", store_.source());
  const RelativeBias bias = relativeBias(AttentionKind::decoder);
  Residual stream{c, m, y.data(), normed};
  for (int l = 0; l < c.decoder_layers; ++l) {
    const auto& L = w_->decoder[std::size_t(l)];
    LayerCache& self = decoder_[std::size_t(l)];
    LayerCache& cross = cross_[std::size_t(l)];
    // Causal self-attention over the target so far.
    const float* in = stream.input(L.self.norm_w);
    project(in, m, L.self.q, &L.self.q_b, proj.data());
    storeHeads(proj.data(), m, start, n, H, hd, self.q);
    project(in, m, L.self.k, &L.self.k_b, proj.data());
    storeHeads(proj.data(), m, start, n, H, hd, self.k);
    project(in, m, L.self.v, &L.self.v_b, proj.data());
    storeHeads(proj.data(), m, start, n, H, hd, self.v);
    attend(self, H, hd, start, m, n, true, scoreScaleOf(c), bias.table ? &bias : nullptr, attn.data(), scores);
    zeroHeads(attn.data(), m, H, hd, ablatedHeads(AttentionKind::decoder, l));
    project(attn.data(), m, L.self.o, &L.self.o_b, proj.data());
    stream.add(proj.data(), L.self.norm_w, L.self.norm_b);
    // Cross-attention: the target's queries over every source token's cached keys and values (no
    // position bias in T5's either).
    in = stream.input(L.cross.norm_w);
    project(in, m, L.cross.q, &L.cross.q_b, proj.data());
    storeHeads(proj.data(), m, start, n, H, hd, cross.q);
    attend(cross, H, hd, start, m, ns, false, scoreScaleOf(c), nullptr, attn.data(), scores);
    zeroHeads(attn.data(), m, H, hd, ablatedHeads(AttentionKind::cross, l));
    project(attn.data(), m, L.cross.o, &L.cross.o_b, proj.data());
    stream.add(proj.data(), L.cross.norm_w, L.cross.norm_b);
    feedForward(c, L, stream.input(L.norm_w), m, mlp, up, proj.data());
    stream.add(proj.data(), L.norm_w, L.norm_b);
    checkFinite(y, y.size(), "decoder layer " + std::to_string(l), store_.source());
  }
  if (c.final_norm) rmsNorm(y.data(), m, D, w_->dec_final_norm.data(), c.norm_eps, y.data());
  decoder_out_.resize(std::size_t(n) * D);
  std::memcpy(decoder_out_.data() + std::size_t(start) * D, y.data(), sizeof(float) * y.size());
}

std::vector<float> Seq2SeqTransformer::valueOutputNorms(AttentionKind kind, int layer, int head) const {
  if (layer < 0 || layer >= layers(kind) || head < 0 || head >= config_.num_heads)
    throw ModelError(std::string(attentionKindPrefix(kind)) + " L" + std::to_string(layer) + "H" + std::to_string(head) +
                     " is not in this model");
  const LayerCache& lc = this->layer(kind, layer);
  const auto& L = kind == AttentionKind::encoder ? w_->encoder[std::size_t(layer)] : w_->decoder[std::size_t(layer)];
  const Matrix& o = kind == AttentionKind::cross ? L.cross.o : L.self.o;
  const int keys = int(lc.v[std::size_t(head)].size()) / config_.head_dim;
  if (keys == 0) throw ModelError("no text has been run yet");
  return valueOutputNormsOf(lc.v[std::size_t(head)].data(), keys, config_.head_dim, o, head);
}

const std::vector<char>* Seq2SeqTransformer::ablatedHeads(AttentionKind kind, int layer) const {
  const auto& by_layer = ablated_[int(kind)];
  return by_layer.empty() ? nullptr : &by_layer[std::size_t(layer)];
}

void Seq2SeqTransformer::setAblation(const std::vector<KindHeadRef>& heads) {
  std::vector<std::vector<char>> next[3];
  for (const KindHeadRef& r : heads) {
    const int layers = this->layers(r.kind);
    if (r.head.layer < 0 || r.head.layer >= layers || r.head.head < 0 || r.head.head >= config_.num_heads)
      throw ModelError(std::string(attentionKindPrefix(r.kind)) + " " + headRefName(r.head) + " is not a head of this model (" +
                       std::to_string(layers) + " layers x " + std::to_string(config_.num_heads) + " heads)");
    auto& by_layer = next[int(r.kind)];
    if (by_layer.empty()) by_layer.assign(std::size_t(layers), std::vector<char>(std::size_t(config_.num_heads), 0));
    by_layer[std::size_t(r.head.layer)][std::size_t(r.head.head)] = 1;
  }
  const bool encoder_changed = next[int(AttentionKind::encoder)] != ablated_[int(AttentionKind::encoder)];
  for (int k = 0; k < 3; ++k) ablated_[k] = std::move(next[k]);
  ablation_ = heads;
  if (encoder_changed && !source_.empty()) runEncoder();
  if (!target_.empty()) runDecoder(0);
}

std::vector<float> Seq2SeqTransformer::logits(int position) const {
  if (position < 0 || position >= int(target_.size()))
    throw ModelError("target position " + std::to_string(position) + " is outside the target (0.." +
                     std::to_string(int(target_.size()) - 1) + ")");
  const int V = config_.vocab_size, D = config_.hidden_size;
  const Matrix& head = w_->separate_lm_head ? w_->lm_head : w_->embed;
  // T5 with its head tied to the shared embeddings rescales the decoder's output by d_model^-0.5
  // first (T5ForConditionalGeneration); untied (Flan-T5) and BART/Marian do not.
  const float rescale = config_.arch == Architecture::T5 && !w_->separate_lm_head ? float(1.0 / std::sqrt(double(D))) : 1.0f;
  std::vector<float> out(w_->final_logits_bias.data(), w_->final_logits_bias.data() + V);
  cblas_sgemv(CblasRowMajor, CblasNoTrans, V, D, rescale, head.t.data, D, decoder_out_.data() + std::size_t(position) * D, 1, 1.0f,
              out.data(), 1);
  if (std::size_t bad = firstNonFinite(out.data(), out.size()); bad < out.size())
    throw ModelError(store_.source() + ": the logits gave " + nonFiniteName(out[bad]) + " at target position " + std::to_string(position));
  return out;
}

double Seq2SeqTransformer::encoderFlops() const {
  const ModelConfig& c = config_;
  const double n = double(source_.size()), D = c.hidden_size, A = double(c.num_heads) * c.head_dim;
  const double mlp = (c.gated_ffn ? 3 : 2) * 2 * n * D * c.intermediate_size;
  const double per_layer = 2 * n * D * A * 4 + 2 * 2 * n * n * A + mlp;
  return c.num_layers * per_layer + c.decoder_layers * 2 * 2 * n * D * A;  // + the cross K/V
}

double Seq2SeqTransformer::decoderFlops(int prefix, int count) const {
  const ModelConfig& c = config_;
  const double m = count, D = c.hidden_size, A = double(c.num_heads) * c.head_dim, ns = double(source_.size());
  const double self_keys = m * prefix + m * (m + 1) / 2;
  const double per_layer = 2 * m * D * A * 4 + 2 * 2 * self_keys * A  // self: q/k/v/o, scores and P.V
                           + 2 * m * D * A * 2 + 2 * 2 * m * ns * A     // cross: q/o, scores and P.V
                           + (c.gated_ffn ? 3 : 2) * 2 * m * D * c.decoder_intermediate_size;
  return c.decoder_layers * per_layer;
}

std::size_t Seq2SeqTransformer::cacheBytes() const {
  std::size_t bytes = (encoder_out_.capacity() + decoder_out_.capacity()) * sizeof(float);
  for (const auto* all : {&encoder_, &decoder_, &cross_})
    for (const auto& lc : *all)
      for (const auto* part : {&lc.q, &lc.k, &lc.v})
        for (const auto& h : *part) bytes += h.capacity() * sizeof(float);
  return bytes;
}

}  // namespace attnviz::model
