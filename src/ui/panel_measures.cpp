// Per-head measures of a real model: one row per layer x head, sortable by any column, each
// measure defined in one line; click a row to open that head.
#include <algorithm>
#include <cstdio>
#include <vector>

#include <imgui.h>

#include "model/head_measures.h"
#include "ui/model_holder.h"
#include "ui/model_panel_state.h"
#include "ui/ui_context.h"

namespace attnviz::ui {
namespace {

double measureValue(const model::HeadMeasures& m, int column, const std::vector<std::vector<double>>* induction) {
  switch (column) {
    case 1: return m.entropy_bits;
    case 2: return m.mean_distance;
    case 3: return m.previous_token;
    case 4: return m.sink_mass;
    case 5: return m.confidence;
    case 6:
      if (induction && m.layer < int(induction->size()) && m.head < int((*induction)[std::size_t(m.layer)].size()))
        return (*induction)[std::size_t(m.layer)][std::size_t(m.head)];
      return 0;
    default: return double(m.layer) * 1e4 + m.head;  // column 0: model order
  }
}

}  // namespace

void drawMeasuresPanel(UiContext& ui) {
  AppController& app = *ui.app;
  if (!app.model()) {
    ImGui::TextDisabled("Head measures need a real model (Model, in the sidebar).");
    return;
  }
  ModelHolder& m = *app.model();
  ModelPanelState& st = modelPanelState(ui);
  const std::vector<model::MeasureInfo>& infos = model::measureInfos();
  ImGui::PushFont(ui.fonts.small);
  ImGui::PushTextWrapPos(0);
  for (const model::MeasureInfo& info : infos) {
    if (std::string(info.key) == "induction" && !st.with_induction) continue;
    ImGui::TextDisabled("%s: %s", info.title, info.definition);
  }
  ImGui::PopTextWrapPos();
  ImGui::Checkbox("Induction score", &st.with_induction);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("Runs the model once more on random tokens repeated twice (seeded); the text's cache is kept.");
  const std::vector<std::vector<double>>* induction = st.with_induction ? &m.inductionScores() : nullptr;
  ImGui::SameLine();
  ImGui::TextDisabled("%d of %d layers measured", m.overviewLayersDone(), m.layers());

  std::vector<model::HeadMeasures> rows;
  for (int l = 0; l < m.overviewLayersDone(); ++l)
    if (const LayerOverview* o = m.overview(l)) rows.insert(rows.end(), o->measures.begin(), o->measures.end());

  const int columns = induction ? 7 : 6;
  const ImGuiTableFlags flags = ImGuiTableFlags_Sortable | ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY |
                                ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingStretchProp;
  if (ImGui::BeginTable("##measures", columns, flags, ImGui::GetContentRegionAvail())) {
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("Head", ImGuiTableColumnFlags_DefaultSort);
    int shown = 0;
    for (const model::MeasureInfo& info : infos) {
      if (std::string(info.key) == "induction" && !induction) continue;
      ImGui::TableSetupColumn(info.title, ImGuiTableColumnFlags_PreferSortDescending);
      ++shown;
    }
    ImGui::TableHeadersRow();
    // Header tooltips: the definition again where the eye is.
    for (int c = 1; c <= shown && c - 1 < int(infos.size()); ++c) {
      ImGui::TableSetColumnIndex(c);
      if (ImGui::IsItemHovered() || (ImGui::TableGetColumnFlags(c) & ImGuiTableColumnFlags_IsHovered))
        if (ImGui::IsMouseHoveringRect(ImGui::GetItemRectMin(), ImGui::GetItemRectMax()))
          ImGui::SetTooltip("%s", infos[std::size_t(c - 1)].definition);
    }
    if (ImGuiTableSortSpecs* specs = ImGui::TableGetSortSpecs()) {
      if (specs->SpecsCount > 0) {
        const int col = specs->Specs[0].ColumnIndex;
        const bool desc = specs->Specs[0].SortDirection == ImGuiSortDirection_Descending;
        std::stable_sort(rows.begin(), rows.end(), [&](const model::HeadMeasures& a, const model::HeadMeasures& b) {
          const double va = measureValue(a, col, induction), vb = measureValue(b, col, induction);
          return desc ? va > vb : va < vb;
        });
      }
    }
    const HeadSelection sel = app.head();
    ImGuiListClipper clipper;
    clipper.Begin(int(rows.size()));
    while (clipper.Step())
      for (int r = clipper.DisplayStart; r < clipper.DisplayEnd; ++r) {
        const model::HeadMeasures& hm = rows[std::size_t(r)];
        ImGui::TableNextRow();
        ImGui::TableSetColumnIndex(0);
        const std::string name = m.session().headName(hm.layer, hm.head);
        const bool selected = hm.layer == app.layer() && sel.kind == HeadSelection::Single && sel.index == hm.head;
        if (ImGui::Selectable(name.c_str(), selected, ImGuiSelectableFlags_SpanAllColumns)) {
          app.setLayer(hm.layer);
          app.setHead({HeadSelection::Single, hm.head});
        }
        ImGui::PushFont(ui.fonts.mono);
        for (int c = 1; c < columns; ++c) {
          ImGui::TableSetColumnIndex(c);
          ImGui::Text(c == 2 ? "%.1f" : c == 1 ? "%.2f" : "%.3f", measureValue(hm, c, induction));
        }
        ImGui::PopFont();
      }
    ImGui::EndTable();
  }
  ImGui::PopFont();
}

}  // namespace attnviz::ui
