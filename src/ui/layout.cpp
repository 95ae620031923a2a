// Arranges the panels in one window that fills the viewport. Every region is a child window that
// scrolls or clips on its own, so shrinking the window never makes panels overlap.
#include <algorithm>
#include <cmath>

#include "ui/ui_context.h"

namespace attnviz::ui {
namespace {

// The main picture: the heatmap, or with a real model its model view or rollout, chosen by a row
// of switches above it (one line of the given height).
void drawPictureSlot(UiContext& ui, ImVec2 size, ImGuiWindowFlags flags) {
  ImGui::BeginGroup();
  ui.model_view_rect = ImVec4(0, 0, 0, 0);  // set again by the model view when it is drawn
  if (drawMainViewSwitch(ui)) size.y -= ImGui::GetFrameHeightWithSpacing();
  beginPanel(ui, "##heatmap", size, flags);
  switch (ui.main_view) {
    case MainView::ModelGrid: drawModelViewPanel(ui); break;
    case MainView::Rollout: drawRolloutPanel(ui); break;
    case MainView::Heatmap: drawHeatmapPanel(ui); break;
  }
  ImGui::EndChild();
  ImGui::EndGroup();
}

}  // namespace

void drawMainLayout(UiContext& ui) {
  AppController& app = *ui.app;
  ImGuiIO& io = ImGui::GetIO();
  ImGui::SetNextWindowPos(ImVec2(0, 0));
  ImGui::SetNextWindowSize(io.DisplaySize);
  const ImGuiWindowFlags root_flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                                      ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoBringToFrontOnFocus |
                                      ImGuiWindowFlags_NoBackground;  // the frame is cleared to this colour: no need to paint it again
  ImGui::Begin("attnviz", nullptr, root_flags);
  ui.panel_rects.clear();
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
    ImGui::End();
    return;
  }

  ImVec2 avail = ImGui::GetContentRegionAvail();
  if (caption_h > 0) avail.y -= caption_h + ImGui::GetStyle().ItemSpacing.y;
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  const bool narrow = avail.x < 600 * ui.scale;
  const float sidebar_w = narrow ? avail.x : std::clamp(avail.x * 0.25f, 230 * ui.scale, 360 * ui.scale);
  const float min_main_h = 520 * ui.scale;

  if (narrow) {
    // Small windows: everything stacked in one scrolling column, the pictures first.
    ImGui::BeginChild("##scroll", avail, false);
  } else {
    beginPanel(ui, "##input", ImVec2(sidebar_w, avail.y));
    drawInputPanel(ui);
    ImGui::EndChild();
    ImGui::SameLine();
  }

  const float main_w = narrow ? ImGui::GetContentRegionAvail().x : avail.x - sidebar_w - gap;
  const float main_h = narrow ? std::max(min_main_h * 1.6f, avail.y) : avail.y;
  // Side by side when there is room; otherwise stacked, and this column scrolls.
  const bool side_by_side = main_w > 820 * ui.scale;
  ImGui::BeginChild("##main", ImVec2(main_w, main_h), false,
                    side_by_side || narrow ? ImGuiWindowFlags_NoScrollbar : ImGuiWindowFlags_None);
  drawStatsRow(ui);
  if (!app.error().empty()) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1.0f, 0.55f, 0.45f, 1.0f));
    ImGui::PushTextWrapPos(0);
    ImGui::TextUnformatted(app.error().c_str());
    ImGui::PopTextWrapPos();
    ImGui::PopStyleColor();
  }
  const ImVec2 rest = ImGui::GetContentRegionAvail();
  const ImGuiWindowFlags panel_flags = ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse;
  if (side_by_side) {
    const float heat_w = std::floor(rest.x * 0.54f);
    drawPictureSlot(ui, ImVec2(heat_w, rest.y), panel_flags);
    ImGui::SameLine();
    ImGui::BeginGroup();
    const float right_w = rest.x - heat_w - gap;
    const float arcs_h = std::floor(rest.y * 0.5f);
    beginPanel(ui, "##arcs", ImVec2(right_w, arcs_h), panel_flags);
    drawArcsPanel(ui);
    ImGui::EndChild();
    beginPanel(ui, "##tabs", ImVec2(right_w, rest.y - arcs_h - ImGui::GetStyle().ItemSpacing.y));
  } else {
    const float heat_h = std::max(260 * ui.scale, rest.y * 0.5f);
    drawPictureSlot(ui, ImVec2(rest.x, heat_h), panel_flags);
    beginPanel(ui, "##arcs", ImVec2(rest.x, std::max(200 * ui.scale, rest.y * 0.25f)), panel_flags);
    drawArcsPanel(ui);
    ImGui::EndChild();
    beginPanel(ui, "##tabs", ImVec2(rest.x, std::max(220 * ui.scale, rest.y * 0.25f - gap)));
  }
  // Scroll rather than squeeze: six tabs elided to "Top a…" and "Expla…" read badly.
  if (ImGui::BeginTabBar("##info", ImGuiTabBarFlags_FittingPolicyScroll)) {
    const std::string first = ui.initial_tab;
    ui.initial_tab.clear();
    auto flags = [&](const char* name) { return first == name ? ImGuiTabItemFlags_SetSelected : 0; };
    if (app.modelShown()) {  // real models: next tokens and the measures of every head
      if (ImGui::BeginTabItem("Next token", nullptr, flags("next"))) {
        drawNextTokensPanel(ui);
        ImGui::EndTabItem();
      }
      if (ImGui::BeginTabItem("Head measures", nullptr, flags("measures"))) {
        drawMeasuresPanel(ui);
        ImGui::EndTabItem();
      }
    }
    if (ImGui::BeginTabItem("Top attention", nullptr, flags("top"))) {
      drawTopAttentionPanel(ui);
      ImGui::EndTabItem();
    }
    if (ImGui::BeginTabItem("What to look for", nullptr, flags("patterns"))) {
      drawPatternsPanel(ui);
      ImGui::EndTabItem();
    }
    if (ImGui::BeginTabItem("Explanation", nullptr, flags("explain"))) {
      drawExplanationPanel(ui);
      ImGui::EndTabItem();
    }
    if (ImGui::BeginTabItem("Maths", nullptr, flags("maths"))) {
      drawMathsPanel(ui);
      ImGui::EndTabItem();
    }
    if (ImGui::BeginTabItem("Export", nullptr, flags("export"))) {
      drawExportPanel(ui);
      ImGui::EndTabItem();
    }
    if (ImGui::BeginTabItem("Benchmark", nullptr, flags("bench"))) {
      drawBenchPanel(ui);
      ImGui::EndTabItem();
    }
    ImGui::EndTabBar();
  }
  ImGui::EndChild();
  if (side_by_side) ImGui::EndGroup();
  ImGui::EndChild();
  if (narrow) {
    beginPanel(ui, "##input", ImVec2(0, 600 * ui.scale));
    drawInputPanel(ui);
    ImGui::EndChild();
    ImGui::EndChild();
  }
  if (caption_h > 0) drawCaptionBar(ui);
  drawShortcutOverlay(ui);
  ImGui::End();
}

}  // namespace attnviz::ui
