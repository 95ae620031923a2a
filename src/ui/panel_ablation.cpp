// The Ablation tab: heads to ablate (typed "L5H1,L6H9" or ctrl/cmd-clicked in the model view),
// zero or mean, an optional target token; the model's worker reruns from the first ablated layer
// and this shows the next-token top-k before and after, the KL divergence and the target's shift.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include <imgui.h>
#include <imgui_stdlib.h>

#include "model/model_error.h"
#include "ui/model_holder.h"
#include "ui/model_panel_state.h"
#include "ui/ui_context.h"

namespace attnviz::ui {

void applyAblationField(UiContext& ui) {
  ModelPanelState& st = modelPanelState(ui);
  ModelHolder* m = ui.app->model();
  if (!m) return;
  st.ablate_error.clear();
  const bool empty = st.ablate_heads.find_first_not_of(" \t,") == std::string::npos;
  if (empty) {
    st.ablate_parsed.clear();
    m->clearAblation();
    st.ablate_asked = 0;
    return;
  }
  try {
    st.ablate_parsed = model::parseHeadList(st.ablate_heads, m->layers(), m->heads());
  } catch (const model::ModelError& e) {
    st.ablate_error = e.what();  // the previous ablation stays on screen, marked as such
    return;
  }
  model::AblationRequest r;
  r.heads = st.ablate_parsed;
  r.mode = st.ablate_mode == 1 ? model::AblationMode::Mean : model::AblationMode::Zero;
  r.target = st.ablate_target;
  r.top_k = std::clamp(st.top_k, 1, 50);
  if (m->isEncoderDecoder()) {  // zero only, the translation compared; heads of the shown kind
    r.mode = model::AblationMode::Zero;
    r.target.clear();
    r.kind = ui.app->attentionKind();
  }
  st.ablate_asked = m->ablate(std::move(r));
}

namespace {

// An encoder-decoder's ablation: its own translation of the source without and with the heads.
void drawTranslationAblation(const model::ModelSnapshot& s) {
  const model::TranslationAblation& r = *s.translation_ablation;
  std::string names;
  for (const model::KindHeadRef& h : r.heads)
    names += (names.empty() ? "" : ", ") + std::string(model::attentionKindPrefix(h.kind)) + " " + model::headRefName(h.head);
  ImGui::TextWrapped("zero-ablated %s", names.c_str());
  ImGui::TextUnformatted("translation before");
  ImGui::Indent();
  ImGui::TextWrapped("%s", s.translation_before.c_str());
  ImGui::Unindent();
  ImGui::TextUnformatted("after");
  ImGui::Indent();
  ImGui::TextWrapped("%s", s.translation_after.c_str());
  ImGui::Unindent();
  if (r.first_difference < 0) ImGui::TextDisabled("the same translation");
  else ImGui::TextDisabled("they part at target token %d", r.first_difference);
  ImGui::TextWrapped("along the translation before, per token: KL = %.4f nats, ln p %.3f -> %.3f", r.kl_nats, r.logprob_before,
                     r.logprob_after);
}

void tokenTable(const char* id, const std::vector<model::NextToken>& tokens, const std::vector<model::NextToken>* other) {
  if (!ImGui::BeginTable(id, other ? 3 : 2, ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit)) return;
  for (const model::NextToken& t : tokens) {
    ImGui::TableNextRow();
    ImGui::TableSetColumnIndex(0);
    ImGui::TextUnformatted(t.token.c_str());
    ImGui::TableSetColumnIndex(1);
    ImGui::Text("%5.1f%%", t.prob * 100.0);
    if (other) {
      // Where the token stood before: a rank change tells a shift the top-k alone hides.
      ImGui::TableSetColumnIndex(2);
      auto it = std::find_if(other->begin(), other->end(), [&](const model::NextToken& o) { return o.id == t.id; });
      if (it == other->end()) ImGui::TextDisabled("new");
      else ImGui::TextDisabled("was #%d", int(it - other->begin()) + 1);
    }
  }
  ImGui::EndTable();
}

}  // namespace

void drawAblationPanel(UiContext& ui) {
  AppController& app = *ui.app;
  ModelHolder* model = modelOrExplain(ui, "Ablation needs");
  if (!model) return;
  ModelHolder& m = *model;
  ModelPanelState& st = modelPanelState(ui);
  const bool translator = m.isEncoderDecoder();
  ImGui::PushFont(ui.fonts.small);
  ImGui::PushTextWrapPos(0);
  if (translator)
    ImGui::TextDisabled("Remove heads of the attention shown (%s) and translate again: what does the model write without "
                        "them? Zero ablation; weights that look important need not matter (Michel et al. 2019).",
                        model::attentionKindName(app.attentionKind()));
  else
    ImGui::TextDisabled("Remove heads and rerun the text from the first removed layer (the layers below are reused): what "
                        "does the model predict without them? Weights that look important need not matter (Michel et al. 2019).");
  ImGui::PopTextWrapPos();
  bool apply = false;
  const float mode_width = ImGui::CalcTextSize("mean ").x + ImGui::GetFrameHeight() * 1.6f;
  ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x - mode_width - ImGui::GetStyle().ItemSpacing.x);
  apply |= ImGui::InputTextWithHint("##ablate_heads", "heads, e.g. L5H1,L6H9", &st.ablate_heads,
                                    ImGuiInputTextFlags_EnterReturnsTrue);
  ui.nameLastItem("ablate_heads");
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("Layers and heads from 0, comma-separated; or ctrl/cmd-click cells in the model view.\nEnter: ablate");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(mode_width);
  const char* modes[] = {"zero", "mean"};
  ImGui::BeginDisabled(translator);
  if (translator) st.ablate_mode = 0;
  if (ImGui::Combo("##ablate_mode", &st.ablate_mode, modes, 2)) apply = true;
  ImGui::EndDisabled();
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("zero: the head's output (before W_O) becomes 0, as if it were pruned; used for importance.\n"
                      "mean: it becomes its mean over this text's positions in the unablated run, which keeps the\n"
                      "average signal later layers expect and removes only what varies (TransformerLens offers both).\n"
                      "Mean is not causal: early positions receive an average that includes later tokens.");
  // Second line: the target field takes what the two buttons after it leave, so neither is cut.
  const ImGuiStyle& style = ImGui::GetStyle();
  const float buttons = ImGui::CalcTextSize("Ablate").x + ImGui::CalcTextSize("Clear").x + 4 * style.FramePadding.x +
                        2 * style.ItemSpacing.x;
  if (!translator) {  // a translation is compared whole: no single target token
    ImGui::SetNextItemWidth(std::max(ImGui::GetFontSize() * 3, ImGui::GetContentRegionAvail().x - buttons));
    apply |= ImGui::InputTextWithHint("##ablate_target", "target token (optional)", &st.ablate_target,
                                      ImGuiInputTextFlags_EnterReturnsTrue);
    if (ImGui::IsItemHovered())
      ImGui::SetTooltip("One token of the model's tokenizer (\" cat\" with its space), or #ID: its log-probability\n"
                        "before and after is shown. Enter: ablate");
    ImGui::SameLine();
  }
  apply |= ImGui::Button("Ablate");
  ui.nameLastItem("ablate_button");
  ImGui::SameLine();
  if (ImGui::Button("Clear")) {
    st.ablate_heads.clear();
    apply = true;
  }
  if (apply) applyAblationField(ui);

  if (!st.ablate_error.empty()) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.95f, 0.40f, 0.30f, 1));
    ImGui::TextUnformatted(st.ablate_error.c_str());
    ImGui::PopStyleColor();
    ui.nameLastItem("ablate_error");
  }
  const model::ModelSnapshot& s = m.shown();
  if (st.ablate_asked == 0) {
    ImGui::TextDisabled("Nothing ablated.");
    ImGui::PopFont();
    return;
  }
  if (s.ablation.id != st.ablate_asked) {
    ImGui::TextDisabled("Ablating...");
    ImGui::PopFont();
    return;
  }
  if (s.translation_ablation) {
    drawTranslationAblation(s);
    ImGui::PopFont();
    return;
  }
  if (!s.ablation_error.empty() || !s.ablation_outcome) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.95f, 0.40f, 0.30f, 1));
    ImGui::TextWrapped("Ablation: %s", s.ablation_error.c_str());
    ImGui::PopStyleColor();
    ImGui::PopFont();
    return;
  }
  const model::AblationOutcome& r = *s.ablation_outcome;
  std::string names;
  for (const model::HeadRef& h : r.heads) names += (names.empty() ? "" : ", ") + model::headRefName(h);
  ImGui::TextWrapped("%s-ablated %s; rerun from layer %d. KL(before || after) = %.4f nats", r.mode == model::AblationMode::Mean ? "mean" : "zero",
              names.c_str(), r.rerun_from_layer, r.kl_nats);
  ui.nameLastItem("ablate_summary");
  if (r.target_id >= 0)
    ImGui::TextWrapped("ln p(%s): %.3f -> %.3f (change %+.3f)", s.ablation_target_label.c_str(), r.target_logprob_before,
                r.target_logprob_after, r.target_logprob_after - r.target_logprob_before);
  if (r.has_loss)
    ImGui::TextWrapped("next-token loss of the text: %.4f -> %.4f nats (%+.4f)", r.loss_before, r.loss_after, r.loss_after - r.loss_before);
  const float w = ImGui::GetContentRegionAvail().x * 0.5f;
  ImGui::BeginGroup();
  ImGui::TextUnformatted("before");
  ImGui::PushItemWidth(w);
  tokenTable("##ablate_before", r.before, nullptr);
  ImGui::PopItemWidth();
  ImGui::EndGroup();
  ImGui::SameLine(w + ImGui::GetStyle().ItemSpacing.x);
  ImGui::BeginGroup();
  ImGui::TextUnformatted("after");
  tokenTable("##ablate_after", r.after, &r.before);
  ImGui::EndGroup();
  ImGui::PopFont();
}

}  // namespace attnviz::ui
