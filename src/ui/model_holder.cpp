#include "ui/model_holder.h"

#include <algorithm>

#include "model/model_error.h"

namespace attnviz::ui {

ModelHolder::ModelHolder(const std::string& path_or_name, const model::LoadObserver& observer)
    : worker_(std::make_unique<model::ModelWorker>(model::ModelSession::load(path_or_name, true, observer))),
      shown_(worker_->latest()),
      kind_(shown_->kind) {}

ModelHolder::~ModelHolder() = default;

const std::string& ModelHolder::headName(int layer, int head) const {
  static const std::string none;
  const auto& names = facts().of(kind_).head_names;
  if (layer < 0 || layer >= int(names.size()) || head < 0 || head >= int(names[std::size_t(layer)].size())) return none;
  return names[std::size_t(layer)][std::size_t(head)];
}

bool ModelHolder::setKind(model::AttentionKind kind) {
  if (kind == kind_ || !facts().hasKind(kind)) return false;
  kind_ = kind;
  layer_ = std::clamp(layer_, 0, std::max(layers() - 1, 0));
  return true;
}

void ModelHolder::want(const std::string& text, const std::string& target) {
  worker_->want(text, isEncoderDecoder() ? target : std::string(), kind_, layer_);
}

bool ModelHolder::setLayer(int layer) {
  layer = std::clamp(layer, 0, std::max(layers() - 1, 0));
  if (layer == layer_) return false;
  layer_ = layer;
  return true;
}

void ModelHolder::poll() {
  const int publishes = worker_->publishCount();
  if (publishes == seen_publishes_) return;
  seen_publishes_ = publishes;
  auto newest = worker_->latest();
  // Newer tokens wait for the controller to adopt them with their maps.
  if (newest != shown_ && newest->tokens_version == shown_->tokens_version) adopt(std::move(newest));
}

void ModelHolder::adopt(std::shared_ptr<const model::ModelSnapshot> snapshot) {
  if (!snapshot || snapshot == shown_) return;
  shown_ = std::move(snapshot);
  ++shown_version_;
}

bool ModelHolder::ready(const model::ModelSnapshot& s, const std::string& text, const std::string& target) const {
  return s.has_forward && s.text == text && (!isEncoderDecoder() || s.target == target) && s.kind == kind_ &&
         ((s.layer == layer_ && s.problem != nullptr) || s.keptLayer(layer_) != nullptr);
}

std::shared_ptr<const model::ModelSnapshot> ModelHolder::atSelectedLayer(std::shared_ptr<const model::ModelSnapshot> s) const {
  if (!s || s->layer == layer_) return s;
  const model::LayerMaps* n = s->keptLayer(layer_);
  if (!n) return s;
  auto moved = std::make_shared<model::ModelSnapshot>(*s);
  moved->layer = layer_;
  moved->problem = n->problem;
  moved->value_norms = n->value_norms;
  moved->maps = n->maps;
  moved->mean = n->mean;
  moved->summary = n->summary;
  return moved;
}

const std::vector<model::NextToken>& ModelHolder::nextTokens(int k, int position) {
  static const std::vector<model::NextToken> none;
  if (!shown().has_forward) return none;
  worker_->wantNextTokens(k, position);
  if (nextTokensPending(k, position)) return none;
  return shown().next;
}

bool ModelHolder::nextTokensPending(int k, int position) const {
  return shown().next_k != k || shown().next_position != position;
}

void ModelHolder::finishOverview() {
  worker_->waitIdle();
  auto newest = worker_->latest();
  seen_publishes_ = worker_->publishCount();
  adopt(std::move(newest));
}

const LayerOverview* ModelHolder::overview(int layer) const {
  if (layer < 0 || layer >= overviewLayersDone()) return nullptr;
  return shown().overview[std::size_t(layer)].get();
}

const std::vector<float>& ModelHolder::rollout() const {
  static const std::vector<float> none;
  return shown().rollout ? *shown().rollout : none;
}

const std::vector<std::vector<double>>& ModelHolder::inductionScores() {
  worker_->wantInduction();
  return shown().induction;
}

const std::vector<std::vector<double>>& ModelHolder::importance() {
  worker_->wantImportance();
  return shown().importance;
}

}  // namespace attnviz::ui
