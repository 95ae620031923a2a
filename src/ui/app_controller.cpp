// AppController: what is shown and how (text, mode, heads, selection, temperature, the colour
// scale), the recompute that turns it into maps, and the derived views; where the maps come from
// (the simulated model, imported files, a real model's worker) is app_controller_sources.cpp.
#include "ui/app_controller.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <sstream>
#include <stdexcept>

#include "core/cpu_fast.h"
#include "core/embedded.h"
#include "core/token_names.h"
#include "ui/model_holder.h"
#include "ui/model_load.h"

namespace attnviz::ui {
namespace {

double wallMs(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since).count();
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// Beginning and end of a long sentence ("The animal didn't cross... it was too wide."), so examples
// that differ only at the end stay distinguishable. Cuts on spaces, never inside a UTF-8 sequence.
std::string shortTitle(const std::string& s) {
  if (s.size() <= 50) return s;
  std::size_t head = s.rfind(' ', 28);
  if (head == std::string::npos || head < 12) head = 28;
  std::size_t tail = s.find(' ', s.size() - 20);
  if (tail == std::string::npos) tail = s.size() - 20;
  while (head > 0 && (static_cast<unsigned char>(s[head]) & 0xC0) == 0x80) --head;
  while (tail < s.size() && (static_cast<unsigned char>(s[tail]) & 0xC0) == 0x80) ++tail;
  return s.substr(0, head) + " \xE2\x80\xA6" + s.substr(tail);
}

}  // namespace

const std::vector<Example>& examples() {
  static const std::vector<Example> list = [] {
    std::vector<Example> out;
    const auto text = embedded_assets::find("examples/sentences.txt");
    if (!text) return out;
    std::istringstream in{std::string(*text)};
    std::string line;
    while (std::getline(in, line)) {
      line = trim(line);
      if (line.empty() || line[0] == '#') continue;
      const auto bar = line.find('|');
      if (bar == std::string::npos) continue;
      Example e;
      const std::string kind = trim(line.substr(0, bar));
      const std::string rest = trim(line.substr(bar + 1));
      if (kind == "cross") {
        const auto arrow = rest.find("=>");
        if (arrow == std::string::npos) continue;
        e.mode = AttentionMode::Cross;
        e.text = trim(rest.substr(0, arrow));
        e.target = trim(rest.substr(arrow + 2));
        e.title = "Cross: " + shortTitle(e.text) + " \xE2\x86\x92 " + shortTitle(e.target);
      } else {
        e.text = rest;
        e.title = shortTitle(rest);
      }
      out.push_back(e);
    }
    return out;
  }();
  return list;
}

ComputeOutput computeOnCpu(const AttentionProblem& problem, const std::string& requested) {
  ComputeOutput out;
  const auto t0 = std::chrono::steady_clock::now();
  if (requested == "cpu-ref") {
    out.result = computeReference(problem);
    out.engine = "cpu-ref";
  } else {
    out.result = computeFast(problem);
    out.engine = "cpu-fast";
    if (requested != "cpu-fast" && requested != "auto") out.note = requested + " needs a GL context; ran cpu-fast";
  }
  out.compute_ms = wallMs(t0);
  return out;
}

const AttentionProblem AppController::kNoProblem{};
const AttentionResult AppController::kNoResult{};

AppController::AppController(ComputeFn compute) : compute_(std::move(compute)) {
  if (!compute_) compute_ = computeOnCpu;
}

void AppController::markDirty() {
  if (!dirty_) dirty_since_ = -1;
  dirty_ = true;
}

void AppController::setText(const std::string& text) {
  if (text == text_) return;
  text_ = text;
  if (source_ == Source::Simulated || source_ == Source::Model) markDirty();
}
void AppController::setTarget(const std::string& target) {
  if (target == target_) return;
  target_ = target;
  if ((source_ == Source::Simulated && mode_ == AttentionMode::Cross) || (source_ == Source::Model && model_->isEncoderDecoder()))
    markDirty();
}

bool AppController::encoderDecoderShown() const { return source_ == Source::Model && model_ && model_->isEncoderDecoder(); }

model::AttentionKind AppController::attentionKind() const {
  return model_ ? model_->kind() : mode_ == AttentionMode::Cross ? model::AttentionKind::cross : model::AttentionKind::decoder;
}

bool AppController::setAttentionKind(model::AttentionKind kind) {
  if (!encoderDecoderShown()) return false;
  if (!model_->setKind(kind)) return false;
  // The decoder's self-attention is causal; the encoder's and the cross-attention have no mask.
  mode_ = kind == model::AttentionKind::cross ? AttentionMode::Cross : AttentionMode::Self;
  causal_ = kind == model::AttentionKind::decoder;
  follow_end_ = true;
  markDirty();
  return true;
}
void AppController::setMode(AttentionMode mode) {
  if (mode == mode_ || source_ == Source::Model) return;  // a decoder-only model attends to itself
  mode_ = mode;
  if (mode_ == AttentionMode::Cross && trim(target_).empty()) {
    // A sensible first target: the translation pair from the examples.
    for (const Example& e : examples())
      if (e.mode == AttentionMode::Cross) {
        text_ = e.text;
        target_ = e.target;
        break;
      }
  }
  if (source_ == Source::Simulated) markDirty();
}
void AppController::setCausal(bool causal) {
  if (causal == causal_ || source_ == Source::Model) return;  // the model was trained with its own mask (or none)
  causal_ = causal;
  if (causalApplies()) markDirty();
}

std::string AppController::causalUnavailableReason() const {
  if (source_ == Source::ImportedWeights) return "imported probabilities are already computed: a mask cannot change them";
  if (source_ == Source::Model && model_ && model_->isEncoder())
    return model_->facts().config.model_type + " is an encoder: every token attends to every other, as it was trained (no causal mask)";
  if (mode_ == AttentionMode::Cross)
    return "cross-attention has no causal mask: target rows and source columns are different sequences";
  return "";
}

void AppController::setContributionView(bool on) {
  if (on == contribution_view_) return;
  contribution_view_ = on;
  if (source_ == Source::Model) markDirty();
}

std::string AppController::contributionUnavailableReason() const {
  if (source_ == Source::Model) return "";
  if (source_ == Source::Simulated)
    return "the simulated model has no value vectors or output projection: load a real model (Model, above)";
  return "imported matrices have no output projection W_O: contributions need a real model";
}

std::string AppController::temperatureUnavailableReason() const {
  if (source_ == Source::ImportedWeights) return "imported probabilities are already softmaxed: temperature cannot change them";
  return "";
}
void AppController::setTemperature(float t) {
  t = std::clamp(t, kMinTemperatureUi, kMaxTemperatureUi);
  if (t == temperature_) return;
  temperature_ = t;
  if (source_ != Source::ImportedWeights) markDirty();
}
void AppController::setEngine(const std::string& engine) {
  if (engine == engine_requested_) return;
  engine_requested_ = engine;
  if (source_ != Source::ImportedWeights) markDirty();
}
void AppController::loadExample(int index) {
  const auto& list = examples();
  if (index < 0 || index >= int(list.size())) return;
  if (source_ == Source::Model) {
    // An example sentence goes to the real model; an encoder-decoder takes a translation pair as
    // source and (teacher-forced) target; other models leave pairs to the simulated one.
    const Example& e = list[std::size_t(index)];
    if (e.mode == AttentionMode::Self || model_->isEncoderDecoder()) {
      text_ = e.text;
      if (model_->isEncoderDecoder() && e.mode == AttentionMode::Cross) target_ = e.target;
      markDirty();
      return;
    }
    releaseModel();
  }
  source_ = Source::Simulated;
  const Example& e = list[std::size_t(index)];
  mode_ = e.mode;
  text_ = e.text;
  target_ = e.target;
  markDirty();
}

void AppController::setHead(HeadSelection head) {
  if (head.kind == HeadSelection::Single && hasResult()) head.index = std::clamp(head.index, 0, result().heads - 1);
  if (head.kind == head_.kind && head.index == head_.index) return;
  head_ = head;
  if (hasResult()) {
    animate_change_ = true;
    refreshShown();
  }
}

bool AppController::setHeadByName(const std::string& text, std::string* error, int layer_asked) {
  if (model_) {
    // The rule `dump` and `render` follow (core/head_selection.h): heads from 0, "L5H1" naming
    // the same layer as --layer, nothing clamped silently.
    try {
      const ModelHeadChoice c = parseModelHead(text, layer_asked, model_->layers(), model_->heads());
      if (c.layer >= 0) setLayer(c.layer);
      head_ = c.head;
      if (hasResult() && !dirty_) refreshShown();
      return true;
    } catch (const std::invalid_argument& e) {
      if (error) *error = e.what();
      return false;
    }
  }
  int named_layer = 0, named_head = 0;
  if (parseLayerHeadName(text, &named_layer, &named_head)) {
    if (error) *error = "'" + text + "' names a layer and head of a real model; open one with --model";
    return false;
  }
  std::vector<std::string> names = head_names_;
  if (names.empty()) names = mode_ == AttentionMode::Cross ? crossHeadNames() : selfHeadNames();
  try {
    setHead(parseHeadSelection(text, names));
    return true;
  } catch (const std::invalid_argument& e) {
    if (error) *error = e.what();
    return false;
  }
}

void AppController::selectQuery(int i) {
  const int n = std::max(result().nq, 1);
  i = std::clamp(i, 0, n - 1);
  if (i == selected_) return;
  selected_ = i;
  follow_end_ = false;  // a person chose a token: stay there
  selection_time_ = now_;
}

void AppController::moveSelection(int delta) { selectQuery(selected_ + delta); }

int AppController::slidingWindowShown() const {
  if (source_ != Source::Model || !model_ || model_->isEncoderDecoder() || model_->isEncoder()) return 0;
  return model_->facts().config.windowOf(layer());
}

bool AppController::isMasked(int row, int col) const {
  if (row < 0 || col < 0 || row >= result().nq || col >= result().nk) return false;
  if (causalMaskShown() && col > row) return true;
  const int window = slidingWindowShown();
  return window > 0 && col <= row - window;
}

bool AppController::recomputeIfDue(double now_s) {
  now_ = now_s;
  bool applied = false;
  if (load_ || !abandoned_loads_.empty()) finishModelLoad();
  if (model_) pollModel();
  if (pending_.valid()) {
    if (pending_.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return false;
    applyJob(pending_job_, pending_.get());
    applied = true;
  }
  if (!dirty_) return applied;
  // A model loading before anything was shown (the launch's --model): the simulated model's
  // heads would only stand in for it under the wrong names.
  if (source_ == Source::Simulated && load_ && !hasResult()) return applied;
  // A real model's forward runs on its worker: wait (drawing frames) until its snapshot is in.
  if (source_ == Source::Model && !modelSnapshotReady()) return applied;
  if (dirty_since_ < 0) dirty_since_ = now_s;
  const bool off_thread = off_thread_ && source_ != Source::ImportedWeights && off_thread_(engine_requested_);
  // On the UI thread, slow recomputes wait until the input has been still for a moment, so typing
  // stays fluid and only the newest text is computed. On a worker nothing waits: one job runs at a
  // time and edits made meanwhile are picked up by the next one.
  const double quiet_s = !off_thread && recompute_ms_ > 30.0 ? std::min(0.25, recompute_ms_ / 1000.0) : 0.0;
  if (now_s - dirty_since_ < quiet_s) return applied;
  if (off_thread) {
    dirty_ = false;
    dirty_since_ = -1;
    pending_job_ = makeJob();
    // By reference (not written until the job is applied): a model layer's Q/K/V are megabytes.
    pending_ = std::async(std::launch::async, runJob, std::cref(pending_job_), compute_);
    // Small inputs finish within a few milliseconds: show them in this very frame.
    if (pending_.wait_for(std::chrono::milliseconds(4)) == std::future_status::ready) {
      applyJob(pending_job_, pending_.get());
      return true;
    }
    return applied;
  }
  recompute();
  return true;
}

void AppController::recomputeNow() {
  waitForPending();
  if (source_ == Source::Model && model_) {
    if (generating()) {  // its last token first: the text follows it
      model_->worker().waitIdle();
      pollModel();
    }
    wantModelText();
    model_->worker().waitFor([&](const model::ModelSnapshot& s) { return model_->ready(s, text_, target_) || refusedNow(s); });
    if (!modelSnapshotReady()) return;
  }
  recompute();
}

void AppController::waitForPending() {
  if (pending_.valid()) applyJob(pending_job_, pending_.get());
}

void AppController::discardPending() {
  if (pending_.valid()) pending_.get();
}

AppController::~AppController() { discardPending(); }

void AppController::recompute() {
  dirty_ = false;
  dirty_since_ = -1;
  if (source_ == Source::ImportedWeights) return;
  const Job job = makeJob();
  applyJob(job, runJob(job, compute_));
}

AppController::Job AppController::makeJob() {
  Job job;
  job.source = source_;
  job.engine = engine_requested_;
  job.start = std::chrono::steady_clock::now();
  job.input.text = text_;
  job.input.target = target_;
  job.input.mode = mode_;
  job.input.causal = causalMaskShown();
  job.input.temperature = temperature_;
  if (source_ == Source::Simulated && built_valid_ && built_text_ == text_ && built_mode_ == mode_ &&
      (mode_ == AttentionMode::Self || built_target_ == target_)) {
    job.reuse = true;
    job.base = problem_;
  } else if (source_ == Source::ImportedProblem) {
    job.reuse = true;
    job.base = imported_problem_;
  } else if (source_ == Source::Model) {
    // The model's worker ran the forward (modelSnapshotReady found its snapshot); the job gets
    // the layer's Q/K/V and the engine may run on the controller's worker.
    job.input.causal = !model_->isEncoder() && model_->kind() == model::AttentionKind::decoder;
    job.reuse = true;
    job.snapshot = model_snapshot_;
    job.contribution = contribution_view_;
    if (model_snapshot_ && model_snapshot_->problem) {
      job.base = model_snapshot_->problem;
      const bool cpu_fast = engine_requested_ == "cpu-fast" || (engine_requested_ == "auto" && off_thread_ && off_thread_("auto"));
      if (cpu_fast) {
        job.maps = model_snapshot_->maps;
        job.summary = model_snapshot_->summary;
        job.mean = model_snapshot_->mean;
      }
      if (engine_used_ == "cpu-fast") job.maps_note = engine_note_;
    } else
      job.input_error = "the model's maps are not ready";
  }
  return job;
}

AppController::JobResult AppController::runJob(const Job& job, const ComputeFn& compute) {
  JobResult r;
  if (!job.input_error.empty()) {
    r.error = "Input: " + job.input_error;
    r.input_error = true;
    return r;
  }
  try {
    if (job.reuse && job.base) {
      // A model's own mask (a sliding window's, custom) stays; the checkbox decides the others.
      const MaskKind mask = job.source == Source::Model && job.base->mask == MaskKind::Custom
                                ? MaskKind::Custom
                                : job.input.causal ? MaskKind::Causal : MaskKind::None;
      if (job.base->temperature == job.input.temperature && job.base->mask == mask) {
        r.problem = job.base;  // unchanged: shared
      } else {
        auto changed = std::make_shared<AttentionProblem>(*job.base);
        changed->temperature = job.input.temperature;
        changed->mask = mask;
        r.problem = std::move(changed);
      }
    } else {
      r.problem = std::make_shared<const AttentionProblem>(buildSimulatedProblem(job.input));
    }
  } catch (const std::exception& e) {
    r.error = std::string("Input: ") + e.what();
    r.input_error = true;
    return r;
  }
  try {
    if (job.maps && r.problem == job.base) {
      // A layer the worker computed (or kept): nothing to run here, and shown as it is (shared
      // with the snapshot, with the worker's summary), unless contributions are made of it here.
      if (job.contribution) {
        r.out.result = *job.maps;
      } else {
        r.maps = job.maps;
        r.summary = job.summary;
        r.mean = job.mean;
      }
      r.out.engine = "cpu-fast";
      r.out.note = job.maps_note;
    } else {
      r.out = compute(*r.problem, job.engine);
    }
  } catch (const std::exception& e) {
    r.error = "Engine " + job.engine + ": " + e.what();
    return r;
  }
  // Value-weighted contributions: the weights' columns times ||v_j W_O^h||, rows renormalised.
  const model::ModelSnapshot* snap = job.snapshot.get();
  AttentionResult& res = r.out.result;
  if (job.contribution && snap && snap->value_norms &&
      snap->value_norms->size() == std::size_t(res.heads) * std::size_t(res.nk)) {
    const std::size_t nk = std::size_t(res.nk), cells = std::size_t(res.nq) * nk;
    for (int h = 0; h < res.heads; ++h) {
      const std::vector<float> norms(snap->value_norms->begin() + std::ptrdiff_t(h * nk),
                                     snap->value_norms->begin() + std::ptrdiff_t((h + 1) * nk));
      const std::vector<float> c = model::contributionsOfWeights(res.head(h), res.nq, res.nk, norms, true);
      std::copy(c.begin(), c.end(), res.p.begin() + std::ptrdiff_t(h * cells));
    }
    r.contributions = true;
  }
  return r;
}

void AppController::applyJob(const Job& job, JobResult r) {
  if (job.source != source_) return;  // the data source changed meanwhile: stale
  if (job.source == Source::Model && model_ && r.error.empty()) model_->adopt(job.snapshot);
  if (!r.error.empty()) {
    error_ = r.error + (r.input_error && hasResult() ? " (showing the previous result)" : "");
    return;
  }
  error_.clear();
  built_valid_ = job.source == Source::Simulated;
  built_text_ = job.input.text;
  built_target_ = job.input.target;
  built_mode_ = job.input.mode;
  ComputeOutput& out = r.out;
  const AttentionResult& fresh = r.maps ? *r.maps : out.result;
  const bool same_shape = fresh.heads == result().heads && fresh.nq == result().nq && fresh.nk == result().nk;
  // With a real model the selection follows the end of the text (the next-token view's position)
  // while it was on the last token: typing and generating keep the newest token selected.
  const bool follow_end =
      job.source == Source::Model && (follow_end_ || result().nq == 0 || selected_ == result().nq - 1);
  follow_end_ = false;
  problem_ = std::move(r.problem);
  if (r.maps) result_ = std::move(r.maps);
  else result_ = std::make_shared<const AttentionResult>(std::move(out.result));
  summary_ = std::move(r.summary);
  layer_mean_ = std::move(r.mean);
  contributions_shown_ = r.contributions;
  engine_used_ = out.engine;
  engine_note_ = out.note;
  compute_ms_ = out.compute_ms;
  head_names_ = problem_->head_names;
  query_labels_ = problem_->query_labels;
  key_labels_ = problem_->key_labels;
  if (int(head_names_.size()) != result().heads) {
    head_names_.clear();
    for (int h = 0; h < result().heads; ++h) head_names_.push_back("head " + std::to_string(h + 1));
  }
  if (int(query_labels_.size()) != result().nq) query_labels_ = numberedLabels(result().nq);
  if (int(key_labels_.size()) != result().nk) key_labels_ = numberedLabels(result().nk);
  if (head_.kind == HeadSelection::Single && head_.index >= result().heads) head_ = {HeadSelection::Mean, 0};
  if (selected_ >= result().nq || follow_end) selected_ = std::max(result().nq - 1, 0);
  ++result_version_;
  animate_change_ = same_shape;
  applyDefaultColourScale();
  refreshShown();
  recompute_ms_ = wallMs(job.start);
}

}  // namespace attnviz::ui
