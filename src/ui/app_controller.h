// The window's state and actions, with no ImGui, SDL or GL dependency: panels read this state and
// call these actions; tests drive it directly. Needs no GL context (the compute function given to
// the constructor may need one; the default one runs on the CPU).
//
// Data flow: an edit (text, mode, temperature, ...) marks the problem dirty; recomputeIfDue()
// rebuilds it and runs the engine, throttled so that the newest input wins while typing. A head
// switch does not recompute: it only changes the shown matrix. resultVersion() / displayVersion()
// tell the renderer when to rebuild its textures.
#pragma once

#include <functional>
#include <future>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/attention.h"
#include "core/colormap.h"
#include "core/colour_scale.h"
#include "core/head_selection.h"
#include "core/matrix_summary.h"
#include "core/maths_steps.h"
#include "core/patterns.h"
#include "core/simulated_model.h"
#include "core/stats.h"
#include "model/attention_kind.h"

namespace attnviz::ui {

struct Example {
  AttentionMode mode = AttentionMode::Self;
  std::string text, target;
  std::string title;  // short menu label
};
// The examples from assets/examples/sentences.txt (embedded).
const std::vector<Example>& examples();

class ModelHolder;  // ui/model_holder.h: a real model (src/model) and its overview
class ModelLoad;    // ui/model_load.h: one loading on a thread of its own
}  // namespace attnviz::ui
namespace attnviz::model {
struct ModelSnapshot;  // model/model_worker.h
struct ModelProgress;  // model/model_worker.h
}  // namespace attnviz::model
namespace attnviz::ui {

inline constexpr const char* kDefaultSentence = "The bank by the river was steep.";
inline constexpr float kMinTemperatureUi = 0.05f;
inline constexpr float kMaxTemperatureUi = 10.0f;

struct ComputeOutput {
  AttentionResult result;
  std::string engine;       // the engine that ran
  std::string note;         // e.g. why "auto" fell back; empty when nothing to say
  double compute_ms = 0;    // engine time
};
// Runs `problem` on the engine named `requested` ("auto", "cpu-ref", ...). Throws on failure
// (std::exception::what() is shown to the user).
using ComputeFn = std::function<ComputeOutput(const AttentionProblem& problem, const std::string& requested)>;

// The CPU engines only ("auto" = cpu-fast): what tests and headless callers use.
ComputeOutput computeOnCpu(const AttentionProblem& problem, const std::string& requested);

// Whether the engine named `requested` may run on a worker thread (CPU engines: yes; GPU engines
// need the window's GL context, so they run on the UI thread).
using OffThreadFn = std::function<bool(const std::string& requested)>;

class AppController {
 public:
  explicit AppController(ComputeFn compute = computeOnCpu);
  ~AppController();
  AppController(const AppController&) = delete;
  AppController& operator=(const AppController&) = delete;

  // With this set, recomputeIfDue() runs off-thread-capable engines on a worker: typing never
  // waits for a long input, one job runs at a time and the newest input wins. The compute
  // function must then be safe to call from another thread for those engines.
  void setOffThread(OffThreadFn off_thread) { off_thread_ = std::move(off_thread); }
  bool busy() const { return pending_.valid(); }
  // Waits for a running job and applies it (call before tearing down what the compute function uses).
  void waitForPending();

  // ---- inputs (each marks the problem dirty when it changes something) ----
  void setText(const std::string& text);
  void setTarget(const std::string& target);
  void setMode(AttentionMode mode);
  void setCausal(bool causal);
  void setTemperature(float t);  // clamped to [kMinTemperatureUi, kMaxTemperatureUi]
  void setEngine(const std::string& engine);
  void loadExample(int index);

  // ---- view (no recompute) ----
  void setHead(HeadSelection head);
  // "N" (1-based), a head name, "mean" or "all"; with a real model the CLI's rule instead
  // (parseModelHead: "N" from 0, "L5H1" = layer 5 head 1, which must agree with `layer_asked`,
  // the --layer given apart, when that is >= 0). False and *error when unknown or out of range.
  bool setHeadByName(const std::string& text, std::string* error, int layer_asked = -1);
  void setColormap(Colormap c) { colormap_ = c; }
  // How weights map onto the colormap (linear / auto / row / log); rebuilds the display. Until a
  // scale is set, each result gets defaultColourScale() of its tokens (log for a real model's long
  // maps), and colourScaleNote() says so.
  void setColourScale(ColourScale s);
  bool colourScaleChosen() const { return colour_scale_chosen_; }
  // "chosen for 197 tokens" when the default rule picked a scale other than linear; "" otherwise.
  std::string colourScaleNote() const;
  void selectQuery(int i);      // clamped to the rows
  void moveSelection(int delta);
  void setHoverCell(int row, int col) { hover_row_ = row; hover_col_ = col; }

  // ---- bring your own matrices ----
  // A .npy of probabilities ([h,nq,nk] or [nq,nk]), or a folder / several files holding q.npy and
  // k.npy (optionally v.npy, tokens.txt / queries.txt / keys.txt). On failure the error is set and
  // the previous view stays. Returns whether it loaded.
  bool loadPaths(const std::vector<std::string>& paths);
  // The same for data already in memory (the CLI's --q/--k and --weights): a problem that is
  // computed with this controller's temperature and mask, or probabilities shown as they are.
  // Labels of the wrong length are replaced by numbers. False and error() on a bad problem.
  bool loadProblem(AttentionProblem problem, const std::string& name);
  bool loadWeights(AttentionResult result, const std::vector<std::string>& query_labels,
                   const std::vector<std::string>& key_labels, const std::string& name);
  // Several layers of probabilities ([L, h, nq, nk]): layer 0 is shown, setLayer switches.
  bool loadWeightLayers(std::vector<AttentionResult> layers, const std::vector<std::string>& query_labels,
                        const std::vector<std::string>& key_labels, const std::string& name);
  // Back to the simulated model on the current text (a loaded real model is released).
  void useSimulatedModel();

  // ---- a real model (src/model, held by ui/model_holder.h) ----
  // Loads a model directory or Hugging Face cache name and shows the selected layer on the current
  // text (causal, all heads). On failure error() says why and what was shown stays (the simulated
  // model, imported data or the previous real model). Returns whether it loaded.
  // Blocks until the model is loaded (the command line, decks, tests).
  bool loadModel(const std::string& path_or_name);
  // The same on a thread of its own (the window): what is shown stays, modelLoad() tells how far
  // the load is, and recomputeIfDue() puts the model on screen once it is in (or error() says why
  // not). A newer load, Cancel, the simulated model or an import stops it.
  void startLoadingModel(const std::string& path_or_name);
  const ModelLoad* modelLoad() const { return load_.get(); }  // nullptr when none runs
  bool loadingModel() const { return load_ != nullptr; }
  void cancelModelLoad();
  // For tests: called on the loading thread at each step of every load started after (may block).
  void setModelLoadObserver(std::function<void(const model::ModelProgress&)> observer) { load_observer_ = std::move(observer); }
  bool modelShown() const { return source_ == Source::Model; }
  ModelHolder* model() { return model_.get(); }  // nullptr unless a real model is shown
  const ModelHolder* model() const { return model_.get(); }
  // Layers of what is shown: a real model's, or those of a [L, h, nq, nk] import (0 otherwise).
  int layerCount() const;
  // The layer shown (0-based). Changing it recomputes a model layer's maps, or shows that imported
  // layer keeping head, selection and labels; out-of-range values are clamped.
  int layer() const;
  void setLayer(int layer);
  // Appends `count` tokens predicted by the model to the text (greedy, or sampled with a seed)
  // through the KV cache, one per step on the model's worker: the text and the view follow as
  // each token arrives. False and error() when the model cannot generate (an encoder).
  bool generate(int count, bool sample = false, std::uint64_t seed = 0);
  bool generating() const { return generation_ > 0; }
  // An encoder-decoder (bart, marian, t5) is shown: text() is its source, target() its decoder's
  // input after the start token (typed: teacher forcing; generate() translates into it), and
  // the maps are of one kind of attention: the encoder's (source x source), the decoder's
  // (target x target, causal) or the cross-attention (target rows x source columns, the default).
  bool encoderDecoderShown() const;
  model::AttentionKind attentionKind() const;
  // False when no encoder-decoder is shown or the kind is the shown one.
  bool setAttentionKind(model::AttentionKind kind);
  // Whether the model's worker has work for what is wanted (a forward, maps, a generation...).
  bool modelWorking() const;
  // Stops a generation or a forward; the text goes back to the one whose maps are shown.
  void stopModel();
  // Blocks until the model's worker is idle and its newest result is shown (tests, headless).
  void waitForModel();
  // What the maps hold: attention weights, or a real model's value-weighted contributions
  // (Kobayashi et al. 2020: ||alpha_ij v_j W_O^h||, model/head_ablation.h), each row divided by
  // its sum so that the colour scale compares with the weights. The heatmap, arcs, stats and
  // exports follow; the choice stays when the model goes, but only a real model shows it.
  void setContributionView(bool on);
  bool contributionView() const { return contribution_view_; }
  // Whether contributions are shown now (the choice, and a real model whose norms arrived).
  bool contributionsShown() const { return contributions_shown_; }
  // Why the switch cannot act on what is shown ("" with a real model).
  std::string contributionUnavailableReason() const;
  // Matrices or probabilities from files (not the simulated model, not a real model).
  bool importedData() const { return source_ == Source::ImportedProblem || source_ == Source::ImportedWeights; }
  const std::string& importedName() const { return imported_name_; }

  // ---- scheduling ----
  bool dirty() const { return dirty_; }
  // Recomputes if dirty and the throttle allows (now_s: a monotonic clock in seconds). Returns
  // whether it recomputed.
  bool recomputeIfDue(double now_s);
  void recomputeNow();

  // ---- readouts ----
  const std::string& text() const { return text_; }
  const std::string& target() const { return target_; }
  AttentionMode mode() const { return mode_; }
  bool causal() const { return causal_; }
  // Cross-attention's alignment overlay: each target token linked to its most attended source token.
  void setAlignment(bool on) { alignment_ = on; }
  bool alignment() const { return alignment_; }
  float temperature() const { return temperature_; }
  const std::string& engineRequested() const { return engine_requested_; }
  const std::string& engineUsed() const { return engine_used_; }
  const std::string& engineNote() const { return engine_note_; }
  double computeMs() const { return compute_ms_; }     // engine only
  double recomputeMs() const { return recompute_ms_; } // build problem + engine + stats
  HeadSelection head() const { return head_; }
  Colormap colormap() const { return colormap_; }
  ColourScale colourScale() const { return colour_scale_; }
  // Colormap position (0..1) of weight w in row `row` of head `head` (-1: the shown matrix) under
  // the colour scale: what the heatmap shader computes, for cell texts and legends.
  float colourPosition(int head, int row, float w) const;
  // What the heatmap's prepare pass needs for displayedHeads(): Auto one maximum per panel, Row
  // nq row maxima per panel, empty for Linear and Log (render::DisplayScaling::denominators).
  std::vector<float> displayDenominators() const;
  // Largest weight of the shown matrix (the top of the auto scale's legend).
  float shownMaximum() const { return shown_max_; }
  int selectedQuery() const { return selected_; }
  double selectionChangedAt() const { return selection_time_; }
  void setClock(double now_s) { now_ = now_s; }
  int hoverRow() const { return hover_row_; }
  int hoverCol() const { return hover_col_; }

  bool hasResult() const { return result().heads > 0; }
  const std::string& error() const { return error_; }  // last input/compute error, "" if none
  void clearError() { error_.clear(); }
  const AttentionProblem& problem() const { return problem_ ? *problem_ : kNoProblem; }  // empty for imported weights
  const AttentionResult& result() const { return result_ ? *result_ : kNoResult; }       // all heads
  const AttentionResult& shown() const { return *shown_; }  // one head or the mean (in "all" mode: the mean)
  const MatrixStats& stats() const { return stats_; }
  // The largest weight outside row 0 of a causal map (row 0 has one key: its weight is always 1,
  // so the matrix maximum there says nothing). w < 0 when not causal or a single row.
  using CellMax = attnviz::CellMax;
  const CellMax& maxPastFirstRow() const { return max_past_first_row_; }
  const std::vector<PatternFinding>& patterns() const { return patterns_; }
  // Whether the shown matrix's stats, maxima and patterns are the model worker's summary (nothing
  // was scanned on this thread for the last head or layer switch).
  bool summaryUsed() const { return summary_used_; }
  // A real model's layer shown before the worker's summary of it: stats() and patterns() are
  // empty and maxPastFirstRow() has none until it arrives (the panels say "measuring").
  bool summaryPending() const { return summary_pending_; }
  const std::vector<int>& visibleKeys() const { return visible_keys_; }
  bool isMasked(int row, int col) const;
  // Whether the shown matrix has a causal mask (cells above the diagonal are masked).
  bool causalMaskShown() const { return causal_ && causalApplies(); }
  // The sliding window of the real model's shown layer (its queries see their last `window` keys),
  // 0 when it has none.
  int slidingWindowShown() const;
  // Whether the causal mask / the temperature can act on what is shown; when not, the reason in
  // one line for the control ("" when they apply). Imported probabilities are already softmaxed;
  // cross-attention rows (decoder) and columns (encoder) are different sequences, so "key j <= i"
  // has no meaning there and real encoder-decoder attention has no such mask.
  bool causalApplies() const { return causalUnavailableReason().empty(); }
  std::string causalUnavailableReason() const;
  std::string temperatureUnavailableReason() const;
  bool importedWeights() const { return source_ == Source::ImportedWeights; }
  bool selfAttention() const { return mode_ == AttentionMode::Self; }
  // What the shown maps are: the chosen mode runs ahead of them until the next result lands (a
  // switch from a 64 x 17 cross map to self-attention must not index the keys with a query).
  bool shownSelfAttention() const { return hasResult() ? built_mode_ == AttentionMode::Self : selfAttention(); }
  int heads() const { return result().heads; }
  int nq() const { return result().nq; }
  int nk() const { return result().nk; }
  const std::vector<std::string>& headNames() const { return head_names_; }
  const std::vector<std::string>& queryLabels() const { return query_labels_; }
  const std::vector<std::string>& keyLabels() const { return key_labels_; }
  // The same labels with repeated tokens told apart ("much #12"), for lists, arc titles, tooltips.
  const std::vector<std::string>& queryNames() const;
  const std::vector<std::string>& keyNames() const;
  // The selected row of the shown matrix (nk floats), or of head h.
  const float* selectedRow() const;
  const float* rowOfHead(int h, int row) const;
  // Maths of the selected query for the shown head (head 0 in mean/all mode); nullptr if unavailable.
  const QueryMaths* selectedMaths();
  // Head indices the heatmap shows, one per panel: {h}, {-1} for the mean, {0..heads-1} for all.
  std::vector<int> displayedHeads() const;
  std::string headLabel() const;  // "Syntactic", "mean of 4 heads", "all heads"

  // Bumped on every successful recompute / every change of what the heatmap shows.
  int resultVersion() const { return result_version_; }
  int displayVersion() const { return display_version_; }
  // Whether the last display change should animate (same shape as before).
  bool animateDisplayChange() const { return animate_change_; }

 private:
  enum class Source { Simulated, ImportedProblem, ImportedWeights, Model };
  // A finished load: its model goes on screen, or error() says why not. False when none finished
  // or it failed.
  bool finishModelLoad();
  void freeEndedLoads();
  void showModel(std::unique_ptr<ModelHolder> loaded);
  void markDirty();
  void refreshShown();
  void recompute();
  // A recompute in three steps so that the middle one can run on a worker thread.
  struct Job {
    Source source = Source::Simulated;
    SimulatedInput input;
    bool reuse = false;             // base holds Q/K to reuse (only temperature/mask changed)
    std::shared_ptr<const AttentionProblem> base;  // shared, not copied: a model layer's Q/K/V are megabytes
    std::string engine;
    std::chrono::steady_clock::time_point start;
    std::string input_error;  // the problem could not be built (e.g. a real model refused the text)
    std::shared_ptr<const model::ModelSnapshot> snapshot;  // a real model's: shown with the result
    bool contribution = false;  // turn the weights into row-normalised contributions (the snapshot's norms)
    // The worker's cpu-fast maps of the snapshot's problem: used as they are when the engine is
    // cpu-fast (asked for, or what "auto" runs here) and the temperature and mask are the problem's.
    std::shared_ptr<const AttentionResult> maps;
    std::shared_ptr<const LayerSummary> summary;  // the worker's summary of maps
    std::shared_ptr<const AttentionResult> mean;  // the worker's mean of maps
    std::string maps_note;  // the engine note that stays with them (why "auto" ran cpu-fast)
  };
  struct JobResult {
    std::shared_ptr<const AttentionProblem> problem;
    ComputeOutput out;
    std::string error;  // "" on success
    bool input_error = false;  // the text could not be built (the previous result, if any, stays)
    bool contributions = false;  // result holds contributions, not weights
    std::shared_ptr<const AttentionResult> maps;  // the worker's maps, shown as they are (out.result empty)
    std::shared_ptr<const LayerSummary> summary;  // with maps: their heads' stats, maxima, patterns
    std::shared_ptr<const AttentionResult> mean;  // with maps: the mean of their heads
  };
  Job makeJob();
  // A real model: takes the worker's newer snapshots, follows a generation; whether the newest
  // snapshot holds the current text's maps (then model_snapshot_ is it).
  void pollModel();
  void wantModelText();
  bool refusedNow(const model::ModelSnapshot& s) const;  // the worker refused the text (and target) now wanted
  std::string modelLayerPrefix() const;  // "L5 ", "cross L5 " (an encoder-decoder), "" without a model
  bool modelSnapshotReady();
  void releaseModel();
  static JobResult runJob(const Job& job, const ComputeFn& compute);
  void applyJob(const Job& job, JobResult result);
  void discardPending();

  ComputeFn compute_;
  OffThreadFn off_thread_;
  std::string text_ = kDefaultSentence, target_;
  AttentionMode mode_ = AttentionMode::Self;
  bool causal_ = false;
  bool alignment_ = false;
  bool contribution_view_ = false, contributions_shown_ = false;
  float temperature_ = 1.0f;
  std::string engine_requested_ = "auto", engine_used_, engine_note_;
  double compute_ms_ = 0, recompute_ms_ = 0;
  HeadSelection head_{HeadSelection::Mean, 0};
  Colormap colormap_ = kDefaultColormap;
  ColourScale colour_scale_ = ColourScale::Linear;
  bool colour_scale_chosen_ = false;  // set by a person (or settings, --scale): no default rule
  void applyDefaultColourScale();
  // Maxima for the auto and row scales, refreshed with the shown matrix: of the shown matrix, and
  // of each head ([head] and [head][row]).
  float shown_max_ = 0;
  std::vector<float> shown_row_max_, head_max_, head_row_max_;
  int head_max_version_ = -1;  // result_version_ that head_max_/head_row_max_ were computed for
  // Always a row of result_ (0 when there is none): draw functions index with it as it is.
  int selected_ = 0;
  // A real model's selection moves to the last token when the next result arrives (after a load,
  // or a generate while the last token was selected); until then selected_ stays valid for the
  // result on screen.
  bool follow_end_ = false;
  double selection_time_ = 0, now_ = 0;
  int hover_row_ = -1, hover_col_ = -1;

  Source source_ = Source::Simulated;
  bool showWeights(AttentionResult r, const std::vector<std::string>& ql, const std::vector<std::string>& kl,
                   const std::string& name);
  std::vector<AttentionResult> imported_layers_;  // [L, h, nq, nk] imports; empty otherwise
  void setImportedLayer(int i);  // setLayer for [L, h, nq, nk] imports
  int layer_ = 0;
  std::shared_ptr<const AttentionProblem> imported_problem_;
  std::string imported_name_;
  AttentionMode simulated_mode_ = AttentionMode::Self;  // restored by useSimulatedModel()
  bool causal_before_model_ = false;                     // restored when the real model goes
  std::unique_ptr<ModelHolder> model_;
  std::unique_ptr<ModelLoad> load_;                       // a load running, or done and not yet shown
  std::vector<std::unique_ptr<ModelLoad>> abandoned_loads_;  // cancelled, ending on their threads
  std::function<void(const model::ModelProgress&)> load_observer_;
  std::shared_ptr<const model::ModelSnapshot> model_snapshot_;  // the one the next job is built from
  int generation_ = 0;           // the worker's id of a generation this controller follows (0: none)
  std::string generation_text_;  // the text as the generation last left it

  bool dirty_ = true;
  double dirty_since_ = -1;
  std::string error_;
  static const AttentionProblem kNoProblem;
  static const AttentionResult kNoResult;
  std::shared_ptr<const AttentionProblem> problem_;
  // What problem_'s Q/K were built from: a temperature or mask change reuses them (the features
  // do not depend on either), so dragging the slider costs only the engine.
  std::string built_text_, built_target_;
  AttentionMode built_mode_ = AttentionMode::Self;
  bool built_valid_ = false;
  // Shared with the model worker's snapshot when its maps are shown as they are (never copied).
  std::shared_ptr<const AttentionResult> result_;
  // The shown matrix: shown_own_ (a head copied out, a mean made here) or the summary's mean.
  AttentionResult shown_own_;
  std::shared_ptr<const AttentionResult> shown_kept_;  // the summary's mean while shown_ is it
  const AttentionResult* shown_ = &shown_own_;
  // The worker's summary of result_ (null when result_ is not its maps as they are); refreshShown
  // reads a head's stats, maxima and patterns from it instead of scanning.
  std::shared_ptr<const LayerSummary> summary_;
  std::shared_ptr<const AttentionResult> layer_mean_;  // the worker's mean of result_ (may be null)
  bool summary_used_ = false, summary_pending_ = false;
  // The worker's summary of the shown maps is on its way (they are its maps, shown as they are).
  bool summaryFollows() const;
  // The summary of the shown matrix when it applies to what is shown now (nullptr: compute).
  const MatrixSummary* usableSummary() const;
  MatrixStats stats_;
  CellMax max_past_first_row_;
  std::vector<PatternFinding> patterns_;
  std::vector<int> visible_keys_;
  std::vector<std::string> head_names_, query_labels_, key_labels_;
  mutable std::vector<std::string> query_names_, key_names_;  // distinctTokenNames, made on first use
  mutable int names_version_ = -1;
  QueryMaths maths_;
  int maths_head_ = -1, maths_query_ = -1, maths_version_ = -1;
  int result_version_ = 0, display_version_ = 0;
  bool animate_change_ = false;
  // Declared last: destroyed (joined) first, while everything the job touches still exists.
  Job pending_job_;
  std::future<JobResult> pending_;
};

}  // namespace attnviz::ui
