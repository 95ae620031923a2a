// What the window holds of a real model: the model::ModelSession, the selected layer, and the
// overview of every layer (model view thumbnails, head measures, rollout) that is built in the
// background, one layer at a time, from the engines' cpu-fast maps. No ImGui, SDL or GL: the
// controller owns one and the tests drive it.
//
// Threading: the session is used on the caller's thread only. The overview worker receives a
// copy of one layer's problem (Q/K/V of that layer, a few MB) and never touches the session.
#pragma once

#include <cstdint>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "core/attention.h"
#include "model/head_measures.h"
#include "model/model_session.h"

namespace attnviz::ui {

// One layer of the overview, for the current tokens.
struct LayerOverview {
  // [heads][kThumbSize][kThumbSize]: each cell the largest weight of its block of the map (so a
  // sharp head stays visible when 1024 tokens shrink to 40 pixels); -1 = block above the causal
  // diagonal (masked).
  std::vector<float> thumbs;
  std::vector<model::HeadMeasures> measures;  // [heads], layer and head filled in
};

class ModelHolder {
 public:
  static constexpr int kThumbSize = 40;

  // Loads a model directory or Hugging Face cache name. Throws model::ModelError (one line).
  explicit ModelHolder(const std::string& path_or_name);
  ~ModelHolder();
  ModelHolder(const ModelHolder&) = delete;
  ModelHolder& operator=(const ModelHolder&) = delete;

  model::ModelSession& session() { return *session_; }
  const model::ModelSession& session() const { return *session_; }
  const std::string& name() const { return session_->name(); }
  int layers() const { return session_->numLayers(); }
  int heads() const { return session_->numHeads(); }
  int kvHeads() const { return session_->numKvHeads(); }
  int maxTokens() const;

  int layer() const { return layer_; }
  // Clamped to [0, layers()); returns whether it changed.
  bool setLayer(int layer);

  // Runs the forward for `text` when it differs from the text last given (the session reuses the
  // cached prefix), then builds the selected layer's problem: every head, causal, head names
  // "L5H1" (GQA: "L5H1 · kv 0"), token labels. Throws model::ModelError (empty or too long text).
  AttentionProblem problem(const std::string& text);
  // Increments whenever the token sequence changes (text edit or generate).
  int tokensVersion() const { return tokens_version_; }
  const model::ForwardReport& lastForward() const { return session_->lastForward(); }

  // Appends `count` tokens (greedy, or sampled with `seed`) through the KV cache and returns the
  // text they decode to, which the caller appends to its text (so that the next problem() call
  // finds the text unchanged and keeps the generated ids).
  std::string generate(int count, bool sample, std::uint64_t seed, const std::string& text_before);

  // Top-k next tokens after `position` (-1 = the last), cached per tokens version and position.
  const std::vector<model::NextToken>& nextTokens(int k, int position);

  // ---- overview (model view, measures, rollout) ----
  // Call every frame: collects a finished layer and starts the next one. Cheap when idle.
  void poll();
  // Blocks until every layer is done (tests, screenshots, the CLI).
  void finishOverview();
  int overviewLayersDone() const { return int(overview_.size()); }
  bool overviewComplete() const { return overviewLayersDone() == layers(); }
  // nullptr while that layer is not computed for the current tokens.
  const LayerOverview* overview(int layer) const;
  // Increments each time a layer of the overview completes or the overview restarts.
  int overviewVersion() const { return overview_version_; }
  // Attention rollout after the last layer, [n][n] row-major; empty until the overview is complete.
  const std::vector<float>& rollout() const { return rollout_; }
  int rolloutTokens() const { return rollout_n_; }
  const std::string& overviewError() const { return overview_error_; }

  // Induction scores [layer][head] (computed on request; a few random tokens repeated twice).
  const std::vector<std::vector<double>>& inductionScores();
  bool hasInductionScores() const { return !induction_.empty(); }

 private:
  struct LayerJobResult {
    int version = -1;
    int layer = -1;
    LayerOverview overview;
    std::vector<float> rollout;  // only after the last layer
    std::string error;
  };
  void startLayerJob();
  static LayerJobResult runLayerJob(AttentionProblem problem, int version, int layer, bool last,
                                    std::shared_ptr<model::Rollout> rollout);

  std::unique_ptr<model::ModelSession> session_;
  int layer_ = 0;
  std::string forward_text_;
  bool has_forward_ = false;
  int tokens_version_ = 0;

  std::vector<LayerOverview> overview_;  // layers done, in order
  int overview_of_version_ = -1;         // the tokens version overview_ belongs to
  int overview_version_ = 0;
  std::shared_ptr<model::Rollout> rollout_acc_;
  std::vector<float> rollout_;
  int rollout_n_ = 0;
  std::future<LayerJobResult> job_;
  std::string overview_error_;  // a failed layer stops the overview until the tokens change

  std::vector<model::NextToken> next_;
  int next_version_ = -1, next_position_ = -2, next_k_ = 0;
  std::vector<std::vector<double>> induction_;
};

}  // namespace attnviz::ui
