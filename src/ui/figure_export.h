// Figures of the app's views for slides and papers, drawn by the app's own panels (the same
// heatmap shader, labels, legend and arcs), offscreen: a private ImGui context at the figure's
// size and scale (fonts rasterised by FreeType at that size, not scaled bitmaps) renders into a
// framebuffer of W x H pixels, which may be larger than any window (4K from a laptop). Plus the
// vector (SVG) and text (CSV/JSON, the `attnviz dump` schema) exports of what the app shows.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/export.h"
#include "core/svg_figure.h"
#include "render/heatmap_renderer.h"
#include "ui/app_controller.h"
#include "ui/ui_context.h"

namespace attnviz::ui {

struct FigureRequest {
  int width = 1600, height = 900;   // pixels
  bool light = true;                // light (projector, paper) or dark theme
  FigureView view = FigureView::Both;
  std::string title;                // optional heading
  float scale = 0;                  // UI scale of the figure; 0 = from the size (1.25 at 1600 x 900)
};

// What the window's maps hold in the contribution view: a figure's subtitle, and the definition
// the JSON export writes as values_definition (the same words as `attnviz dump --contribution`).
inline constexpr const char* kContributionCaption = "weight \xC3\x97 \xE2\x80\x96value\xE2\x80\x96 contributions, rows normalised";
inline constexpr const char* kContributionDefinition =
    "value-weighted attention (Kobayashi et al. 2020): ||alpha_ij * v_j W_O^h||, the size of what query i receives "
    "from key j through this head (b_O excluded), each row divided by its sum";

// The scale a figure of this size uses when FigureRequest::scale is 0.
float figureScale(int width, int height);

// The colour scale of what the controller shows, for HeatmapRenderer::prepare.
render::DisplayScaling displayScalingFor(const AppController& app);

// Uploads the controller's result to `heatmap` and prepares what it shows (no animation). Needs a
// current GL context; false and *error on GL failure.
bool prepareHeatmapFor(const AppController& app, render::HeatmapRenderer& heatmap, std::string* error);

// Draws the figure and reads it back: rgba gets width*height*4 bytes, rows top to bottom.
// Needs a current GL 3.3 core context with glad loaded, `heatmap` initialised and prepared for the
// controller's result (prepareHeatmapFor, or the window's own renderer). The ImGui context that
// was current before is current again afterwards, with its theme colours. False and *error (one
// line) when the size exceeds the GL limits or the framebuffer cannot be made.
bool renderFigureRgba(AppController& app, render::HeatmapRenderer& heatmap, const FigureRequest& request,
                      std::vector<std::uint8_t>* rgba, std::string* error);
bool writeFigurePng(AppController& app, render::HeatmapRenderer& heatmap, const FigureRequest& request,
                    const std::string& path, std::string* error);

// One line saying what a figure shows: "Semantic head · T = 0.50 · causal mask · simulated model"
// (the source is the imported file's name for imported data). all_as_mean: the figure shows the
// mean where the window shows all heads (SVG).
std::string figureDescription(const AppController& app, bool all_as_mean = false);

// The vector figure of what the controller shows (the mean in all-heads mode).
FigureSpec svgSpecFor(const AppController& app, const FigureRequest& request);
// What `attnviz dump` writes for the same input and head selection (--head all: every head and
// the mean; mean: the mean; one head: that head), and the CSV of the shown matrix.
DumpDocument dumpDocumentFor(const AppController& app);
std::string csvFor(const AppController& app);

// Performs ui.exporting (the files it asks for, named folder/name.{png,svg,csv,json}) and sets
// its status line. Needs the window's GL context current (for PNG).
void performExport(UiContext& ui);

}  // namespace attnviz::ui
