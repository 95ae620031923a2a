// The stats row: Tokens, average entropy (bits and % of the maximum), max weight (and its cell),
// most attended token, for the matrix that is shown.
#include <cmath>
#include <cstdio>

#include "ui/text_bounds.h"
#include "ui/ui_context.h"

namespace attnviz::ui {
namespace {

void card(UiContext& ui, const char* id, float w, float h, const char* label, const std::string& value,
          const std::string& detail, const char* tooltip) {
  beginPanel(ui, id, ImVec2(w, h), ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse);
  ImGui::PushFont(ui.fonts.small);
  ImGui::TextDisabled("%s", elide(label, w - 2 * ImGui::GetStyle().WindowPadding.x).c_str());
  ImGui::PopFont();
  ImGui::PushFont(ui.fonts.large);
  ImGui::TextUnformatted(elide(value, w - 20 * ui.scale).c_str());
  ImGui::PopFont();
  if (!detail.empty()) {
    ImGui::SameLine();
    ImGui::PushFont(ui.fonts.small);
    ImGui::SetCursorPosY(ImGui::GetCursorPosY() + ImGui::GetTextLineHeight() * 0.45f);
    ImGui::TextDisabled("%s", elide(detail, ImGui::GetContentRegionAvail().x).c_str());
    ImGui::PopFont();
  }
  ImGui::EndChild();
  // The whole value and detail too: on a narrow card they may be elided.
  if (tooltip && ImGui::IsItemHovered())
    ImGui::SetTooltip("%s: %s%s%s\n%s", label, value.c_str(), detail.empty() ? "" : "  ", detail.c_str(), tooltip);
}

}  // namespace

void drawStatsRow(UiContext& ui) {
  AppController& app = *ui.app;
  const float spacing = ImGui::GetStyle().ItemSpacing.x;
  // Four cards in a row, or two rows of two when a card would be too narrow for its numbers.
  const float avail = ImGui::GetContentRegionAvail().x;
  const int per_row = (avail - 3 * spacing) / 4.0f >= 150 * ui.scale ? 4 : 2;
  const float w = (avail - float(per_row - 1) * spacing) / float(per_row);
  const float h = ImGui::GetFontSize() * 3.6f;
  if (!app.error().empty()) {
    // The message takes the stats row's place and height, so the panels below do not move when
    // it appears or goes (typing through an empty or invalid input).
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const float full_w = ImGui::GetContentRegionAvail().x;
    ImGui::BeginChild("##input_message", ImVec2(full_w, h), false, ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse);
    ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1.0f, 0.55f, 0.45f, 1.0f));
    ImGui::PushTextWrapPos(0);
    ImGui::TextUnformatted(boundedText(app.error(), kMaxUiParagraphBytes).c_str());
    ImGui::PopTextWrapPos();
    ImGui::PopStyleColor();
    ImGui::EndChild();
    if (ImGui::IsMouseHoveringRect(p, ImVec2(p.x + full_w, p.y + h)))
      ImGui::SetTooltip("%s", boundedText(app.error(), kMaxUiParagraphBytes).c_str());
    return;
  }
  if (!app.hasResult()) {
    ImGui::Dummy(ImVec2(w, h));
    return;
  }
  const MatrixStats& s = app.stats();
  // In "all heads" mode the numbers describe the mean matrix; say so.
  const bool of_mean = app.head().kind == HeadSelection::All;
  char buf[128];
  std::string tokens = app.nq() == app.nk() && app.shownSelfAttention() ? std::to_string(app.nq())
                                                                  : std::to_string(app.nq()) + " \xC3\x97 " +
                                                                        std::to_string(app.nk());
  card(ui, "##tokens", w, h, "Tokens", tokens, app.shownSelfAttention() ? "" : "target \xC3\x97 source",
       "Number of tokens: queries (rows) x keys (columns) in cross mode");
  ImGui::SameLine();
  if (app.summaryPending()) {
    // A real model's layer just in: its measures follow from the model worker in a moment.
    const char* why = "The model worker is measuring this layer's heads; the numbers follow in a moment.";
    card(ui, "##entropy", w, h, "Avg attention entropy", "\xE2\x80\xA6", "measuring", why);
    if (per_row == 4) ImGui::SameLine();
    card(ui, "##max", w, h, "Max attention weight", "\xE2\x80\xA6", "measuring", why);
    ImGui::SameLine();
    card(ui, "##most", w, h, "Most attended token", "\xE2\x80\xA6", "measuring", why);
    return;
  }
  std::snprintf(buf, sizeof buf, "%.2f bits", s.avg_entropy_bits);
  char detail[64];
  std::snprintf(detail, sizeof detail, "%.0f%% of max", s.avg_normalized_entropy * 100.0);
  card(ui, "##entropy", w, h, of_mean ? "Avg attention entropy (mean)" : "Avg attention entropy", buf, detail,
       "Mean over rows of -sum p log2 p (bits).\nAs a percentage of log2(visible keys): 100% = uniform, 0% = one key.");
  if (per_row == 4) ImGui::SameLine();
  // Row 0 of a causal map holds one key, so the maximum is trivially 1 there ("The -> The"): show
  // the largest weight of the other rows instead, and say so.
  const AppController::CellMax& past_first = app.maxPastFirstRow();
  const bool skip_first = past_first.w >= 0 && s.max_row == 0;
  const float max_w = skip_first ? past_first.w : s.max_weight;
  const int max_row = skip_first ? past_first.row : s.max_row, max_col = skip_first ? past_first.col : s.max_col;
  std::snprintf(buf, sizeof buf, "%.3f", double(max_w));
  const std::string cell = app.queryNames().empty() ? ""
                                                    : app.queryNames()[std::size_t(max_row)] + " \xE2\x86\x92 " +
                                                          app.keyNames()[std::size_t(max_col)];
  const char* max_title = skip_first ? (of_mean ? "Max weight after row 0 (mean)" : "Max weight after row 0")
                                     : (of_mean ? "Max attention weight (mean)" : "Max attention weight");
  card(ui, "##max", w, h, max_title, buf, cell,
       skip_first ? "The largest weight outside the first row: query -> key.\nThe first row of a causal map has one key, so its weight is always 1."
                  : "The largest weight in the shown matrix: query -> key");
  ImGui::SameLine();
  const std::string most = app.keyNames().empty() ? "" : app.keyNames()[std::size_t(s.most_attended_index)];
  std::snprintf(buf, sizeof buf, "\xCE\xA3 %.2f", s.column_sums.empty() ? 0.0 : s.column_sums[std::size_t(s.most_attended_index)]);
  card(ui, "##most", w, h, "Most attended token", most, buf,
       "The key with the largest column sum (the total attention it receives)");
}

}  // namespace attnviz::ui
