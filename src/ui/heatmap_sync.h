// Keeps the window's heatmap renderer in step with the controller, once per frame, with at most
// one upload per change: one shown matrix (a head, the mean) has its display made on the CPU and
// uploaded (HeatmapRenderer::prepareHost), so a head switch uploads that head only; the
// all-heads view uploads every head once per result and prepares its panels from them on the GL
// side; a GPU engine's own texture (all heads) is used as it is. Needs the window's GL context.
#pragma once

#include <string>

namespace attnviz::render {
class HeatmapRenderer;
}

namespace attnviz::ui {

class AppController;

class HeatmapSync {
 public:
  struct Step {
    bool uploaded = false, prepared = false;
    std::string error;          // one line when the upload or the prepare failed ("" otherwise)
    bool upload_failed = false;  // the matrix cannot be a texture here (beyond the GL limits)
  };
  // Uploads and prepares what changed since the last call (nothing when nothing did).
  Step update(const AppController& app, render::HeatmapRenderer& heatmap);
  // Why the shown result could not become a texture ("" when it did).
  const std::string& sourceProblem() const { return source_problem_; }

 private:
  int result_version_ = -1, display_version_ = -1;
  // The result version whose every head the renderer's source texture holds (-1: none).
  int uploaded_version_ = -1;
  std::string source_problem_;
};

}  // namespace attnviz::ui
