#include "model/transformer.h"

#include <cblas.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/cpu_fast.h"
#include "core/cpu_features.h"
#include "core/input_file.h"
#include "core/memory_budget.h"
#include "core/thread_pool.h"
#include "model/blas_threads.h"
#include "model/model_error.h"
#include "model/forward_ops.h"
#include "model/transformer_weights.h"

namespace attnviz::model {
namespace {

using namespace ops;

// Tokens run through all layers together: bounds the activations (chunk x intermediate floats)
// while keeping the projections large enough for BLAS to reach its full rate.
constexpr int kChunkTokens = 512;
// Query rows per block of the attention's own P.V: scores of one head and one block only.
constexpr int kAttentionRowBlock = 128;
// An encoder's blocks grow to up to this many scores (1 MiB): at BERT-base's 512 tokens a head's
// rows in one pair of products instead of four, which about halved the attention products' time
// (at head_dim 64 each product is small, and OpenBLAS's per-call start on two threads dominated). A
// causal model keeps 128: larger blocks would compute more of the masked triangle.
constexpr int kEncoderScoreBlock = 1 << 18;

int attentionRowBlock(const ModelConfig& c, int keys) {
  return c.bidirectional ? std::max(kAttentionRowBlock, std::min(keys, kEncoderScoreBlock / std::max(keys, 1))) : kAttentionRowBlock;
}

// An encoder's heads are spread over the shared pool, each head's products on one OpenBLAS thread:
// at BERT-base's 512 tokens a head's products are too small for OpenBLAS to split well (its two
// threads meet after every product), and the softmax then runs on both cores too. Measured on the
// 2-core machine, in turn with the serial heads: forwards about 12% faster in 8 of 8 pairs.
bool parallelHeads(const ModelConfig& c, const ThreadPool& pool) { return c.bidirectional && c.num_heads > 1 && pool.size() > 1; }

}  // namespace

Transformer::Transformer(ModelConfig config, WeightStore weights, const LoadObserver& observer)
    : config_(std::move(config)), store_(std::move(weights)) {
  const ModelConfig& c = config_;
  int total_tensors = 0;
  {
    // Every tensor's presence and shape first, and the memory the weights will take, before any
    // is converted (a 2^25-row BF16 embedding is refused here, not after 3 GB).
    Loader dry(store_, c, true);
    TransformerWeights shapes;
    readWeights(dry, c, store_, shapes);
    weight_bytes_mapped_ = dry.mapped_bytes;
    total_tensors = dry.tensors;
    weight_bytes_converted_ = dry.converted_bytes;
    checkBudget(MemoryEstimate{}
                    .add("weights converted to float32", weight_bytes_converted_)
                    .add("weights mapped", weight_bytes_mapped_),
                "loading the weights of " + store_.source());
  }
  Loader ld(store_, c, false);
  ld.total = total_tensors;
  ld.observer = &observer;
  auto w = std::make_unique<TransformerWeights>();
  readWeights(ld, c, store_, *w);
  const PackedBytes packed = packLinearWeights(*w, store_);
#ifdef __GLIBC__
  // The float32 copies just freed sit in malloc's heap (its mmap threshold grows past their size
  // after the first large free): hand the pages back, or the resident memory would not fall.
  if (packed.freed_converted > 0) malloc_trim(0);
#endif
  weight_bytes_packed_ = packed.packed;
  weight_bytes_mapped_ -= std::min(weight_bytes_mapped_, packed.freed_mapped);
  weight_bytes_converted_ -= std::min(weight_bytes_converted_, packed.freed_converted);
  if (c.arch == Architecture::Llama || c.arch == Architecture::NeoX)  // the rotary ones
    for (double f : rotaryInverseFrequencies(c)) rope_inv_freq_.push_back(float(f));
  if (c.rope_local_theta > 0)
    for (double f : rotaryInverseFrequencies(c, true)) rope_inv_freq_local_.push_back(float(f));
  w_ = w.release();
  cache_.resize(std::size_t(c.num_layers));
  for (auto& lc : cache_) {
    lc.q.resize(std::size_t(c.num_heads));
    lc.k.resize(std::size_t(c.num_kv_heads));
    lc.v.resize(std::size_t(c.num_kv_heads));
  }
}

Transformer::~Transformer() { delete w_; }

Transformer::Transformer(Transformer&& o) noexcept
    : config_(std::move(o.config_)),
      store_(std::move(o.store_)),
      w_(o.w_),
      weight_bytes_mapped_(o.weight_bytes_mapped_),
      weight_bytes_converted_(o.weight_bytes_converted_),
      weight_bytes_packed_(o.weight_bytes_packed_),
      ids_(std::move(o.ids_)),
      cache_(std::move(o.cache_)),
      final_hidden_(std::move(o.final_hidden_)),
      rope_inv_freq_(std::move(o.rope_inv_freq_)),
      rope_inv_freq_local_(std::move(o.rope_inv_freq_local_)),
      value_norms_(std::move(o.value_norms_)) {
  o.w_ = nullptr;
}

Transformer& Transformer::operator=(Transformer&& o) noexcept {
  if (this != &o) {
    delete w_;
    config_ = std::move(o.config_);
    store_ = std::move(o.store_);
    w_ = o.w_;
    o.w_ = nullptr;
    weight_bytes_mapped_ = o.weight_bytes_mapped_;
    weight_bytes_converted_ = o.weight_bytes_converted_;
    weight_bytes_packed_ = o.weight_bytes_packed_;
    ids_ = std::move(o.ids_);
    cache_ = std::move(o.cache_);
    final_hidden_ = std::move(o.final_hidden_);
    rope_inv_freq_ = std::move(o.rope_inv_freq_);
    rope_inv_freq_local_ = std::move(o.rope_inv_freq_local_);
    value_norms_ = std::move(o.value_norms_);
  }
  return *this;
}

void Transformer::truncate(int n) {
  const std::size_t rows = std::size_t(n) * std::size_t(config_.head_dim);
  for (auto& lc : cache_) {
    for (auto& q : lc.q) q.resize(rows);
    for (auto& k : lc.k) k.resize(rows);
    for (auto& v : lc.v) v.resize(rows);
  }
  final_hidden_.resize(std::size_t(n) * std::size_t(config_.hidden_size));
  for (auto& layer : value_norms_)
    for (auto& head : layer)
      if (head.size() > std::size_t(n)) head.resize(std::size_t(n));
  ids_.resize(std::size_t(n));
}

int Transformer::setTokens(const std::vector<int>& ids) {
  const ModelConfig& c = config_;
  if (int(ids.size()) > c.max_positions)
    throw ModelError("the text is " + std::to_string(ids.size()) + " tokens, longer than this model's limit of " +
                     std::to_string(c.max_positions) + " positions");
  for (std::size_t i = 0; i < ids.size(); ++i)
    if (ids[i] < 0 || ids[i] >= c.vocab_size)
      throw ModelError("token id " + std::to_string(ids[i]) + " at position " + std::to_string(i) + " is outside the vocabulary (" +
                       std::to_string(c.vocab_size) + ")");
  std::size_t keep = 0;
  while (keep < ids.size() && keep < ids_.size() && ids[keep] == ids_[keep]) ++keep;
  if (keep == ids.size() && keep == ids_.size()) return int(keep);
  // An encoder's every token sees every other: a changed token changes all of them. run() rewrites
  // every row then, so its cache keeps its size instead of being emptied and zero-filled again.
  if (c.bidirectional) keep = 0;
  checkBudget(estimateTokens(int(ids.size())), "the text of " + std::to_string(ids.size()) + " tokens through this model");
  if (!c.bidirectional) truncate(int(keep));
  ids_ = ids;
  try {
    run(int(keep));
  } catch (...) {
    truncate(int(keep));  // the rows of the kept prefix were not touched
    throw;
  }
  return int(keep);
}

void Transformer::append(int id) {
  std::vector<int> ids = ids_;
  ids.push_back(id);
  setTokens(ids);
}

void Transformer::run(int start, const ForwardHooks* hooks) {
  const ModelConfig& c = config_;
  const int n = int(ids_.size());
  const int D = c.hidden_size, I = c.intermediate_size, hd = c.head_dim, H = c.num_heads, KV = c.num_kv_heads;
  const bool gpt2 = c.arch == Architecture::Gpt2;
  const bool neox = c.arch == Architecture::NeoX;
  const bool opt = c.arch == Architecture::Opt;
  const bool bert = c.arch == Architecture::Bert;
  const bool layer_norms = gpt2 || neox || opt || bert;  // LayerNorm with bias; the Llama family has RMSNorm
  const bool rotary = !gpt2 && !opt && !bert;             // these learn absolute positions instead
  const bool learned_positions = gpt2 || opt || bert;
  const int rot = c.rotary_dims > 0 ? c.rotary_dims : hd;  // rotated dimensions of each head (not gpt2)
  const double scale = c.attention_scale > 0 ? c.attention_scale : 1.0 / std::sqrt(double(hd));
  const float norm_offset = c.gemma ? 1.0f : 0.0f;  // GemmaRMSNorm: times (1 + weight)
  final_hidden_.resize(std::size_t(n) * D);
  for (auto& lc : cache_) {
    for (auto& q : lc.q) q.resize(std::size_t(n) * hd);
    for (auto& k : lc.k) k.resize(std::size_t(n) * hd);
    for (auto& v : lc.v) v.resize(std::size_t(n) * hd);
  }
  // A causal model's chunk needs only the keys before it; an encoder's needs all of them, so it
  // runs the whole text as one chunk.
  const int chunk_tokens = c.bidirectional ? std::max(n, 1) : kChunkTokens;
  const int chunk_max = std::min(chunk_tokens, n - start);
  std::vector<float> x(std::size_t(chunk_max) * D), h(std::size_t(chunk_max) * D);
  std::vector<float> qkv(std::size_t(chunk_max) * (layer_norms ? 3 * D : (H + 2 * KV) * hd));
  // Separate q/k/v projections' outputs, allocated at their first use and kept for every layer (a
  // fresh 4.7 MB per layer cost BERT-base page faults and zeroing on every layer).
  std::vector<float> tq, tk, tv;
  std::vector<float> x_in(c.parallel_residual ? std::size_t(chunk_max) * D : 0);
  std::vector<float> attn(std::size_t(chunk_max) * H * hd), proj(std::size_t(chunk_max) * D);
  std::vector<float> mlp_a(std::size_t(chunk_max) * I), mlp_b(layer_norms ? 0 : std::size_t(chunk_max) * I);
  const int row_block = attentionRowBlock(c, n);
  ThreadPool& pool = sharedThreadPool();
  const bool parallel_heads = parallelHeads(c, pool);
  std::vector<float> scores(std::size_t(row_block) * n * (parallel_heads ? pool.size() : 1)), cosv(hd / 2), sinv(hd / 2);

  const int first_layer = hooks ? hooks->first_layer : 0;
  const std::vector<int> segments = bert ? segmentIds() : std::vector<int>();
  // RoBERTa's position ids (create_position_ids_from_input_ids): padding_idx + the count of
  // non-padding tokens so far, padding_idx itself at a padding token. Row offset + i otherwise.
  std::vector<int> position_rows(static_cast<std::size_t>(n));
  const int pad = c.position_offset - 1;
  for (int i = 0, counted = 0; i < n; ++i) {
    const bool padding = bert && pad >= 0 && ids_[std::size_t(i)] == pad;
    if (!padding) ++counted;
    position_rows[std::size_t(i)] = bert && pad >= 0 ? (padding ? pad : pad + counted) : i + c.position_offset;
  }
  for (int c0 = start; c0 < n; c0 += chunk_tokens) {
    const int m = std::min(chunk_tokens, n - c0);
    // Embeddings (or, for a rerun from a later layer, the residual stream recorded there).
    if (first_layer > 0) std::memcpy(x.data(), hooks->residual_in->data() + std::size_t(c0) * D, sizeof(float) * std::size_t(m) * D);
    for (int r = 0; r < m && first_layer == 0; ++r) {
      const int pos = c0 + r;
      const float* e = w_->embed.t.data + std::size_t(ids_[std::size_t(pos)]) * D;
      float* xr = x.data() + std::size_t(r) * D;
      if (learned_positions) {
        const float* pe = w_->positions.data() + std::size_t(position_rows[std::size_t(pos)]) * D;
        for (int i = 0; i < D; ++i) xr[i] = e[i] + pe[i];
      } else if (c.embed_scale != 1.0) {  // Gemma: times sqrt(hidden_size)
        for (int i = 0; i < D; ++i) xr[i] = float(double(e[i]) * c.embed_scale);
      } else {
        std::memcpy(xr, e, sizeof(float) * D);
      }
      if (bert && w_->token_types.t.data) {
        const float* te = w_->token_types.data() + std::size_t(segments[std::size_t(pos)]) * D;
        for (int i = 0; i < D; ++i) xr[i] += te[i];
      }
    }
    if (bert && first_layer == 0)
      layerNorm(x.data(), m, D, w_->embed_norm_w.data(), w_->embed_norm_b.data(), c.embed_norm_eps, x.data());
    if (std::size_t bad = firstNonFinite(x.data(), std::size_t(m) * D); bad < std::size_t(m) * D)
      nonFinite("the embeddings", w_->embedding_names, c0, D, bad, x[bad]);
    for (int l = first_layer; l < c.num_layers; ++l) {
      if (progress_ && !hooks) {
        const int chunks = (n - start + chunk_tokens - 1) / chunk_tokens, chunk = (c0 - start) / chunk_tokens;
        progress_(chunk * c.num_layers + l, chunks * c.num_layers);
      }
      const auto& L = w_->layers[std::size_t(l)];
      LayerCache& lc = cache_[std::size_t(l)];
      if (hooks && hooks->residual_out)
        std::memcpy((*hooks->residual_out)[std::size_t(l)].data() + std::size_t(c0) * D, x.data(), sizeof(float) * std::size_t(m) * D);
      // Q, K, V of the chunk into the cache, head-major.
      float* qp = qkv.data();
      // Within a row of width q_stride: head h's q at h * q_step, kv head g's k and v at
      // k_off / v_off + g * kv_step.
      int q_stride, k_off, v_off, q_step = hd, kv_step = hd;
      if (c.parallel_residual) std::memcpy(x_in.data(), x.data(), sizeof(float) * std::size_t(m) * D);
      if (gpt2) {
        layerNorm(x.data(), m, D, L.norm1_w.data(), L.norm1_b.data(), c.norm_eps, h.data());
        project(h.data(), m, L.qkv, &L.qkv_b, qp);
        q_stride = 3 * D, k_off = D, v_off = 2 * D;  // c_attn's output columns are Q | K | V
      } else if (neox) {
        layerNorm(x.data(), m, D, L.norm1_w.data(), L.norm1_b.data(), c.norm_eps, h.data());
        project(h.data(), m, L.qkv, &L.qkv_b, qp);
        // query_key_value's output is viewed [heads][3][head_dim]: each head's q, k, v side by side.
        q_stride = 3 * D, k_off = hd, v_off = 2 * hd, q_step = kv_step = 3 * hd;
      } else {
        // Post-LN (BERT, OPT's variant): the attention reads the residual stream itself, in place.
        const float* attn_in = c.post_layer_norm ? x.data() : h.data();
        if (!c.post_layer_norm && opt)
          layerNorm(x.data(), m, D, L.norm1_w.data(), L.norm1_b.data(), c.norm_eps, h.data());
        else if (!c.post_layer_norm)
          rmsNorm(x.data(), m, D, L.norm1_w.data(), c.norm_eps, h.data(), norm_offset);
        q_stride = (H + 2 * KV) * hd, k_off = H * hd, v_off = (H + KV) * hd;
        if (c.fused_projections) {  // qkv_proj's rows are q | k | v: its output is the row itself
          project(attn_in, m, L.qkv, nullptr, qp);
        } else {
          // Three projections written into one row of width q_stride: through temporaries of their own width.
          if (tq.empty()) {
            tq.resize(std::size_t(chunk_max) * H * hd);
            tk.resize(std::size_t(chunk_max) * KV * hd);
            tv.resize(tk.size());
          }
          project(attn_in, m, L.q, &L.q_b, tq.data());
          project(attn_in, m, L.k, &L.k_b, tk.data());
          project(attn_in, m, L.v, &L.v_b, tv.data());
          for (int r = 0; r < m; ++r) {
            float* row = qp + std::size_t(r) * q_stride;
            std::memcpy(row, tq.data() + std::size_t(r) * H * hd, sizeof(float) * H * hd);
            std::memcpy(row + k_off, tk.data() + std::size_t(r) * KV * hd, sizeof(float) * KV * hd);
            std::memcpy(row + v_off, tv.data() + std::size_t(r) * KV * hd, sizeof(float) * KV * hd);
          }
        }
      }
      if (c.qk_norm)  // Qwen3, Gemma 3: each head's q and k RMS-normed over head_dim, before rotary
        for (int r = 0; r < m; ++r) {
          float* row = qp + std::size_t(r) * q_stride;
          rmsNorm(row, H, hd, L.q_norm_w.data(), c.norm_eps, row, norm_offset);
          rmsNorm(row + k_off, KV, hd, L.k_norm_w.data(), c.norm_eps, row + k_off, norm_offset);
        }
      // Gemma 3's local layers rotate with a base of their own.
      const std::vector<float>& inv_freq = c.isLocalLayer(l) && !rope_inv_freq_local_.empty() ? rope_inv_freq_local_ : rope_inv_freq_;
      const int window = c.windowOf(l);
      for (int r = 0; r < m; ++r) {
        const int pos = c0 + r;
        const float* row = qp + std::size_t(r) * q_stride;
        if (rotary) {
          // Rotary positions as Hugging Face applies them: the two halves of each head are rotated
          // together (rotate_half), angle pos * inv_freq[i] shared by elements i and i + hd/2.
          for (int i = 0; i < rot / 2; ++i) {
            const double angle = double(pos) * double(inv_freq[std::size_t(i)]);
            cosv[std::size_t(i)] = float(std::cos(angle));
            sinv[std::size_t(i)] = float(std::sin(angle));
          }
        }
        auto store = [&](std::vector<float>& dst, const float* src, bool rotate) {
          float* o = dst.data() + std::size_t(pos) * hd;
          if (!rotate) {
            std::memcpy(o, src, sizeof(float) * hd);
            return;
          }
          // gpt_neox rotates only the first rot dimensions (rotary_pct) and passes the rest.
          const int half = rot / 2;
          for (int i = 0; i < half; ++i) {
            const float a = src[i], b = src[i + half];
            o[i] = a * cosv[std::size_t(i)] - b * sinv[std::size_t(i)];
            o[i + half] = b * cosv[std::size_t(i)] + a * sinv[std::size_t(i)];
          }
          if (rot < hd) std::memcpy(o + rot, src + rot, sizeof(float) * std::size_t(hd - rot));
        };
        for (int hh = 0; hh < H; ++hh) store(lc.q[std::size_t(hh)], row + hh * q_step, rotary);
        for (int kv = 0; kv < KV; ++kv) {
          store(lc.k[std::size_t(kv)], row + k_off + kv * kv_step, rotary);
          store(lc.v[std::size_t(kv)], row + v_off + kv * kv_step, false);
        }
      }
      // Attention of the chunk's rows, one head and one block of rows at a time: causal, or over
      // every key for an encoder.
      auto attendHead = [&](int hh, float* head_scores) {
        const int kv = c.kvHeadOf(hh);
        const float* Q = lc.q[std::size_t(hh)].data();
        const float* K = lc.k[std::size_t(kv)].data();
        const float* V = lc.v[std::size_t(kv)].data();
        for (int b0 = 0; b0 < m; b0 += row_block) {
          const int rows = std::min(row_block, m - b0);
          const int first = c0 + b0;         // absolute position of the block's first row
          const int keys = c.bidirectional ? n : first + rows;  // keys visible to the block's last row
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, keys, hd, float(scale), Q + std::size_t(first) * hd, hd, K,
                      hd, 0.0f, head_scores, keys);
          forRows(rows, [&](int r) {
            float* s = head_scores + std::size_t(r) * keys;
            const int visible = c.bidirectional ? n : first + r + 1;
            // A sliding window sees its last `window` keys, the query's own included (Hugging
            // Face's kv_idx > q_idx - sliding_window).
            const int from = window > 0 ? std::max(0, visible - window) : 0;
            if (c.attn_softcap > 0) softCap(s + from, std::size_t(visible - from), c.attn_softcap);
            softmaxRow(s, visible, keys, from);
          });
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, hd, keys, 1.0f, head_scores, keys, V, hd, 0.0f,
                      attn.data() + std::size_t(b0) * H * hd + std::size_t(hh) * hd, H * hd);
        }
      };
      if (parallel_heads) {
        SingleThreadedBlas one_thread;
        pool.run(H, [&](int hh, int worker) { attendHead(hh, scores.data() + std::size_t(worker) * row_block * n); });
      } else {
        for (int hh = 0; hh < H; ++hh) attendHead(hh, scores.data());
      }
      if (hooks && hooks->before_output_projection) hooks->before_output_projection(l, c0, m, attn.data());
      project(attn.data(), m, L.o, &L.o_b, proj.data());
      if (c.gemma) rmsNorm(proj.data(), m, D, L.attn_out_norm_w.data(), c.norm_eps, proj.data(), norm_offset);
      if (c.post_layer_norm)  // x = LayerNorm(x + proj), the residual sum in the norm's first pass
        layerNorm(x.data(), m, D, L.norm1_w.data(), L.norm1_b.data(), c.norm_eps, x.data(), proj.data());
      else
        for (std::size_t i = 0; i < std::size_t(m) * D; ++i) x[i] += proj[i];
      // Every value of the forward flows into x, so one check of x after each half of a layer
      // finds the first NaN/Inf, from a weight or from an overflow, with its layer.
      if (std::size_t bad = firstNonFinite(x.data(), std::size_t(m) * D); bad < std::size_t(m) * D)
        nonFinite("layer " + std::to_string(l) + " (attention)", w_->layer_names[std::size_t(l)], c0, D, bad, x[bad]);
      // MLP (on the layer's input, not the attention's output, with a parallel residual).
      if (layer_norms) {
        const float* mlp_in = c.parallel_residual ? x_in.data() : x.data();
        // Post-LN: the MLP reads the normed residual stream in place (x changes only after fc2).
        if (!c.post_layer_norm) layerNorm(mlp_in, m, D, L.norm2_w.data(), L.norm2_b.data(), c.norm_eps, h.data());
        const float* up_in = c.post_layer_norm ? mlp_in : h.data();
        // The exact-GELU MLP (BERT, GPT-NeoX) adds the up-projection's bias in the activation's pass.
        const bool bias_in_gelu = !gpt2 && !opt && L.up_b.t.data;
        project(up_in, m, L.up, bias_in_gelu ? nullptr : &L.up_b, mlp_a.data());
        if (gpt2)
          forRows(m, [&](int r) { geluNewRow(mlp_a.data() + std::size_t(r) * I, I); });
        else if (opt)
          for (std::size_t i = 0; i < std::size_t(m) * I; ++i) mlp_a[i] = std::max(mlp_a[i], 0.0f);
        else if (bias_in_gelu)  // exact GELU, as nn.GELU / ACT2FN["gelu"]
          biasGeluErfRows(mlp_a.data(), m, I, L.up_b.data());
        else
          geluErfRow(mlp_a.data(), std::size_t(m) * I);
      } else {
        rmsNorm(x.data(), m, D, L.norm2_w.data(), c.norm_eps, h.data(), norm_offset);
        if (c.fused_projections) {  // gate_up_proj: each output row is gate | up (Phi3MLP's chunk(2))
          std::vector<float> gate_up(std::size_t(m) * 2 * I);
          project(h.data(), m, L.gate_up, nullptr, gate_up.data());
          for (int r = 0; r < m; ++r) {
            std::memcpy(mlp_a.data() + std::size_t(r) * I, gate_up.data() + std::size_t(r) * 2 * I, sizeof(float) * I);
            std::memcpy(mlp_b.data() + std::size_t(r) * I, gate_up.data() + std::size_t(r) * 2 * I + I, sizeof(float) * I);
          }
        } else {
          project(h.data(), m, L.gate, &L.gate_b, mlp_a.data());
          project(h.data(), m, L.up, &L.up_b, mlp_b.data());
        }
        if (c.gemma)
          forRows(m, [&](int r) { geluTanhTimesRow(mlp_a.data() + std::size_t(r) * I, mlp_b.data() + std::size_t(r) * I, I); });
        else
          forRows(m, [&](int r) { siluTimesRow(mlp_a.data() + std::size_t(r) * I, mlp_b.data() + std::size_t(r) * I, I); });
      }
      project(mlp_a.data(), m, L.down, &L.down_b, proj.data());
      if (c.gemma) rmsNorm(proj.data(), m, D, L.mlp_out_norm_w.data(), c.norm_eps, proj.data(), norm_offset);
      if (c.post_layer_norm)
        layerNorm(x.data(), m, D, L.norm2_w.data(), L.norm2_b.data(), c.norm_eps, x.data(), proj.data());
      else
        for (std::size_t i = 0; i < std::size_t(m) * D; ++i) x[i] += proj[i];
      if (std::size_t bad = firstNonFinite(x.data(), std::size_t(m) * D); bad < std::size_t(m) * D)
        nonFinite("layer " + std::to_string(l) + " (MLP)", w_->layer_names[std::size_t(l)], c0, D, bad, x[bad]);
    }
    float* fh = final_hidden_.data() + std::size_t(c0) * D;
    if (!c.final_norm)
      std::memcpy(fh, x.data(), sizeof(float) * std::size_t(m) * D);
    else if (layer_norms)
      layerNorm(x.data(), m, D, w_->final_w.data(), w_->final_b.data(), c.norm_eps, fh);
    else
      rmsNorm(x.data(), m, D, w_->final_w.data(), c.norm_eps, fh, norm_offset);
    if (std::size_t bad = firstNonFinite(fh, std::size_t(m) * D); bad < std::size_t(m) * D)
      nonFinite("the final norm", w_->final_names, c0, D, bad, fh[bad]);
  }
}

void Transformer::nonFinite(const std::string& stage, const std::vector<std::string>& tensors, int first_token, int width,
                            std::size_t index, float value) const {
  const std::string where = stage + " gave " + nonFiniteName(value) + " at token " + std::to_string(first_token + int(index / std::size_t(width)));
  // Rare path: read the stage's tensors again to name the first one holding a NaN/Inf.
  for (const std::string& name : tensors) {
    const FloatTensor t = store_.load(name);
    const std::size_t n = std::size_t(t.elements());
    if (std::size_t bad = firstNonFinite(t.data, n); bad < n)
      throw ModelError(store_.fileOf(name) + ": tensor '" + oneLine(name) + "' holds " + nonFiniteName(t.data[bad]) + " (element " +
                       std::to_string(bad) + " of " + shapeText(t.shape) + "), so " + where + "; attnviz does not run non-finite weights");
  }
  throw ModelError("this model's numbers overflow float: " + where + " although its weights are finite (weights too large?)");
}

std::vector<int> Transformer::segmentIds() const {
  std::vector<int> types(ids_.size(), 0);
  if (config_.type_vocab_size < 2 || config_.sep_token_id < 0) return types;
  // Hugging Face's pair encoding: [CLS] A [SEP] is segment 0, B [SEP] segment 1.
  const auto sep = std::find(ids_.begin(), ids_.end(), config_.sep_token_id);
  for (auto i = std::size_t(std::min(sep - ids_.begin() + 1, std::ptrdiff_t(ids_.size()))); i < ids_.size(); ++i) types[i] = 1;
  return types;
}

void Transformer::setSeparatorId(int id) {
  if (id == config_.sep_token_id) return;
  config_.sep_token_id = id;
  const std::vector<int> ids = ids_;
  ids_.clear();
  truncate(0);
  if (!ids.empty()) setTokens(ids);
}

bool Transformer::hasLanguageModelHead() const { return config_.arch != Architecture::Bert || w_->has_mlm_head; }

std::vector<float> Transformer::logitsOfHidden(const float* hidden_row) const {
  const ModelConfig& c = config_;
  const int D = c.hidden_size;
  std::vector<float> transformed;
  if (c.arch == Architecture::Bert) {
    if (!w_->has_mlm_head)
      throw ModelError(store_.source() + " has no masked-LM head (a " + c.model_type +
                       "Model file, not *ForMaskedLM): its attention shows, but it predicts no tokens");
    // The masked-LM head: dense -> exact GELU -> LayerNorm, then the decoder below and its bias.
    transformed.resize(std::size_t(D));
    project(hidden_row, 1, w_->mlm_dense, &w_->mlm_dense_b, transformed.data());
    geluErfRow(transformed.data(), transformed.size());
    layerNorm(transformed.data(), 1, D, w_->mlm_norm_w.data(), w_->mlm_norm_b.data(), c.embed_norm_eps, transformed.data());
    hidden_row = transformed.data();
  }
  const Matrix& head = w_->separate_lm_head ? w_->lm_head : w_->embed;
  std::vector<float> out(std::size_t(c.vocab_size));
  if (c.arch == Architecture::Bert) std::memcpy(out.data(), w_->mlm_bias.data(), sizeof(float) * out.size());
  cblas_sgemv(CblasRowMajor, CblasNoTrans, c.vocab_size, D, 1.0f, head.t.data, D, hidden_row, 1,
              c.arch == Architecture::Bert ? 1.0f : 0.0f, out.data(), 1);
  if (c.final_softcap > 0) softCap(out.data(), out.size(), c.final_softcap);
  return out;
}

std::vector<float> Transformer::logits(int position) const {
  if (position < 0 || position >= length())
    throw ModelError("position " + std::to_string(position) + " is outside the text (0.." + std::to_string(length() - 1) + ")");
  std::vector<float> out = logitsOfHidden(final_hidden_.data() + std::size_t(position) * config_.hidden_size);
  if (std::size_t bad = firstNonFinite(out.data(), out.size()); bad < out.size())
    nonFinite("the logits", w_->head_names, position, config_.vocab_size, bad, out[bad]);
  return out;
}

MemoryEstimate Transformer::estimateTokens(int tokens) const {
  const ModelConfig& c = config_;
  const double n = std::max(tokens, 0), D = c.hidden_size, I = c.intermediate_size, hd = c.head_dim, H = c.num_heads,
               KV = c.num_kv_heads, L = c.num_layers;
  const double chunk = c.bidirectional ? n : std::min(n, double(kChunkTokens));  // an encoder runs in one chunk
  const double qkv_width = c.arch != Architecture::Llama ? 3 * D : (H + 2 * KV) * hd;
  const double score_blocks = parallelHeads(c, sharedThreadPool()) ? sharedThreadPool().size() : 1;  // one per worker
  MemoryEstimate e;
  e.add("weights converted to float32", weight_bytes_converted_).add("weights mapped", weight_bytes_mapped_);
  if (weight_bytes_packed_ > 0) e.add("linear weights in 16 bits", weight_bytes_packed_);
  e.add("Q/K/V cache", L * (H + 2 * KV) * hd * n, sizeof(float))
      .add("final hidden states", n * D, sizeof(float))
      // x, h, proj; the Q/K/V rows twice (Llama's temporaries); attention output; MLP; a score block per attention worker.
      .add("activations", chunk * (3 * D + 2 * qkv_width + H * hd + 2 * I) + double(attentionRowBlock(c, tokens)) * n * score_blocks,
           sizeof(float))
      .add("logits", double(c.vocab_size), 2.0 * sizeof(float));  // logits and the top-k order
  // One layer's maps of every head (dump, render, the window's head grid), with that layer's
  // Q/K/V copied into the problem.
  const MemoryEstimate map = estimateAttention(c.num_heads, tokens, tokens, c.head_dim, c.head_dim);
  e.add("one layer's maps", map.total());
  // Gemma 2's soft-capping reaches the engines as a score bias of the same size as the maps.
  if (c.attn_softcap > 0) e.add("soft-capping of one layer's maps", H * n * n, sizeof(float));
  return e;
}

std::vector<WeightFormat> Transformer::linearWeightFormats() const {
  std::vector<WeightFormat> formats;
  for (const auto& L : w_->layers)
    for (const Matrix* m : {&L.qkv, &L.q, &L.k, &L.v, &L.o, &L.up, &L.gate, &L.down, &L.gate_up})
      if (m->t.data || !m->packed.empty()) formats.push_back(m->format);
  return formats;
}

std::size_t Transformer::cacheBytes() const {
  std::size_t bytes = final_hidden_.capacity() * sizeof(float);
  for (const auto& lc : cache_) {
    for (const auto& q : lc.q) bytes += q.capacity() * sizeof(float);
    for (const auto& k : lc.k) bytes += k.capacity() * sizeof(float);
    for (const auto& v : lc.v) bytes += v.capacity() * sizeof(float);
  }
  return bytes;
}

double Transformer::forwardFlops(int prefix, int count) const {
  const ModelConfig& c = config_;
  const double D = c.hidden_size, I = c.intermediate_size, hd = c.head_dim, H = c.num_heads, KV = c.num_kv_heads;
  const double m = count;
  const double projections = 2 * m * D * (H * hd + 2 * KV * hd) + 2 * m * H * hd * D;
  const double mlp = (c.arch != Architecture::Llama ? 2.0 : 3.0) * 2 * m * D * I;
  // Scores and P.V over the keys each row sees: sum over rows of (prefix + r + 1), at most the
  // layer's sliding window, or of every key for an encoder.
  double keys = 0;
  for (int layer = 0; layer < c.num_layers; ++layer) {
    const int window = c.bidirectional ? 0 : c.windowOf(layer);
    if (c.bidirectional) keys += m * (prefix + m);
    else if (window <= 0) keys += m * prefix + m * (m + 1) / 2;
    else
      for (int r = 0; r < count; ++r) keys += std::min(window, prefix + r + 1);
  }
  return c.num_layers * (projections + mlp) + 2 * 2 * H * hd * keys;
}

}  // namespace attnviz::model
