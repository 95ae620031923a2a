// The explanation: what the picture is, in the project's own words, with the live numbers of the
// selected query (its raw scores, the scaled scores and the softmax that makes the row).
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/teaching.h"
#include "ui/ui_context.h"

namespace attnviz::ui {
namespace {

void paragraph(const char* heading, const char* text) {
  ImGui::PushStyleColor(ImGuiCol_Text, palette().section);
  ImGui::TextUnformatted(heading);
  ImGui::PopStyleColor();
  ImGui::PushTextWrapPos(0);
  ImGui::TextUnformatted(text);
  ImGui::PopTextWrapPos();
  ImGui::Spacing();
}

}  // namespace

void drawExplanationPanel(UiContext& ui) {
  AppController& app = *ui.app;
  const QueryMaths* m = app.selectedMaths();
  if (m && app.hasResult()) {
    const int i = m->query;
    const auto& klab = app.keyLabels();
    ImGui::PushStyleColor(ImGuiCol_Text, palette().section);
    ImGui::Text("The row of \"%s\", step by step (head %s)", app.queryLabels()[std::size_t(i)].c_str(),
                app.headNames()[std::size_t(m->head)].c_str());
    ImGui::PopStyleColor();
    ImGui::PushFont(ui.fonts.mono);
    ImGui::TextWrapped("w_j = softmax_j( q\xC2\xB7k_j / \xE2\x88\x9A" "d / T ),  \xE2\x88\x9A" "d = %.2f (d = %d),  T = %.2f",
                       m->sqrt_d, int(m->query_vector.size()), m->temperature);
    ImGui::PopFont();
    if (app.head().kind != HeadSelection::Single)
      ImGui::TextDisabled("(the heatmap shows %s; the steps are for one head)", app.headLabel().c_str());
    const ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingStretchProp |
                                  ImGuiTableFlags_ScrollY;
    const float pad = 2 * ImGui::GetStyle().CellPadding.y;
    const float row_h = ui.fonts.mono->FontSize * ImGui::GetIO().FontGlobalScale + pad;
    const float table_h = ImGui::GetTextLineHeight() + pad + row_h * float(std::min<std::size_t>(m->raw_scores.size(), 10)) + 2;
    if (ImGui::BeginTable("##maths", 4, flags, ImVec2(0, table_h))) {
      ImGui::TableSetupScrollFreeze(0, 1);
      ImGui::TableSetupColumn("key");
      ImGui::TableSetupColumn("q\xC2\xB7k");
      ImGui::TableSetupColumn(m->score_bias.empty() ? "/ \xE2\x88\x9A" "d / T" : "(/ \xE2\x88\x9A" "d + bias) / T");
      ImGui::TableSetupColumn("softmax");
      ImGui::TableHeadersRow();
      ImGui::PushFont(ui.fonts.mono);
      for (std::size_t j = 0; j < m->raw_scores.size(); ++j) {
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(elide(klab[j], ImGui::GetContentRegionAvail().x).c_str());
        ImGui::TableNextColumn();
        if (!m->visible[j]) {
          ImGui::TextDisabled("masked");
          ImGui::TableNextColumn();
          ImGui::TextDisabled("-inf");
          ImGui::TableNextColumn();
          ImGui::TextDisabled("0");
          continue;
        }
        ImGui::Text("%+.2f", m->raw_scores[j]);
        ImGui::TableNextColumn();
        ImGui::Text("%+.3f", m->scaled_scores[j]);
        ImGui::TableNextColumn();
        ImGui::Text("%.4f", m->weights[j]);
      }
      ImGui::PopFont();
      ImGui::EndTable();
    }
    ImGui::Spacing();
  } else if (app.importedData()) {
    ImGui::TextWrapped("Imported probabilities: the scores behind them are not known, so the step-by-step maths is not shown.");
  }
  paragraph("The formula",
            "Every token is turned into a query q, a key k and a value v. The query of token i is compared with "
            "the key of every token j by a dot product; the scores are divided by \xE2\x88\x9A" "d so that they do not grow "
            "with the vector width, then by the temperature T; a softmax turns the row into weights that are "
            "positive and sum to 1. The output of token i is the weighted sum of the values.");
  paragraph("Self and cross",
            "In self-attention the rows and the columns are the same sentence. In cross-attention the rows are the "
            "target (decoder) tokens and the columns the source (encoder) tokens: it is how a translation looks back "
            "at the sentence it translates.");
  paragraph("Several heads",
            "A layer runs several heads side by side, each with its own projections, so each can specialise: one "
            "looks at neighbours, one follows grammar, one links related words, one spreads out. Choose 'All heads' "
            "to compare them; 'Mean' averages them.");
  paragraph("Reading the heatmap",
            "Cell (i, j) is how much query i takes from key j; each row sums to 1. A bright diagonal means tokens "
            "look at themselves; a bright stripe below it, at the previous token; a bright column, a token everyone "
            "looks at (often the first: an attention sink). Hatched cells are masked and can never be attended.");
  paragraph("Entropy and temperature",
            "Entropy (in bits) says how spread a row is: 0 bits for a single key, log2(n) bits for a uniform row; "
            "the stats row also gives it as a share of that maximum so rows of different length compare. A low "
            "temperature sharpens the softmax toward the largest score; a high one flattens it toward uniform.");
  // The teaching sections (core/teaching.cpp), folded so the tab stays short; each ends with its sources.
  for (const TeachingSection& section : teachingSections()) {
    if (!ImGui::CollapsingHeader(section.title.c_str())) continue;
    ImGui::PushTextWrapPos(0);
    for (const std::string& p : section.paragraphs) {
      ImGui::TextUnformatted(p.c_str());
      ImGui::Spacing();
    }
    std::string sources = "Sources: ";
    for (std::size_t k = 0; k < section.cites.size(); ++k) sources += (k ? "; " : "") + section.cites[k];
    ImGui::PushFont(ui.fonts.small);
    ImGui::TextDisabled("%s", sources.c_str());
    ImGui::PopFont();
    ImGui::PopTextWrapPos();
    ImGui::Spacing();
  }
  if (ImGui::CollapsingHeader("FAQ")) {
    ImGui::PushTextWrapPos(0);
    for (const FaqEntry& e : teachingFaq()) {
      ImGui::PushStyleColor(ImGuiCol_Text, palette().section);
      ImGui::TextUnformatted(e.question.c_str());
      ImGui::PopStyleColor();
      ImGui::TextUnformatted(e.answer.c_str());
      ImGui::Spacing();
    }
    ImGui::PopTextWrapPos();
  }
  if (ImGui::CollapsingHeader("References")) {
    ImGui::PushFont(ui.fonts.small);
    ImGui::PushTextWrapPos(0);
    for (const Reference& r : teachingReferences()) ImGui::BulletText("%s", r.full.c_str());
    ImGui::PopTextWrapPos();
    ImGui::PopFont();
  }
}

}  // namespace attnviz::ui
