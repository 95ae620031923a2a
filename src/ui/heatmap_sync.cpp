#include "ui/heatmap_sync.h"

#include <vector>

#include "render/heatmap_renderer.h"
#include "ui/app_controller.h"
#include "ui/figure_export.h"

namespace attnviz::ui {

HeatmapSync::Step HeatmapSync::update(const AppController& app, render::HeatmapRenderer& heatmap) {
  Step step;
  if (app.resultVersion() != result_version_) {
    result_version_ = app.resultVersion();
    display_version_ = -1;
    source_problem_.clear();
  }
  if (!app.hasResult() || app.displayVersion() == display_version_) return step;
  display_version_ = app.displayVersion();
  const std::vector<int> layers = app.displayedHeads();
  // GPU engines left P, every head, in their texture (the compute function pointed the heatmap at it).
  const bool engine_texture = app.engineUsed() == "gpu-compute" || app.engineUsed() == "gpu-fragment";
  std::string error;
  if (!engine_texture && layers.size() == 1) {
    // One matrix (a head, the mean): its display made here from the host copy and uploaded, once.
    uploaded_version_ = -1;  // the renderer's source is not kept
    const AttentionResult& m = app.shown();
    step.prepared = heatmap.prepareHost(m.p.data(), m.nq, m.nk, app.causalMaskShown(), app.slidingWindowShown(),
                                        app.animateDisplayChange(), &error, displayScalingFor(app));
    step.uploaded = step.prepared;
    if (!step.prepared) {
      source_problem_ = step.error = error.empty() ? "the heatmap could not be prepared" : error;
      step.upload_failed = !render::HeatmapRenderer::textureLimitProblem(m.nq, m.nk, 1).empty();
    }
    return step;
  }
  if (engine_texture) {
    uploaded_version_ = -1;
  } else if (uploaded_version_ != result_version_) {
    // All heads side by side: every head once per result, each panel prepared from it.
    if (!heatmap.uploadSource(app.result(), &error)) {
      source_problem_ = step.error = error;
      step.upload_failed = true;
      return step;
    }
    step.uploaded = true;
    uploaded_version_ = result_version_;
  }
  // Without an uploaded matrix there is nothing to prepare; its problem was already reported.
  if (!source_problem_.empty()) return step;
  step.prepared = heatmap.prepare(layers, app.causalMaskShown(), app.animateDisplayChange(), &error, displayScalingFor(app),
                                  app.slidingWindowShown());
  if (!step.prepared) step.error = error.empty() ? "the heatmap could not be prepared" : error;
  return step;
}

}  // namespace attnviz::ui
