// The window's handle on a real model: the model::ModelWorker that runs it (forward, maps,
// overview, next tokens, generation, induction, all on the worker's thread) and the snapshot the
// window shows. No ImGui, SDL or GL: the controller owns one and the tests drive it.
//
// Threading: every method here is for the UI thread. Panels read facts() and shown(); they ask
// for work with the want*/generate calls and never wait. shown() changes only in poll() (newer
// snapshots of the same tokens: overview layers, next tokens, induction) and in adopt() (the
// controller, when it puts a new token sequence's maps on screen), so what a frame reads agrees.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/attention.h"
#include "model/model_worker.h"

namespace attnviz::ui {

using model::LayerOverview;

class ModelHolder {
 public:
  static constexpr int kThumbSize = LayerOverview::kThumbSize;

  // Loads a model directory or Hugging Face cache name. Throws model::ModelError (one line), or
  // what `observer` throws to stop the load (ui/model_load.h runs this on a thread of its own).
  explicit ModelHolder(const std::string& path_or_name, const model::LoadObserver& observer = {});
  ~ModelHolder();
  ModelHolder(const ModelHolder&) = delete;
  ModelHolder& operator=(const ModelHolder&) = delete;

  const model::ModelFacts& facts() const { return worker_->facts(); }
  const std::string& name() const { return facts().name; }
  // Of the kind of attention shown (an encoder-decoder's encoder and decoder may differ).
  int layers() const { return facts().of(kind_).layers; }
  int heads() const { return facts().heads; }
  int kvHeads() const { return facts().kv_heads; }
  int maxTokens() const { return facts().max_tokens; }
  bool isEncoder() const { return facts().encoder; }
  const std::string& headName(int layer, int head) const;

  int layer() const { return layer_; }
  // Clamped to [0, layers()); returns whether it changed.
  bool setLayer(int layer);
  // Encoder-decoders: which attention the maps are of (encoder self, decoder self, cross); the
  // layer is clamped to that kind's layers. False when unchanged or the model lacks the kind.
  bool isEncoderDecoder() const { return facts().encoder_decoder; }
  model::AttentionKind kind() const { return kind_; }
  bool setKind(model::AttentionKind kind);

  // ---- snapshots ----
  // What the window shows (never null; empty before the first result).
  const model::ModelSnapshot& shown() const { return *shown_; }
  std::shared_ptr<const model::ModelSnapshot> latest() const { return worker_->latest(); }
  // Call every frame: takes newer snapshots of the shown tokens. Cheap.
  void poll();
  // Puts `snapshot` on screen (the controller, with the maps it computed from it).
  void adopt(std::shared_ptr<const model::ModelSnapshot> snapshot);
  // Whether `s` holds the forward of `text` (and, for an encoder-decoder, of `target`) and the
  // problem of the selected kind and layer, its own or as a prepared neighbour.
  bool ready(const model::ModelSnapshot& s, const std::string& text, const std::string& target = {}) const;
  // A ready `s` with the selected layer in its place: `s` itself, or a copy that takes the layer
  // from its neighbours (the switch shows in this frame; the worker's own snapshot follows).
  std::shared_ptr<const model::ModelSnapshot> atSelectedLayer(std::shared_ptr<const model::ModelSnapshot> s) const;
  model::ModelProgress progress() const { return worker_->progress(); }
  bool working() const { return !worker_->idle(); }

  // ---- requests (never block) ----
  // The text (an encoder-decoder's source) and, for an encoder-decoder, its target.
  void want(const std::string& text, const std::string& target = {});
  void wantLayer() { worker_->wantKind(kind_, layer_); }
  int generate(int count, bool sample, std::uint64_t seed) { return worker_->generate(count, sample, seed); }
  void stop() { worker_->stop(); }

  int tokensVersion() const { return shown().tokens_version; }
  const model::ForwardReport& lastForward() const { return shown().forward; }
  int numTokens() const { return int(shown().token_ids.size()); }
  const std::vector<std::string>& tokenLabels() const { return shown().token_labels; }

  // Top-k next tokens after `position` (-1 = the last) of the shown tokens: asked of the worker
  // when not there yet (then empty until it answers; nextTokensPending says so).
  const std::vector<model::NextToken>& nextTokens(int k, int position);
  bool nextTokensPending(int k, int position) const;

  // ---- overview (model view, measures, rollout) ----
  // Blocks until the worker is idle and shows its newest snapshot (tests, screenshots, the CLI).
  void finishOverview();
  int overviewLayersDone() const { return int(shown().overview.size()); }
  bool overviewComplete() const { return overviewLayersDone() == layers(); }
  // nullptr while that layer is not computed for the shown tokens.
  const LayerOverview* overview(int layer) const;
  // Increments whenever shown() changes.
  int overviewVersion() const { return shown_version_; }
  const std::vector<float>& rollout() const;
  int rolloutTokens() const { return shown().rollout ? numTokens() : 0; }
  const std::string& overviewError() const { return shown().overview_error; }

  // Induction scores [layer][head]: asked of the worker on the first call, empty until done.
  const std::vector<std::vector<double>>& inductionScores();
  bool hasInductionScores() const { return !shown().induction.empty(); }

  // ---- beyond attention weights (model/head_ablation.h), all on the worker ----
  // Asks for an ablated rerun of the shown text (and again whenever it changes); an empty head
  // list withdraws it. The answer is shown().ablation* once shown().ablation.id == the return.
  int ablate(model::AblationRequest request) { return worker_->wantAblation(std::move(request)); }
  void clearAblation() { worker_->wantAblation({}); }
  // Head importance [layer][head]: asked of the worker on the first call, empty until done.
  const std::vector<std::vector<double>>& importance();
  void cancelImportance() { worker_->cancelImportance(); }

  // The session itself, once the worker is idle: for tests and the headless paths only (a panel
  // calling it would wait for the model).
  model::ModelSession& idleSession() { return worker_->idleSession(); }
  model::ModelWorker& worker() { return *worker_; }

 private:
  std::unique_ptr<model::ModelWorker> worker_;
  std::shared_ptr<const model::ModelSnapshot> shown_;
  int shown_version_ = 0;
  int seen_publishes_ = -1;
  int layer_ = 0;
  model::AttentionKind kind_ = model::AttentionKind::decoder;
};

}  // namespace attnviz::ui
