// Input & configuration: sentence(s), mode, mask, head, temperature, engine, colormap, examples,
// and bringing your own .npy matrices.
#include <cmath>
#include <cstdio>

#include <imgui.h>
#include <imgui_stdlib.h>

#include "ui/ui_context.h"

namespace attnviz::ui {
namespace {

const char* kEngines[] = {"auto", "gpu-compute", "gpu-fragment", "cpu-fast", "cpu-ref"};

void temperatureSlider(UiContext& ui) {
  AppController& app = *ui.app;
  float t = app.temperature();
  ImGui::SetNextItemWidth(-ImGui::GetFontSize() * 3.2f);
  const ImVec2 slider_pos = ImGui::GetCursorScreenPos();
  if (ImGui::SliderFloat("##temperature", &t, kMinTemperatureUi, kMaxTemperatureUi, "T = %.2f",
                         ImGuiSliderFlags_Logarithmic | ImGuiSliderFlags_AlwaysClamp))
    app.setTemperature(t);
  const ImVec2 slider_size = ImGui::GetItemRectSize();
  ImGui::SameLine();
  if (ImGui::Button("1.0")) app.setTemperature(1.0f);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("Back to T = 1 (plain softmax)");
  // A tick where T = 1 sits on the log scale, so the neutral point is always visible.
  const float grab = ImGui::GetStyle().GrabMinSize;
  const float pad = ImGui::GetStyle().FramePadding.x;
  const float frac = std::log(1.0f / kMinTemperatureUi) / std::log(kMaxTemperatureUi / kMinTemperatureUi);
  const float x0 = slider_pos.x + pad + grab * 0.5f, x1 = slider_pos.x + slider_size.x - pad - grab * 0.5f;
  const float x = x0 + (x1 - x0) * frac;
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float y = slider_pos.y + slider_size.y;
  dl->AddLine(ImVec2(x, y), ImVec2(x, y + 5 * ui.scale), IM_COL32(200, 210, 230, 255), 2.0f);
  ImGui::PushFont(ui.fonts.small);
  ImGui::Dummy(ImVec2(1, 4 * ui.scale));
  const float label_y = ImGui::GetCursorScreenPos().y;
  dl->AddText(ImVec2(slider_pos.x + pad, label_y), IM_COL32(150, 156, 170, 255), "sharper");
  dl->AddText(ImVec2(x - ImGui::CalcTextSize("1.0").x * 0.5f, label_y), IM_COL32(200, 210, 230, 255), "1.0");
  const char* flat = "flatter";
  dl->AddText(ImVec2(slider_pos.x + slider_size.x - pad - ImGui::CalcTextSize(flat).x, label_y),
              IM_COL32(150, 156, 170, 255), flat);
  ImGui::Dummy(ImVec2(1, ImGui::GetFontSize()));
  ImGui::PopFont();
}

void headPicker(UiContext& ui) {
  AppController& app = *ui.app;
  std::vector<std::string> names = app.headNames();
  if (names.empty()) names = app.mode() == AttentionMode::Cross ? crossHeadNames() : selfHeadNames();
  const HeadSelection cur = app.head();
  const float avail = ImGui::GetContentRegionAvail().x;
  const int per_row = avail > 330 * ui.scale ? 3 : 2;
  const float w = (avail - ImGui::GetStyle().ItemSpacing.x * float(per_row - 1)) / float(per_row);
  int n = 0;
  auto item = [&](const std::string& label, HeadSelection sel, const char* tip) {
    const bool active = cur.kind == sel.kind && (sel.kind != HeadSelection::Single || cur.index == sel.index);
    if (n % per_row != 0) ImGui::SameLine();
    ++n;
    if (active) ImGui::PushStyleColor(ImGuiCol_Button, ImGui::GetStyleColorVec4(ImGuiCol_HeaderActive));
    if (ImGui::Button(label.c_str(), ImVec2(w, 0))) app.setHead(sel);
    if (active) ImGui::PopStyleColor();
    if (tip && ImGui::IsItemHovered()) ImGui::SetTooltip("%s", tip);
  };
  for (int h = 0; h < int(names.size()); ++h) {
    char label[96];
    if (app.modelShown())  // real models: "L5H1", numbered from 0 as Hugging Face does
      std::snprintf(label, sizeof label, "%s", names[std::size_t(h)].c_str());
    else
      std::snprintf(label, sizeof label, "%d %s", h + 1, names[std::size_t(h)].c_str());
    item(label, {HeadSelection::Single, h}, nullptr);
  }
  item("Mean", {HeadSelection::Mean, 0}, "Average of all heads");
  item("All heads", {HeadSelection::All, 0}, "Every head side by side (small multiples)");
}

}  // namespace

void drawInputPanel(UiContext& ui) {
  AppController& app = *ui.app;
  sectionTitle("Input & configuration");
  ImGui::Spacing();
  drawModelPicker(ui);  // panel_model.cpp

  if (app.importedData()) {
    ImGui::TextWrapped("Showing imported data: %s", app.importedName().c_str());
    if (ImGui::Button("Back to the simulated model")) app.useSimulatedModel();
    ImGui::Separator();
  }

  const bool cross = app.mode() == AttentionMode::Cross;
  ImGui::TextUnformatted(cross ? "Source sentence (encoder, columns)" : "Sentence");
  std::string text = app.text();
  const ImVec2 box_pos = ImGui::GetCursorScreenPos();
  if (ImGui::InputTextMultiline("##text", &text, ImVec2(-1, ImGui::GetTextLineHeight() * 4.2f)))
    app.setText(text);
  ui.text_box_rect = ImVec4(box_pos.x, box_pos.y, box_pos.x + ImGui::GetItemRectSize().x,
                            box_pos.y + ImGui::GetItemRectSize().y);
  if (cross) {
    ImGui::TextUnformatted("Target sentence (decoder, rows)");
    std::string target = app.target();
    if (ImGui::InputTextMultiline("##target", &target, ImVec2(-1, ImGui::GetTextLineHeight() * 3.0f)))
      app.setTarget(target);
  }

  const auto& ex = examples();
  ImGui::SetNextItemWidth(-1);
  if (ImGui::BeginCombo("##examples", "Examples...")) {
    for (int i = 0; i < int(ex.size()); ++i)
      if (ImGui::Selectable(ex[std::size_t(i)].title.c_str())) app.loadExample(i);
    ImGui::EndCombo();
  }
  ImGui::Spacing();

  if (!app.modelShown()) {  // a real decoder-only model decides both: self-attention, causal
    int mode = cross ? 1 : 0;
    if (ImGui::RadioButton("Self-attention", &mode, 0)) app.setMode(AttentionMode::Self);
    ImGui::SameLine();
    if (ImGui::RadioButton("Cross-attention", &mode, 1)) app.setMode(AttentionMode::Cross);
    bool causal = app.causal();
    if (ImGui::Checkbox("Causal mask (no looking ahead)", &causal)) app.setCausal(causal);
    if (ImGui::IsItemHovered())
      ImGui::SetTooltip("Query i may only attend to keys j <= i, as in a decoder.\nMasked cells are hatched.");
  }

  ImGui::Spacing();
  ImGui::TextUnformatted("Head");
  headPicker(ui);

  ImGui::Spacing();
  ImGui::TextUnformatted("Temperature (log scale)");
  temperatureSlider(ui);

  ImGui::TextUnformatted("Engine");
  ImGui::SetNextItemWidth(-1);
  const std::string requested = app.engineRequested();
  if (ImGui::BeginCombo("##engine", requested.c_str())) {
    for (const char* e : kEngines)
      if (ImGui::Selectable(e, requested == e)) app.setEngine(e);
    ImGui::EndCombo();
  }
  ImGui::PushFont(ui.fonts.small);
  ImGui::TextDisabled("Active: %s, %.2f ms compute", app.engineUsed().empty() ? "-" : app.engineUsed().c_str(),
                      app.computeMs());
  if (!app.engineNote().empty()) {
    ImGui::PushTextWrapPos(0);
    // A fallback after a failure is a warning; a deliberate choice is just information.
    const bool warning = app.engineNote().find("unavailable") != std::string::npos;
    ImGui::TextColored(warning ? ImVec4(0.95f, 0.75f, 0.35f, 1) : ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled), "%s",
                       app.engineNote().c_str());
    ImGui::PopTextWrapPos();
  }
  ImGui::PopFont();

  ImGui::TextUnformatted("Colormap");
  ImGui::SetNextItemWidth(-1);
  auto cmapLabel = [](Colormap c) {
    return std::string(colormapName(c)) + (c == Colormap::Cividis ? " (colour-blind safe)" : "");
  };
  if (ImGui::BeginCombo("##colormap", cmapLabel(app.colormap()).c_str())) {
    for (Colormap c : allColormaps())
      if (ImGui::Selectable(cmapLabel(c).c_str(), c == app.colormap())) app.setColormap(c);
    ImGui::EndCombo();
  }
  {  // the map itself, as a strip
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const float w = ImGui::GetContentRegionAvail().x, h = 8 * ui.scale;
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const int steps = 48;
    for (int i = 0; i < steps; ++i) {
      const float a = float(i) / steps, b = float(i + 1) / steps;
      dl->AddRectFilledMultiColor(ImVec2(p.x + w * a, p.y), ImVec2(p.x + w * b + 0.5f, p.y + h),
                                  colormapColor(app.colormap(), a), colormapColor(app.colormap(), b),
                                  colormapColor(app.colormap(), b), colormapColor(app.colormap(), a));
    }
    ImGui::Dummy(ImVec2(w, h));
  }

  ImGui::Spacing();
  ImGui::Separator();
  ImGui::TextUnformatted("Your own matrices (.npy)");
  ImGui::SetNextItemWidth(-ImGui::CalcTextSize("Open").x - ImGui::GetStyle().FramePadding.x * 2 -
                          ImGui::GetStyle().ItemSpacing.x);
  const bool enter = ImGui::InputTextWithHint("##npy", "path to .npy or folder", &ui.npy_path,
                                              ImGuiInputTextFlags_EnterReturnsTrue);
  ImGui::SameLine();
  if ((ImGui::Button("Open") || enter) && !ui.npy_path.empty()) app.loadPaths({ui.npy_path});
  ImGui::PushFont(ui.fonts.small);
  ImGui::PushTextWrapPos(0);
  ImGui::TextDisabled("Or drop files onto the window: probabilities [h,nq,nk], or q.npy + k.npy (+ tokens.txt).");
  ImGui::PopTextWrapPos();
  ImGui::PopFont();
}

}  // namespace attnviz::ui
