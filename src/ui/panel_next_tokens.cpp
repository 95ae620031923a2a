// Next-token view of a real model: the top-k tokens after the selected position (the last one by
// default) with their probabilities, and Generate: append the top or a sampled (seeded) token and
// watch attention grow, a token per step of the model's worker, through the KV cache. For an encoder (BERT family) it is
// Fill mask: the top-k fillers of the selected [MASK] (else the first), from the masked-LM head.
#include <algorithm>

#include <imgui.h>

#include "ui/model_holder.h"
#include "ui/model_panel_state.h"
#include "ui/number_format.h"
#include "ui/text_bounds.h"
#include "ui/ui_context.h"

namespace attnviz::ui {
namespace {
void drawGenerateControls(UiContext& ui, ModelPanelState& st, int position, int n, const std::vector<std::string>& labels);
void drawTokenBars(UiContext& ui, const std::vector<model::NextToken>& next);
}  // namespace

void drawNextTokensPanel(UiContext& ui) {
  AppController& app = *ui.app;
  ModelHolder* model = modelOrExplain(ui, "The next-token view needs");
  if (!model) return;
  ModelHolder& m = *model;
  ModelPanelState& st = modelPanelState(ui);
  // An encoder-decoder predicts the target's next token: its rows, whichever kind is shown (the
  // selected row when the rows are the target's, else the last target token).
  const bool encoder_decoder = m.isEncoderDecoder();
  const int n = encoder_decoder ? int(m.shown().target_ids.size()) : m.numTokens();
  if (n == 0 || !app.hasResult()) {
    // A text the model refused: the reason, not "no tokens" under a full sentence box.
    ImGui::PushTextWrapPos(0);
    if (!app.error().empty()) ImGui::TextDisabled("Nothing to predict from: %s", boundedText(app.error(), kMaxUiParagraphBytes).c_str());
    else ImGui::TextDisabled("No tokens yet.");
    ImGui::PopTextWrapPos();
    return;
  }
  const auto& labels = encoder_decoder ? m.shown().target_labels : m.tokenLabels();
  int position = encoder_decoder && m.kind() == model::AttentionKind::encoder ? n - 1 : std::clamp(app.selectedQuery(), 0, n - 1);
  const model::ModelFacts& facts = m.facts();
  if (facts.encoder) {
    const std::vector<int>& masks = m.shown().mask_positions;
    if (!facts.has_lm_head) {
      ImGui::PushTextWrapPos(0);
      ImGui::TextDisabled("This checkpoint has no masked-LM head (a %sModel file): its attention shows, but it fills in no [MASK].",
                          facts.config.model_type.c_str());
      ImGui::PopTextWrapPos();
      return;
    }
    if (masks.empty()) {
      ImGui::PushTextWrapPos(0);
      ImGui::TextDisabled("Fill mask: put %s in the text and the model's most probable words for it show here.",
                          facts.mask_label.empty() ? "[MASK]" : facts.mask_label.c_str());
      ImGui::PopTextWrapPos();
      return;
    }
    if (std::find(masks.begin(), masks.end(), position) == masks.end()) position = masks.front();
    ImGui::Text("Fill mask at token %d '%s'%s", position, labels[std::size_t(position)].c_str(),
                masks.size() > 1 ? " (select another mask's row to see it)" : "");
  }
  if (!facts.encoder) drawGenerateControls(ui, st, position, n, labels);
  // On a line of its own: beside the heading it was cut at the panel's edge ("top" without "k").
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8);
  ImGui::SliderInt("top k", &st.top_k, 1, 30);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip(facts.encoder ? "How many of the most probable fillers to list." : "How many of the most probable next tokens to list.");
  ui.nameLastItem("top_k");
  const auto& next = m.nextTokens(st.top_k, position);
  if (next.empty() && m.nextTokensPending(st.top_k, position)) ImGui::TextDisabled("computing\xE2\x80\xA6");
  else if (next.empty() && !m.shown().next_error.empty()) ImGui::TextDisabled("%s", boundedText(m.shown().next_error, kMaxUiParagraphBytes).c_str());
  drawTokenBars(ui, next);
}

}  // namespace attnviz::ui

namespace attnviz::ui {
namespace {

void drawGenerateControls(UiContext& ui, ModelPanelState& st, int position, int n, const std::vector<std::string>& labels) {
  const bool encoder_decoder = ui.app->model()->isEncoderDecoder();
  ImGui::Text("After %stoken %d '%s'%s", encoder_decoder ? "target " : "", position,
              position < int(labels.size()) ? labels[std::size_t(position)].c_str() : "", position == n - 1 ? " (the last)" : "");
  AppController& app = *ui.app;
  const bool generating = app.generating();
  const bool full = n >= app.model()->maxTokens();
  ImGui::BeginDisabled(generating || full);
  if (ImGui::Button("Generate 1")) app.generate(1, st.sample, std::uint64_t(st.seed));
  ui.nameLastItem("generate1");
  ImGui::SameLine();
  if (ImGui::Button("Generate 10")) app.generate(std::min(10, app.model()->maxTokens() - n), st.sample, std::uint64_t(st.seed));
  ui.nameLastItem("generate10");
  ImGui::EndDisabled();
  if (generating) {
    ImGui::SameLine();
    if (ImGui::Button("Stop")) app.stopModel();
    ui.nameLastItem("generate_stop");
  }
  ImGui::SameLine();
  ImGui::Checkbox("Sample", &st.sample);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("Off: append the most probable token. On: draw one from the distribution (seeded).");
  if (st.sample) {
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 5);
    ImGui::InputInt("seed", &st.seed);
  }
}

void drawTokenBars(UiContext& ui, const std::vector<model::NextToken>& next) {
  const float w = ImGui::GetContentRegionAvail().x;
  const float label_w = std::min(w * 0.35f, 180 * ui.scale);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  ImGui::PushFont(ui.fonts.mono);
  // Room for the widest number (small probabilities print in scientific notation).
  const float number_w = ImGui::CalcTextSize("3.1e-06%").x + 8 * ui.scale;
  const float track_w = std::max(1.0f, w - label_w - number_w);
  for (const model::NextToken& t : next) {
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const float h = ImGui::GetTextLineHeight();
    const std::string label = elide(t.token, label_w - 4 * ui.scale);
    dl->AddText(p, palette().label, label.c_str());
    const float bar_x = p.x + label_w, bar_w = std::max(1.0f, track_w * float(t.prob));
    dl->AddRectFilled(ImVec2(bar_x, p.y + 2), ImVec2(bar_x + track_w, p.y + h - 2), palette().box);
    dl->AddRectFilled(ImVec2(bar_x, p.y + 2), ImVec2(bar_x + bar_w, p.y + h - 2), accentColor());
    const std::string pct = formatProbabilityPercent(t.prob);
    dl->AddText(ImVec2(p.x + w - ImGui::CalcTextSize(pct.c_str()).x, p.y), palette().label, pct.c_str());
    ImGui::Dummy(ImVec2(w, h));
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("id %d   p = %.3g", t.id, t.prob);
  }
  ImGui::PopFont();
}

}  // namespace
}  // namespace attnviz::ui
