// The model picker (built-in simulated model, the models that ship with attnviz, models in the
// Hugging Face cache, a path field), the
// layer selector, and the switch of the main picture between heatmap, model view and rollout.
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include <imgui.h>
#include <imgui_stdlib.h>

#include "model/model_path.h"
#include "model/model_session.h"
#include "ui/model_holder.h"
#include "ui/model_load.h"
#include "ui/model_panel_state.h"
#include "ui/ui_context.h"

namespace attnviz::ui {

std::string modelDisplayName(const ModelHolder& m) { return model::modelDisplayName(m.name()); }

ModelPanelState& modelPanelState(UiContext& ui) {
  if (!ui.model_panel) ui.model_panel = std::make_shared<ModelPanelState>();
  return *ui.model_panel;
}

ModelHolder* modelOrExplain(UiContext& ui, const char* what) {
  if (ModelHolder* m = ui.app->model()) return m;
  ImGui::TextDisabled("%s a real model (Model, in the sidebar).", what);
  return nullptr;
}

void drawModelLoadProgress(UiContext& ui, const std::string& name) {
  AppController& app = *ui.app;
  const ModelLoad* load = app.modelLoad();
  if (!load) return;
  // Loading on a thread of its own: what is shown stays until the model is in.
  const model::ModelProgress p = load->progress();
  ImGui::PushFont(ui.fonts.small);
  ImGui::PushTextWrapPos(0);
  if (p.total > 0)
    ImGui::Text("Loading %s: %s %d / %d", model::modelDisplayName(load->name()).c_str(), p.what.c_str(), p.done, p.total);
  else
    ImGui::Text("Loading %s: %s", model::modelDisplayName(load->name()).c_str(), p.what.c_str());
  ui.nameLastItem((name + "_progress").c_str());
  ImGui::PopTextWrapPos();
  ImGui::PopFont();
  ImGui::ProgressBar(p.total > 0 ? float(p.done) / float(p.total) : 0.0f,
                     ImVec2(-ImGui::CalcTextSize("Cancel").x - ImGui::GetStyle().FramePadding.x * 2 - ImGui::GetStyle().ItemSpacing.x, 0),
                     "");
  ImGui::SameLine();
  if (ImGui::Button(("Cancel##" + name).c_str())) app.cancelModelLoad();
  ui.nameLastItem((name + "_cancel").c_str());
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("Stop loading; what is shown stays");
}

void drawModelPicker(UiContext& ui) {
  AppController& app = *ui.app;
  ModelPanelState& st = modelPanelState(ui);
  if (!st.cached_listed) {
    st.shipped = model::listShippedModels();
    st.cached = model::listCachedModels();
    st.cached_listed = true;
  }
  ImGui::TextUnformatted("Model");
  const char* simulated = "Simulated (built-in)";
  std::string current = simulated;
  if (app.modelShown()) current = modelDisplayName(*app.model());
  else if (app.importedData()) current = "Imported: " + app.importedName();
  ImGui::SetNextItemWidth(-1);
  if (ImGui::BeginCombo("##model", current.c_str())) {
    if (ImGui::Selectable(simulated, !app.modelShown() && !app.importedData())) app.useSimulatedModel();
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Hand-made heads with readable roles; no weights");
    for (const model::ShippedModel& m : st.shipped) {
      const std::string label = m.name + "  (trained here, ships with attnviz)";
      if (ImGui::Selectable(label.c_str(), app.modelShown() && app.model()->name() == m.name)) app.startLoadingModel(m.name);
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s\nTrained by scripts/train-demo-models.py; its README.md says on what", m.folder.string().c_str());
    }
    if (!st.shipped.empty()) ImGui::Separator();
    for (const model::CachedModel& m : st.cached) {
      if (ImGui::Selectable(m.name.c_str(), app.modelShown() && app.model()->name() == m.name)) app.startLoadingModel(m.name);
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", m.snapshot.string().c_str());
    }
    if (st.cached.empty())
      ImGui::TextDisabled("No models in the Hugging Face cache\n(%s)", model::huggingFaceHubCache().string().c_str());
    ImGui::Separator();
    if (ImGui::Selectable("Look in the cache again", false)) st.cached_listed = false;
    ImGui::EndCombo();
  }
  ImGui::SetNextItemWidth(-ImGui::CalcTextSize("Load").x - ImGui::GetStyle().FramePadding.x * 2 -
                          ImGui::GetStyle().ItemSpacing.x);
  const bool enter = ImGui::InputTextWithHint("##model_path", "model folder or name (gpt2)", &st.path,
                                              ImGuiInputTextFlags_EnterReturnsTrue);
  ui.nameLastItem("model_path");
  ImGui::SameLine();
  if ((ImGui::Button("Load") || enter) && !st.path.empty()) app.startLoadingModel(st.path);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("A folder with config.json, model.safetensors and the tokenizer files,\n"
                      "or a name in the Hugging Face cache. Nothing is downloaded.");
  drawModelLoadProgress(ui, "model_load");

  if (app.modelShown()) {
    ModelHolder& m = *app.model();
    const model::ModelConfig& cfg = m.facts().config;
    ImGui::PushFont(ui.fonts.small);
    ImGui::PushTextWrapPos(0);
    if (m.isEncoderDecoder()) {
      const model::ModelSnapshot& s = m.shown();
      ImGui::TextDisabled("%s: %d encoder + %d decoder layers x %d heads; source %zu, target %zu tokens (of %d)",
                          cfg.model_type.c_str(), m.facts().of(model::AttentionKind::encoder).layers,
                          m.facts().of(model::AttentionKind::decoder).layers, m.heads(), s.source_ids.size(), s.target_ids.size(),
                          m.maxTokens());
    } else if (m.kvHeads() != m.heads())
      ImGui::TextDisabled("%s: %d layers x %d heads (%d key/value groups), %d tokens of %d", cfg.model_type.c_str(),
                          m.layers(), m.heads(), m.kvHeads(), m.numTokens(), m.maxTokens());
    else
      ImGui::TextDisabled("%s: %d layers x %d heads, %d tokens of %d", cfg.model_type.c_str(), m.layers(), m.heads(),
                          m.numTokens(), m.maxTokens());
    const model::ForwardReport& f = m.lastForward();
    if (f.tokens > 0)
      ImGui::TextDisabled("Last forward: %d token%s run, %d reused from the cache, %.1f ms", f.recomputed,
                          f.recomputed == 1 ? "" : "s", f.reused_prefix, f.milliseconds);
    // The model's worker: what it is doing, and a way to stop it (the maps on screen stay).
    const model::ModelProgress progress = m.progress();
    if (app.modelWorking() && !progress.what.empty()) {
      if (progress.total > 0)
        ImGui::Text("%s %d / %d", progress.what.c_str(), std::min(progress.done + 1, progress.total), progress.total);
      else
        ImGui::Text("%s", progress.what.c_str());
      ui.nameLastItem("model_progress");
      // What Cancel can stop: a forward of a new text or a generation (the overview and the
      // measures of the text on screen simply finish).
      if (progress.what.rfind("importance", 0) == 0) {
        // Head importance: withdrawn until asked again (the measures' or the model view's box).
        ImGui::SameLine();
        if (ImGui::SmallButton("Cancel")) {
          m.cancelImportance();
          st.with_importance = false;
          st.grid_importance_mode = false;
        }
        ui.nameLastItem("model_cancel");
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("Stop computing head importance (the Importance boxes untick).");
      } else if (progress.what.rfind("forward", 0) == 0 || progress.what.rfind("generate", 0) == 0) {
        ImGui::SameLine();
        if (ImGui::SmallButton("Cancel")) app.stopModel();
        ui.nameLastItem("model_cancel");
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("Stop the forward or the generation; the maps on screen stay.");
      }
    }
    ImGui::PopTextWrapPos();
    ImGui::PopFont();
    int layer = app.layer();
    ImGui::SetNextItemWidth(-1);
    if (ImGui::SliderInt("##layer", &layer, 0, std::max(m.layers() - 1, 0), "Layer %d"))
      app.setLayer(layer);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Layers from 0, as Hugging Face numbers them.\n[ ] or PageUp/PageDown: previous / next layer");
  }
  drawValueViewSwitch(ui);
  ImGui::Separator();
}

void drawValueViewSwitch(UiContext& ui) {
  AppController& app = *ui.app;
  const std::string reason = app.contributionUnavailableReason();
  ImGui::PushFont(ui.fonts.small);
  int v = app.contributionView() && reason.empty() ? 1 : 0;
  ImGui::BeginDisabled(!reason.empty());
  ImGui::RadioButton("weight", &v, 0);
  ImGui::SameLine();
  ImGui::RadioButton("weight \xC3\x97 \xE2\x80\x96value\xE2\x80\x96 contribution", &v, 1);
  ui.nameLastItem("contribution_switch");
  ImGui::EndDisabled();
  if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled)) {
    if (!reason.empty())
      ImGui::SetTooltip("Unavailable: %s", reason.c_str());
    else
      ImGui::SetTooltip("C_ij = \xE2\x80\x96\xCE\xB1_ij v_j W_O^h\xE2\x80\x96: the size of what query i receives from key j through the "
                        "head,\nnot only how much it looks (Kobayashi et al. 2020, \"Attention is Not Only a Weight\").\n"
                        "Each row is divided by its sum so the colour scale compares with the weights.\n"
                        "Heatmap, arcs, stats, model view, measures and exports all follow.");
  }
  if (reason.empty()) app.setContributionView(v == 1);
  if (reason.empty() && app.contributionView()) {
    ImGui::PushTextWrapPos(0);
    ImGui::TextDisabled("Showing \xE2\x80\x96\xCE\xB1_ij v_j W_O^h\xE2\x80\x96 per row / row sum (Kobayashi et al. 2020), not weights.");
    ImGui::PopTextWrapPos();
  }
  ImGui::PopFont();
}

bool drawMainViewSwitch(UiContext& ui) {
  if (!ui.app->modelShown()) {
    ui.main_view = MainView::Heatmap;
    return false;
  }
  int v = int(ui.main_view);
  ImGui::RadioButton("Head", &v, int(MainView::Heatmap));
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("The selected layer and head as a heatmap");
  ImGui::SameLine();
  ImGui::RadioButton("Model view", &v, int(MainView::ModelGrid));
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("Every layer x head at once; click one to open it");
  ImGui::SameLine();
  ImGui::RadioButton("Rollout", &v, int(MainView::Rollout));
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("Attention rollout through all layers (Abnar & Zuidema 2020)");
  ui.main_view = MainView(v);
  ImGui::SameLine();
  // What the main view shows: the rollout and the model view are not the selected layer's head.
  const ModelHolder* m = ui.app->model();
  if (ui.main_view == MainView::Rollout && m)
    ImGui::TextDisabled("all %d layers, heads averaged", m->layers());  // short: this line sets the column's width
  else if (ui.main_view == MainView::ModelGrid && m)
    ImGui::TextDisabled("%d layers x %d heads", m->layers(), m->heads());
  else
    ImGui::TextDisabled("%s", ui.app->headLabel().c_str());
  return true;
}

}  // namespace attnviz::ui
