// AppController's derived views of the shown maps: the shown matrix (a head or the mean), its
// stats, maxima and patterns (the model worker's summary when it applies, scanned here
// otherwise), the colour scale's positions and denominators, labels and names.
#include <algorithm>

#include "core/token_names.h"
#include "ui/app_controller.h"
#include "ui/model_holder.h"

namespace attnviz::ui {

const MatrixSummary* AppController::usableSummary() const {
  const LayerSummary* l = summary_.get();
  const AttentionResult& r = result();
  if (!l || l->heads != r.heads || l->nq != r.nq || l->nk != r.nk) return nullptr;
  const SummaryInputs& in = l->inputs;
  if (in.causal != causalMaskShown() || in.self_attention != (mode_ == AttentionMode::Self && r.nq == r.nk) ||
      in.visible_keys != visible_keys_ || in.key_labels != key_labels_)
    return nullptr;
  if (head_.kind != HeadSelection::Single) return l->mean ? &l->mean_summary : nullptr;  // all heads show the mean's stats
  return head_.index >= 0 && head_.index < l->heads ? &l->head[std::size_t(head_.index)] : nullptr;
}

bool AppController::summaryFollows() const {
  // The maps of a model snapshot, shown as they are: the worker summarises them next (a layer
  // switched to from its kept maps is the worker's shown layer as soon as it hears of it).
  return source_ == Source::Model && model_ && !summary_ && !contributions_shown_ && result_ && head_.kind != HeadSelection::All &&
         model_snapshot_ && model_snapshot_->maps == result_;
}

void AppController::refreshShown() {
  ++display_version_;
  maths_version_ = -1;
  summary_used_ = summary_pending_ = false;
  if (!hasResult()) return;
  const AttentionResult& r = result();
  visible_keys_.assign(std::size_t(r.nq), r.nk);
  if (causalMaskShown())
    for (int i = 0; i < r.nq; ++i) visible_keys_[std::size_t(i)] = std::min(i + 1, r.nk);
  if (const int window = slidingWindowShown(); window > 0)
    for (int i = 0; i < r.nq; ++i) visible_keys_[std::size_t(i)] = std::min(visible_keys_[std::size_t(i)], window);
  // The shown head copied into shown_own_ (its storage reused), or a mean made elsewhere shared.
  const auto show = [&](std::shared_ptr<const AttentionResult> mean) {
    if (head_.kind != HeadSelection::Single && mean) {
      shown_kept_ = std::move(mean);
      shown_ = shown_kept_.get();
      return;
    }
    if (head_.kind != HeadSelection::Single) {
      shown_own_ = meanOverHeads(r);
    } else {
      const std::size_t plane = std::size_t(r.nq) * std::size_t(r.nk), h = std::size_t(head_.index);
      shown_own_.heads = 1;
      shown_own_.nq = r.nq;
      shown_own_.nk = r.nk;
      shown_own_.p.assign(r.p.begin() + std::ptrdiff_t(h * plane), r.p.begin() + std::ptrdiff_t((h + 1) * plane));
      shown_own_.row_fully_masked.assign(r.row_fully_masked.begin() + std::ptrdiff_t(h) * r.nq,
                                         r.row_fully_masked.begin() + std::ptrdiff_t(h + 1) * r.nq);
    }
    shown_ = &shown_own_;
    shown_kept_.reset();
  };
  // The worker summarised every head of its maps (and their mean) once: nothing to scan here.
  const MatrixSummary* sum = usableSummary();
  summary_used_ = sum != nullptr;
  if (!sum && summaryFollows()) {
    // A real model's layer before its summary (the worker makes it next): nothing is scanned here
    // meanwhile (stats, patterns and every head's maxima took 50-120 ms of this thread per layer
    // switch at 1000 tokens); only the shown matrix's maxima, which its colours need.
    summary_pending_ = true;
    show(layer_mean_);
    stats_ = MatrixStats{};
    patterns_.clear();
    max_past_first_row_ = CellMax{};
    shown_row_max_ = rowMaxima(shown_->p.data(), shown_->nq, shown_->nk);
    shown_max_ = 0.0f;
    for (float m : shown_row_max_) shown_max_ = std::max(shown_max_, m);
    head_max_version_ = -1;  // read from the summary once it is in
    head_max_.clear();
    head_row_max_.clear();
    return;
  }
  if (sum) {
    show(summary_->mean);
    stats_ = sum->stats;
    max_past_first_row_ = sum->max_past_first_row;
    shown_max_ = sum->max;
    shown_row_max_ = sum->row_max;
    patterns_ = sum->patterns;
    if (head_max_version_ != result_version_) {
      head_max_version_ = result_version_;
      head_max_.assign(std::size_t(r.heads), 0.0f);
      head_row_max_.assign(std::size_t(r.heads) * std::size_t(r.nq), 0.0f);
      for (int h = 0; h < r.heads; ++h) {
        const MatrixSummary& hs = summary_->head[std::size_t(h)];
        head_max_[std::size_t(h)] = hs.max;
        std::copy(hs.row_max.begin(), hs.row_max.end(), head_row_max_.begin() + std::ptrdiff_t(h) * r.nq);
      }
    }
    return;
  }
  shown_own_ = head_.kind == HeadSelection::Single ? selectHead(r, head_.index) : meanOverHeads(r);
  shown_ = &shown_own_;
  shown_kept_.reset();
  stats_ = computeStats(shown_->p.data(), shown_->nq, shown_->nk, visible_keys_, shown_->row_fully_masked);
  max_past_first_row_ = CellMax{};
  if (causalMaskShown() && shown_->nq > 1)
    for (int i = 1; i < shown_->nq; ++i) {
      const float* row = shown_->row(0, i);
      for (int j = 0; j < std::min(i + 1, shown_->nk); ++j)
        if (row[j] > max_past_first_row_.w) max_past_first_row_ = {row[j], i, j};
    }
  // Every head's maxima depend on the result only: a head switch reuses them (at 1024 tokens and
  // 12 heads rescanning them took most of the switch).
  if (head_max_version_ != result_version_) {
    head_max_version_ = result_version_;
    head_max_.assign(std::size_t(r.heads), 0.0f);
    head_row_max_.assign(std::size_t(r.heads) * std::size_t(r.nq), 0.0f);
    for (int h = 0; h < r.heads; ++h) {
      const std::vector<float> rows = rowMaxima(r.row(h, 0), r.nq, r.nk);
      std::copy(rows.begin(), rows.end(), head_row_max_.begin() + std::ptrdiff_t(h) * r.nq);
      for (float m : rows) head_max_[std::size_t(h)] = std::max(head_max_[std::size_t(h)], m);
    }
  }
  if (head_.kind == HeadSelection::Single) {
    const auto first = head_row_max_.begin() + std::ptrdiff_t(head_.index) * r.nq;
    shown_row_max_.assign(first, first + r.nq);
    shown_max_ = head_max_[std::size_t(head_.index)];
  } else {
    shown_max_ = matrixMaximum(shown_->p.data(), shown_->nq, shown_->nk);
    shown_row_max_ = rowMaxima(shown_->p.data(), shown_->nq, shown_->nk);
  }
  const bool self = mode_ == AttentionMode::Self && shown_->nq == shown_->nk;
  patterns_ = detectPatterns(shown_->p.data(), shown_->nq, shown_->nk, self, key_labels_, visible_keys_);
}

const float* AppController::selectedRow() const {
  if (!hasResult() || selected_ >= shown_->nq) return nullptr;
  return shown_->row(0, selected_);
}

const float* AppController::rowOfHead(int h, int row) const {
  if (!hasResult() || h < 0 || h >= result().heads || row < 0 || row >= result().nq) return nullptr;
  return result().row(h, row);
}

const QueryMaths* AppController::selectedMaths() {
  if (!hasResult() || problem().heads == 0 || problem().nq != result().nq) return nullptr;
  const int h = head_.kind == HeadSelection::Single ? head_.index : 0;
  if (maths_version_ != result_version_ || maths_head_ != h || maths_query_ != selected_) {
    try {
      maths_ = explainQuery(problem(), h, selected_);
    } catch (const std::exception&) {
      return nullptr;
    }
    maths_version_ = result_version_;
    maths_head_ = h;
    maths_query_ = selected_;
  }
  return &maths_;
}

void AppController::setColourScale(ColourScale s) {
  colour_scale_chosen_ = true;
  if (s == colour_scale_) return;
  colour_scale_ = s;
  animate_change_ = false;
  ++display_version_;  // same matrix, new colours: the display is rebuilt, nothing recomputed
}

void AppController::applyDefaultColourScale() {
  if (colour_scale_chosen_) return;
  const ColourScale s = defaultColourScale(result().nq, source_ == Source::Model);
  if (s == colour_scale_) return;
  colour_scale_ = s;
  animate_change_ = false;  // the caller refreshes the display
}

std::string AppController::colourScaleNote() const {
  if (colour_scale_chosen_ || colour_scale_ == ColourScale::Linear || !hasResult()) return "";
  return "chosen for " + std::to_string(result().nq) + " tokens";
}

float AppController::colourPosition(int head, int row, float w) const {
  float denominator = 0.0f;
  const bool one_head = head >= 0 && head < int(head_max_.size());
  if (colour_scale_ == ColourScale::Auto) denominator = one_head ? head_max_[std::size_t(head)] : shown_max_;
  if (colour_scale_ == ColourScale::Row && row >= 0 && row < result().nq) {
    const std::size_t i = std::size_t(row);
    if (one_head && head_row_max_.size() >= std::size_t(head + 1) * std::size_t(result().nq))
      denominator = head_row_max_[std::size_t(head) * std::size_t(result().nq) + i];
    else if (i < shown_row_max_.size())
      denominator = shown_row_max_[i];
  }
  return colourScaleT(colour_scale_, w, denominator);
}

std::vector<float> AppController::displayDenominators() const {
  std::vector<float> out;
  if (colour_scale_ != ColourScale::Auto && colour_scale_ != ColourScale::Row) return out;
  for (int h : displayedHeads()) {
    const bool one_head = h >= 0 && h < int(head_max_.size());
    if (colour_scale_ == ColourScale::Auto) {
      out.push_back(one_head ? head_max_[std::size_t(h)] : shown_max_);
    } else if (one_head) {
      const auto first = head_row_max_.begin() + std::ptrdiff_t(h) * result().nq;
      out.insert(out.end(), first, first + result().nq);
    } else {
      out.insert(out.end(), shown_row_max_.begin(), shown_row_max_.end());
    }
  }
  return out;
}

std::vector<int> AppController::displayedHeads() const {
  switch (head_.kind) {
    case HeadSelection::Single: return {head_.index};
    case HeadSelection::Mean: return {-1};
    case HeadSelection::All: {
      std::vector<int> all;
      for (int h = 0; h < result().heads; ++h) all.push_back(h);
      return all;
    }
  }
  return {-1};
}

std::string AppController::modelLayerPrefix() const {
  if (!model_) return "";
  return (model_->isEncoderDecoder() ? std::string(model::attentionKindPrefix(model_->kind())) + " " : std::string()) + "L" +
         std::to_string(model_->layer()) + " ";
}

std::string AppController::headLabel() const {
  switch (head_.kind) {
    case HeadSelection::Single:
      return head_.index < int(head_names_.size()) ? head_names_[std::size_t(head_.index)] : "head";
    case HeadSelection::Mean:
      return modelLayerPrefix() +
             (result().heads > 0 ? "mean of " + std::to_string(result().heads) + " heads" : "mean of the heads");
    case HeadSelection::All: return modelLayerPrefix() + "all heads";
  }
  return "";
}

const std::vector<std::string>& AppController::queryNames() const {
  if (names_version_ != result_version_) {
    query_names_ = distinctTokenNames(query_labels_);
    key_names_ = distinctTokenNames(key_labels_);
    names_version_ = result_version_;
  }
  return query_names_;
}

const std::vector<std::string>& AppController::keyNames() const {
  queryNames();
  return key_names_;
}

}  // namespace attnviz::ui
