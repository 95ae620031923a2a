// What every panel gets: the controller (state + actions), the GL renderers it may draw through,
// fonts, the clock, and the small view state that belongs to the panels (zoom/pan). Panels only
// read state and call actions; they hold no attention data of their own.
#pragma once

#include <string>
#include <vector>

#include <imgui.h>

#include "render/heatmap_renderer.h"
#include "ui/app_controller.h"

namespace attnviz::ui {

struct HeatmapViewState {
  // Top-left visible cell (keys x, queries y) and cells per screen pixel; fit == true follows the
  // panel size (the whole matrix, square cells).
  float x0 = 0, y0 = 0, cpp = 1;
  float aspect = 1;  // cell height / cell width on screen (up to 1.35 either way, to fill the panel)
  bool fit = true;
  int nq = 0, nk = 0;  // shape the view was made for
  bool dragging = false;
};

struct UiFonts {
  ImFont* body = nullptr;
  ImFont* small = nullptr;
  ImFont* large = nullptr;  // stats numbers
  ImFont* mono = nullptr;   // numbers in tables
};

struct UiContext {
  AppController* app = nullptr;
  render::HeatmapRenderer* heatmap = nullptr;
  UiFonts fonts;
  double time_s = 0;           // monotonic clock
  double display_changed_at = -10;  // when the heatmap's matrix last changed (for the blend)
  float scale = 1.0f;          // UI scale (HiDPI)
  HeatmapViewState view;
  int label_hover_row = -1, label_hover_col = -1;  // hovered cell of the last frame
  std::string npy_path;        // the "open" box
  std::string initial_tab;     // "patterns" / "explain": selected on the first frame
  // Screen rectangles of the last frame, for tests and the e2e script (logged with --debug-layout).
  ImVec4 heatmap_rect{0, 0, 0, 0};
  ImVec4 arcs_rect{0, 0, 0, 0};
  ImVec4 row_labels_rect{0, 0, 0, 0};
  ImVec4 text_box_rect{0, 0, 0, 0};
  // Panel rectangles of this frame (screen pixels, clipped to what is visible). The window clears
  // them to the panel colour before ImGui draws: a scissored clear is nearly free on a software
  // rasteriser, where blending a full-window background costs several milliseconds.
  std::vector<ImVec4> panel_rects;
};

// Colour of panel interiors (cleared, not painted by ImGui) and of the window behind them.
inline const ImVec4 kPanelColor{0.105f, 0.114f, 0.137f, 1.0f};
inline const ImVec4 kWindowColor{0.075f, 0.082f, 0.098f, 1.0f};
// BeginChild with a border, recorded in ui.panel_rects; end it with ImGui::EndChild().
bool beginPanel(UiContext& ui, const char* id, ImVec2 size, ImGuiWindowFlags flags = 0);

// Panels (one file each).
void drawInputPanel(UiContext& ui);
void drawStatsRow(UiContext& ui);
void drawHeatmapPanel(UiContext& ui);
void drawArcsPanel(UiContext& ui);
void drawTopAttentionPanel(UiContext& ui);
void drawPatternsPanel(UiContext& ui);
void drawExplanationPanel(UiContext& ui);
// The whole window: arranges the panels to the viewport.
void drawMainLayout(UiContext& ui);

// Theme and fonts (theme.cpp): DejaVu through the FreeType builder at `scale`, with fallback fonts
// merged behind it where the system has them. `extra`: code points the texts use beyond the
// built-in ranges (ImGui 1.86 rasterises glyphs up front, so the atlas is rebuilt when new ones
// appear). Call outside a frame; the renderer's font texture must be recreated afterwards.
UiFonts loadFonts(float scale, const std::u32string& extra = {});
void applyTheme(float scale);

// Small drawing helpers shared by the panels (widgets.cpp).
ImU32 colormapColor(Colormap c, float t, float alpha = 1.0f);
ImU32 textColorOn(Colormap c, float t);  // black or white, whichever reads on that cell colour
std::string elide(const std::string& text, float max_width);
// Text reading upwards whose baseline side ends at `bottom_left`: it covers x in
// [bottom_left.x - font height, bottom_left.x] and y in [bottom_left.y - text width, bottom_left.y].
void addTextRotated90(ImDrawList* dl, ImVec2 bottom_left, ImU32 col, const char* text);
ImU32 headColor(int head, float alpha = 1.0f);  // Okabe-Ito palette (colour-blind safe)
void sectionTitle(const char* text);
ImU32 accentColor(float alpha = 1.0f);

}  // namespace attnviz::ui
