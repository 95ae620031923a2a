// Head ablation, importance and value-weighted contributions: the parsing and log-softmax helpers
// and the ModelSession members declared under "Head ablation" in model_session.h (kept in their own
// file so model_session.cpp stays as it was).
#include "model/head_ablation.h"

#include <algorithm>
#include <cmath>
#include <regex>

#include "model/model_error.h"
#include "model/model_session.h"
#include "model/seq2seq.h"
#include "model/tokenizer_model.h"
#include "model/transformer.h"

namespace attnviz::model {
namespace {

std::string trimmed(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return std::string();
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

// ln sum exp(z) in double with the maximum subtracted.
double logSumExp(const std::vector<float>& z) {
  const double mx = *std::max_element(z.begin(), z.end());
  double sum = 0;
  for (float v : z) sum += std::exp(double(v) - mx);
  return mx + std::log(sum);
}

}  // namespace

std::string headRefName(const HeadRef& h) { return "L" + std::to_string(h.layer) + "H" + std::to_string(h.head); }

std::vector<HeadRef> parseHeadList(const std::string& text, int layers, int heads) {
  static const std::regex pattern("[lL]([0-9]{1,6})[hH]([0-9]{1,6})");
  if (trimmed(text).empty()) throw ModelError("the list of heads is empty (expected e.g. L5H1,L6H9)");
  std::vector<HeadRef> out;
  std::size_t begin = 0;
  while (true) {
    const std::size_t comma = text.find(',', begin);
    const std::string item = trimmed(text.substr(begin, comma == std::string::npos ? std::string::npos : comma - begin));
    std::smatch m;
    if (!std::regex_match(item, m, pattern))
      throw ModelError(item.empty() ? "the list of heads has an empty item (expected e.g. L5H1,L6H9)"
                                    : "'" + item + "' is not a head name (expected L<layer>H<head>, e.g. L5H1)");
    const HeadRef h{std::stoi(m[1].str()), std::stoi(m[2].str())};
    if (h.layer >= layers)
      throw ModelError("head " + item + ": layer " + std::to_string(h.layer) + " is out of range (0.." + std::to_string(layers - 1) + ")");
    if (h.head >= heads)
      throw ModelError("head " + item + ": head " + std::to_string(h.head) + " is out of range (0.." + std::to_string(heads - 1) + ")");
    if (std::find(out.begin(), out.end(), h) != out.end()) throw ModelError("head " + headRefName(h) + " is listed twice");
    out.push_back(h);
    if (comma == std::string::npos) break;
    begin = comma + 1;
  }
  return out;
}

std::vector<float> contributionsOfWeights(const float* p, int nq, int nk, const std::vector<float>& norms, bool row_normalised) {
  std::vector<float> out(std::size_t(nq) * nk);
  for (int i = 0; i < nq; ++i) {
    double sum = 0;
    for (int j = 0; j < nk; ++j) {
      const float c = p[std::size_t(i) * nk + j] * norms[std::size_t(j)];
      out[std::size_t(i) * nk + j] = c;
      sum += c;
    }
    if (row_normalised && sum > 0)
      for (int j = 0; j < nk; ++j) out[std::size_t(i) * nk + j] = float(out[std::size_t(i) * nk + j] / sum);
  }
  return out;
}

double klDivergenceOfLogits(const std::vector<float>& p_logits, const std::vector<float>& q_logits) {
  const double lp = logSumExp(p_logits), lq = logSumExp(q_logits);
  double kl = 0;
  for (std::size_t i = 0; i < p_logits.size(); ++i) {
    const double log_p = double(p_logits[i]) - lp, log_q = double(q_logits[i]) - lq;
    kl += std::exp(log_p) * (log_p - log_q);
  }
  return std::max(0.0, kl);  // rounding can leave -1e-17 for equal distributions
}

double logProbOf(const std::vector<float>& logits, int id) { return double(logits[std::size_t(id)]) - logSumExp(logits); }

int targetTokenId(const ModelSession& session, const std::string& text) {
  const int vocab = session.config().vocab_size;
  if (text.size() > 1 && text[0] == '#' && text.find_first_not_of("0123456789", 1) == std::string::npos && text.size() <= 10) {
    const long id = std::stol(text.substr(1));
    if (id >= vocab) throw ModelError("target " + text + " is outside the vocabulary (0.." + std::to_string(vocab - 1) + ")");
    return int(id);
  }
  if (!session.tokenizer()) throw ModelError("a target token needs the model's tokenizer; give #ID instead");
  const Encoding e = session.tokenizer()->encode(text);
  std::vector<int> ids;
  const auto bos = session.tokenizer()->bosId();
  for (std::size_t i = 0; i < e.ids.size(); ++i)
    if (!(e.special[i] && bos && e.ids[i] == *bos)) ids.push_back(e.ids[i]);
  if (ids.size() != 1)
    throw ModelError("target '" + text + "' is " + std::to_string(ids.size()) +
                     " tokens for this tokenizer; give one token (or #ID; 'attnviz tokenize' lists them)");
  return ids.front();
}

// ---- ModelSession members ----

AblationOutcome ModelSession::ablate(const std::vector<HeadRef>& heads, AblationMode mode, int top_k, int target_id) {
  requireDecoderOnlyOrEncoder("head ablation");
  if (numTokens() == 0) throw ModelError("no text has been run yet");
  if (heads.empty()) throw ModelError("the list of heads is empty");
  if (target_id >= config().vocab_size) throw ModelError("target id " + std::to_string(target_id) + " is outside the vocabulary");
  for (std::size_t i = 0; i < heads.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (heads[i] == heads[j]) throw ModelError("head " + headRefName(heads[i]) + " is listed twice");
  AblationOutcome r;
  r.heads = heads;
  r.mode = mode;
  r.rerun_from_layer = std::min_element(heads.begin(), heads.end(), [](const HeadRef& a, const HeadRef& b) { return a.layer < b.layer; })->layer;
  Transformer& t = *transformer_;
  const AblationBase base = t.recordAblationBase();
  const std::vector<float> hidden = t.ablatedFinalHidden(base, heads, mode);
  // A decoder's prediction after the last token; an encoder's fill-mask at its first [MASK].
  const std::vector<int> masks = maskPositions();
  const int last = isEncoder() && !masks.empty() ? masks.front() : numTokens() - 1;
  const std::size_t D = std::size_t(config().hidden_size);
  const std::vector<float> before = t.logits(last);
  const std::vector<float> after = t.logitsOfHidden(hidden.data() + std::size_t(last) * D);
  r.before = topTokens(before, top_k);
  r.after = topTokens(after, top_k);
  r.kl_nats = klDivergenceOfLogits(before, after);
  if (target_id >= 0) {
    r.target_id = target_id;
    r.target_logprob_before = logProbOf(before, target_id);
    r.target_logprob_after = logProbOf(after, target_id);
  }
  if (numTokens() >= 2 && !isEncoder()) {
    r.has_loss = true;
    r.loss_before = t.nextTokenLoss(t.finalHidden());
    r.loss_after = t.nextTokenLoss(hidden);
  }
  return r;
}

void ModelSession::setAblation(const std::vector<KindHeadRef>& heads) {
  if (!seq2seq_) throw ModelError(config().model_type + " is not an encoder-decoder: its heads are ablated with ablate()");
  for (std::size_t i = 0; i < heads.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (heads[i] == heads[j])
        throw ModelError(std::string("head ") + attentionKindPrefix(heads[i].kind) + " " + headRefName(heads[i].head) + " is listed twice");
  seq2seq_->setAblation(heads);
  relabel();
}

TranslationAblation ModelSession::ablateTranslation(const std::vector<KindHeadRef>& heads, int max_tokens) {
  if (!seq2seq_) throw ModelError(config().model_type + " is not an encoder-decoder: it does not translate");
  if (heads.empty()) throw ModelError("the list of heads is empty");
  if (sourceIds().empty()) throw ModelError("no source text has been run yet");
  const std::vector<int> saved_target = seq2seq_->targetIds();
  const std::vector<KindHeadRef> saved_ablation = seq2seq_->ablation();
  const ForwardReport saved_report = last_;
  const int start = config().decoder_start_token_id;
  GenerateOptions greedy;
  greedy.count = std::min(max_tokens, config().max_positions - 1);  // the start token takes a position
  auto translate = [&] {
    seq2seq_->setTarget({start});
    return generateTarget(greedy);
  };
  auto logitsAlong = [&] {  // teacher forcing on the target as it is: row p predicts token p + 1
    std::vector<std::vector<float>> rows;
    for (int p = 0; p + 1 < int(seq2seq_->targetIds().size()); ++p) rows.push_back(seq2seq_->logits(p));
    return rows;
  };
  auto restore = [&] {
    seq2seq_->setAblation(saved_ablation);
    seq2seq_->setTarget(saved_target);
    relabel();
    last_ = saved_report;  // what the shown maps' forward did, not these translations
  };
  TranslationAblation r;
  r.heads = heads;
  try {
    seq2seq_->setAblation({});
    r.before = translate();
    const std::vector<std::vector<float>> plain = logitsAlong();
    setAblation(heads);  // reruns the decoder over `before` with the heads ablated
    const std::vector<std::vector<float>> ablated = logitsAlong();
    for (std::size_t p = 0; p < plain.size(); ++p) {
      r.kl_nats += klDivergenceOfLogits(plain[p], ablated[p]);
      r.logprob_before += logProbOf(plain[p], r.before[p]);
      r.logprob_after += logProbOf(ablated[p], r.before[p]);
    }
    if (!plain.empty()) {
      const double n = double(plain.size());
      r.kl_nats /= n, r.logprob_before /= n, r.logprob_after /= n;
    }
    r.after = translate();
  } catch (...) {
    restore();
    throw;
  }
  for (std::size_t i = 0; i < std::max(r.before.size(), r.after.size()) && r.first_difference < 0; ++i)
    if (i >= r.before.size() || i >= r.after.size() || r.before[i] != r.after[i]) r.first_difference = int(i);
  restore();
  return r;
}

// An encoder-decoder's: the heads of the kind shown, each alone zero-ablated, against the loss of
// the target as it is (teacher forcing).
std::vector<std::vector<double>> ModelSession::targetHeadImportance(const std::function<void(int, int)>& progress) {
  const double loss = nextTokenLoss();
  const std::vector<KindHeadRef> saved = seq2seq_->ablation();
  const int L = numLayers(), H = numHeads();
  std::vector<std::vector<double>> out(static_cast<std::size_t>(L), std::vector<double>(static_cast<std::size_t>(H)));
  try {
    for (int l = 0; l < L; ++l)
      for (int h = 0; h < H; ++h) {
        seq2seq_->setAblation({{kind_, {l, h}}});
        out[std::size_t(l)][std::size_t(h)] = nextTokenLoss() - loss;
        if (progress) progress(l * H + h + 1, L * H);
      }
  } catch (...) {
    seq2seq_->setAblation(saved);
    throw;
  }
  seq2seq_->setAblation(saved);
  relabel();
  return out;
}

std::vector<std::vector<double>> ModelSession::headImportance(const std::function<void(int, int)>& progress) {
  if (seq2seq_) return targetHeadImportance(progress);
  requireDecoderOnlyOrEncoder("head importance");
  if (numTokens() < 2)
    throw ModelError("head importance needs a text of at least 2 tokens (the loss predicts each next token; this text has " +
                     std::to_string(numTokens()) + ")");
  Transformer& t = *transformer_;
  const AblationBase base = t.recordAblationBase();
  const double loss = t.nextTokenLoss(t.finalHidden());
  const int L = numLayers(), H = numHeads();
  std::vector<std::vector<double>> out(static_cast<std::size_t>(L), std::vector<double>(static_cast<std::size_t>(H)));
  std::vector<LayerCache> scratch;  // reused: its vectors keep their capacity between heads
  for (int l = 0; l < L; ++l)
    for (int h = 0; h < H; ++h) {
      const std::vector<float> hidden = t.ablatedFinalHidden(base, {HeadRef{l, h}}, AblationMode::Zero, -1, &scratch);
      out[std::size_t(l)][std::size_t(h)] = t.nextTokenLoss(hidden) - loss;
      if (progress) progress(l * H + h + 1, L * H);
    }
  return out;
}

std::vector<AttentionProblem> ModelSession::ablatedProblems(const std::vector<HeadRef>& heads, AblationMode mode, int* from_layer) {
  requireDecoderOnlyOrEncoder("head ablation");
  if (numTokens() == 0) throw ModelError("no text has been run yet");
  if (heads.empty()) throw ModelError("the list of heads is empty");
  Transformer& t = *transformer_;
  const AblationBase base = t.recordAblationBase();
  std::vector<LayerCache> layers;
  t.ablatedFinalHidden(base, heads, mode, -1, &layers);
  const int from = std::min_element(heads.begin(), heads.end(), [](const HeadRef& a, const HeadRef& b) { return a.layer < b.layer; })->layer;
  if (from_layer) *from_layer = from;
  std::vector<AttentionProblem> out;
  for (std::size_t k = 0; k < layers.size(); ++k) out.push_back(problemOfCache(layers[k], from + int(k)));
  return out;
}

double ModelSession::nextTokenLoss() const {
  if (seq2seq_) {  // the target's: mean over its positions of -ln p(the next target token)
    const std::vector<int>& target = seq2seq_->targetIds();
    if (target.size() < 2)
      throw ModelError("the loss is of the target's tokens: type a target or translate first (only the start token is there)");
    double sum = 0;
    for (std::size_t p = 0; p + 1 < target.size(); ++p) sum -= logProbOf(seq2seq_->logits(int(p)), target[p + 1]);
    return sum / double(target.size() - 1);
  }
  requireDecoderOnlyOrEncoder("the next-token loss");
  if (numTokens() == 0) throw ModelError("no text has been run yet");
  return transformer_->nextTokenLoss(transformer_->finalHidden());
}

std::vector<float> ModelSession::valueOutputNorms(int layer, int head) const {
  if (seq2seq_) return seq2seq_->valueOutputNorms(kind_, layer, head);
  return transformer_->valueOutputNorms(layer, head);
}

}  // namespace attnviz::model
