// "What to look for": the core's pattern detectors on the shown matrix, in plain language.
#include <cstdio>

#include "ui/ui_context.h"

namespace attnviz::ui {

void drawPatternsPanel(UiContext& ui) {
  AppController& app = *ui.app;
  if (!app.hasResult()) return;
  ImGui::PushFont(ui.fonts.small);
  ImGui::TextDisabled("Findings for %s (computed from the matrix)", app.headLabel().c_str());
  ImGui::PopFont();
  const auto& findings = app.patterns();
  if (app.summaryPending()) {
    ImGui::TextDisabled("Measuring this layer's heads\xE2\x80\xA6");
    return;
  }
  if (findings.empty()) {
    ImGui::TextWrapped("No clear pattern: the weights are neither concentrated on a position nor spread evenly.");
    return;
  }
  ImDrawList* dl = ImGui::GetWindowDrawList();
  for (const PatternFinding& f : findings) {
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const float h = ImGui::GetTextLineHeight();
    const float w = 36 * ui.scale;
    dl->AddRectFilled(ImVec2(p.x, p.y + 3), ImVec2(p.x + w, p.y + h - 3), IM_COL32(40, 44, 54, 255), 3.0f);
    dl->AddRectFilled(ImVec2(p.x, p.y + 3), ImVec2(p.x + w * float(f.strength), p.y + h - 3),
                      colormapColor(app.colormap(), 0.35f + 0.65f * float(f.strength)), 3.0f);
    ImGui::SetCursorScreenPos(ImVec2(p.x + w + 8 * ui.scale, p.y));
    ImGui::PushTextWrapPos(0);
    ImGui::TextUnformatted(f.text.c_str());
    ImGui::PopTextWrapPos();
  }
}

}  // namespace attnviz::ui
