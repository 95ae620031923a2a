// Step-by-step maths of the selected query, for one head: the query vector q, the key vectors k_j,
// the raw scores q·k_j, the scaling by 1/√d_k, the temperature, the mask, the softmax and the
// weighted sum of values. Every stage shows its actual numbers, coloured by value. A toggle drops
// the 1/√d_k scaling to show what it prevents: with large d the raw scores are large, the softmax
// saturates and nearly all weight lands on one key.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/maths_steps.h"
#include "ui/ui_context.h"
#include "ui/text_bounds.h"

namespace attnviz::ui {
namespace {

// Diverging blue-white-red for signed values (t in [-1, 1]), readable in both themes.
ImU32 divergingColor(float t) {
  t = std::clamp(t, -1.0f, 1.0f);
  const ImVec4 mid = palette().light ? ImVec4(0.97f, 0.97f, 0.97f, 1) : ImVec4(0.20f, 0.21f, 0.24f, 1);
  const ImVec4 neg(0.16f, 0.42f, 0.82f, 1), pos(0.86f, 0.30f, 0.20f, 1);
  const ImVec4& end = t < 0 ? neg : pos;
  const float a = std::abs(t);
  return ImGui::ColorConvertFloat4ToU32(ImVec4(mid.x + (end.x - mid.x) * a, mid.y + (end.y - mid.y) * a,
                                               mid.z + (end.z - mid.z) * a, 1));
}

ImU32 textOnDiverging(float t) {
  if (std::abs(t) > 0.55f) return IM_COL32(255, 255, 255, 255);
  return palette().light ? IM_COL32(15, 15, 20, 255) : IM_COL32(235, 238, 245, 255);
}

// A vector (or matrix rows) as a strip of coloured cells; hover shows the value. Each row has its
// own colour scale (its largest |value| is full colour): one scale for q and all k_j made the
// smaller key vectors a uniform grey.
void vectorStrip(UiContext& ui, const char* id, const std::vector<std::vector<float>>& rows,
                 const std::vector<std::string>& row_labels) {
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const int d = rows.empty() ? 0 : int(rows.front().size());
  if (d == 0) return;
  const float label_w = row_labels.empty() ? 0 : 90 * ui.scale;
  const float avail = ImGui::GetContentRegionAvail().x - label_w;
  const float cell = std::clamp(avail / float(d), 3.0f, 16 * ui.scale);
  ImGui::PushFont(ui.fonts.small);
  const float h = row_labels.size() > 1 ? ImGui::GetTextLineHeight() : std::max(8 * ui.scale, std::min(cell, 14 * ui.scale));
  ImGui::PopFont();
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  ImGui::PushFont(ui.fonts.small);
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const float y = p0.y + float(r) * (h + 1);
    if (!row_labels.empty()) {
      const std::string l = elide(row_labels[r], label_w - 6 * ui.scale);
      dl->AddText(ImVec2(p0.x, y + (h - ImGui::GetTextLineHeight()) * 0.5f), palette().label, l.c_str());
    }
    float max_abs = 0;
    for (float v : rows[r]) max_abs = std::max(max_abs, std::abs(v));
    for (int c = 0; c < d; ++c) {
      const float x = p0.x + label_w + float(c) * cell;
      dl->AddRectFilled(ImVec2(x, y), ImVec2(x + cell - (cell > 5 ? 1 : 0), y + h),
                        divergingColor(rows[r][std::size_t(c)] / std::max(max_abs, 1e-9f)));
    }
  }
  ImGui::PopFont();
  const float total_h = float(rows.size()) * (h + 1);
  ImGui::InvisibleButton(id, ImVec2(std::max(1.0f, label_w + cell * float(d)), std::max(1.0f, total_h)));
  if (ImGui::IsItemHovered()) {
    const ImVec2 m = ImGui::GetIO().MousePos;
    const int c = int((m.x - p0.x - label_w) / cell), r = int((m.y - p0.y) / (h + 1));
    if (c >= 0 && c < d && r >= 0 && r < int(rows.size()))
      ImGui::SetTooltip("%s[%d] = %.4f", row_labels.empty() ? "q" : boundedText(row_labels[std::size_t(r)], kMaxUiLineBytes).c_str(), c,
                        double(rows[std::size_t(r)][std::size_t(c)]));
  }
}

double maxAbs(const std::vector<double>& v, const std::vector<bool>& visible) {
  double m = 0;
  for (std::size_t j = 0; j < v.size(); ++j)
    if (visible[j] && std::isfinite(v[j])) m = std::max(m, std::abs(v[j]));
  return m;
}

double entropyBits(const std::vector<double>& w) {
  double e = 0;
  for (double x : w)
    if (x > 0) e -= x * std::log2(x);
  return e;
}

}  // namespace

void drawMathsPanel(UiContext& ui) {
  AppController& app = *ui.app;
  static bool unscaled = false;  // the toggle: remove 1/√d_k
  const QueryMaths* shown = app.selectedMaths();
  if (!shown) {
    ImGui::PushTextWrapPos(0);
    ImGui::TextDisabled("The step-by-step maths needs queries and keys (the simulated model or q.npy + k.npy); "
                        "imported probabilities have no scores to show.");
    ImGui::PopTextWrapPos();
    return;
  }
  // Both settings of the toggle, recomputed only when the result, head or query changes (not per
  // frame, and without copying the problem).
  static QueryMaths with_scaling, without_scaling;
  static int cached_version = -1, cached_head = -1, cached_query = -1;
  if (cached_version != app.resultVersion() || cached_head != shown->head || cached_query != shown->query) {
    with_scaling = explainQuery(app.problem(), shown->head, shown->query, true);
    without_scaling = explainQuery(app.problem(), shown->head, shown->query, false);
    cached_version = app.resultVersion();
    cached_head = shown->head;
    cached_query = shown->query;
  }
  const QueryMaths* m = unscaled ? &without_scaling : &with_scaling;
  // Every line wraps at the panel's edge: a narrow tab column must not cut the header or the legend.
  ImGui::PushTextWrapPos(0);
  const auto& klab = app.keyLabels();
  const int nk = int(m->raw_scores.size());
  const int d = int(m->query_vector.size());
  const double sqrt_d = std::sqrt(double(d));
  char line[256];
  std::snprintf(line, sizeof line, "Query \"%s\" \xC2\xB7 head %s \xC2\xB7 d_k = %d, \xE2\x88\x9A" "d_k = %.2f, T = %.2f",
                app.queryNames()[std::size_t(m->query)].c_str(), app.headNames()[std::size_t(m->head)].c_str(), d,
                sqrt_d, m->temperature);
  sectionTitle(line);
  ImGui::Checkbox("without the 1/\xE2\x88\x9A" "d_k scaling", &unscaled);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("Drop the division by \xE2\x88\x9A" "d_k: scores grow with d, the softmax saturates on one key.");
  {
    // Why the scaling is there: max weight and entropy with and without it.
    const double max_with = *std::max_element(with_scaling.weights.begin(), with_scaling.weights.end());
    const double max_without = *std::max_element(without_scaling.weights.begin(), without_scaling.weights.end());
    char buf[200];
    std::snprintf(buf, sizeof buf, "with 1/\xE2\x88\x9A" "d_k: max weight %.2f, entropy %.2f bits; without: max weight %.2f, entropy %.2f bits",
                  max_with, entropyBits(with_scaling.weights), max_without, entropyBits(without_scaling.weights));
    ImGui::PushTextWrapPos(0);
    ImGui::TextDisabled("%s", buf);
    ImGui::PopTextWrapPos();
  }
  if (app.head().kind != HeadSelection::Single)
    ImGui::TextDisabled("(the heatmap shows %s; the maths is for one head: choose one with \xE2\x86\x91/\xE2\x86\x93)",
                        app.headLabel().c_str());

  // 1. q and the keys, as coloured vectors.
  ImGui::TextUnformatted("1. query vector q and key vectors k_j (blue < 0 < red, each row scaled to its own largest |value|; hover for values)");
  vectorStrip(ui, "##q", {m->query_vector}, {"q"});
  if (nk <= 24) vectorStrip(ui, "##k", m->key_vectors, app.keyNames());
  else ImGui::TextDisabled("(%d key vectors: too many to draw here)", nk);

  // 2..6: one row per stage, one column per key, with the numbers.
  ImGui::TextUnformatted("2-6. scores for every key, stage by stage");
  const ImGuiTableFlags flags = ImGuiTableFlags_Borders | ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_ScrollX |
                                ImGuiTableFlags_ScrollY;
  const float row_h = ImGui::GetTextLineHeightWithSpacing() + 2;
  if (ImGui::BeginTable("##stages", nk + 1, flags, ImVec2(0, row_h * 6.6f + 4))) {
    ImGui::TableSetupScrollFreeze(1, 1);
    ImGui::TableSetupColumn("stage");
    for (int j = 0; j < nk; ++j) ImGui::TableSetupColumn(klab[std::size_t(j)].c_str());
    ImGui::TableHeadersRow();
    std::vector<double> by_sqrt(static_cast<std::size_t>(nk)), by_t(static_cast<std::size_t>(nk));
    for (int j = 0; j < nk; ++j) {
      // T5: its position bias joins the score before the temperature (the stage's name says so).
      by_sqrt[std::size_t(j)] = m->raw_scores[std::size_t(j)] / m->sqrt_d + (m->score_bias.empty() ? 0.0 : m->score_bias[std::size_t(j)]);
      by_t[std::size_t(j)] = by_sqrt[std::size_t(j)] / m->temperature;
    }
    std::vector<bool> all_visible(std::size_t(nk), true);
    char name_sqrt[64], name_t[64];
    const char* plus_bias = m->score_bias.empty() ? "" : " + bias";
    if (unscaled)
      std::snprintf(name_sqrt, sizeof name_sqrt, "\xC3\xB7 1 (no \xE2\x88\x9A" "d_k)%s", plus_bias);
    else
      std::snprintf(name_sqrt, sizeof name_sqrt, "\xC3\xB7 \xE2\x88\x9A" "d_k = %.2f%s", m->sqrt_d, plus_bias);
    std::snprintf(name_t, sizeof name_t, "\xC3\xB7 T = %.2f", m->temperature);
    struct Stage {
      const char* name;
      const std::vector<double>* v;
      bool masked, probability;
    };
    const Stage stages[] = {{"q\xC2\xB7k_j", &m->raw_scores, false, false},
                            {name_sqrt, &by_sqrt, false, false},
                            {name_t, &by_t, false, false},
                            {"mask", &m->scaled_scores, true, false},
                            {"softmax", &m->weights, true, true}};
    ImGui::PushFont(ui.fonts.mono);
    for (const Stage& s : stages) {
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(s.name);
      const double mx = maxAbs(*s.v, s.masked ? m->visible : all_visible);
      for (int j = 0; j < nk; ++j) {
        ImGui::TableNextColumn();
        const double v = (*s.v)[std::size_t(j)];
        if (s.masked && !m->visible[std::size_t(j)]) {
          ImGui::TextDisabled(s.probability ? "0" : "-\xE2\x88\x9E");
          continue;
        }
        char buf[32];
        std::snprintf(buf, sizeof buf, s.probability ? "%.3f" : "%.2f", v);
        if (s.probability) {
          ImGui::TableSetBgColor(ImGuiTableBgTarget_CellBg, colormapColor(app.colormap(), float(v)));
          ImGui::PushStyleColor(ImGuiCol_Text, ImGui::ColorConvertU32ToFloat4(textColorOn(app.colormap(), float(v))));
        } else {
          const float t = float(v / std::max(mx, 1e-12));
          ImGui::TableSetBgColor(ImGuiTableBgTarget_CellBg, divergingColor(t));
          ImGui::PushStyleColor(ImGuiCol_Text, ImGui::ColorConvertU32ToFloat4(textOnDiverging(t)));
        }
        ImGui::TextUnformatted(buf);
        ImGui::PopStyleColor();
      }
    }
    ImGui::PopFont();
    ImGui::EndTable();
  }

  // 7. the output.
  if (!m->output.empty()) {
    ImGui::TextUnformatted("7. output = \xCE\xA3_j w_j v_j (the weighted sum of the value vectors)");
    std::vector<float> out(m->output.begin(), m->output.end());
    vectorStrip(ui, "##out", {out}, {"output"});
  } else {
    ImGui::TextDisabled("7. no value vectors in this input: the output is not defined");
  }
  ImGui::PopTextWrapPos();
}

}  // namespace attnviz::ui
