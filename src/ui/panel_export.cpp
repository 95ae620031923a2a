// The Export tab: the heatmap, the arcs or both as PNG (rendered offscreen at the chosen size, not
// a window grab) and SVG, and the shown matrix as CSV and JSON (the `attnviz dump` schema). The
// window writes the files between frames (ui/figure_export.h); S does the same.
#include "ui/ui_context.h"

#include <imgui_stdlib.h>

namespace attnviz::ui {

void drawExportPanel(UiContext& ui) {
  ExportSettings& ex = ui.exporting;
  const float label_w = ImGui::CalcTextSize("Resolution ").x + 8 * ui.scale;
  ImGui::AlignTextToFramePadding();
  ImGui::TextUnformatted("Folder");
  ImGui::SameLine(label_w);
  ImGui::SetNextItemWidth(-1);
  ImGui::InputText("##folder", &ex.folder);
  ImGui::AlignTextToFramePadding();
  ImGui::TextUnformatted("Name");
  ImGui::SameLine(label_w);
  ImGui::SetNextItemWidth(-1);
  ImGui::InputText("##name", &ex.name);

  ImGui::AlignTextToFramePadding();
  ImGui::TextUnformatted("View");
  ImGui::SameLine(label_w);
  int view = ex.view == FigureView::Heatmap ? 0 : ex.view == FigureView::Arcs ? 1 : 2;
  ImGui::RadioButton("heatmap", &view, 0);
  ImGui::SameLine();
  ImGui::RadioButton("arcs", &view, 1);
  ImGui::SameLine();
  ImGui::RadioButton("both", &view, 2);
  ex.view = view == 0 ? FigureView::Heatmap : view == 1 ? FigureView::Arcs : FigureView::Both;

  ImGui::AlignTextToFramePadding();
  ImGui::TextUnformatted("Resolution");
  ImGui::SameLine(label_w);
  struct Preset {
    const char* name;
    int w, h;
  };
  static const Preset presets[] = {{"1280 x 720", 1280, 720}, {"1920 x 1080", 1920, 1080},
                                   {"2560 x 1440", 2560, 1440}, {"3840 x 2160 (4K)", 3840, 2160},
                                   {"2000 x 2000", 2000, 2000}};
  std::string current = std::to_string(ex.width) + " x " + std::to_string(ex.height);
  ImGui::SetNextItemWidth(ImGui::CalcTextSize("3840 x 2160 (4K)").x + 40 * ui.scale);
  if (ImGui::BeginCombo("##res", current.c_str())) {
    for (const Preset& p : presets)
      if (ImGui::Selectable(p.name, p.w == ex.width && p.h == ex.height)) {
        ex.width = p.w;
        ex.height = p.h;
      }
    ImGui::EndCombo();
  }
  ImGui::SameLine();
  ImGui::Checkbox("light", &ex.light);

  ImGui::AlignTextToFramePadding();
  ImGui::TextUnformatted("Formats");
  ImGui::SameLine(label_w);
  ImGui::Checkbox("PNG", &ex.png);
  ImGui::SameLine();
  ImGui::Checkbox("SVG", &ex.svg);
  ImGui::SameLine();
  ImGui::Checkbox("CSV", &ex.csv);
  ImGui::SameLine();
  ImGui::Checkbox("JSON", &ex.json);

  if (ImGui::Button("Export")) ex.requested = true;
  ImGui::SameLine();
  ImGui::TextDisabled("(S in the window)");
  if (!ex.status.empty()) {
    ImGui::PushTextWrapPos(0);
    ImGui::PushStyleColor(ImGuiCol_Text, ex.status_ok ? ImGui::GetStyleColorVec4(ImGuiCol_Text) : ImVec4(0.95f, 0.40f, 0.30f, 1));
    ImGui::TextUnformatted(ex.status.c_str());
    ImGui::PopStyleColor();
    ImGui::PopTextWrapPos();
  }
}

}  // namespace attnviz::ui
