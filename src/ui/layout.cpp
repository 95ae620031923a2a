// Arranges the panels in one window that fills the viewport. Every region is a child window that
// scrolls or clips on its own, so shrinking the window never makes panels overlap.
#include <algorithm>
#include <cmath>

#include "model/model_session.h"
#include "render/screen_rects.h"
#include "ui/model_holder.h"
#include "ui/ui_context.h"
#include "ui/text_bounds.h"

namespace attnviz::ui {
namespace {

// The main picture: the heatmap, or with a real model its model view or rollout, chosen by a row
// of switches above it (one line of the given height).
void recordHeatmapPanel(UiContext& ui);

void drawPictureSlot(UiContext& ui, ImVec2 size, ImGuiWindowFlags flags) {
  ImGui::BeginGroup();
  ui.model_view_rect = ImVec4(0, 0, 0, 0);  // set again by the model view when it is drawn
  if (drawMainViewSwitch(ui)) size.y -= ImGui::GetFrameHeightWithSpacing();
  beginPanel(ui, "##heatmap", size, flags);
  recordHeatmapPanel(ui);
  switch (ui.main_view) {
    case MainView::ModelGrid: drawModelViewPanel(ui); break;
    case MainView::Rollout: drawRolloutPanel(ui); break;
    case MainView::Heatmap: drawHeatmapPanel(ui); break;
  }
  ImGui::EndChild();
  ImGui::EndGroup();
}

}  // namespace

namespace {

struct InfoTab {
  const char* id;     // --tab name
  const char* label;
  void (*draw)(UiContext&);
  bool model_only;    // shown only while a real model is (next tokens, head measures)
};

const InfoTab kInfoTabs[] = {
    {"next", "Next token", drawNextTokensPanel, true}, {"measures", "Head measures", drawMeasuresPanel, true},
    {"ablation", "Ablation", drawAblationPanel, true},
    {"top", "Top attention", drawTopAttentionPanel, false}, {"patterns", "What to look for", drawPatternsPanel, false},
    {"explain", "Explanation", drawExplanationPanel, false}, {"maths", "Maths", drawMathsPanel, false},
    {"export", "Export", drawExportPanel, false},            {"bench", "Benchmark", drawBenchPanel, false},
};

// The info tabs: a strip of tab buttons that wraps onto a second line rather than scrolling or
// eliding, so every tab is one click away and every name is whole; below it the selected tab's
// content scrolls on its own, the strip stays put.
void drawInfoTabs(UiContext& ui) {
  const int count = int(sizeof kInfoTabs / sizeof kInfoTabs[0]);
  const bool model = ui.app->modelShown();
  auto shown = [&](int t) { return model || !kInfoTabs[t].model_only; };
  if (!ui.initial_tab.empty()) {
    for (int t = 0; t < count; ++t)
      if (ui.initial_tab == kInfoTabs[t].id) ui.info_tab = t;
    ui.initial_tab.clear();
  }
  ui.info_tab = std::clamp(ui.info_tab, 0, count - 1);
  // A model's tab stands aside while no model is shown (a launch's model still loading), and is
  // open again once one is: the choice stays, only what is drawn falls back.
  int open = ui.info_tab;
  if (!shown(open))
    for (int t = 0; t < count; ++t)
      if (shown(t)) {
        open = t;
        break;
      }
  ui.tab_rects.clear();
  {
    const ImVec2 a = ImGui::GetWindowDrawList()->GetClipRectMin(), b = ImGui::GetWindowDrawList()->GetClipRectMax();
    ui.tabs_panel_rect = ImVec4(a.x, a.y, b.x, b.y);
  }
  const ImGuiStyle& style = ImGui::GetStyle();
  const ImVec2 pad(style.FramePadding.x + 2 * ui.scale, style.FramePadding.y);
  const float spacing = 4 * ui.scale;
  const float avail = ImGui::GetContentRegionAvail().x;
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  float x = 0, y = 0;
  const float h = ImGui::GetTextLineHeight() + 2 * pad.y;
  ImDrawList* dl = ImGui::GetWindowDrawList();
  // An encoder's "next token" is the filler of a [MASK].
  const bool encoder = model && ui.app->model() && ui.app->model()->isEncoder();
  const auto label = [&](int t) { return encoder && std::string(kInfoTabs[t].id) == "next" ? "Fill mask" : kInfoTabs[t].label; };
  for (int t = 0; t < count; ++t) {
    if (!shown(t)) continue;
    const ImVec2 ts = ImGui::CalcTextSize(label(t));
    const float w = ts.x + 2 * pad.x;
    if (x > 0 && x + w > avail) {  // wrap
      x = 0;
      y += h + spacing;
    }
    ImGui::SetCursorScreenPos(ImVec2(origin.x + x, origin.y + y));
    ImGui::PushID(t);
    const bool clicked = ImGui::InvisibleButton("##tab", ImVec2(w, h));
    ImGui::PopID();
    if (clicked) ui.info_tab = open = t;
    const bool active = open == t;
    const ImU32 fill = ImGui::GetColorU32(active ? ImGuiCol_TabActive : ImGui::IsItemHovered() ? ImGuiCol_TabHovered : ImGuiCol_Tab);
    const ImVec2 a(origin.x + x, origin.y + y), b(a.x + w, a.y + h);
    dl->AddRectFilled(a, b, fill, style.TabRounding, ImDrawFlags_RoundCornersTop);
    dl->AddText(ImVec2(a.x + pad.x, a.y + pad.y), ImGui::GetColorU32(ImGuiCol_Text), label(t));
    ui.tab_rects.push_back({label(t), ImVec4(a.x, a.y, b.x, b.y), ts.x});
    x += w + spacing;
  }
  const float line_y = origin.y + y + h;
  dl->AddLine(ImVec2(origin.x, line_y), ImVec2(origin.x + avail, line_y), ImGui::GetColorU32(ImGuiCol_TabActive), 1.0f);
  ImGui::SetCursorScreenPos(ImVec2(origin.x, line_y + style.ItemSpacing.y));
  ImGui::BeginChild("##tab_content", ImVec2(0, 0), false);
  kInfoTabs[open].draw(ui);
  ImGui::EndChild();
}

// The heatmap's panel as placed (for the layout tests: the matrix's share of it).
void recordHeatmapPanel(UiContext& ui) {
  const ImVec2 p = ImGui::GetWindowPos(), sz = ImGui::GetWindowSize();
  ui.heatmap_panel_rect = ImVec4(p.x, p.y, p.x + sz.x, p.y + sz.y);
}

// The frame is cleared to the panel colour; what lies outside every panel is painted in the
// window colour here, a few flat rectangles behind everything (see render/screen_rects.h).
void paintGaps(const UiContext& ui) {
  const ImVec2 display = ImGui::GetIO().DisplaySize;
  std::vector<render::PixelRect> panels;
  panels.reserve(ui.panel_rects.size());
  for (const ImVec4& r : ui.panel_rects)
    panels.push_back({int(std::floor(r.x)), int(std::floor(r.y)), int(std::ceil(r.z)), int(std::ceil(r.w))});
  ImDrawList* bg = ImGui::GetBackgroundDrawList();
  const ImU32 col = ImGui::ColorConvertFloat4ToU32(kWindowColor);
  for (const render::PixelRect& g : render::uncoveredRects({0, 0, int(std::ceil(display.x)), int(std::ceil(display.y))}, panels))
    bg->AddRectFilled(ImVec2(float(g.x0), float(g.y0)), ImVec2(float(g.x1), float(g.y1)), col);
}

}  // namespace

void drawMainLayout(UiContext& ui) {
  ImGuiIO& io = ImGui::GetIO();
  ImGui::SetNextWindowPos(ImVec2(0, 0));
  ImGui::SetNextWindowSize(io.DisplaySize);
  const ImGuiWindowFlags root_flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                                      ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoBringToFrontOnFocus |
                                      ImGuiWindowFlags_NoBackground;  // the frame is cleared to this colour: no need to paint it again
  ImGui::Begin("attnviz", nullptr, root_flags);
  ui.panel_rects.clear();
  ui.named_rects.clear();
  updateBenchmark(ui);  // a running benchmark advances every frame, whichever tab is shown

  // Keyboard shortcuts (panel_present.cpp), unless a text box has the keyboard.
  handleShortcuts(ui);
  // Presentation: the deck caption takes the bottom; H leaves only the heatmap and the arcs.
  const float caption_h = captionBarHeight(ui);
  if (ui.hide_panels) {
    ImVec2 stage = ImGui::GetContentRegionAvail();
    stage.y -= caption_h > 0 ? caption_h + ImGui::GetStyle().ItemSpacing.y : 0;
    drawStage(ui, stage);
    drawCaptionBar(ui);
    drawShortcutOverlay(ui);
    paintGaps(ui);
    ImGui::End();
    return;
  }

  ImVec2 avail = ImGui::GetContentRegionAvail();
  if (caption_h > 0) avail.y -= caption_h + ImGui::GetStyle().ItemSpacing.y;
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  // Below ~900 px per unit of UI scale a sidebar would squeeze the pictures: one scrolling column
  // then, pictures first and the controls below them.
  const bool narrow = avail.x < 900 * ui.scale;
  // The sidebar is at least as wide as its longest one-line control (the causal mask checkbox), so
  // no label in it is cut at any window size or UI scale.
  const ImGuiStyle& style = ImGui::GetStyle();
  const float sidebar_min = ImGui::CalcTextSize("Causal mask (no looking ahead)").x + ImGui::GetFrameHeight() +
                            style.ItemInnerSpacing.x + 2 * style.WindowPadding.x + style.ScrollbarSize + 4 * ui.scale;
  const float sidebar_w = narrow ? avail.x : std::clamp(avail.x * 0.25f, std::max(230 * ui.scale, sidebar_min),
                                                        std::max(360 * ui.scale, sidebar_min));

  if (narrow) {
    ImGui::BeginChild("##scroll", avail, false);
  } else {
    beginPanel(ui, "##input", ImVec2(sidebar_w, avail.y));
    drawInputPanel(ui);
    ImGui::EndChild();
    ImGui::SameLine();
  }

  const float main_w = narrow ? ImGui::GetContentRegionAvail().x : avail.x - sidebar_w - gap;
  // Heatmap beside the arcs and tabs whenever the heatmap column can still be a useful square;
  // otherwise stacked in the scrolling column.
  const bool side_by_side = main_w > 520 * ui.scale;
  if (!narrow) ImGui::BeginChild("##main", ImVec2(main_w, avail.y), false, ImGuiWindowFlags_NoScrollbar);
  drawStatsRow(ui);  // an input error is shown in the stats row's place (same height: no jump)
  ImVec2 rest = ImGui::GetContentRegionAvail();
  if (narrow) {
    // The pictures fill the visible part of the scrolling column; the controls follow below.
    rest.x -= style.ScrollbarSize;
    rest.y = std::max(420 * ui.scale, avail.y - (ImGui::GetCursorScreenPos().y - ImGui::GetWindowPos().y));
  }
  const ImGuiWindowFlags panel_flags = ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse;
  if (side_by_side) {
    // The picture column about as wide as the panel is tall (heatmap cells stay near square), within
    // 45..58% of the width; the arcs and the tabs share the rest.
    const float heat_w = std::floor(std::clamp(rest.y * 0.92f, rest.x * 0.45f, rest.x * 0.58f));
    drawPictureSlot(ui, ImVec2(heat_w, rest.y), panel_flags);
    ImGui::SameLine();
    ImGui::BeginGroup();
    const float right_w = rest.x - heat_w - gap;
    const float arcs_h = std::floor(rest.y * 0.5f);
    beginPanel(ui, "##arcs", ImVec2(right_w, arcs_h), panel_flags);
    drawArcsPanel(ui);
    ImGui::EndChild();
    beginPanel(ui, "##tabs", ImVec2(right_w, rest.y - arcs_h - ImGui::GetStyle().ItemSpacing.y), panel_flags);
  } else {
    // Stacked: the picture panel near square (as tall as it is wide, within what is visible), the
    // arcs and the tabs below it at useful heights; the column scrolls.
    const float heat_h = std::floor(std::clamp(rest.x * 0.8f, 260 * ui.scale, std::max(260 * ui.scale, rest.y)));
    const float w = rest.x;
    drawPictureSlot(ui, ImVec2(w, heat_h), panel_flags);
    beginPanel(ui, "##arcs", ImVec2(w, std::max(220 * ui.scale, avail.y * 0.45f)), panel_flags);
    drawArcsPanel(ui);
    ImGui::EndChild();
    beginPanel(ui, "##tabs", ImVec2(w, std::max(280 * ui.scale, avail.y * 0.6f)), panel_flags);
  }
  drawInfoTabs(ui);
  ImGui::EndChild();
  if (side_by_side) ImGui::EndGroup();
  if (narrow) {
    beginPanel(ui, "##input", ImVec2(rest.x, 760 * ui.scale));
    drawInputPanel(ui);
    ImGui::EndChild();
  }
  ImGui::EndChild();  // ##main or ##scroll
  if (caption_h > 0) drawCaptionBar(ui);
  drawShortcutOverlay(ui);
  paintGaps(ui);
  ImGui::End();
}

}  // namespace attnviz::ui
