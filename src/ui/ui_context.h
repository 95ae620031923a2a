// What every panel gets: the controller (state + actions), the GL renderers it may draw through,
// fonts, the clock, and the small view state that belongs to the panels (zoom/pan). Panels only
// read state and call actions; they hold no attention data of their own.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <imgui.h>

#include "core/svg_figure.h"

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
  ImFont* caption = nullptr;  // deck captions (presentation)
};

class DeckPlayer;  // ui/deck_player.h
struct BenchPanelState;  // ui/panel_bench.cpp
struct ModelPanelState;  // ui/panel_model.cpp: picker, model view textures, generate

// What the main picture slot shows. With a real model: its layers x heads grid or its rollout
// instead of the selected head's heatmap.
enum class MainView { Heatmap, ModelGrid, Rollout };

// The Export tab's choices; the window performs a request between frames (it needs the GL
// context and the heatmap renderer), see ui/figure_export.h.
struct ExportSettings {
  std::string folder = ".";  // the window sets it to the remembered folder or defaultExportFolder()
  std::string name = "attnviz-figure";
  std::string saved_folder;  // absolute folder of the last export that wrote files (kept in the settings)
  FigureView view = FigureView::Both;
  int width = 1920, height = 1080;
  bool light = true;
  bool png = true, svg = true, csv = true, json = true;
  bool requested = false;
  std::string status;  // where the last export went, or why it failed
  bool status_ok = true;
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
  // Arc percentage tags placed this frame (never overlapping; --debug-layout prints them) and how
  // many had no free spot (their arcs name themselves on hover).
  std::vector<ImVec4> arc_label_rects;
  // The info tab strip (layout.cpp): which tab is open, and each tab's button with the width of
  // its name, so a test can check that every name is whole and on screen.
  int info_tab = 0;
  struct TabRect {
    std::string label;
    ImVec4 rect;
    float text_w = 0;
  };
  std::vector<TabRect> tab_rects;
  ImVec4 tabs_panel_rect{0, 0, 0, 0};     // what the tabs' panel shows (its clip rectangle)
  ImVec4 heatmap_panel_rect{0, 0, 0, 0};  // the heatmap's whole panel
  int arc_labels_dropped = 0;
  // Token chips of the arcs strip that select a query on click: (token index, rectangle).
  std::vector<std::pair<int, ImVec4>> arc_chip_rects;
  // Controls and readouts the window tests click or measure, by name ("generate10", ...), placed
  // this frame (--debug-layout prints them as "named").
  std::vector<std::pair<std::string, ImVec4>> named_rects;
  void nameLastItem(const char* name) {
    named_rects.emplace_back(name, ImVec4(ImGui::GetItemRectMin().x, ImGui::GetItemRectMin().y,
                                          ImGui::GetItemRectMax().x, ImGui::GetItemRectMax().y));
  }
  // Panel rectangles of this frame (screen pixels, clipped to what is visible). The window clears
  // them to the panel colour before ImGui draws: a scissored clear is nearly free on a software
  // rasteriser, where blending a full-window background costs several milliseconds.
  std::vector<ImVec4> panel_rects;

  // Presentation, decks and figures (issue 5).
  bool present = false;         // presentation mode: thicker arcs, larger labels
  bool hide_panels = false;     // H: only the heatmap and the arcs (and the caption)
  bool paused = false;          // Space: animations settled and still
  // Idle frames (ui/frame_pacing.h): panels set `animating` when they drew something that moves,
  // so the window knows whether the next frame can wait for an event.
  bool animating = false;
  bool continuous_redraw = false;  // draw every frame; the arcs' flow never settles
  float flow_opacity = 1.0f;       // the arcs' flow dots, fading out a while after the last input
  bool figure = false;          // drawing an exported figure: no hints, hover or flow dots
  bool show_shortcuts = false;  // ?: the shortcut overlay
  bool light = false;           // light theme active
  float zoom = 1.0f;            // Ctrl +/-/0: the window rebuilds fonts at scale * zoom
  bool toggle_fullscreen = false;  // F11: the window toggles fullscreen and clears this
  bool toggle_theme = false;       // the window re-applies the theme and clears this
  int slot_base = 0;            // first HeatmapRenderer slot used (figures use their own)
  DeckPlayer* deck = nullptr;   // the loaded lecture deck, or nullptr
  // Key presses since the last frame, from the window's SDL events. ImGui 1.86 keeps only key
  // state, so a press and release within one frame (presenter clickers, xdotool) would be lost.
  struct KeyPress {
    int scancode = 0;
    bool shift = false, ctrl = false, alt = false, repeat = false;
  };
  std::vector<KeyPress> key_presses;
  ExportSettings exporting;
  // Benchmark tab (panel_bench.cpp): made when the tab is first shown; kept while the app runs.
  std::shared_ptr<BenchPanelState> bench;
  bool headless = false;  // --screenshot/--bench-frames: nobody watches; the benchmark runs to the end at once
  // Real models (panel_model*.cpp): made on first use; holds GL textures, so it is destroyed
  // with the UiContext while the window's context is current.
  std::shared_ptr<ModelPanelState> model_panel;
  MainView main_view = MainView::Heatmap;
  int deck_view_step = -1;  // the deck step whose "view" was last applied to main_view
  ImVec4 model_view_rect{0, 0, 0, 0};  // the model view's cells, labels excluded (screen pixels)
};

// Colour of panel interiors (cleared, not painted by ImGui) and of the window behind them; set by
// applyTheme (dark or light).
inline ImVec4 kPanelColor{0.105f, 0.114f, 0.137f, 1.0f};
inline ImVec4 kWindowColor{0.075f, 0.082f, 0.098f, 1.0f};

// Colours the panels draw with that depend on the theme (applyTheme sets them).
struct UiPalette {
  bool light = false;
  ImU32 label = IM_COL32(200, 205, 215, 255);         // row/column/token labels
  ImU32 label_strong = IM_COL32(255, 255, 255, 255);  // selected or hovered labels
  ImU32 title = IM_COL32(225, 230, 240, 255);
  ImU32 dim = IM_COL32(150, 156, 170, 255);           // secondary notes
  ImU32 legend = IM_COL32(170, 175, 185, 255);
  ImU32 box = IM_COL32(40, 44, 54, 255);              // token boxes, empty bars
  ImU32 box_text = IM_COL32(215, 220, 230, 255);
  ImU32 tag_bg = IM_COL32(20, 22, 28, 225);           // arc percentage tags
  ImU32 tag_text = IM_COL32(240, 242, 248, 255);
  ImU32 hover_cell = IM_COL32(255, 255, 255, 230);
  ImU32 masked_fill = IM_COL32(56, 59, 64, 255), masked_line = IM_COL32(92, 95, 102, 255);
  ImVec4 section{0.62f, 0.78f, 1.0f, 1.0f};           // section titles
  float mask_a[3] = {0.22f, 0.23f, 0.25f}, mask_b[3] = {0.36f, 0.37f, 0.40f};  // masked-cell hatching
};
const UiPalette& palette();
void setPalette(const UiPalette& p);  // applyTheme sets it; figures restore the window's
// The font for labels on the pictures: larger in presentation mode and figures.
ImFont* labelFont(const UiContext& ui);
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
void drawMathsPanel(UiContext& ui);   // step-by-step maths of the selected query (panel_maths.cpp)
void drawExportPanel(UiContext& ui);  // PNG/SVG/CSV/JSON export choices (panel_export.cpp)
void drawBenchPanel(UiContext& ui);   // the Benchmark tab (panel_bench.cpp)
// Real models. panel_model.cpp: the model picker and the layer/head selectors (sidebar) and the
// switch between heatmap, model view and rollout; panel_model_view.cpp: the layers x heads grid
// and the rollout map; panel_measures.cpp: the sortable head measures; panel_next_tokens.cpp:
// top-k next tokens and Generate.
void drawModelPicker(UiContext& ui);
// A model loading in the background: "Loading NAME: file tensor k / n", a bar and Cancel (nothing
// when none loads). `name` prefixes the names the layout JSON gives the line and the button.
void drawModelLoadProgress(UiContext& ui, const std::string& name);
// "weight" / "weight x ||value|| contribution" (disabled with its reason without a real model).
void drawValueViewSwitch(UiContext& ui);
// The Ablation tab (panel_ablation.cpp): heads to ablate, mode, target; before / after.
void drawAblationPanel(UiContext& ui);
// Parses the Ablation tab's head field and asks the worker for that ablation (or withdraws it
// when the field is empty); a bad field sets its one-line error and asks nothing.
void applyAblationField(UiContext& ui);
bool drawMainViewSwitch(UiContext& ui);  // false (nothing drawn) without a real model
void drawModelViewPanel(UiContext& ui);
void drawRolloutPanel(UiContext& ui);
void drawMeasuresPanel(UiContext& ui);
void drawNextTokensPanel(UiContext& ui);
ModelPanelState& modelPanelState(UiContext& ui);
class ModelHolder;
std::string modelDisplayName(const ModelHolder& m);  // "gpt2", or a model folder's own name
// The real model shown; without one, a greyed line "<what> need(s) a real model (Model, in the
// sidebar)." and nullptr: what a model-only tab shows instead of its contents.
ModelHolder* modelOrExplain(UiContext& ui, const char* what);
void updateBenchmark(UiContext& ui);  // every frame: advances a benchmark run even while its tab is hidden
// Presentation (panel_present.cpp): keyboard shortcuts (not while a text box has the keyboard),
// the heatmap + arcs stage when panels are hidden, the deck caption bar and the shortcut overlay.
void handleShortcuts(UiContext& ui);
float captionBarHeight(const UiContext& ui);
void drawStage(UiContext& ui, ImVec2 size);
void drawCaptionBar(UiContext& ui);
void drawShortcutOverlay(UiContext& ui);
// The whole window: arranges the panels to the viewport.
void drawMainLayout(UiContext& ui);

// Theme and fonts (theme.cpp): DejaVu through the FreeType builder at `scale`, with fallback fonts
// merged behind it where the system has them. `extra`: code points the texts use beyond the
// built-in ranges (ImGui 1.86 rasterises glyphs up front, so the atlas is rebuilt when new ones
// appear). Call outside a frame; the renderer's font texture must be recreated afterwards.
UiFonts loadFonts(float scale, const std::u32string& extra = {});
// Whether loadFonts' atlas holds the code point without it being asked for in `extra`.
bool inBuiltInGlyphRanges(char32_t c);
void applyTheme(float scale, bool light = false);

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
