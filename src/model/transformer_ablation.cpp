// Transformer: head ablation, contributions (value norms) and the next-token loss (head_ablation.h),
// apart from the forward in transformer.cpp.
#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/thread_pool.h"
#include "model/forward_ops.h"
#include "model/model_error.h"
#include "model/transformer.h"
#include "model/transformer_weights.h"

namespace attnviz::model {

using namespace ops;

std::vector<float> Transformer::runOnScratch(const ForwardHooks& hooks, std::vector<LayerCache>* scratch_layers) {
  const int first = hooks.first_layer, layers = config_.num_layers;
  std::vector<LayerCache> local;
  std::vector<LayerCache>& scratch = scratch_layers ? *scratch_layers : local;
  scratch.resize(std::size_t(layers - first));
  for (auto& lc : scratch) {
    lc.q.resize(std::size_t(config_.num_heads));
    lc.k.resize(std::size_t(config_.num_kv_heads));
    lc.v.resize(std::size_t(config_.num_kv_heads));
  }
  std::vector<float> hidden;
  auto swapIn = [&] {
    for (int l = first; l < layers; ++l) std::swap(cache_[std::size_t(l)], scratch[std::size_t(l - first)]);
    std::swap(final_hidden_, hidden);
  };
  swapIn();
  try {
    run(0, &hooks);
  } catch (...) {
    swapIn();
    throw;
  }
  swapIn();
  return hidden;
}

AblationBase Transformer::recordAblationBase() {
  if (ids_.empty()) throw ModelError("no text has been run yet");
  const ModelConfig& c = config_;
  const int n = length(), width = c.num_heads * c.head_dim;
  AblationBase base;
  base.ids = ids_;
  base.residual.assign(std::size_t(c.num_layers), std::vector<float>(std::size_t(n) * c.hidden_size));
  std::vector<std::vector<double>> sums(std::size_t(c.num_layers), std::vector<double>(std::size_t(width), 0.0));
  ForwardHooks hooks;
  hooks.residual_out = &base.residual;
  hooks.before_output_projection = [&](int l, int, int rows, float* heads) {
    std::vector<double>& s = sums[std::size_t(l)];
    for (int r = 0; r < rows; ++r)
      for (int i = 0; i < width; ++i) s[std::size_t(i)] += heads[std::size_t(r) * width + i];
  };
  runOnScratch(hooks, nullptr);
  base.head_mean.assign(std::size_t(c.num_layers), std::vector<float>(std::size_t(width)));
  for (int l = 0; l < c.num_layers; ++l)
    for (int i = 0; i < width; ++i) base.head_mean[std::size_t(l)][std::size_t(i)] = float(sums[std::size_t(l)][std::size_t(i)] / n);
  return base;
}

std::vector<float> Transformer::ablatedFinalHidden(const AblationBase& base, const std::vector<HeadRef>& heads, AblationMode mode,
                                                   int from_layer, std::vector<LayerCache>* ablated_layers) {
  const ModelConfig& c = config_;
  if (ids_.empty()) throw ModelError("no text has been run yet");
  if (base.ids != ids_ || int(base.residual.size()) != c.num_layers)
    throw ModelError("the ablation base was recorded for another text; record it again");
  int lowest = c.num_layers;
  for (const HeadRef& h : heads) {
    if (h.layer < 0 || h.layer >= c.num_layers || h.head < 0 || h.head >= c.num_heads)
      throw ModelError("head " + headRefName(h) + " is not in this model (layers 0.." + std::to_string(c.num_layers - 1) +
                       ", heads 0.." + std::to_string(c.num_heads - 1) + ")");
    lowest = std::min(lowest, h.layer);
  }
  if (from_layer < 0) {
    if (heads.empty()) return final_hidden_;  // nothing ablated: the normal forward's states
    from_layer = lowest;
  }
  if (from_layer >= c.num_layers || from_layer > lowest)
    throw ModelError("cannot rerun from layer " + std::to_string(from_layer) + ": the first ablated layer is " + std::to_string(lowest));
  const int hd = c.head_dim, width = c.num_heads * hd;
  ForwardHooks hooks;
  hooks.first_layer = from_layer;
  hooks.residual_in = &base.residual[std::size_t(from_layer)];
  hooks.before_output_projection = [&](int l, int, int rows, float* out) {
    for (const HeadRef& h : heads) {
      if (h.layer != l) continue;
      const float* mean = base.head_mean[std::size_t(l)].data() + std::size_t(h.head) * hd;
      for (int r = 0; r < rows; ++r) {
        float* dst = out + std::size_t(r) * width + std::size_t(h.head) * hd;
        if (mode == AblationMode::Zero) std::fill(dst, dst + hd, 0.0f);
        else std::copy(mean, mean + hd, dst);
      }
    }
  };
  return runOnScratch(hooks, ablated_layers);
}

double Transformer::nextTokenLoss(const std::vector<float>& final_hidden) const {
  const int n = length(), V = config_.vocab_size, D = config_.hidden_size;
  if (config_.bidirectional)
    throw ModelError("the next-token loss is a decoder's measure; " + config_.model_type + " is an encoder (every token sees the next)");
  if (n < 2) throw ModelError("the next-token loss needs at least 2 tokens (this text has " + std::to_string(n) + ")");
  if (final_hidden.size() != std::size_t(n) * D) throw ModelError("hidden states of another length than the text");
  const Matrix& head = w_->separate_lm_head ? w_->lm_head : w_->embed;
  // Rows of logits per product: large enough for sgemm's rate, small enough that the block
  // ([rows][vocab] floats, 12 MiB for GPT-2) is never the whole [n][vocab].
  constexpr int kLossRows = 64;
  static const SimdPath simd = bestSimdPath();
  std::vector<float> block(std::size_t(kLossRows) * V);
  double total = 0;
  for (int r0 = 0; r0 < n - 1; r0 += kLossRows) {
    const int rows = std::min(kLossRows, n - 1 - r0);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, V, D, 1.0f, final_hidden.data() + std::size_t(r0) * D, D, head.t.data, D,
                0.0f, block.data(), V);
    if (config_.final_softcap > 0) softCap(block.data(), std::size_t(rows) * V, config_.final_softcap);
    for (int r = 0; r < rows; ++r) {
      float* z = block.data() + std::size_t(r) * V;
      const float target = z[ids_[std::size_t(r0 + r + 1)]];
      const float mx = *std::max_element(z, z + V);
      // ln sum exp(z - max) with cpu-fast's exp2 (relative error ~1e-7, far below what a head moves).
      for (int i = 0; i < V; ++i) z[i] = (z[i] - mx) * kLog2e;
      cpuFastExp2(simd, z, z, std::size_t(V));
      double sum = 0;
      for (int i = 0; i < V; ++i) sum += z[i];
      total += double(mx) + std::log(sum) - double(target);
    }
  }
  return total / (n - 1);
}

std::vector<float> Transformer::valueOutputNorms(int layer, int head) const {
  const ModelConfig& c = config_;
  if (layer < 0 || layer >= c.num_layers || head < 0 || head >= c.num_heads)
    throw ModelError("head L" + std::to_string(layer) + "H" + std::to_string(head) + " is not in this model");
  if (ids_.empty()) throw ModelError("no text has been run yet");
  // A key's norm depends on its value vector alone: those of the kept prefix stay, only the keys
  // after it are computed (typing appends one).
  if (value_norms_.empty())
    value_norms_.assign(std::size_t(c.num_layers), std::vector<std::vector<float>>(std::size_t(c.num_heads)));
  std::vector<float>& kept = value_norms_[std::size_t(layer)][std::size_t(head)];
  const int have = int(kept.size()), n = length();
  if (have < n) {
    const float* v = cache_[std::size_t(layer)].v[std::size_t(c.kvHeadOf(head))].data() + std::size_t(have) * c.head_dim;  // [n][hd]
    const std::vector<float> fresh = valueOutputNormsOf(v, n - have, c.head_dim, w_->layers[std::size_t(layer)].o, head);
    kept.insert(kept.end(), fresh.begin(), fresh.end());
  }
  return kept;
}

std::vector<float> valueOutputNormsOf(const float* v, int n, int hd, const Matrix& o, int head) {
  const int D = o.out;  // o maps the concatenated heads to the hidden size
  std::vector<float> moved(std::size_t(n) * D);
  if (o.format != WeightFormat::F32) {  // packed [D][heads * hd]: widen the head's columns
    std::vector<float> wo(std::size_t(D) * hd);
    for (int r = 0; r < D; ++r)
      packedToFloat(o.packed.data() + std::size_t(r) * o.in + std::size_t(head) * hd, o.format, std::size_t(hd), wo.data() + std::size_t(r) * hd);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, D, hd, 1.0f, v, hd, wo.data(), hd, 0.0f, moved.data(), D);
  } else if (o.transposed)  // nn.Linear [D][heads * hd]: W_O^h is the columns h*hd.., used transposed
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, D, hd, 1.0f, v, hd, o.t.data + std::size_t(head) * hd, o.in, 0.0f,
                moved.data(), D);
  else  // Conv1D [heads * hd][D]: W_O^h is the rows h*hd..
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, D, hd, 1.0f, v, hd, o.t.data + std::size_t(head) * hd * D, D, 0.0f,
                moved.data(), D);
  std::vector<float> norms(static_cast<std::size_t>(n));
  for (int j = 0; j < n; ++j) {
    double ss = 0;
    for (int i = 0; i < D; ++i) ss += double(moved[std::size_t(j) * D + i]) * moved[std::size_t(j) * D + i];
    norms[std::size_t(j)] = float(std::sqrt(ss));
  }
  return norms;
}

}  // namespace attnviz::model
