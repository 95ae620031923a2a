// Input & configuration: sentence(s), mode, mask, head, temperature, engine, colormap, examples,
// and bringing your own .npy matrices.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include <imgui.h>
#include <imgui_stdlib.h>

#include "model/model_session.h"
#include "model/tokenizer_model.h"
#include "ui/model_holder.h"
#include "ui/frame_pacing.h"
#include "ui/ui_context.h"
#include "ui/text_bounds.h"

namespace attnviz::ui {
namespace {

const char* kEngines[] = {"auto", "gpu-compute", "gpu-fragment", "cpu-fast", "cpu-ref"};

// Word wrap for the sentence boxes (ImGui 1.86's multiline input never wraps): the spaces where a
// line must break become '\n' and every other '\n' a space. The length does not change, so the
// cursor and selection stay where they were while the person types; the app is given the text
// with the breaks turned back into spaces (a sentence's tokens are the same either way).
void wrapInPlace(char* text, int len, float width) {
  for (int i = 0; i < len; ++i)
    if (text[i] == '\n') text[i] = ' ';
  int line_start = 0, last_space = -1;
  for (int i = 0; i <= len; ++i) {
    if (i < len && text[i] != ' ') continue;
    // text[line_start, i) is the line so far up to the end of a word.
    if (last_space >= line_start && ImGui::CalcTextSize(text + line_start, text + i).x > width) {
      text[last_space] = '\n';
      line_start = last_space + 1;
    }
    last_space = i;
  }
}

std::string unwrapped(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  return text;
}

int wrapCallback(ImGuiInputTextCallbackData* data) {
  const float width = *static_cast<const float*>(data->UserData);
  std::string before(data->Buf, std::size_t(data->BufTextLen));
  wrapInPlace(data->Buf, data->BufTextLen, width);
  if (before.compare(0, before.size(), data->Buf, std::size_t(data->BufTextLen)) != 0) data->BufDirty = true;
  return 0;
}

// A sentence box that wraps its text and grows with it from min_lines up to max_lines (then it
// scrolls). Returns true with *text (breaks as spaces) when the person edited it.
bool wrappingTextBox(const char* id, const std::string& current, std::string* edited, float min_lines, float max_lines) {
  const ImGuiStyle& style = ImGui::GetStyle();
  const float width = ImGui::GetContentRegionAvail().x;
  float wrap_w = width - 2 * style.FramePadding.x - style.ScrollbarSize;
  // Wrapped once per change of text, width or font size, not every frame (long paragraphs).
  struct WrapCache {
    std::string source, wrapped;
    float width = -1, font = -1;
  };
  static std::map<std::string, WrapCache> caches;
  WrapCache& cache = caches[id];
  if (cache.width != wrap_w || cache.font != ImGui::GetFontSize() || cache.source != current) {
    cache.source = current;
    cache.wrapped = current;
    wrapInPlace(cache.wrapped.data(), int(cache.wrapped.size()), wrap_w);
    cache.width = wrap_w;
    cache.font = ImGui::GetFontSize();
  }
  std::string shown = cache.wrapped;
  const float lines = float(std::count(shown.begin(), shown.end(), '\n') + 1);
  const float h = std::clamp(lines + 0.3f, min_lines, max_lines) * ImGui::GetTextLineHeight() + 2 * style.FramePadding.y;
  if (!ImGui::InputTextMultiline(id, &shown, ImVec2(width, h), ImGuiInputTextFlags_CallbackAlways, wrapCallback, &wrap_w))
    return false;
  *edited = unwrapped(shown);
  return *edited != current;
}

const char* engineTip(const char* engine) {
  const std::string e = engine;
  if (e == "auto") return "auto: the GPU compute path where a real GPU is present, else cpu-fast";
  if (e == "gpu-compute") return "gpu-compute: OpenGL 4.3 compute shaders; the heatmap samples the result texture directly";
  if (e == "gpu-fragment") return "gpu-fragment: the same maths in fragment shaders, for GL 3.3 drivers without compute";
  if (e == "cpu-fast") return "cpu-fast: vectorised float32 on all cores (large problems on AMX bf16 tiles where the CPU has them)";
  if (e == "cpu-ref") return "cpu-ref: the reference (double accumulation, max-subtracted softmax); slow, always right";
  return "";
}

void temperatureSlider(UiContext& ui) {
  AppController& app = *ui.app;
  float t = app.temperature();
  // The value beside the slider, not inside it: the grab would cover it at T near 1.
  ImGui::AlignTextToFramePadding();
  const float value_w = ImGui::CalcTextSize("T = 10.00").x;
  const ImVec2 value_pos = ImGui::GetCursorScreenPos();
  ImGui::Text("T = %.2f", double(t));
  ImGui::SameLine(0, 0);
  ImGui::SetCursorScreenPos(ImVec2(value_pos.x + value_w + ImGui::GetStyle().ItemSpacing.x, value_pos.y));
  ImGui::SetNextItemWidth(-ImGui::GetFontSize() * 3.2f);
  const ImVec2 slider_pos = ImGui::GetCursorScreenPos();
  if (ImGui::SliderFloat("##temperature", &t, kMinTemperatureUi, kMaxTemperatureUi, "",
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

bool hasCharactersBeyondBmp(const std::string& utf8) {
  for (char c : utf8)
    if ((static_cast<unsigned char>(c) & 0xF8) == 0xF0) return true;  // the lead byte of a 4-byte sequence
  return false;
}

// A control that does not apply is drawn disabled with the reason beneath it, never silently inert.
void disabledReason(UiContext& ui, const std::string& reason) {
  ImGui::PushFont(ui.fonts.small);
  ImGui::PushTextWrapPos(0);
  ImGui::TextDisabled("%s", reason.c_str());
  ImGui::PopTextWrapPos();
  ImGui::PopFont();
}

// What each simulated head is built to do (simulated_model.cpp), for the head buttons' tooltips.
const char* headTip(const std::string& name) {
  if (name == "Positional") return "Positional: each token attends to the token just before it";
  if (name == "Syntactic") return "Syntactic: each word attends to its syntactic partner (a determiner to its noun, a verb to its subject)";
  if (name == "Semantic") return "Semantic: words attend to related words (river and bank), not to themselves";
  if (name == "Global") return "Global: broad attention with a pull towards the first token (an attention 'sink')";
  if (name == "Alignment") return "Alignment: target position i attends to the source position at the same relative place";
  if (name == "Lexical") return "Lexical: each target word attends to its translation or an identical source word";
  if (name == "Look-ahead") return "Look-ahead: each target word attends one source token past the aligned one";
  return nullptr;
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
    const char* tip = app.modelShown()     ? "A head of the loaded model (layer and head numbered from 0)"
                      : app.importedData() ? "A head of the imported data"
                                           : headTip(names[std::size_t(h)]);
    item(label, {HeadSelection::Single, h}, tip);
  }
  item("Mean", {HeadSelection::Mean, 0}, "Average of all heads: each cell is the mean of that cell over the heads");
  item("All heads", {HeadSelection::All, 0}, "Every head side by side (small multiples); the arcs draw one colour per head");
}

}  // namespace

namespace {
// An encoder-decoder's kind of attention (encoder self, decoder self, cross) and Translate.
void drawEncoderDecoderControls(UiContext& ui) {
  AppController& app = *ui.app;
  ModelHolder& m = *app.model();
  const model::AttentionKind kind = app.attentionKind();
  struct Choice {
    model::AttentionKind kind;
    const char* label;
    const char* id;  // for the end-to-end test's layout dump
    const char* tip;
  };
  const Choice choices[] = {
      {model::AttentionKind::cross, "Cross", "kind_cross", "Cross-attention: each target token (row) over the source tokens (columns)"},
      {model::AttentionKind::encoder, "Encoder", "kind_encoder", "The encoder's self-attention: source x source, both directions (no mask)"},
      {model::AttentionKind::decoder, "Decoder", "kind_decoder", "The decoder's self-attention: target x target, causal"},
  };
  ImGui::TextUnformatted("Attention");
  for (const Choice& c : choices) {
    const float w = ImGui::GetFrameHeight() + ImGui::GetStyle().ItemInnerSpacing.x + ImGui::CalcTextSize(c.label).x;
    if (&c != choices && ImGui::GetContentRegionAvail().x - ImGui::GetItemRectSize().x - ImGui::GetStyle().ItemSpacing.x >= w)
      ImGui::SameLine();
    if (ImGui::RadioButton(c.label, kind == c.kind)) app.setAttentionKind(c.kind);
    ui.nameLastItem(c.id);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s (%d layers)", c.tip, m.facts().of(c.kind).layers);
  }
  const int target_tokens = int(m.shown().target_ids.size());
  const int room = std::max(0, m.maxTokens() - target_tokens);
  const bool generating = app.generating();
  ImGui::BeginDisabled(generating || room == 0);
  if (ImGui::Button("Translate")) {
    // From the start: the model's own translation, not a continuation of a typed target.
    app.setTarget("");
    app.generate(std::min(m.maxTokens() - 1, 128));
  }
  ui.nameLastItem("translate");
  if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
    ImGui::SetTooltip("Greedy decoding from the start token, one token per step until </s> (at most 128): the cross view\n"
                      "grows a row per token. The encoder runs once; the decoder's keys and values are cached.");
  ImGui::SameLine();
  if (ImGui::Button("Continue")) app.generate(std::min(room, 10));
  ui.nameLastItem("translate_continue");
  if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
    ImGui::SetTooltip("Up to 10 more tokens after the target as it is (typed or generated)");
  ImGui::EndDisabled();
  ImGui::SameLine();
  if (generating) {
    if (ImGui::Button("Stop")) app.stopModel();
    ui.nameLastItem("translate_stop");
  } else {
    ImGui::BeginDisabled(app.target().empty());
    if (ImGui::Button("Clear")) app.setTarget("");
    ImGui::EndDisabled();
    if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled)) ImGui::SetTooltip("Empty the target: the decoder's start token alone");
  }
}
}  // namespace

void drawInputPanel(UiContext& ui) {
  AppController& app = *ui.app;
  sectionTitle("Input & configuration");
  ImGui::Spacing();
  drawModelPicker(ui);  // panel_model.cpp

  if (app.importedData()) {
    ImGui::TextWrapped("Showing imported data: %s", boundedText(app.importedName(), kMaxUiLineBytes).c_str());
    if (app.layerCount() > 1) {
      // [layers, h, nq, nk]: one layer at a time, the head and the selected row stay. Numbered from 0,
      // as --layer and the model view number them.
      int layer = app.layer();
      ImGui::SetNextItemWidth(-1);
      if (ImGui::SliderInt("##layer", &layer, 0, app.layerCount() - 1, "layer %d", ImGuiSliderFlags_AlwaysClamp))
        app.setLayer(layer);
      if (ImGui::IsItemHovered())
        ImGui::SetTooltip("The file holds layers 0..%d ([layers, h, nq, nk]); drag or Ctrl+click to type one", app.layerCount() - 1);
    }
    if (ImGui::Button("Back to the simulated model")) app.useSimulatedModel();
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Forget the imported data and show the simulated model on the sentence again");
    ImGui::Separator();
  }

  const bool cross = app.mode() == AttentionMode::Cross;
  const bool encoder_decoder = app.encoderDecoderShown();
  ImGui::TextUnformatted(encoder_decoder ? "Source sentence (the encoder's input)"
                         : cross         ? "Source sentence (encoder, columns)"
                                         : "Sentence");
  std::string text;
  const ImVec2 box_pos = ImGui::GetCursorScreenPos();
  // Three lines at least; up to about a third of the window, then it scrolls. Imported data has its
  // own tokens: the sentence is unrelated to what is shown, so it is not editable.
  const float max_lines = std::max(4.0f, ImGui::GetIO().DisplaySize.y * 0.3f / ImGui::GetTextLineHeight());
  if (app.importedData()) ImGui::BeginDisabled();
  if (wrappingTextBox("##text", app.text(), &text, 3.9f, max_lines)) app.setText(text);
  if (app.importedData()) ImGui::EndDisabled();
  if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
    ImGui::SetTooltip(app.importedData() ? "The sentence belongs to the simulated model; the imported data has its own tokens.\n"
                                           "'Back to the simulated model' makes it editable again."
                                         : "Type any text: it is split into tokens and attention is recomputed as you type.");
  ui.text_box_rect = ImVec4(box_pos.x, box_pos.y, box_pos.x + ImGui::GetItemRectSize().x,
                            box_pos.y + ImGui::GetItemRectSize().y);
  if (app.importedData()) disabledReason(ui, "Not used: the imported data has its own tokens.");
  // Dear ImGui as Debian builds it stores characters in 16 bits: every code point above U+FFFF (most
  // emoji) becomes U+FFFD before a font is asked. Say so rather than show an unexplained glyph.
  if (hasCharactersBeyondBmp(app.text()) || hasCharactersBeyondBmp(app.target()))
    disabledReason(ui, "Emoji and other characters beyond U+FFFF show as \xEF\xBF\xBD in this window (its Dear ImGui "
                       "build stores 16-bit characters), and editing the box replaces them. The tokens keep them; SVG, "
                       "CSV and JSON exports show them.");
  // An encoder (BERT family): the two tokens its attention studies are one click away, appended
  // to the sentence with a space: [MASK] for fill-mask, [SEP] before a second sentence (segment 1).
  if (app.model() && app.model()->isEncoder()) {
    const model::ModelFacts& facts = app.model()->facts();
    const auto append = [&](const std::string& token) {
      std::string t = app.text();
      if (!t.empty() && t.back() != ' ') t += ' ';
      app.setText(t + token + " ");
    };
    if (!facts.mask_label.empty()) {
      const std::string& label = facts.mask_label;
      if (ImGui::SmallButton(("+ " + label).c_str())) append(label);
      ui.nameLastItem("insert_mask");
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("Append %s: the Fill mask tab lists what the model would put there", label.c_str());
      ImGui::SameLine();
    }
    if (!facts.separator_label.empty()) {
      const std::string& label = facts.separator_label;
      if (ImGui::SmallButton(("+ " + label).c_str())) append(label);
      ui.nameLastItem("insert_sep");
      if (ImGui::IsItemHovered())
        ImGui::SetTooltip("Append %s: what follows is sentence B (token type 1), as in BERT's sentence pairs", label.c_str());
    } else {
      ImGui::NewLine();
    }
  }
  if ((cross || encoder_decoder) && !app.importedData()) {
    ImGui::TextUnformatted(encoder_decoder ? "Target (the decoder's input)" : "Target sentence (decoder, rows)");
    std::string target;
    if (app.generating()) ImGui::BeginDisabled();
    if (wrappingTextBox("##target", app.target(), &target, 2.7f, max_lines * 0.6f)) app.setTarget(target);
    if (app.generating()) ImGui::EndDisabled();
    ui.nameLastItem("target_box");
    if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
      ImGui::SetTooltip(encoder_decoder ? "What the decoder reads after its start token. Typed, it is teacher-forced (\"what if the\n"
                                          "translation were this?\"); Translate writes the model's own, a token per step."
                                        : "The decoder's sentence: each of its tokens is a row that attends to the source.");
  }
  if (encoder_decoder) drawEncoderDecoderControls(ui);
  if (app.mode() == AttentionMode::Cross && !app.importedWeights()) {
    bool alignment = app.alignment();
    if (ImGui::Checkbox("Alignment links", &alignment)) app.setAlignment(alignment);
    ui.nameLastItem("alignment");
    if (ImGui::IsItemHovered())
      ImGui::SetTooltip("In the arcs view: a dashed link from each target token to the source token it attends to most\n"
                        "(of the head or mean shown). Exports carry it too.");
  }

  const auto& ex = examples();
  ImGui::SetNextItemWidth(-1);
  if (app.importedData()) ImGui::BeginDisabled();
  if (ImGui::BeginCombo("##examples", "Examples...")) {
    for (int i = 0; i < int(ex.size()); ++i)
      if (ImGui::Selectable(ex[std::size_t(i)].title.c_str())) app.loadExample(i);
    ImGui::EndCombo();
  }
  if (app.importedData()) ImGui::EndDisabled();
  if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
    ImGui::SetTooltip("Example sentences chosen to show a pattern (coreference, translation, a long paragraph)");
  ImGui::Spacing();

  if (!app.modelShown()) {  // a real decoder-only model decides both: self-attention, causal
    int mode = cross ? 1 : 0;
    // Imported data: the mode follows the matrix's shape (square: self), it is not a choice.
    if (app.importedData()) ImGui::BeginDisabled();
    if (ImGui::RadioButton("Self-attention", &mode, 0)) app.setMode(AttentionMode::Self);
    if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
      ImGui::SetTooltip("Self-attention: one sentence; every token attends to the tokens of the same sentence");
    // Side by side when both fit, else one under the other (never a cut label).
    const float cross_w = ImGui::GetFrameHeight() + ImGui::GetStyle().ItemInnerSpacing.x + ImGui::CalcTextSize("Cross-attention").x;
    if (ImGui::GetContentRegionAvail().x - ImGui::GetItemRectSize().x - ImGui::GetStyle().ItemSpacing.x >= cross_w)
      ImGui::SameLine();
    if (ImGui::RadioButton("Cross-attention", &mode, 1)) app.setMode(AttentionMode::Cross);
    if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
      ImGui::SetTooltip("Cross-attention: target (decoder) tokens attend to source (encoder) tokens, as in translation");
    if (app.importedData()) ImGui::EndDisabled();
    {
      const std::string why_not = app.causalUnavailableReason();
      bool causal = app.causal() && why_not.empty();
      if (!why_not.empty()) ImGui::BeginDisabled();
      if (ImGui::Checkbox("Causal mask (no looking ahead)", &causal)) app.setCausal(causal);
      if (!why_not.empty()) ImGui::EndDisabled();
      if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
        ImGui::SetTooltip("Query i may only attend to keys j <= i, as in a decoder (GPT-style).\nMasked cells are hatched.%s%s",
                          why_not.empty() ? "" : "\n\nUnavailable: ", why_not.c_str());
      if (!why_not.empty()) disabledReason(ui, "Causal mask off: " + why_not + ".");
    }
  }

  ImGui::Spacing();
  ImGui::TextUnformatted("Head");
  headPicker(ui);

  ImGui::Spacing();
  ImGui::TextUnformatted("Temperature (log scale)");
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("softmax(QK^T / (T sqrt(d_k))): T < 1 sharpens each row towards its largest score, T > 1 flattens it");
  {
    const std::string why_not = app.temperatureUnavailableReason();
    if (!why_not.empty()) ImGui::BeginDisabled();
    temperatureSlider(ui);
    if (!why_not.empty()) ImGui::EndDisabled();
    if (!why_not.empty()) disabledReason(ui, "Temperature off: " + why_not + ".");
  }

  ImGui::TextUnformatted("Engine");
  ImGui::SetNextItemWidth(-1);
  const std::string requested = app.engineRequested();
  if (app.importedWeights()) ImGui::BeginDisabled();
  if (ImGui::BeginCombo("##engine", requested.c_str())) {
    for (const char* e : kEngines) {
      if (ImGui::Selectable(e, requested == e)) app.setEngine(e);
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", engineTip(e));
    }
    ImGui::EndCombo();
  }
  if (app.importedWeights()) ImGui::EndDisabled();
  if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
    ImGui::SetTooltip("Which implementation computes softmax(QK^T/sqrt(d_k)); all agree with cpu-ref within tolerance.\n%s",
                      app.importedWeights() ? "Unused: imported probabilities are shown as they are." : engineTip(requested.c_str()));
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
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("The colours of the heatmap, dark (low) to bright (high); all four are perceptually ordered");
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

  ImGui::TextUnformatted("Colour scale");
  ImGui::SetNextItemWidth(-1);
  if (ImGui::BeginCombo("##colour_scale", colourScaleLegend(app.colourScale(), app.shownMaximum()).caption.c_str())) {
    for (ColourScale c : allColourScales()) {
      if (ImGui::Selectable(colourScaleLegend(c, app.shownMaximum()).caption.c_str(), c == app.colourScale()))
        app.setColourScale(c);
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", colourScaleHelp(c));
    }
    ImGui::EndCombo();
  }
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("How a weight becomes a colour.\n%s", colourScaleHelp(app.colourScale()));
  ImGui::Checkbox("Keep the arcs flowing", &ui.continuous_redraw);
  ui.nameLastItem("continuous_redraw");
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("Redraw every frame, so the dots on the arcs never stop.\n"
                      "Off: %.0f s after the last input they fade out, and the window sleeps until the next\n"
                      "event, using no CPU while nobody touches it. Space pauses all animation.",
                      kFlowSeconds);

  ImGui::Spacing();
  ImGui::Separator();
  ImGui::TextUnformatted("Your own matrices (.npy)");
  ImGui::SetNextItemWidth(-ImGui::CalcTextSize("Open").x - ImGui::GetStyle().FramePadding.x * 2 -
                          ImGui::GetStyle().ItemSpacing.x);
  const bool enter = ImGui::InputTextWithHint("##npy", "path to .npy or folder", &ui.npy_path,
                                              ImGuiInputTextFlags_EnterReturnsTrue);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("A .npy of probabilities [h, nq, nk], [1, h, nq, nk] or [layers, h, nq, nk], or a folder with\n"
                      "q.npy + k.npy (+ v.npy); tokens.txt beside the file names the rows and columns");
  ImGui::SameLine();
  if ((ImGui::Button("Open") || enter) && !ui.npy_path.empty()) app.loadPaths({ui.npy_path});
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("Load the file or folder named in the box");
  ImGui::PushFont(ui.fonts.small);
  ImGui::PushTextWrapPos(0);
  ImGui::TextDisabled("Or drop files onto the window: probabilities [h,nq,nk], or q.npy + k.npy (+ tokens.txt).");
  ImGui::PopTextWrapPos();
  ImGui::PopFont();
}

}  // namespace attnviz::ui
