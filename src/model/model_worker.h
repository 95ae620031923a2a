// The one thread that runs a real model for the window. It owns the ModelSession: nothing else
// touches it while it works. Callers say what they want (a text and a layer, the next tokens at
// a position, a generation, induction scores); the worker converges on the newest wish, most
// urgent first (the forward, the shown layer's problem, a generated token, next tokens, an
// ablation, one layer of the overview, induction, head importance), and publishes an immutable
// ModelSnapshot after each step. A newer text cancels a forward between layers and head
// importance between heads. No ImGui, SDL or GL.
//
// Who may touch what: facts() and latest() from any thread at any time; want*/generate/stop
// from one thread (the window's); idleSession() only where blocking is fine (tests, headless).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/attention.h"
#include "model/attention_kind.h"
#include "model/head_measures.h"
#include "model/layer_maps_cache.h"
#include "model/model_session.h"

namespace attnviz::model {

// What does not change after loading: readable from any thread.
struct ModelFacts {
  std::string name;
  ModelConfig config;
  int layers = 0, heads = 0, kv_heads = 0, max_tokens = 0;
  bool encoder = false;        // bidirectional: no causal mask, fill-mask instead of next tokens
  bool has_lm_head = false;    // next tokens / fill-mask can be computed
  int mask_id = -1;            // the tokenizer's mask token, -1 when none
  std::string mask_label;       // "[MASK]", "<mask>" ("" when none)
  std::string separator_label;  // an encoder's "[SEP]" or "</s>" ("" when none)
  std::vector<std::vector<std::string>> head_names;  // [layer][head]: "L5H1", GQA "L5H1 · kv 0"
  // The kinds of attention the model has ({decoder}, {encoder}, or encoder, decoder, cross for an
  // encoder-decoder) and, per kind, its layers and head names ("cross L5H7"); layers and
  // head_names above are those of the first kind the session shows (cross for an encoder-decoder).
  std::vector<AttentionKind> kinds;
  bool encoder_decoder = false;
  struct KindFacts {
    int layers = 0;
    std::vector<std::vector<std::string>> head_names;
  };
  KindFacts by_kind[3];  // indexed by int(AttentionKind)
  const KindFacts& of(AttentionKind kind) const { return by_kind[int(kind)]; }
  bool hasKind(AttentionKind kind) const;
};

// One layer of the overview (model view thumbnails, head measures), for one token sequence.
struct LayerOverview {
  static constexpr int kThumbSize = 40;
  // [heads][kThumbSize][kThumbSize]: each cell the largest weight of its block of the (nq x nk) map (so a
  // sharp head stays visible when 1024 tokens shrink to 40 pixels); -1 = block with no visible key
  // (above the causal diagonal, before a sliding window).
  std::vector<float> thumbs;
  std::vector<HeadMeasures> measures;  // [heads], layer and head filled in; empty for cross-attention
  // The same of the value-weighted contributions (head_ablation.h), rows normalised to sum 1
  // (the measures, as above, only of self-attention).
  std::vector<float> contribution_thumbs;
  std::vector<HeadMeasures> contribution_measures;
};

// An ablation the window asked for (ModelWorker::wantAblation) and what it gave.
struct AblationRequest {
  int id = 0;  // wantAblation's return; 0: none
  std::vector<HeadRef> heads;
  AblationMode mode = AblationMode::Zero;
  std::string target;  // one token of the tokenizer, or "#ID"; "" for none
  int top_k = 10;
  // An encoder-decoder's: whose heads (zero only, no target); the translation is compared
  // (ModelSession::ablateTranslation, up to translate_tokens).
  AttentionKind kind = AttentionKind::cross;
  int translate_tokens = 64;
};

// What the worker has computed, as of one moment. Never changed once published.
struct ModelSnapshot {
  int tokens_version = 0;  // increments whenever the token sequence (or the kind of attention) changes
  std::string text;        // the text the tokens are of ("" before the first forward)
  bool has_forward = false;
  // The kind of attention the maps are of. token_ids / token_labels are its queries' (an
  // encoder-decoder's target for decoder and cross attention, its source for the encoder's).
  AttentionKind kind = AttentionKind::decoder;
  std::vector<int> token_ids;
  std::vector<std::string> token_labels;
  // Encoder-decoders: the target text the decoder ran (typed, or generated so far), and both
  // sequences (target_ids begins with decoder_start_token_id). Empty for other models.
  std::string target;
  std::vector<int> source_ids, target_ids;
  std::vector<std::string> source_labels, target_labels;
  std::vector<int> mask_positions;
  ForwardReport forward;
  // Every head of `layer` (causal unless an encoder), head names set; null until computed.
  int layer = -1;
  std::shared_ptr<const AttentionProblem> problem;
  // ||v_j W_O^h|| of every head of `layer`, [heads][n] (value-weighted contributions); with problem.
  std::shared_ptr<const std::vector<float>> value_norms;
  // computeFast(*problem): the maps of `layer` as the problem stands (its temperature and mask);
  // with problem. Kept by the worker for recently shown layers (model/layer_maps_cache.h).
  std::shared_ptr<const AttentionResult> maps;
  // The mean of every head of `maps` (the window's mean view), with maps.
  std::shared_ptr<const AttentionResult> mean;
  // Every head's stats, maxima and patterns of `maps`, and their mean: with maps or after them.
  std::shared_ptr<const LayerSummary> summary;
  // The layers whose maps (with their mean) the worker keeps for these tokens, the shown layer's
  // neighbours among them once prepared: the window can switch to one in the frame of the click,
  // before the worker hears of it. Shared with the worker's cache; the summary may follow later.
  struct KeptLayer {
    int layer = -1;
    LayerMaps maps;
  };
  std::vector<KeptLayer> kept;
  const LayerMaps* keptLayer(int l) const {
    for (const KeptLayer& k : kept)
      if (k.layer == l) return &k.maps;
    return nullptr;
  }
  // Layers 0.. done, in order; rollout after the last layer ([n][n]) once all are done.
  std::vector<std::shared_ptr<const LayerOverview>> overview;
  std::shared_ptr<const std::vector<float>> rollout;
  std::string overview_error;  // a failed layer stops the overview until the tokens change
  // Next tokens (fill-mask for an encoder) at next_position, top next_k; empty until asked.
  int next_position = -1, next_k = 0;
  std::vector<NextToken> next;
  std::string next_error;  // why next tokens could not be computed ("" when they were)
  std::vector<std::vector<double>> induction;  // [layer][head]; empty until asked and done
  std::string induction_error;
  // The ablation asked for last, on these tokens: ablation.id = 0 until computed (or none asked).
  AblationRequest ablation;
  std::shared_ptr<const AblationOutcome> ablation_outcome;  // null when it failed
  std::string ablation_error;
  std::string ablation_target_label;  // the target's readable piece ("" without one)
  // How the ablation changed the maps: [layers][heads][kThumbSize^2], each cell the signed
  // difference (ablated - unablated weight) of largest size in its block (0 above the causal
  // diagonal and in layers below ablation_outcome->rerun_from_layer); ablation_diff_max the
  // largest size of all. Null when the ablation failed.
  std::shared_ptr<const std::vector<float>> ablation_diff;
  float ablation_diff_max = 0;
  // An encoder-decoder's ablation: its translations without and with the heads (null otherwise),
  // and their text (without the end-of-sequence token).
  std::shared_ptr<const TranslationAblation> translation_ablation;
  std::string translation_before, translation_after;
  // Head importance [layer][head] (nats) of these tokens; empty until asked and done.
  std::vector<std::vector<double>> importance;
  std::string importance_error;
  // The last wish the model refused (a text too long, a generate on an encoder), for `error_for`.
  std::string error, error_for, error_for_target;
  // A generation in progress or finished: its id (generate()'s return) and tokens appended so far.
  int generation = 0, generated = 0;
  bool generating = false;
};

// What the worker is doing now, for a progress line ("forward: layer 7 / 12").
struct ModelProgress {
  std::string what;  // "" when idle
  int done = 0, total = 0;
};

class ModelWorker {
 public:
  explicit ModelWorker(std::unique_ptr<ModelSession> session);
  ~ModelWorker();  // cancels what runs and joins
  ModelWorker(const ModelWorker&) = delete;
  ModelWorker& operator=(const ModelWorker&) = delete;

  const ModelFacts& facts() const { return facts_; }
  std::shared_ptr<const ModelSnapshot> latest() const;
  // Increments with every publish (cheap to poll).
  int publishCount() const { return publishes_.load(); }
  ModelProgress progress() const;

  // The text to run and the layer whose problem to prepare (clamped to the model's layers). A
  // new text cancels a forward or generation of another text.
  void want(const std::string& text, int layer);
  void wantLayer(int layer);  // the same, keeping the wanted text (e.g. during a generation)
  // The same with, for an encoder-decoder, the target its decoder runs after the start token
  // (teacher forcing; a new one ends a generation) and the kind of attention the maps are of.
  // ModelError for a kind the model lacks or a target for a model without a decoder of one. The
  // layer is clamped to that kind's layers.
  void want(const std::string& text, const std::string& target, AttentionKind kind, int layer);
  // The kind and layer alone, keeping the wanted text and target (e.g. during a generation).
  void wantKind(AttentionKind kind, int layer);
  void wantNextTokens(int k, int position);  // position -1: the last token
  void wantInduction();
  // Reruns the shown text with request.heads ablated (next-token top-k, KL, the target's log-prob,
  // the loss) and again whenever the tokens change; returns the request's id. An empty head list
  // withdraws it (the snapshot's ablation empties).
  int wantAblation(AblationRequest request);
  // Every head's importance for the shown text, after everything else; a newer text cancels it.
  void wantImportance();
  void cancelImportance();  // stops a running importance and withdraws the wish
  // Appends `count` tokens to the wanted text, one per step, each published (greedy, or sampled
  // with seed). Returns the generation's id (ModelSnapshot::generation).
  int generate(int count, bool sample, std::uint64_t seed);
  // Ends a generation and cancels a running forward (the previous snapshot stays).
  void stop();

  // For tests: called on the worker thread after every progress change, outside the lock (it may
  // block, holding the worker at that point). Set before the first wish or while the worker is idle.
  void setProgressObserver(std::function<void(const ModelProgress&)> observer) { progress_observer_ = std::move(observer); }

  // How many bytes of layer maps the worker keeps for the shown tokens (default: a quarter of the
  // memory budget). Takes effect at the next layer kept.
  void setMapsBudget(std::size_t bytes) { maps_budget_.store(bytes); }
  // The layers whose maps are kept, most recently used first, and their bytes: once idle (tests).
  std::vector<int> keptLayers() const;
  std::size_t keptBytes() const;

  bool idle() const;
  void waitIdle() const;
  // Blocks until the newest snapshot satisfies `ready` or the worker is idle; returns it.
  std::shared_ptr<const ModelSnapshot> waitFor(const std::function<bool(const ModelSnapshot&)>& ready) const;
  // The session, once the worker is idle (it stays idle until the next wish from this thread).
  ModelSession& idleSession();

 private:
  struct Wish {
    std::string text;
    bool has_text = false;
    std::string target;
    AttentionKind kind = AttentionKind::decoder;
    int layer = 0;
    int next_k = 0, next_position = -1;
    bool induction = false;
    AblationRequest ablation;
    int ablation_ids = 0;
    bool importance = false;
    int generation = 0, generate_left = 0;
    bool sample = false;
    std::uint64_t seed = 0;
    int version = 0;  // bumps on every change
  };
  void loop();
  // One unit of work towards `wish` (the most urgent); false when there is nothing left to do.
  bool step(const Wish& wish);
  bool runForward(const Wish& wish, ModelSnapshot& s);
  bool generateOne(const Wish& wish, ModelSnapshot& s);
  void takeNewTokens(ModelSnapshot& s);  // the session's tokens into s, dropping what was of the old ones
  bool tokensDiffer(const ModelSnapshot& s) const;  // the session's tokens (or kind) are not s's
  int clampLayer(AttentionKind kind, int layer) const;
  void prepareLayer(ModelSnapshot& s, int layer);  // the problem, value norms and maps of `layer`
  // The problem, norms and maps of `layer`, kept or computed (and then kept if they fit).
  // summarise false: the maps alone when the layer has no summary yet (the shown layer's first).
  LayerMaps layerMaps(int layer, int shown, bool summarise = true);
  std::shared_ptr<const LayerSummary> summaryOf(const AttentionProblem& problem, const AttentionResult& maps,
                                                std::shared_ptr<const AttentionResult> mean) const;
  void summariseShown(ModelSnapshot& s);  // s's maps summarised, and kept with them
  bool prepareNeighbour(const Wish& wish);  // one neighbour of the shown layer ahead of time; false when none left
  void listKept(ModelSnapshot& s) const;  // s.kept: the cache's layers that have their mean
  void runAblation(const Wish& wish, ModelSnapshot& s);
  AttentionProblem layerProblem(int layer) const;
  void publish(std::shared_ptr<ModelSnapshot> snapshot);
  void setProgress(const std::string& what, int done, int total);
  void raiseWish(bool Wish::*flag);  // sets a standing wish (induction, importance) and wakes the thread
  // value_norms: [heads][n] (ModelSnapshot::value_norms) for the contribution thumbs and measures.
  // value_norms null: no contributions (encoder-decoders); rollout null: none (cross-attention).
  static LayerOverview overviewOf(const AttentionProblem& layer_problem, const AttentionResult& maps, int layer,
                                  const std::vector<float>* value_norms, Rollout* rollout);
  std::shared_ptr<const std::vector<float>> valueNorms(int layer) const;

  std::unique_ptr<ModelSession> session_;  // the worker thread's alone while it runs
  ModelFacts facts_;

  mutable std::mutex mutex_;
  mutable std::condition_variable wake_, idle_cv_;
  Wish wish_;
  int idle_at_version_ = -1;  // the wish version the worker found nothing (more) to do for
  bool quit_ = false;
  std::atomic<int> text_version_{0};     // bumps when the wanted text changes or stop(): cancels a forward
  std::shared_ptr<const ModelSnapshot> latest_;
  std::atomic<int> publishes_{0};
  ModelProgress progress_;
  std::function<void(const ModelProgress&)> progress_observer_;
  // The worker thread's own: what the session holds, the rollout being accumulated.
  std::string session_text_, session_target_;
  AttentionKind session_kind_ = AttentionKind::decoder;
  bool session_valid_ = false;
  int running_text_version_ = 0;
  std::unique_ptr<Rollout> rollout_;
  std::atomic<std::size_t> maps_budget_;
  LayerMapsCache maps_cache_{0};       // of the session's tokens and kind
  std::vector<int> neighbours_tried_;  // 2 * layer + stage (0 maps and mean, 1 summary) prepared ahead for these tokens
  std::thread thread_;                // last: started when everything else exists
};

}  // namespace attnviz::model
