#include "model/model_worker.h"

#include <algorithm>
#include <cmath>

#include "core/cpu_fast.h"
#include "core/memory_budget.h"
#include "core/thread_pool.h"
#include "core/thread_priority.h"
#include "model/model_error.h"
#include "model/tokenizer_model.h"
#include "model/transformer.h"

namespace attnviz::model {

namespace {
// Thrown from the forward's progress callback when a newer wish arrived.
struct Cancelled {};
}  // namespace

ModelWorker::ModelWorker(std::unique_ptr<ModelSession> session)
    : session_(std::move(session)), maps_budget_(std::size_t(memoryBudget() / 4)) {
  const ModelSession& s = *session_;
  facts_.name = s.name();
  facts_.config = s.config();
  facts_.layers = s.numLayers();
  facts_.heads = s.numHeads();
  facts_.kv_heads = s.numKvHeads();
  facts_.max_tokens = s.config().max_positions;
  facts_.encoder = s.isEncoder();
  facts_.mask_id = s.maskTokenId();
  if (facts_.mask_id >= 0) facts_.mask_label = s.tokenLabel(facts_.mask_id);
  if (facts_.encoder && s.tokenizer()) {
    auto sep = s.tokenizer()->idOf("[SEP]");
    if (!sep) sep = s.tokenizer()->idOf("</s>");
    if (sep) facts_.separator_label = s.tokenLabel(int(*sep));
  }
  facts_.has_lm_head = s.isEncoderDecoder() || s.transformer().hasLanguageModelHead();
  facts_.encoder_decoder = s.isEncoderDecoder();
  facts_.kinds = s.attentionKinds();
  const AttentionKind first = s.attentionKind();
  for (AttentionKind kind : facts_.kinds) {
    session_->setAttentionKind(kind);
    ModelFacts::KindFacts& k = facts_.by_kind[int(kind)];
    k.layers = s.numLayers();
    k.head_names.resize(std::size_t(k.layers));
    for (int l = 0; l < k.layers; ++l)
      for (int h = 0; h < facts_.heads; ++h) k.head_names[std::size_t(l)].push_back(s.headName(l, h));
  }
  session_->setAttentionKind(first);
  session_kind_ = wish_.kind = first;
  facts_.head_names = facts_.of(first).head_names;
  auto empty = std::make_shared<ModelSnapshot>();
  empty->kind = first;
  latest_ = std::move(empty);
  session_->setProgressCallback([this](int done, int total) {
    if (text_version_.load() != running_text_version_) throw Cancelled{};
    // A long text runs in parts of tokens, each through every layer: "layer 15 / 24" for a
    // 12-layer model read as wrong, so the part is named and the layer counts to 12.
    const int layers = facts_.layers;
    if (layers > 0 && total > layers && total % layers == 0)
      setProgress("forward, part " + std::to_string(done / layers + 1) + " of " + std::to_string(total / layers) + ": layer",
                  done % layers, layers);
    else
      setProgress("forward: layer", done, total);
  });
  thread_ = std::thread([this] { loop(); });
}

ModelWorker::~ModelWorker() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    quit_ = true;
    ++text_version_;  // a running forward stops at its next layer
  }
  wake_.notify_all();
  thread_.join();
}

std::shared_ptr<const ModelSnapshot> ModelWorker::latest() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return latest_;
}

ModelProgress ModelWorker::progress() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return progress_;
}

bool ModelFacts::hasKind(AttentionKind kind) const { return std::find(kinds.begin(), kinds.end(), kind) != kinds.end(); }

int ModelWorker::clampLayer(AttentionKind kind, int layer) const {
  return std::clamp(layer, 0, std::max(facts_.of(kind).layers - 1, 0));
}

void ModelWorker::want(const std::string& text, int layer) {
  std::string target;
  AttentionKind kind;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    target = wish_.target;
    kind = wish_.kind;
  }
  want(text, target, kind, layer);
}

void ModelWorker::want(const std::string& text, const std::string& target, AttentionKind kind, int layer) {
  if (!facts_.hasKind(kind)) throw ModelError(facts_.config.model_type + " has no " + attentionKindName(kind) + " attention");
  if (!target.empty() && !facts_.encoder_decoder)
    throw ModelError(facts_.config.model_type + " is not an encoder-decoder: it has no target text");
  {
    std::lock_guard<std::mutex> lock(mutex_);
    layer = clampLayer(kind, layer);
    if (wish_.has_text && wish_.text == text && wish_.target == target && wish_.kind == kind && wish_.layer == layer) return;
    if (!wish_.has_text || wish_.text != text || wish_.target != target) {
      wish_.text = text;
      wish_.target = target;
      wish_.has_text = true;
      wish_.generate_left = 0;  // an edit ends a generation
      ++text_version_;
    }
    wish_.kind = kind;
    wish_.layer = layer;
    ++wish_.version;
  }
  wake_.notify_all();
}

void ModelWorker::wantLayer(int layer) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    layer = clampLayer(wish_.kind, layer);
    if (wish_.layer == layer) return;
    wish_.layer = layer;
    ++wish_.version;
  }
  wake_.notify_all();
}

void ModelWorker::wantKind(AttentionKind kind, int layer) {
  if (!facts_.hasKind(kind)) throw ModelError(facts_.config.model_type + " has no " + attentionKindName(kind) + " attention");
  {
    std::lock_guard<std::mutex> lock(mutex_);
    layer = clampLayer(kind, layer);
    if (wish_.kind == kind && wish_.layer == layer) return;
    wish_.kind = kind;
    wish_.layer = layer;
    ++wish_.version;
  }
  wake_.notify_all();
}

void ModelWorker::wantNextTokens(int k, int position) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (wish_.next_k == k && wish_.next_position == position) return;
    wish_.next_k = k;
    wish_.next_position = position;
    ++wish_.version;
  }
  wake_.notify_all();
}

int ModelWorker::wantAblation(AblationRequest request) {
  int id = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    id = request.heads.empty() ? 0 : ++wish_.ablation_ids;
    request.id = id;
    wish_.ablation = std::move(request);
    ++wish_.version;
  }
  wake_.notify_all();
  return id;
}

void ModelWorker::raiseWish(bool Wish::*flag) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (wish_.*flag) return;
    wish_.*flag = true;
    ++wish_.version;
  }
  wake_.notify_all();
}

void ModelWorker::wantImportance() { raiseWish(&Wish::importance); }

void ModelWorker::cancelImportance() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!wish_.importance) return;
    wish_.importance = false;
    ++text_version_;  // a running importance stops after its current head
    ++wish_.version;
  }
  wake_.notify_all();
}

void ModelWorker::wantInduction() { raiseWish(&Wish::induction); }

int ModelWorker::generate(int count, bool sample, std::uint64_t seed) {
  int id = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    id = ++wish_.generation;
    wish_.generate_left = std::max(count, 0);
    wish_.sample = sample;
    wish_.seed = seed;
    ++wish_.version;
  }
  wake_.notify_all();
  return id;
}

void ModelWorker::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    wish_.generate_left = 0;
    // Back to the text on screen: a forward of another text is abandoned.
    if (latest_->has_forward) {
      wish_.text = latest_->text;
      wish_.target = latest_->target;
    }
    ++text_version_;
    ++wish_.version;
  }
  wake_.notify_all();
}

bool ModelWorker::idle() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return idle_at_version_ == wish_.version;
}

void ModelWorker::waitIdle() const {
  std::unique_lock<std::mutex> lock(mutex_);
  idle_cv_.wait(lock, [&] { return idle_at_version_ == wish_.version; });
}

std::shared_ptr<const ModelSnapshot> ModelWorker::waitFor(const std::function<bool(const ModelSnapshot&)>& ready) const {
  std::unique_lock<std::mutex> lock(mutex_);
  idle_cv_.wait(lock, [&] { return ready(*latest_) || idle_at_version_ == wish_.version; });
  return latest_;
}

ModelSession& ModelWorker::idleSession() {
  waitIdle();
  return *session_;
}

void ModelWorker::setProgress(const std::string& what, int done, int total) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    progress_ = {what, done, total};
  }
  if (progress_observer_) progress_observer_(ModelProgress{what, done, total});
}

void ModelWorker::publish(std::shared_ptr<ModelSnapshot> snapshot) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    latest_ = std::move(snapshot);
  }
  ++publishes_;
  idle_cv_.notify_all();
}

void ModelWorker::loop() {
  moveThisThreadToBackground();  // the window's frames come first
  for (;;) {
    Wish wish;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return quit_ || idle_at_version_ != wish_.version; });
      if (quit_) return;
      wish = wish_;
      running_text_version_ = text_version_.load();
    }
    bool more = false;
    try {
      more = step(wish);
    } catch (const Cancelled&) {
      session_valid_ = false;  // the session holds a prefix of some text: rerun before anything else
      more = true;
    } catch (const std::exception& e) {
      // Anything else stops the work on this wish (a new wish starts again), saying why.
      session_valid_ = false;
      auto s = std::make_shared<ModelSnapshot>(*latest());
      s->error = e.what();
      s->error_for = wish.text;
      s->error_for_target = wish.target;
      s->generating = false;
      publish(std::move(s));
      more = false;
    }
    if (!more) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        idle_at_version_ = wish.version;
        progress_ = {};
      }
      idle_cv_.notify_all();
    }
  }
}

void ModelWorker::runAblation(const Wish& wish, ModelSnapshot& s) {
  setProgress("ablation", 0, 0);
  s.ablation = wish.ablation;
  s.ablation_outcome.reset();
  s.ablation_error.clear();
  s.ablation_target_label.clear();
  s.ablation_diff.reset();
  s.ablation_diff_max = 0;
  s.translation_ablation.reset();
  s.translation_before.clear();
  s.translation_after.clear();
  try {
    if (facts_.encoder_decoder) {
      if (wish.ablation.mode != AblationMode::Zero || !wish.ablation.target.empty())
        throw ModelError("an encoder-decoder's heads are zero-ablated and its translation compared (no mean mode, no target token)");
      std::vector<KindHeadRef> heads;
      for (const HeadRef& h : wish.ablation.heads) heads.push_back({wish.ablation.kind, h});
      auto r = std::make_shared<const TranslationAblation>(session_->ablateTranslation(heads, std::max(1, wish.ablation.translate_tokens)));
      auto text = [&](std::vector<int> ids) {
        if (!ids.empty() && ids.back() == facts_.config.eos_token_id) ids.pop_back();
        return session_->decodeTarget(ids);
      };
      s.translation_before = text(r->before);
      s.translation_after = text(r->after);
      s.translation_ablation = std::move(r);
      return;
    }
    const int target = wish.ablation.target.empty() ? -1 : targetTokenId(*session_, wish.ablation.target);
    if (target >= 0) s.ablation_target_label = session_->tokenLabel(target);
    s.ablation_outcome = std::make_shared<const AblationOutcome>(
        session_->ablate(wish.ablation.heads, wish.ablation.mode, std::max(wish.ablation.top_k, 1), target));
    // The difference of the maps, layer by layer above the first ablated one, as thumbnails.
    int from = 0;
    const std::vector<AttentionProblem> ablated = session_->ablatedProblems(wish.ablation.heads, wish.ablation.mode, &from);
    const int t = LayerOverview::kThumbSize, H = facts_.heads;
    auto diff = std::make_shared<std::vector<float>>(std::size_t(facts_.layers) * H * t * t, 0.0f);
    float biggest = 0;
    for (std::size_t k = 0; k < ablated.size(); ++k) {
      const int l = from + int(k);
      const AttentionResult before = computeFast(layerProblem(l)), after = computeFast(ablated[k]);
      const int n = before.nq;
      for (int h = 0; h < H; ++h) {
        float* thumb = diff->data() + (std::size_t(l) * H + std::size_t(h)) * t * t;
        for (int i = 0; i < n; ++i)
          for (int j = 0; j < before.nk; ++j) {
            const float d = after.at(h, i, j) - before.at(h, i, j);
            float& cell = thumb[std::size_t(std::int64_t(i) * t / n) * t + std::size_t(std::int64_t(j) * t / before.nk)];
            if (std::abs(d) > std::abs(cell)) cell = d;
            biggest = std::max(biggest, std::abs(d));
          }
      }
    }
    s.ablation_diff = std::move(diff);
    s.ablation_diff_max = biggest;
  } catch (const ModelError& e) {
    s.ablation_error = e.what();
  }
}

bool ModelWorker::runForward(const Wish& wish, ModelSnapshot& s) {
  setProgress("forward: layer", 0, facts_.layers);
  ForwardReport report;
  try {
    if (facts_.encoder_decoder) {
      // The encoder reruns only for a new source, the decoder from the first target token that
      // differs; a kind switch alone costs neither.
      if (!session_valid_ || session_text_ != wish.text) report = session_->setText(wish.text);
      if (!session_valid_ || session_text_ != wish.text || session_target_ != wish.target)
        report = session_->setTarget(wish.target);
      session_->setAttentionKind(wish.kind);
    } else {
      report = session_->setText(wish.text);
    }
  } catch (const ModelError& e) {
    // Refused (too long, nothing to tokenize, a non-finite value): the previous snapshot stays,
    // with the reason; nothing more for this wish.
    session_valid_ = false;
    s.error = e.what();
    s.error_for = wish.text;
    s.error_for_target = wish.target;
    s.generating = false;
    return false;
  }
  session_text_ = wish.text;
  session_target_ = wish.target;
  session_kind_ = wish.kind;
  session_valid_ = true;
  s.error.clear();
  s.error_for.clear();
  s.text = wish.text;
  s.target = wish.target;
  s.has_forward = true;
  s.forward = report;
  if (tokensDiffer(s)) takeNewTokens(s);
  return true;
}

bool ModelWorker::tokensDiffer(const ModelSnapshot& s) const {
  if (session_->tokenIds() != s.token_ids || session_->attentionKind() != s.kind) return true;
  return facts_.encoder_decoder && (session_->sourceIds() != s.source_ids || session_->targetIds() != s.target_ids);
}

void ModelWorker::takeNewTokens(ModelSnapshot& s) {
  ++s.tokens_version;
  s.token_ids = session_->tokenIds();
  s.token_labels = session_->tokenLabels();
  s.kind = session_->attentionKind();
  if (facts_.encoder_decoder) {
    s.source_ids = session_->sourceIds();
    s.target_ids = session_->targetIds();
    s.source_labels = session_->sourceLabels();
    s.target_labels = session_->targetLabels();
  }
  s.mask_positions = session_->maskPositions();
  // Everything computed from the old tokens goes.
  s.layer = -1;
  s.problem.reset();
  s.overview.clear();
  s.rollout.reset();
  s.overview_error.clear();
  s.next.clear();
  s.next_error.clear();
  s.next_position = -1;
  s.next_k = 0;
  s.value_norms.reset();
  s.maps.reset();
  s.mean.reset();
  s.summary.reset();
  s.kept.clear();
  maps_cache_.clear();
  neighbours_tried_.clear();
  s.ablation = AblationRequest{};
  s.ablation_outcome.reset();
  s.ablation_error.clear();
  s.ablation_diff.reset();
  s.ablation_diff_max = 0;
  s.importance.clear();
  s.importance_error.clear();
  rollout_ = std::make_unique<Rollout>(session_->numTokens());
}

bool ModelWorker::generateOne(const Wish& wish, ModelSnapshot& s) {
  GenerateOptions options;
  options.count = 1;
  options.sample = wish.sample;
  // Seeded by the length of what grows, so that the kind shown does not change the draw.
  options.seed = wish.seed + std::uint64_t(facts_.encoder_decoder ? session_->targetIds().size() : std::size_t(session_->numTokens()));
  setProgress("generate: token", s.generation == wish.generation ? s.generated : 0, wish.generate_left);
  std::vector<int> ids;
  try {
    ids = session_->generate(options);
  } catch (const ModelError& e) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (wish_.generation == wish.generation) wish_.generate_left = 0;
    s.error = std::string("Generate: ") + e.what();
    s.error_for = wish.text;
    s.error_for_target = wish.target;
    s.generating = false;
    return true;
  }
  // An encoder-decoder's generation is its translation: the target grows, the source stays. Its
  // text is the decoded target after the start token, without the end-of-sequence token.
  const bool translating = facts_.encoder_decoder;
  const bool finished = translating && !ids.empty() && ids.back() == facts_.config.eos_token_id;
  std::string text = wish.text, target = wish.target;
  if (translating) {
    std::vector<int> body(session_->targetIds().begin() + 1, session_->targetIds().end());
    if (!body.empty() && body.back() == facts_.config.eos_token_id) body.pop_back();
    target = session_->decodeTarget(body);
  } else if (!ids.empty()) {
    text += session_->decode(ids);
  }
  bool still_wanted = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // The wanted text becomes the generated one (decoding and re-encoding need not give the
    // same ids, so the forward must not rerun it), unless a person typed meanwhile.
    still_wanted = wish_.generation == wish.generation && wish_.text == wish.text && wish_.target == wish.target;
    if (still_wanted) {
      wish_.text = text;
      wish_.target = target;
      wish_.generate_left = ids.empty() || finished ? 0 : wish_.generate_left - 1;
      ++wish_.version;
    }
  }
  session_text_ = text;
  session_target_ = target;
  if (s.generation != wish.generation) s.generated = 0;
  s.generation = wish.generation;
  s.generated += int(ids.size());
  s.generating = still_wanted && !ids.empty() && !finished && wish.generate_left > 1;
  s.text = text;
  s.target = target;
  s.forward = session_->lastForward();
  takeNewTokens(s);
  // The view grows by a row per token: the shown layer comes with it.
  prepareLayer(s, wish.layer);
  return true;
}

bool ModelWorker::step(const Wish& wish) {
  if (!wish.has_text) return false;
  const std::shared_ptr<const ModelSnapshot> before = latest();
  auto s = std::make_shared<ModelSnapshot>(*before);
  const auto done = [&](bool more) {
    publish(std::move(s));
    return more;
  };
  // 1. The forward of the newest text (cancelled between layers when a newer one arrives).
  if (!session_valid_ || session_text_ != wish.text ||
      (facts_.encoder_decoder && (session_target_ != wish.target || session_kind_ != wish.kind))) {
    if (!before->error_for.empty() && before->error_for == wish.text && before->error_for_target == wish.target && !session_valid_)
      return false;
    return done(runForward(wish, *s));
  }
  // 2. The shown layer's maps.
  if (s->layer != wish.layer || !s->problem) {
    setProgress("maps: layer", wish.layer, facts_.of(wish.kind).layers);
    prepareLayer(*s, wish.layer);
    return done(true);
  }
  // 3. One generated token.
  if (wish.generate_left > 0) {
    if (facts_.encoder) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        wish_.generate_left = 0;
        ++wish_.version;
      }
      s->error = facts_.config.model_type + " is an encoder: it has no next token to generate";
      s->error_for = wish.text;
      return done(true);
    }
    return done(generateOne(wish, *s));
  }
  if (s->generating) {
    s->generating = false;
    return done(true);
  }
  // 3b. The shown layer's summary, if its maps went out without.
  if (s->maps && !s->summary) {
    setProgress("summary: layer", wish.layer, facts_.of(wish.kind).layers);
    summariseShown(*s);
    return done(true);
  }
  // 4. Next tokens (or fill-mask) at the position asked for.
  if (wish.next_k > 0 && (s->next_k != wish.next_k || s->next_position != wish.next_position)) {
    setProgress("next tokens", 0, 1);
    s->next_k = wish.next_k;
    s->next_position = wish.next_position;
    s->next.clear();
    s->next_error.clear();
    // An encoder-decoder predicts the target's next token, whichever kind is shown.
    const int n = facts_.encoder_decoder ? int(session_->targetIds().size()) : session_->numTokens();
    const int position = wish.next_position < 0 || wish.next_position >= n ? n - 1 : wish.next_position;
    try {
      s->next = session_->nextTokens(wish.next_k, position);
    } catch (const ModelError& e) {
      s->next_error = e.what();
    }
    return done(true);
  }
  // 5. The ablation asked for (an empty request withdraws the last one).
  if (wish.ablation.id != s->ablation.id) {
    if (wish.ablation.heads.empty()) {
      s->ablation = AblationRequest{};
      s->ablation_outcome.reset();
      s->ablation_error.clear();
      s->ablation_diff.reset();
      s->ablation_diff_max = 0;
    } else {
      runAblation(wish, *s);
    }
    return done(true);
  }
  // 6. The shown layer's neighbours, published so that the window's next layer switch is a swap.
  if (prepareNeighbour(wish)) {
    listKept(*s);
    return done(true);
  }
  // 7. The overview, one layer per step (kept maps are reused; new ones kept while they fit).
  const int layers = facts_.of(s->kind).layers;
  if (int(s->overview.size()) < layers && s->overview_error.empty()) {
    const int l = int(s->overview.size());
    setProgress("overview: layer", l, layers);
    try {
      LayerMaps m;
      if (const LayerMaps* kept = maps_cache_.peek(l)) m = *kept;
      if (!m.problem) m.problem = std::make_shared<const AttentionProblem>(layerProblem(l));
      if (!m.value_norms) m.value_norms = valueNorms(l);
      if (!m.maps) {
        m.maps = std::make_shared<const AttentionResult>(computeFast(*m.problem));
        maps_cache_.setBudget(maps_budget_.load());
        // Kept with its mean, so that a switch to this layer shows at once (the mean view is the
        // default); the mean is a head's share of the bytes and made only when both fit.
        if (maps_cache_.room() >= m.bytes() + m.bytes() / std::size_t(std::max(m.maps->heads, 1))) {
          m.mean = meanOfLayer(*m.maps, &sharedThreadPool());
          maps_cache_.putIfRoom(l, m);
          listKept(*s);
        }
      }
      const AttentionProblem& p = *m.problem;
      const std::shared_ptr<const std::vector<float>>& norms = m.value_norms;
      // Rollout multiplies self-attention maps through the stack: not the cross-attention's.
      const bool self = s->kind != AttentionKind::cross;
      if (self && !rollout_) rollout_ = std::make_unique<Rollout>(session_->numTokens());
      s->overview.push_back(std::make_shared<const LayerOverview>(overviewOf(p, *m.maps, l, norms.get(), self ? rollout_.get() : nullptr)));
      if (self && l == layers - 1) s->rollout = std::make_shared<const std::vector<float>>(rollout_->result());
    } catch (const std::exception& e) {
      s->overview_error = "layer " + std::to_string(l) + ": " + e.what();
    }
    return done(true);
  }
  // 8. Induction scores (their own forward, then this text's again).
  if (wish.induction && s->induction.empty() && s->induction_error.empty()) {
    setProgress("induction scores", 0, 1);
    try {
      s->induction = session_->inductionScores();
    } catch (const ModelError& e) {
      s->induction_error = e.what();
    }
    return done(true);
  }
  // 9. Head importance: one ablated rerun per head; a newer text cancels it between heads (the
  // session's cache is left as it was, so the newer text's forward reuses its prefix).
  if (wish.importance && s->importance.empty() && s->importance_error.empty()) {
    const int total = facts_.layers * facts_.heads;
    setProgress("importance: head", 0, total);
    try {
      s->importance = session_->headImportance([&](int done_heads, int all) {
        if (text_version_.load() != running_text_version_) throw Cancelled{};
        setProgress("importance: head", done_heads, all);
      });
    } catch (const Cancelled&) {
      return true;  // nothing published: the newer text's forward comes next
    } catch (const ModelError& e) {
      s->importance_error = e.what();
    }
    return done(true);
  }
  return false;
}

}  // namespace attnviz::model
