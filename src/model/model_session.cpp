#include "model/model_session.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <random>

#include <cblas.h>

#include "core/cpu_fast.h"
#include "model/forward_ops.h"
#include "model/model_error.h"
#include "model/model_path.h"
#include "model/seq2seq.h"
#include "model/tokenizer_model.h"
#include "model/transformer.h"

namespace attnviz::model {

namespace {

double millisecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// What a model folder needs, said before any file is parsed: "config.json: cannot open file" did not
// tell a newcomer what to put there.
void checkModelFolder(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(dir / "config.json", ec))
    throw ModelError(dir.string() +
                     ": not a model folder: it has no config.json (a model folder holds config.json, model.safetensors "
                     "or its shards with model.safetensors.index.json (or pytorch_model.bin, or its shards with "
                     "pytorch_model.bin.index.json), and tokenizer.json or vocab.json + merges.txt)");
}

// A decoder layer's own attention rules on a problem whose q and k are filled: Gemma's scale, its
// sliding window (a custom mask: the last `window` keys up to the query's own) and its soft-capping
// (cap tanh(s / cap) for the scaled score s), carried as the score bias cap tanh(s / cap) - s so
// that every engine's softmax of s + bias is the soft-capped one.
void applyLayerRules(AttentionProblem& p, const ModelConfig& c, int layer) {
  if (c.attention_scale > 0) p.score_scale = c.attention_scale;
  if (const int window = c.windowOf(layer); window > 0 && window < p.nk) {
    p.mask = MaskKind::Custom;
    p.custom_mask.assign(std::size_t(p.nq) * p.nk, 0);
    for (int i = 0; i < p.nq; ++i)
      for (int j = std::max(0, i - window + 1); j <= i && j < p.nk; ++j) p.custom_mask[std::size_t(i) * p.nk + j] = 1;
  }
  if (c.attn_softcap > 0) {
    // s from sgemm in float (within ~1e-6 of s, far below the maps' tolerance), one head at a time.
    const float scale = float(p.score_scale > 0 ? p.score_scale : 1.0 / std::sqrt(double(p.d)));
    const std::size_t cells = std::size_t(p.nq) * p.nk;
    p.score_bias.assign(std::size_t(p.heads) * cells, 0.0f);
    for (int h = 0; h < p.heads; ++h) {
      float* s = p.score_bias.data() + std::size_t(h) * cells;
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, p.nq, p.nk, p.d, scale, &p.q[p.qIndex(h, 0, 0)], p.d, &p.k[p.kIndex(h, 0, 0)],
                  p.d, 0.0f, s, p.nk);
      std::vector<float> capped(s, s + cells);
      ops::softCap(capped.data(), cells, c.attn_softcap);
      for (std::size_t i = 0; i < cells; ++i) s[i] = p.visible(int(i / std::size_t(p.nk)), int(i % std::size_t(p.nk))) ? capped[i] - s[i] : 0.0f;
    }
  }}

}  // namespace

ModelSession::ModelSession() = default;
ModelSession::~ModelSession() = default;

std::unique_ptr<ModelSession> ModelSession::load(const std::string& path_or_name, bool require_tokenizer, const LoadObserver& observer) {
  const std::filesystem::path dir = resolveModelDirectory(path_or_name);
  checkModelFolder(dir);
  ModelConfig config = loadModelConfig((dir / "config.json").string());
  WeightStore weights = WeightStore::openDirectory(dir.string());
  std::unique_ptr<ModelSession> s(new ModelSession());
  s->name_ = path_or_name;
  s->directory_ = dir.string();
  if (config.encoder_decoder) {
    s->kind_ = AttentionKind::cross;
    s->seq2seq_ = std::make_unique<Seq2SeqTransformer>(std::move(config), std::move(weights), observer);
  } else {
    s->kind_ = config.bidirectional ? AttentionKind::encoder : AttentionKind::decoder;
    s->transformer_ = std::make_unique<Transformer>(std::move(config), std::move(weights), observer);
  }
  if (require_tokenizer && observer) observer("tokenizer", 0, 1);
  if (require_tokenizer) s->tokenizer_ = std::make_unique<ModelTokenizer>(ModelTokenizer::fromDirectory(dir));
  if (s->tokenizer_ && s->isEncoder()) {
    for (const char* mask : {"[MASK]", "<mask>"})
      if (const auto id = s->tokenizer_->idOf(mask); id && s->mask_id_ < 0) s->mask_id_ = *id;
    if (const auto sep = s->tokenizer_->idOf("[SEP]"); sep && s->config().sep_token_id < 0 && *sep < s->config().vocab_size)
      s->transformer_->setSeparatorId(*sep);
  }
  return s;
}

const ModelConfig& ModelSession::config() const { return seq2seq_ ? seq2seq_->config() : transformer_->config(); }

const Transformer& ModelSession::transformer() const {
  if (!transformer_) throw ModelError(name_ + " is an encoder-decoder (" + config().model_type + "): it has no single-stack forward");
  return *transformer_;
}

void ModelSession::requireDecoderOnlyOrEncoder(const char* what) const {
  if (seq2seq_)
    throw ModelError(std::string(what) + " is not implemented for encoder-decoder models yet (" + config().model_type + ")");
}

namespace {

// The next token of generation: the most probable one, or one drawn from softmax(logits / T).
int pickNextToken(const std::vector<float>& logits, const GenerateOptions& options, std::mt19937_64& rng) {
  if (!options.sample) return int(std::max_element(logits.begin(), logits.end()) - logits.begin());
  const float mx = *std::max_element(logits.begin(), logits.end());
  std::vector<double> weights(logits.size());
  for (std::size_t i = 0; i < logits.size(); ++i) weights[i] = std::exp((double(logits[i]) - mx) / options.temperature);
  std::discrete_distribution<int> pick(weights.begin(), weights.end());
  return pick(rng);
}

// The ids a text stands for without the tokens the tokenizer inserts around it (BOS, EOS, [CLS]).
std::vector<int> idsOfTarget(const ModelTokenizer& tokenizer, const std::string& text, bool keep_inserted) {
  const Encoding e = tokenizer.encodeTarget(text);
  std::vector<int> ids;
  for (std::size_t i = 0; i < e.size(); ++i)
    if (keep_inserted || e.spans[i].first != e.spans[i].second) ids.push_back(e.ids[i]);
  return ids;
}

}  // namespace

void ModelSession::setAttentionKind(AttentionKind kind) {
  const std::vector<AttentionKind> kinds = attentionKinds();
  if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end())
    throw ModelError(config().model_type + " has no " + attentionKindName(kind) + " attention");
  kind_ = kind;
  relabel();
}

const std::vector<int>& ModelSession::sourceIds() const { return seq2seq_ ? seq2seq_->sourceIds() : tokenIds(); }
const std::vector<int>& ModelSession::targetIds() const { return seq2seq_ ? seq2seq_->targetIds() : tokenIds(); }

const std::vector<std::string>& ModelSession::keyLabels() const {
  if (seq2seq_ && kind_ != AttentionKind::decoder) return source_labels_;
  return labels_;
}

ForwardReport ModelSession::setTarget(const std::string& text) {
  if (!seq2seq_) throw ModelError(config().model_type + " is not an encoder-decoder: it has no target text");
  if (!tokenizer_) throw ModelError(name_ + ": this session was loaded without a tokenizer");
  return setTargetIds(idsOfTarget(*tokenizer_, text, false));
}

ForwardReport ModelSession::setTargetIds(const std::vector<int>& ids_after_start) {
  if (!seq2seq_) throw ModelError(config().model_type + " is not an encoder-decoder: it has no target text");
  std::vector<int> ids{config().decoder_start_token_id};
  ids.insert(ids.end(), ids_after_start.begin(), ids_after_start.end());
  const auto t0 = std::chrono::steady_clock::now();
  const int kept = seq2seq_->setTarget(ids);
  return reportForward(t0, int(ids.size()), kept);
}

const ForwardReport& ModelSession::reportForward(std::chrono::steady_clock::time_point t0, int tokens, int kept) {
  last_.milliseconds = millisecondsSince(t0);
  last_.tokens = tokens;
  last_.reused_prefix = kept;
  last_.recomputed = tokens - kept;
  relabel();
  return last_;
}
bool ModelSession::hasTokenizer() const { return tokenizer_ != nullptr; }

ForwardReport ModelSession::setText(const std::string& text) {
  if (!tokenizer_) throw ModelError(name_ + ": this session was loaded without a tokenizer");
  const Encoding encoding = tokenizer_->encode(text);
  if (encoding.ids.empty()) throw ModelError("the text has no tokens");
  const std::vector<int> ids(encoding.ids.begin(), encoding.ids.end());
  return setTokenIds(ids);
}

ForwardReport ModelSession::setTokenIds(const std::vector<int>& ids) {
  if (ids.empty()) throw ModelError("no tokens to run");
  const auto t0 = std::chrono::steady_clock::now();
  if (seq2seq_) {  // the source: the encoder runs, the target starts again from its start token
    seq2seq_->setSource(ids);
    seq2seq_->setTarget({config().decoder_start_token_id});
    return reportForward(t0, int(ids.size()), 0);
  }
  return reportForward(t0, int(ids.size()), transformer_->setTokens(ids));
}

void ModelSession::setProgressCallback(std::function<void(int, int)> callback) {
  if (transformer_) transformer_->setProgressCallback(std::move(callback));
}

std::string ModelSession::decode(const std::vector<int>& ids) const {
  if (!tokenizer_) throw ModelError(name_ + ": this session was loaded without a tokenizer");
  return tokenizer_->decode(std::vector<std::int32_t>(ids.begin(), ids.end()));
}

std::string ModelSession::decodeTarget(const std::vector<int>& ids) const {
  if (!tokenizer_) throw ModelError(name_ + ": this session was loaded without a tokenizer");
  return tokenizer_->decodeSequence(std::vector<std::int32_t>(ids.begin(), ids.end()));
}

std::string ModelSession::labelOf(int id) const {
  if (tokenizer_ && std::size_t(id) < tokenizer_->vocabSize()) {
    try {
      return tokenizer_->label(id);
    } catch (const ModelError&) {
      // An id the model has but the tokenizer does not (padding rows of the embedding).
    }
  }
  return "#" + std::to_string(id);
}

void ModelSession::relabel() {
  const auto label = [&](const std::vector<int>& ids, std::vector<std::string>& out) {
    out.resize(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) out[i] = labelOf(ids[i]);
  };
  if (seq2seq_) {
    label(seq2seq_->sourceIds(), source_labels_);
    label(seq2seq_->targetIds(), target_labels_);
    labels_ = kind_ == AttentionKind::encoder ? source_labels_ : target_labels_;
    return;
  }
  label(transformer_->ids(), labels_);
}

bool ModelSession::isEncoder() const { return config().bidirectional; }

std::vector<AttentionKind> ModelSession::attentionKinds() const {
  if (seq2seq_) return {AttentionKind::encoder, AttentionKind::decoder, AttentionKind::cross};
  return {isEncoder() ? AttentionKind::encoder : AttentionKind::decoder};
}

std::vector<int> ModelSession::maskPositions() const {
  std::vector<int> out;
  const auto& ids = tokenIds();
  for (std::size_t i = 0; i < ids.size(); ++i)
    if (mask_id_ >= 0 && ids[i] == mask_id_) out.push_back(int(i));
  return out;
}

std::vector<int> ModelSession::segmentIds() const {
  return transformer_ ? transformer_->segmentIds() : std::vector<int>(std::size_t(numTokens()), 0);
}

int ModelSession::numTokens() const { return int(tokenIds().size()); }
const std::vector<int>& ModelSession::tokenIds() const {
  if (seq2seq_) return kind_ == AttentionKind::encoder ? seq2seq_->sourceIds() : seq2seq_->targetIds();
  return transformer_->ids();
}
int ModelSession::numLayers() const { return seq2seq_ ? seq2seq_->layers(kind_) : config().num_layers; }
int ModelSession::numHeads() const { return config().num_heads; }
int ModelSession::numKvHeads() const { return config().num_kv_heads; }
int ModelSession::headDim() const { return config().head_dim; }
int ModelSession::kvHeadOf(int head) const { return config().kvHeadOf(head); }

std::string ModelSession::headName(int layer, int head) const {
  std::string s = (seq2seq_ ? std::string(attentionKindPrefix(kind_)) + " " : std::string()) + "L" + std::to_string(layer) + "H" +
                  std::to_string(head);
  // Gemma's layer kinds: "local" (sliding window) or "global".
  if (!seq2seq_ && !config().local_layers.empty()) s += config().isLocalLayer(layer) ? " local" : " global";
  if (numKvHeads() != numHeads()) s += " (kv " + std::to_string(kvHeadOf(head)) + ")";
  return s;
}

AttentionProblem ModelSession::problemForLayer(int layer) const {
  if (layer < 0 || layer >= numLayers())
    throw ModelError("layer " + std::to_string(layer) + " is out of range (0.." + std::to_string(numLayers() - 1) + ")");
  if (numTokens() == 0) throw ModelError("no text has been run yet");
  return problemOfCache(seq2seq_ ? seq2seq_->layer(kind_, layer) : transformer_->layer(layer), layer);
}

AttentionProblem ModelSession::problemOfCache(const LayerCache& lc, int layer) const {
  AttentionProblem p;
  const int nq = numTokens(), nk = int(keyLabels().size()), hd = headDim(), H = numHeads();
  p.heads = H;
  p.nq = nq;
  p.nk = nk;
  p.d = p.dv = hd;
  p.mask = isEncoder() || kind_ == AttentionKind::encoder || kind_ == AttentionKind::cross ? MaskKind::None : MaskKind::Causal;
  const std::size_t q_head = std::size_t(nq) * hd, k_head = std::size_t(nk) * hd;
  p.q.resize(q_head * H);
  p.k.resize(k_head * H);
  p.v.resize(k_head * H);
  for (int h = 0; h < H; ++h) {
    const int kv = kvHeadOf(h);
    std::copy_n(lc.q[std::size_t(h)].data(), q_head, p.q.data() + q_head * h);
    std::copy_n(lc.k[std::size_t(kv)].data(), k_head, p.k.data() + k_head * h);
    std::copy_n(lc.v[std::size_t(kv)].data(), k_head, p.v.data() + k_head * h);
    p.head_names.push_back(headName(layer, h));
  }
  p.query_labels = labels_;
  p.key_labels = keyLabels();
  if (seq2seq_) {  // T5: unscaled scores plus its relative position bias
    p.scale_by_sqrt_d = seq2seq_->scoresScaledBySqrtD();
    p.score_bias = seq2seq_->scoreBias(kind_);
  } else {
    applyLayerRules(p, config(), layer);
  }
  return p;
}

AttentionProblem ModelSession::problemFor(int layer, int head) const {
  if (layer < 0 || layer >= numLayers())
    throw ModelError("layer " + std::to_string(layer) + " is out of range (0.." + std::to_string(numLayers() - 1) + ")");
  if (head < 0 || head >= numHeads())
    throw ModelError("head " + std::to_string(head) + " is out of range (0.." + std::to_string(numHeads() - 1) + ")");
  if (numTokens() == 0) throw ModelError("no text has been run yet");
  AttentionProblem p;
  const int hd = headDim(), kv = kvHeadOf(head);
  p.heads = 1;
  p.nq = numTokens();
  p.nk = int(keyLabels().size());
  p.d = p.dv = hd;
  p.mask = isEncoder() || kind_ == AttentionKind::encoder || kind_ == AttentionKind::cross ? MaskKind::None : MaskKind::Causal;
  const LayerCache& lc = seq2seq_ ? seq2seq_->layer(kind_, layer) : transformer_->layer(layer);
  p.q = lc.q[std::size_t(head)];
  p.k = lc.k[std::size_t(kv)];
  p.v = lc.v[std::size_t(kv)];
  p.head_names = {headName(layer, head)};
  p.query_labels = labels_;
  p.key_labels = keyLabels();
  if (seq2seq_) {
    p.scale_by_sqrt_d = seq2seq_->scoresScaledBySqrtD();
    p.score_bias = seq2seq_->scoreBias(kind_, head);
  } else {
    applyLayerRules(p, config(), layer);
  }
  return p;
}

std::vector<NextToken> ModelSession::nextTokens(int k, int position) const {
  if (seq2seq_) {  // the next target token after a target position
    const int n = int(seq2seq_->targetIds().size());
    if (n == 0) throw ModelError("no source text has been run yet");
    return topTokens(seq2seq_->logits(position < 0 ? n - 1 : position), k);
  }
  if (numTokens() == 0) throw ModelError("no text has been run yet");
  if (position < 0) position = numTokens() - 1;
  return topTokens(transformer_->logits(position), k);
}

std::vector<NextToken> ModelSession::topTokens(const std::vector<float>& logits, int k) const {
  const int vocab = int(logits.size());
  k = std::clamp(k, 0, vocab);
  // Softmax in double with the maximum subtracted.
  const float mx = *std::max_element(logits.begin(), logits.end());
  double sum = 0;
  for (float l : logits) sum += std::exp(double(l) - mx);
  std::vector<int> order(static_cast<std::size_t>(vocab));
  for (int i = 0; i < vocab; ++i) order[std::size_t(i)] = i;
  std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int a, int b) {
    return logits[std::size_t(a)] > logits[std::size_t(b)] || (logits[std::size_t(a)] == logits[std::size_t(b)] && a < b);
  });
  std::vector<NextToken> out;
  for (int i = 0; i < k; ++i) {
    const int id = order[std::size_t(i)];
    out.push_back({id, labelOf(id),
                   std::exp(double(logits[std::size_t(id)]) - mx) / sum});
  }
  return out;
}

std::vector<int> ModelSession::generate(const GenerateOptions& options) {
  if (numTokens() == 0) throw ModelError("no text has been run yet");
  if (isEncoder())
    throw ModelError(config().model_type + " is an encoder: it fills in a [MASK] instead of generating text after the last token");
  if (seq2seq_) return generateTarget(options);
  if (options.count < 0) throw ModelError("cannot generate a negative number of tokens");
  if (options.sample && !(options.temperature > 0)) throw ModelError("sampling temperature must be greater than 0");
  std::mt19937_64 rng(options.seed);
  std::vector<int> appended;
  const auto t0 = std::chrono::steady_clock::now();
  const int before = numTokens();
  for (int step = 0; step < options.count; ++step) {
    if (numTokens() >= config().max_positions)
      throw ModelError("cannot generate past this model's limit of " + std::to_string(config().max_positions) + " positions");
    const std::vector<float> logits = transformer_->logits(numTokens() - 1);
    const int next = pickNextToken(logits, options, rng);
    transformer_->append(next);
    appended.push_back(next);
  }
  reportForward(t0, numTokens(), before);
  return appended;
}

std::vector<HeadMeasures> ModelSession::measures() const {
  std::vector<HeadMeasures> out;
  AttentionResult result;
  for (int l = 0; l < numLayers(); ++l)
    for (int h = 0; h < numHeads(); ++h) {
      const AttentionProblem problem = problemFor(l, h);
      computeFastInto(problem, result);
      HeadMeasures m = measureMap(result.p.data(), problem.nq, problem.nk, problem.mask != MaskKind::None);
      m.layer = l;
      m.head = h;
      // The forward refuses non-finite values; cpu-fast's own scores could still overflow float.
      // (A cross map's distance and previous token are NaN by definition.)
      std::vector<double> defined = {m.entropy_bits, m.sink_mass, m.confidence};
      if (problem.nq == problem.nk) defined.insert(defined.end(), {m.mean_distance, m.previous_token});
      for (double x : defined)
        if (!std::isfinite(x)) throw ModelError(headName(l, h) + "'s map is not finite: its scores overflow float");
      out.push_back(m);
    }
  return out;
}

std::vector<std::vector<double>> ModelSession::inductionScores(int repeat, std::uint64_t seed) {
  requireDecoderOnlyOrEncoder("induction scores");
  if (repeat < 2) throw ModelError("induction needs at least 2 repeated tokens");
  const std::vector<int> saved = tokenIds();
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> pick(0, config().vocab_size - 1);
  std::vector<int> ids;
  if (config().bos_token_id >= 0 && config().bos_token_id < config().vocab_size) ids.push_back(config().bos_token_id);
  std::vector<int> random(static_cast<std::size_t>(repeat));
  for (int& t : random) t = pick(rng);
  ids.insert(ids.end(), random.begin(), random.end());
  ids.insert(ids.end(), random.begin(), random.end());
  if (int(ids.size()) > config().max_positions)
    throw ModelError("induction with " + std::to_string(repeat) + " tokens repeated is longer than the model's " +
                     std::to_string(config().max_positions) + " positions");
  transformer_->setTokens(ids);
  std::vector<std::vector<double>> scores(static_cast<std::size_t>(numLayers()), std::vector<double>(static_cast<std::size_t>(numHeads())));
  AttentionResult result;
  const std::vector<std::string> no_labels;
  for (int l = 0; l < numLayers(); ++l)
    for (int h = 0; h < numHeads(); ++h) {
      AttentionProblem p;
      const int n = int(ids.size()), kv = kvHeadOf(h);
      p.heads = 1;
      p.nq = p.nk = n;
      p.d = headDim();
      p.mask = isEncoder() ? MaskKind::None : MaskKind::Causal;
      p.q = transformer_->layer(l).q[std::size_t(h)];
      p.k = transformer_->layer(l).k[std::size_t(kv)];
      applyLayerRules(p, config(), l);
      computeFastInto(p, result);
      scores[std::size_t(l)][std::size_t(h)] = inductionScore(result.p.data(), n, repeat);
      if (!std::isfinite(scores[std::size_t(l)][std::size_t(h)]))
        throw ModelError(headName(l, h) + "'s map is not finite: its scores overflow float");
    }
  if (!saved.empty()) transformer_->setTokens(saved);
  return scores;
}

std::vector<float> ModelSession::rollout() const {
  if (seq2seq_ && kind_ == AttentionKind::cross) throw ModelError("attention rollout is of self-attention; choose the encoder's or the decoder's");
  if (numTokens() == 0) throw ModelError("no text has been run yet");
  const int n = numTokens(), H = numHeads();
  Rollout rollout(n);
  AttentionResult result;
  std::vector<float> mean(std::size_t(n) * n);
  for (int l = 0; l < numLayers(); ++l) {
    std::fill(mean.begin(), mean.end(), 0.0f);
    for (int h = 0; h < H; ++h) {
      computeFastInto(problemFor(l, h), result);
      for (std::size_t i = 0; i < mean.size(); ++i) mean[i] += result.p[i] / float(H);
    }
    rollout.add(mean);
  }
  return rollout.result();
}

std::size_t ModelSession::cacheBytes() const { return seq2seq_ ? seq2seq_->cacheBytes() : transformer_->cacheBytes(); }

std::vector<int> ModelSession::generateTarget(const GenerateOptions& options) {
  if (options.count < 0) throw ModelError("cannot generate a negative number of tokens");
  if (options.sample && !(options.temperature > 0)) throw ModelError("sampling temperature must be greater than 0");
  if (seq2seq_->targetIds().empty()) throw ModelError("no source text has been run yet");
  std::mt19937_64 rng(options.seed);
  std::vector<int> appended;
  const auto t0 = std::chrono::steady_clock::now();
  const int before = int(seq2seq_->targetIds().size());
  for (int step = 0; step < options.count; ++step) {
    const int n = int(seq2seq_->targetIds().size());
    if (n > 1 && seq2seq_->targetIds().back() == config().eos_token_id) break;  // the translation is complete
    if (n >= config().max_positions)
      throw ModelError("cannot generate past this model's limit of " + std::to_string(config().max_positions) + " target positions");
    const std::vector<float> logits = seq2seq_->logits(n - 1);
    const int next = pickNextToken(logits, options, rng);
    seq2seq_->appendTarget(next);
    appended.push_back(next);
  }
  reportForward(t0, int(seq2seq_->targetIds().size()), before);
  return appended;
}

}  // namespace attnviz::model
