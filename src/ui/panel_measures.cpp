// Per-head measures of a real model: one row per layer x head, sortable by any column, each
// measure defined in one line; click a row to open that head.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include <imgui.h>

#include "model/head_measures.h"
#include "ui/model_holder.h"
#include "ui/model_panel_state.h"
#include "ui/ui_context.h"

namespace attnviz::ui {
namespace {

using Scores = std::vector<std::vector<double>>;

double scoreOf(const Scores* scores, const model::HeadMeasures& m) {
  if (scores && m.layer < int(scores->size()) && m.head < int((*scores)[std::size_t(m.layer)].size()))
    return (*scores)[std::size_t(m.layer)][std::size_t(m.head)];
  return 0;
}

// Columns past the five measures: induction (when asked), then importance (when asked).
double measureValue(const model::HeadMeasures& m, int column, const Scores* induction, const Scores* importance) {
  if (column == 6 && !induction) column = 7;
  switch (column) {
    case 1: return m.entropy_bits;
    case 2: return m.mean_distance;
    case 3: return m.previous_token;
    case 4: return m.sink_mass;
    case 5: return m.confidence;
    case 6: return scoreOf(induction, m);
    case 7: return scoreOf(importance, m);
    default: return double(m.layer) * 1e4 + m.head;  // column 0: model order
  }
}

// Short headers so that all six columns fit the tab at 1280x800 whole (the full names and their
// definitions are the header tooltips and the fold above the table).
const char* shortTitle(const model::MeasureInfo& info) {
  const std::string key = info.key;
  if (key == "mean_distance") return "Dist";
  if (key == "previous_token") return "Prev";
  if (key == "confidence") return "Conf";
  if (key == "induction") return "Induct";
  if (key == "importance") return "Import";
  return info.title;
}

// The column the importance adds (the same words as `attnviz heads --importance`).
const model::MeasureInfo& importanceInfo() {
  static const model::MeasureInfo info{
      "importance", "Importance",
      "Increase of the text's mean next-token loss (nats) when this head alone is zero-ablated (Michel et al. 2019)"};
  return info;
}

}  // namespace

void drawMeasuresPanel(UiContext& ui) {
  AppController& app = *ui.app;
  ModelHolder* model = modelOrExplain(ui, "Head measures need");
  if (!model) return;
  ModelHolder& m = *model;
  ModelPanelState& st = modelPanelState(ui);
  if (m.kind() == model::AttentionKind::cross) {
    ImGui::PushTextWrapPos(0);
    ImGui::TextDisabled("The measures (previous token, distance, sink...) are of self-attention, where rows and columns are "
                        "the same tokens; choose the encoder's or the decoder's attention (Attention, in the sidebar).");
    ImGui::PopTextWrapPos();
    return;
  }
  const std::vector<model::MeasureInfo>& infos = model::measureInfos();
  ImGui::PushFont(ui.fonts.small);
  // The table takes the space; the definitions are in the header tooltips and folded here (five
  // paragraphs above it left one row visible at 1280x800).
  if (ImGui::TreeNode("What the measures mean (or hover a header)")) {
    ImGui::PushTextWrapPos(0);
    for (const model::MeasureInfo& info : infos) {
      if (std::string(info.key) == "induction" && !st.with_induction) continue;
      ImGui::TextDisabled("%s: %s", info.title, info.definition);
    }
    ImGui::PopTextWrapPos();
    ImGui::TreePop();
  }
  ImGui::Checkbox("Induction score", &st.with_induction);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("Runs the model once more on random tokens repeated twice (seeded); the text's cache is kept.");
  const std::vector<std::vector<double>>* induction = st.with_induction ? &m.inductionScores() : nullptr;
  ImGui::SameLine();
  ImGui::Checkbox("Importance", &st.with_importance);
  ui.nameLastItem("measures_importance");
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("%s\nOne ablated rerun per head in the background, after everything else; editing the text restarts it.",
                      importanceInfo().definition);
  const std::vector<std::vector<double>>* importance = nullptr;
  if (st.with_importance) {
    importance = &m.importance();
    if (!m.shown().importance_error.empty()) {
      ImGui::SameLine();
      ImGui::TextDisabled("importance: %s", m.shown().importance_error.c_str());
      importance = nullptr;
    } else if (importance->empty()) {
      const model::ModelProgress p = m.progress();
      ImGui::SameLine();
      if (p.what.rfind("importance", 0) == 0)
        ImGui::TextDisabled("importance: head %d / %d", std::min(p.done + 1, p.total), p.total);
      else
        ImGui::TextDisabled("importance: waiting");
      importance = nullptr;
    }
  }
  const bool contribution = app.contributionView();
  ImGui::SameLine();
  ImGui::TextDisabled("%d of %d layers measured%s", m.overviewLayersDone(), m.layers(),
                      contribution ? ", of the contributions" : "");

  std::vector<model::HeadMeasures> rows;
  for (int l = 0; l < m.overviewLayersDone(); ++l)
    if (const LayerOverview* o = m.overview(l)) {
      const auto& ms = contribution ? o->contribution_measures : o->measures;
      rows.insert(rows.end(), ms.begin(), ms.end());
    }

  const int columns = 6 + (induction ? 1 : 0) + (importance ? 1 : 0);
  // Columns as wide as their header (name and sort arrow) or their numbers, whichever is wider, so
  // no header is cut to "Entr..."; a panel narrower than all of them scrolls sideways.
  const ImGuiTableFlags flags = ImGuiTableFlags_Sortable | ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY |
                                ImGuiTableFlags_ScrollX | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingFixedFit;
  const ImVec2 table_pos = ImGui::GetCursorScreenPos(), table_size = ImGui::GetContentRegionAvail();
  // Narrow cells: six columns fit the tab at 1280x800 (the theme's padding is for roomier tables).
  ImGui::PushStyleVar(ImGuiStyleVar_CellPadding, ImVec2(3 * ui.scale, ImGui::GetStyle().CellPadding.y));
  if (ImGui::BeginTable("##measures", columns, flags, table_size)) {
    ui.named_rects.emplace_back("measures_table", ImVec4(table_pos.x, table_pos.y, table_pos.x + table_size.x,
                                                         table_pos.y + table_size.y));
    // Each column holds its header with the sort arrow ImGui draws beside the sorted one (else
    // the header is elided), or its numbers, whichever is wider, plus the cell padding.
    const float arrow = std::floor(ImGui::GetFontSize() * 0.65f) + ImGui::GetStyle().FramePadding.x;
    const float pad = 2 * ImGui::GetStyle().CellPadding.x;
    ImGui::PushFont(ui.fonts.mono);
    const float number_w = ImGui::CalcTextSize("0.000").x;
    ImGui::PopFont();
    auto width = [&](const char* title, float content_w) {
      return std::max(ImGui::CalcTextSize(title).x + arrow, content_w) + pad;
    };
    const std::string widest_head = m.headName(m.layers() - 1, m.heads() - 1);
    ImGui::TableSetupScrollFreeze(1, 1);
    ImGui::TableSetupColumn("Head", ImGuiTableColumnFlags_DefaultSort | ImGuiTableColumnFlags_WidthFixed,
                            width("Head", ImGui::CalcTextSize(widest_head.c_str()).x));
    std::vector<const model::MeasureInfo*> shown;
    std::vector<const model::MeasureInfo*> columns_info;
    for (const model::MeasureInfo& info : infos) columns_info.push_back(&info);
    columns_info.push_back(&importanceInfo());
    for (const model::MeasureInfo* info : columns_info) {
      if (std::string(info->key) == "induction" && !induction) continue;
      if (std::string(info->key) == "importance" && !importance) continue;
      const char* title = shortTitle(*info);
      ImGui::TableSetupColumn(title, ImGuiTableColumnFlags_PreferSortDescending | ImGuiTableColumnFlags_WidthFixed,
                              width(title, number_w));
      shown.push_back(info);
    }
    // The header row drawn cell by cell so that each header has its definition as a tooltip.
    ImGui::TableNextRow(ImGuiTableRowFlags_Headers);
    for (int c = 0; c < columns; ++c) {
      if (!ImGui::TableSetColumnIndex(c)) continue;
      const char* title = ImGui::TableGetColumnName(c);
      ImGui::TableHeader(title);
      const ImVec2 lo = ImGui::GetItemRectMin(), hi = ImGui::GetItemRectMax();
      ui.named_rects.emplace_back(std::string("measures_header:") + title, ImVec4(lo.x, lo.y, hi.x, hi.y));
      ui.named_rects.emplace_back(std::string("measures_header_text:") + title,
                                  ImVec4(lo.x, lo.y, lo.x + ImGui::CalcTextSize(title).x, hi.y));
      if (ImGui::IsItemHovered()) {
        if (c == 0) ImGui::SetTooltip("Layer and head, numbered from 0 (click a row to open that head)");
        else if (c - 1 < int(shown.size()))
          ImGui::SetTooltip("%s\n%s", shown[std::size_t(c - 1)]->title, shown[std::size_t(c - 1)]->definition);
      }
    }
    if (ImGuiTableSortSpecs* specs = ImGui::TableGetSortSpecs()) {
      if (specs->SpecsCount > 0) {
        const int col = specs->Specs[0].ColumnIndex;
        const bool desc = specs->Specs[0].SortDirection == ImGuiSortDirection_Descending;
        std::stable_sort(rows.begin(), rows.end(), [&](const model::HeadMeasures& a, const model::HeadMeasures& b) {
          const double va = measureValue(a, col, induction, importance), vb = measureValue(b, col, induction, importance);
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
        const std::string name = m.headName(hm.layer, hm.head);
        const bool selected = hm.layer == app.layer() && sel.kind == HeadSelection::Single && sel.index == hm.head;
        if (ImGui::Selectable(name.c_str(), selected, ImGuiSelectableFlags_SpanAllColumns)) {
          app.setLayer(hm.layer);
          app.setHead({HeadSelection::Single, hm.head});
        }
        if (r == clipper.DisplayStart) ui.nameLastItem("measures_first_row");
        if (r == clipper.DisplayStart + 1) ui.nameLastItem("measures_second_row");
        ImGui::PushFont(ui.fonts.mono);
        for (int c = 1; c < columns; ++c) {
          ImGui::TableSetColumnIndex(c);
          ImGui::Text(c == 2 ? "%.1f" : c == 1 ? "%.2f" : "%.3f", measureValue(hm, c, induction, importance));
        }
        ImGui::PopFont();
      }
    ImGui::EndTable();
  }
  ImGui::PopStyleVar();
  ImGui::PopFont();
}

}  // namespace attnviz::ui
