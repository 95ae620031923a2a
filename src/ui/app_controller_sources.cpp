// AppController: where the maps come from. The simulated model, imported files (.npy weights,
// Q/K folders) and a real model, whose forward, generation and measures run on its worker
// (ui/model_holder.h); this side asks for what is wanted and takes the snapshots as they come.
#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "core/npy.h"
#include "core/token_names.h"
#include "ui/app_controller.h"
#include "ui/model_holder.h"
#include "ui/model_load.h"

namespace attnviz::ui {

void AppController::waitForModel() {
  if (load_) {
    load_->wait();
    // A load that failed leaves its error on screen (a recompute would clear it).
    if (!finishModelLoad() && !model_) return;
  }
  if (!model_) return recomputeNow();
  waitForPending();
  model_->worker().waitIdle();
  pollModel();
  dirty_ = true;  // the snapshot the worker ended with, even when nothing else changed
  recomputeNow();
  model_->finishOverview();
}

bool AppController::refusedNow(const model::ModelSnapshot& s) const {
  return !s.error.empty() && s.error_for == text_ && (!encoderDecoderShown() || s.error_for_target == target_);
}

void AppController::pollModel() {
  model_->poll();
  const auto latest = model_->latest();
  // The worker sends a layer's maps before their summary: once it is in, the shown matrix's
  // stats and patterns are read from it (they are the same; nothing rescanned at the next switch).
  if (!summary_ && latest->summary && result_ && latest->maps == result_) {
    summary_ = latest->summary;
    refreshShown();
  } else if (summary_pending_ && latest->summary && model_snapshot_ && latest->maps != result_ &&
             latest->tokens_version == model_snapshot_->tokens_version && latest->kind == model_snapshot_->kind &&
             latest->layer == model_snapshot_->layer) {
    // The layer was shown from maps the worker kept and then made anew (they were evicted before
    // it heard of the switch): its summary is of the new maps, so those replace the shown ones.
    markDirty();
  }
  // A generation this controller started: the text (an encoder-decoder's target) follows it
  // token by token.
  std::string& followed = model_->isEncoderDecoder() ? target_ : text_;
  const std::string& generated = model_->isEncoderDecoder() ? latest->target : latest->text;
  if (generation_ > 0 && latest->generation == generation_ && latest->has_forward && generated != followed &&
      followed == generation_text_) {
    followed = generation_text_ = generated;
    markDirty();
  }
  if (generation_ > 0 && ((latest->generation == generation_ && !latest->generating) || followed != generation_text_))
    generation_ = 0;
}

void AppController::wantModelText() {
  // While a generation runs the worker is ahead of text_: ask for the layer only, or a stale text
  // would undo the tokens just generated. An edit (text_ left the generation's) wins.
  const std::string& followed = model_->isEncoderDecoder() ? target_ : text_;
  if (generating() && followed == generation_text_) model_->wantLayer();
  else model_->want(text_, target_);
}

bool AppController::modelSnapshotReady() {
  wantModelText();
  auto latest = model_->latest();
  if (model_->ready(*latest, text_, target_)) {
    model_snapshot_ = model_->atSelectedLayer(std::move(latest));
    return true;
  }
  if (refusedNow(*latest)) {
    // Refused (too long, no tokens): say why; the previous maps stay.
    dirty_ = false;
    dirty_since_ = -1;
    error_ = "Input: " + latest->error + (hasResult() ? " (showing the previous result)" : "");
  }
  return false;
}

bool AppController::modelWorking() const { return model_ && (dirty_ || model_->working()); }

void AppController::stopModel() {
  if (!model_) return;
  model_->stop();
  generation_ = 0;
  const auto latest = model_->latest();
  if (latest->has_forward && (latest->text != text_ || (model_->isEncoderDecoder() && latest->target != target_))) {
    text_ = latest->text;  // back to the text whose maps are on screen
    if (model_->isEncoderDecoder()) target_ = latest->target;
    markDirty();
  }
}

bool AppController::loadPaths(const std::vector<std::string>& paths) {
  cancelModelLoad();  // what was dropped or opened is what to show
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      for (const auto& entry : fs::directory_iterator(p, ec)) files.push_back(entry.path().string());
    } else {
      files.push_back(p);
    }
  }
  // A single opened file: its labels may sit beside it (tokens.txt, queries.txt, keys.txt).
  if (paths.size() == 1 && files.size() == 1) {
    std::error_code ec;
    const fs::path folder = fs::path(files.front()).parent_path();
    for (const char* label_file : {"tokens.txt", "queries.txt", "keys.txt"}) {
      const fs::path beside = (folder.empty() ? fs::path(".") : folder) / label_file;
      if (fs::is_regular_file(beside, ec)) files.push_back(beside.string());
    }
  }
  std::string q, k, v, w, tokens, queries, keys;
  for (const std::string& f : files) {
    const std::string name = fs::path(f).filename().string();
    const std::string stem = fs::path(f).stem().string();
    const std::string ext = fs::path(f).extension().string();
    if (ext == ".npy") {
      if (stem == "q" || stem == "Q" || stem.rfind("q_", 0) == 0 || stem == "query") q = f;
      else if (stem == "k" || stem == "K" || stem.rfind("k_", 0) == 0 || stem == "key") k = f;
      else if (stem == "v" || stem == "V" || stem.rfind("v_", 0) == 0 || stem == "value") v = f;
      else if (w.empty()) w = f;
    } else if (name == "tokens.txt") tokens = f;
    else if (name == "queries.txt") queries = f;
    else if (name == "keys.txt") keys = f;
  }
  discardPending();
  if (source_ == Source::Simulated) simulated_mode_ = mode_;
  try {
    std::vector<std::string> ql, kl;
    if (!tokens.empty()) ql = kl = readLabels(tokens);
    if (!queries.empty()) ql = readLabels(queries);
    if (!keys.empty()) kl = readLabels(keys);
    if (!q.empty() || !k.empty()) {
      if (q.empty() || k.empty()) throw NpyError(q.empty() ? k : q, "a Q/K pair needs both q.npy and k.npy");
      const NpyArray qa = readNpy(q), ka = readNpy(k);
      NpyArray va;
      if (!v.empty()) va = readNpy(v);
      AttentionProblem p = problemFromArrays(qa, q, ka, k, v.empty() ? nullptr : &va, v);
      if (int(ql.size()) == p.nq) p.query_labels = ql;
      if (int(kl.size()) == p.nk) p.key_labels = kl;
      return loadProblem(std::move(p), fs::path(q).parent_path().filename().string() + "/" +
                                           fs::path(q).filename().string() + " + " + fs::path(k).filename().string());
    }
    if (w.empty()) throw NpyError(paths.empty() ? std::string("(nothing dropped)") : paths.front(), "no .npy file among the dropped files");
    return loadWeightLayers(layersFromWeights(readNpy(w), w), ql, kl, fs::path(w).filename().string());
  } catch (const std::exception& e) {
    error_ = std::string("Could not load: ") + e.what();
    return false;
  }
}

bool AppController::loadProblem(AttentionProblem p, const std::string& name) {
  discardPending();
  if (source_ == Source::Simulated) simulated_mode_ = mode_;
  // Check it computes before replacing the view.
  const std::string problem_error = p.validate();
  if (!problem_error.empty()) {
    error_ = "Could not load: " + problem_error;
    return false;
  }
  imported_problem_ = std::make_shared<const AttentionProblem>(std::move(p));
  imported_layers_.clear();
  layer_ = 0;
  releaseModel();
  source_ = Source::ImportedProblem;
  imported_name_ = name;
  mode_ = imported_problem_->nq == imported_problem_->nk ? AttentionMode::Self : AttentionMode::Cross;
  markDirty();
  recompute();
  return error_.empty();
}

bool AppController::loadWeights(AttentionResult r, const std::vector<std::string>& ql,
                                const std::vector<std::string>& kl, const std::string& name) {
  if (!showWeights(std::move(r), ql, kl, name)) return false;
  imported_layers_.clear();
  layer_ = 0;
  return true;
}

bool AppController::loadWeightLayers(std::vector<AttentionResult> layers, const std::vector<std::string>& ql,
                                     const std::vector<std::string>& kl, const std::string& name) {
  if (layers.empty()) {
    error_ = "Could not load: no layers";
    return false;
  }
  if (layers.size() == 1) return loadWeights(std::move(layers.front()), ql, kl, name);
  if (!showWeights(layers.front(), ql, kl, name)) return false;
  imported_layers_ = std::move(layers);
  layer_ = 0;
  return true;
}

void AppController::setImportedLayer(int i) {
  if (imported_layers_.empty() || source_ != Source::ImportedWeights) return;
  i = std::clamp(i, 0, int(imported_layers_.size()) - 1);
  if (i == layer_) return;
  const HeadSelection head = head_;
  const int selected = selected_;
  const std::vector<std::string> ql = query_labels_, kl = key_labels_;
  if (showWeights(imported_layers_[std::size_t(i)], ql, kl, imported_name_)) {
    layer_ = i;
    setHead(head);
    selectQuery(selected);
  }
}

bool AppController::showWeights(AttentionResult r, const std::vector<std::string>& ql,
                                const std::vector<std::string>& kl, const std::string& name) {
  discardPending();
  if (source_ == Source::Simulated) simulated_mode_ = mode_;
  if (r.heads <= 0 || r.nq <= 0 || r.nk <= 0) {
    error_ = "Could not load: empty attention matrix";
    return false;
  }
  {
    const bool same_shape = r.heads == result().heads && r.nq == result().nq && r.nk == result().nk;
    result_ = std::make_shared<const AttentionResult>(std::move(r));
    summary_.reset();
    problem_.reset();
    built_valid_ = false;
    releaseModel();
    source_ = Source::ImportedWeights;
    imported_name_ = name;
    head_names_.clear();
    for (int h = 0; h < result().heads; ++h) head_names_.push_back("head " + std::to_string(h + 1));
    query_labels_ = int(ql.size()) == result().nq ? ql : numberedLabels(result().nq);
    key_labels_ = int(kl.size()) == result().nk ? kl : numberedLabels(result().nk);
    mode_ = result().nq == result().nk ? AttentionMode::Self : AttentionMode::Cross;
    engine_used_ = "imported";
    engine_note_.clear();
    compute_ms_ = 0;
    if (head_.kind == HeadSelection::Single && head_.index >= result().heads) head_ = {HeadSelection::Mean, 0};
    selected_ = std::min(selected_, result().nq - 1);
    dirty_ = false;
    error_.clear();
    ++result_version_;
    animate_change_ = same_shape;
    applyDefaultColourScale();
    refreshShown();
    return true;
  }
}

void AppController::useSimulatedModel() {
  cancelModelLoad();
  if (source_ == Source::Simulated) return;
  discardPending();
  releaseModel();
  source_ = Source::Simulated;
  imported_name_.clear();
  imported_layers_.clear();
  layer_ = 0;
  mode_ = simulated_mode_;
  markDirty();
}

void AppController::releaseModel() {
  if (!model_) return;
  model_.reset();
  contributions_shown_ = false;
  causal_ = causal_before_model_;
  built_valid_ = false;
}

bool AppController::loadModel(const std::string& path_or_name) {
  startLoadingModel(path_or_name);
  load_->wait();
  return finishModelLoad();
}

void AppController::startLoadingModel(const std::string& path_or_name) {
  cancelModelLoad();
  load_ = std::make_unique<ModelLoad>(path_or_name, load_observer_);
}

void AppController::freeEndedLoads() {
  // Cancelled loads end on their own threads (at their next step) and are freed once they have.
  abandoned_loads_.erase(std::remove_if(abandoned_loads_.begin(), abandoned_loads_.end(),
                                        [](const std::unique_ptr<ModelLoad>& l) { return l->done(); }),
                         abandoned_loads_.end());
}

void AppController::cancelModelLoad() {
  freeEndedLoads();
  if (!load_) return;
  load_->cancel();
  abandoned_loads_.push_back(std::move(load_));
}

bool AppController::finishModelLoad() {
  freeEndedLoads();
  if (!load_ || !load_->done()) return false;
  const std::unique_ptr<ModelLoad> load = std::move(load_);
  std::unique_ptr<ModelHolder> loaded = load->take();
  if (!loaded) {
    if (!load->cancelled()) error_ = "Could not load: " + load->error();  // what is shown stays
    return false;
  }
  showModel(std::move(loaded));
  return true;
}

void AppController::showModel(std::unique_ptr<ModelHolder> loaded) {
  discardPending();
  if (source_ == Source::Simulated) simulated_mode_ = mode_;
  if (!model_) causal_before_model_ = causal_;
  // The layer and head keep their numbers where the new model has them.
  if (model_) loaded->setLayer(model_->layer());
  model_ = std::move(loaded);
  source_ = Source::Model;
  imported_name_ = model_->name();
  // An encoder-decoder opens on its cross-attention (target rows, source columns).
  mode_ = model_->kind() == model::AttentionKind::cross ? AttentionMode::Cross : AttentionMode::Self;
  causal_ = !model_->isEncoder() && model_->kind() == model::AttentionKind::decoder;
  error_.clear();
  result_.reset();
  summary_.reset();
  shown_own_ = AttentionResult{};
  shown_ = &shown_own_;
  shown_kept_.reset();
  selected_ = 0;
  follow_end_ = true;  // the last token, once the first result is in: where the next-token view looks
  // Until a result is in (a text the model refuses leaves none), the labels are this model's, not
  // the simulated model's "Positional, Syntactic, ..." of the view before.
  head_names_.clear();
  for (int h = 0; h < model_->heads(); ++h) head_names_.push_back(model_->headName(model_->layer(), h));
  query_labels_.clear();
  key_labels_.clear();
  ++result_version_;
  generation_ = 0;
  model_snapshot_.reset();
  // The first forward runs on the model's worker; frames keep coming and the maps appear when it
  // is done. A text the model refuses leaves the model loaded with error() saying why.
  markDirty();
  model_->want(text_, target_);
}

int AppController::layerCount() const { return model_ ? model_->layers() : int(imported_layers_.size()); }

int AppController::layer() const { return model_ ? model_->layer() : layer_; }

void AppController::setLayer(int layer) {
  if (!model_) return setImportedLayer(layer);
  if (model_->setLayer(layer)) markDirty();
}

bool AppController::generate(int count, bool sample, std::uint64_t seed) {
  if (!model_ || count <= 0 || generating()) return false;
  if (model_->isEncoder()) {
    error_ = "Generate: " + model_->facts().config.model_type + " is an encoder: it has no next token to generate";
    return false;
  }
  // The worker appends one token per step from the text on screen; the text follows (pollModel).
  // An encoder-decoder translates: its target grows, from the target typed so far.
  model_->want(text_, target_);
  generation_ = model_->generate(count, sample, seed);
  generation_text_ = model_->isEncoderDecoder() ? target_ : text_;
  // Keep following the end; the selection itself stays a row of the result still on screen
  // until the longer one arrives (the arcs and lists draw it meanwhile).
  if (selected_ == nq() - 1) follow_end_ = true;
  return true;
}

}  // namespace attnviz::ui
