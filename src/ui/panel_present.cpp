// Presentation: keyboard shortcuts, the stage (heatmap + arcs only), the deck caption bar and the
// "?" overlay. The shortcuts that change attention go through ui/shortcuts.h (tested there); the
// ones that change the window (fullscreen, UI size, theme) set a request the window carries out.
#include <SDL_scancode.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "ui/deck_player.h"
#include "ui/shortcuts.h"
#include "ui/ui_context.h"
#include "ui/text_bounds.h"

namespace attnviz::ui {
namespace {

// The key's presses this frame with these modifiers (ctrl/alt must match; shift is read apart).
bool pressedWith(const UiContext& ui, SDL_Scancode sc, bool ctrl, bool repeat, bool* shift = nullptr) {
  for (const UiContext::KeyPress& k : ui.key_presses)
    if (k.scancode == int(sc) && k.ctrl == ctrl && !k.alt && (repeat || !k.repeat)) {
      if (shift) *shift = k.shift;
      return true;
    }
  return false;
}

bool typed(ImWchar c) {
  for (ImWchar q : ImGui::GetIO().InputQueueCharacters)
    if (q == c) return true;
  return false;
}

}  // namespace

void handleShortcuts(UiContext& ui) {
  ImGuiIO& io = ImGui::GetIO();
  AppController& app = *ui.app;
  // On the stage and while a deck plays, the keys are the presenter's (PageDown, arrows): ImGui's
  // keyboard navigation would also take them and frame the focused panel.
  if (ui.hide_panels || ui.deck)
    io.ConfigFlags &= ~ImGuiConfigFlags_NavEnableKeyboard;
  else
    io.ConfigFlags |= ImGuiConfigFlags_NavEnableKeyboard;
  // A text box has the keyboard: every key is the user's text.
  if (io.WantTextInput) return;
  auto ctrl = [&](SDL_Scancode sc, bool repeat = true) { return pressedWith(ui, sc, true, repeat); };
  // Ctrl+letter belongs to the window (Ctrl+Q) and to ImGui (copy, paste): only the size keys here.
  if (ctrl(SDL_SCANCODE_EQUALS) || ctrl(SDL_SCANCODE_KP_PLUS)) ui.zoom = std::min(3.0f, ui.zoom * 1.15f);
  if (ctrl(SDL_SCANCODE_MINUS) || ctrl(SDL_SCANCODE_KP_MINUS)) ui.zoom = std::max(0.5f, ui.zoom / 1.15f);
  if (ctrl(SDL_SCANCODE_0, false) || ctrl(SDL_SCANCODE_KP_0, false)) ui.zoom = 1.0f;
  auto pressed = [&](SDL_Scancode sc, bool repeat = true) { return pressedWith(ui, sc, false, repeat); };
  if (pressed(SDL_SCANCODE_RIGHT)) applyShortcut(app, Shortcut::QueryNext);
  if (pressed(SDL_SCANCODE_LEFT)) applyShortcut(app, Shortcut::QueryPrev);
  if (pressed(SDL_SCANCODE_DOWN)) applyShortcut(app, Shortcut::HeadNext);
  if (pressed(SDL_SCANCODE_UP)) applyShortcut(app, Shortcut::HeadPrev);
  if (pressed(SDL_SCANCODE_HOME, false)) app.selectQuery(0);
  if (pressed(SDL_SCANCODE_END, false)) app.selectQuery(app.nq() - 1);
  bool shift = false;
  if (pressedWith(ui, SDL_SCANCODE_T, false, true, &shift))
    applyShortcut(app, shift ? Shortcut::TemperatureUp : Shortcut::TemperatureDown);
  if (pressed(SDL_SCANCODE_C, false)) applyShortcut(app, Shortcut::ToggleCausal);
  if (pressed(SDL_SCANCODE_M, false)) applyShortcut(app, Shortcut::ToggleMode);
  if (pressed(SDL_SCANCODE_A, false)) applyShortcut(app, Shortcut::ToggleAllHeads);
  if (pressed(SDL_SCANCODE_H, false)) ui.hide_panels = !ui.hide_panels;
  if (pressed(SDL_SCANCODE_SPACE, false)) ui.paused = !ui.paused;
  if (pressed(SDL_SCANCODE_S, false)) ui.exporting.requested = true;
  if (pressed(SDL_SCANCODE_L, false)) ui.toggle_theme = true;
  if (pressed(SDL_SCANCODE_F11, false)) ui.toggle_fullscreen = true;
  if (typed('?') || pressed(SDL_SCANCODE_F1, false)) ui.show_shortcuts = !ui.show_shortcuts;
  if (pressed(SDL_SCANCODE_ESCAPE, false)) ui.show_shortcuts = false;
  if (ui.deck) {
    if (pressed(SDL_SCANCODE_PAGEDOWN)) ui.deck->next(app);
    if (pressed(SDL_SCANCODE_PAGEUP)) ui.deck->prev(app);
    // A step with a "view" chooses the main picture once; the user may switch it afterwards.
    if (ui.deck->index() != ui.deck_view_step) {
      ui.deck_view_step = ui.deck->index();
      if (const DeckStep* s = ui.deck->current(); s && !s->view.empty())
        ui.main_view = s->view == "rollout" ? MainView::Rollout : s->view == "model" ? MainView::ModelGrid : MainView::Heatmap;
    }
  }
  // A real model's layers: [ ] always, PageUp/PageDown when no deck claims them.
  if (pressed(SDL_SCANCODE_LEFTBRACKET) || (!ui.deck && pressed(SDL_SCANCODE_PAGEUP))) applyShortcut(app, Shortcut::LayerPrev);
  if (pressed(SDL_SCANCODE_RIGHTBRACKET) || (!ui.deck && pressed(SDL_SCANCODE_PAGEDOWN))) applyShortcut(app, Shortcut::LayerNext);
}

float captionBarHeight(const UiContext& ui) {
  if (!ui.deck || ui.deck->empty() || !ui.fonts.caption) return 0;
  const float cap = ui.fonts.caption->FontSize * ImGui::GetIO().FontGlobalScale;
  const float small = ui.fonts.small->FontSize * ImGui::GetIO().FontGlobalScale;
  const float top = ui.present ? ui.fonts.large->FontSize * ImGui::GetIO().FontGlobalScale : small;
  const bool problems = !ui.deck->problems().empty();
  return std::floor(cap * 2.5f + top * 1.4f + small * (problems ? 1.2f : 0.0f) + ImGui::GetStyle().WindowPadding.y * 2 +
                    ImGui::GetStyle().ItemSpacing.y);
}

// What the stage shows, in one line a room can read: the head, T, the mask and the average entropy
// (a deck step about entropy needs its number on screen).
void drawStageStatus(UiContext& ui) {
  AppController& app = *ui.app;
  if (!app.hasResult()) return;
  const MatrixStats& s = app.stats();
  char line[256];
  // A real model's stage names it ("gpt2 · Head: L5H1"): the room sees which model it is.
  const std::string model = app.model() ? modelDisplayName(*app.model()) + "   \xC2\xB7   " : std::string();
  char entropy[64] = "avg entropy \xE2\x80\xA6";  // a real model's layer before its measures
  if (!app.summaryPending())
    std::snprintf(entropy, sizeof entropy, "avg entropy %.2f bits (%.0f%% of max)", s.avg_entropy_bits, s.avg_normalized_entropy * 100.0);
  std::snprintf(line, sizeof line, "%sHead: %s   \xC2\xB7   T = %.2f%s   \xC2\xB7   %s", model.c_str(), app.headLabel().c_str(),
                double(app.temperature()), app.causalMaskShown() ? "   \xC2\xB7   causal mask" : "", entropy);
  ImGui::PushFont(ui.fonts.large);
  ImGui::PushStyleColor(ImGuiCol_Text, ImGui::ColorConvertU32ToFloat4(palette().title));
  ImGui::PushTextWrapPos(0);
  ImGui::TextUnformatted(line);
  ImGui::PopTextWrapPos();
  ImGui::PopStyleColor();
  ImGui::PopFont();
}

void drawStage(UiContext& ui, ImVec2 size) {
  const ImGuiWindowFlags flags = ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse;
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  const float status_y = ImGui::GetCursorPosY();
  drawStageStatus(ui);
  size.y -= ImGui::GetCursorPosY() - status_y;
  if (size.x > size.y * 1.15f) {
    const float heat_w = std::floor((size.x - gap) * 0.5f);
    beginPanel(ui, "##heatmap", ImVec2(heat_w, size.y), flags);
    drawHeatmapPanel(ui);
    ImGui::EndChild();
    ImGui::SameLine();
    beginPanel(ui, "##arcs", ImVec2(size.x - heat_w - gap, size.y), flags);
    drawArcsPanel(ui);
    ImGui::EndChild();
  } else {
    const float gap_y = ImGui::GetStyle().ItemSpacing.y;
    const float heat_h = std::floor((size.y - gap_y) * 0.6f);
    beginPanel(ui, "##heatmap", ImVec2(size.x, heat_h), flags);
    drawHeatmapPanel(ui);
    ImGui::EndChild();
    beginPanel(ui, "##arcs", ImVec2(size.x, size.y - heat_h - gap_y), flags);
    drawArcsPanel(ui);
    ImGui::EndChild();
  }
}

void drawCaptionBar(UiContext& ui) {
  const float h = captionBarHeight(ui);
  if (h <= 0) return;
  DeckPlayer& deck = *ui.deck;
  beginPanel(ui, "##caption", ImVec2(ImGui::GetContentRegionAvail().x, h),
             ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse);
  const float w = ImGui::GetContentRegionAvail().x;
  // The deck's title and keys small; "step i / n" large enough for the back of a lecture hall.
  const float top_y = ImGui::GetCursorPosY();
  ImGui::PushFont(ui.fonts.small);
  const char* keys = "PageDown: next   PageUp: back";
  ImGui::TextDisabled("%s", deck.deck().title.c_str());
  const float keys_w = ImGui::CalcTextSize(keys).x;
  ImGui::PopFont();
  ImGui::PushFont(ui.present ? ui.fonts.large : ui.fonts.small);
  const std::string pos = deck.position();
  const float pos_w = ImGui::CalcTextSize(pos.c_str()).x;
  const float spacing = 16 * ui.scale;
  ImGui::SameLine(std::max(0.0f, w - pos_w - spacing - keys_w));
  ImGui::SetCursorPosY(top_y);
  ImGui::TextUnformatted(pos.c_str());
  const float line_h = ImGui::GetTextLineHeight();
  ImGui::PopFont();
  ImGui::PushFont(ui.fonts.small);
  ImGui::SameLine(std::max(0.0f, w - keys_w));
  ImGui::SetCursorPosY(top_y + line_h - ImGui::GetTextLineHeight());
  ImGui::TextDisabled("%s", keys);
  ImGui::PopFont();
  ImGui::SetCursorPosY(top_y + line_h + ImGui::GetStyle().ItemSpacing.y);
  ImGui::PushFont(ui.fonts.caption);
  ImGui::PushTextWrapPos(0);
  const DeckStep* step = deck.current();
  if (step && !step->caption.empty())
    ImGui::TextUnformatted(boundedText(step->caption, kMaxUiParagraphBytes).c_str());
  else if (!step)
    ImGui::TextDisabled("Press PageDown to start.");
  ImGui::PopTextWrapPos();
  ImGui::PopFont();
  const std::vector<std::string> problems = deck.problems();
  if (!problems.empty()) {
    ImGui::PushFont(ui.fonts.small);
    std::string line = std::to_string(problems.size()) + (problems.size() == 1 ? " deck problem: " : " deck problems: ");
    for (std::size_t k = 0; k < problems.size(); ++k) line += (k ? "; " : "") + problems[k];
    ImGui::SetCursorPosY(h - ImGui::GetTextLineHeightWithSpacing() - ImGui::GetStyle().WindowPadding.y);
    ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.95f, 0.40f, 0.30f, 1.0f));
    ImGui::TextUnformatted(elide(line, w).c_str());
    ImGui::PopStyleColor();
    if (ImGui::IsItemHovered()) {
      ImGui::BeginTooltip();
      for (const std::string& p : problems) ImGui::TextUnformatted(boundedText(p, kMaxUiLineBytes).c_str());
      ImGui::EndTooltip();
    }
    ImGui::PopFont();
  }
  ImGui::EndChild();
}

void drawShortcutOverlay(UiContext& ui) {
  if (!ui.show_shortcuts) return;
  const ImGuiIO& io = ImGui::GetIO();
  ImGui::SetNextWindowPos(ImVec2(io.DisplaySize.x * 0.5f, io.DisplaySize.y * 0.5f), ImGuiCond_Always, ImVec2(0.5f, 0.5f));
  ImGui::SetNextWindowFocus();
  ImVec4 bg = kPanelColor;
  bg.w = 1.0f;
  ImGui::PushStyleColor(ImGuiCol_WindowBg, bg);
  ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(22 * ui.scale, 18 * ui.scale));
  ImGui::PushStyleVar(ImGuiStyleVar_WindowBorderSize, 1.0f);
  if (ImGui::Begin("Keyboard shortcuts", &ui.show_shortcuts,
                   ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoSavedSettings |
                       ImGuiWindowFlags_NoMove)) {
    sectionTitle("Keyboard shortcuts (not while typing in a text box)");
    ImGui::Spacing();
    if (ImGui::BeginTable("##keys", 2, ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit)) {
      for (const ShortcutHelp& s : shortcutHelp()) {
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ImGui::PushFont(ui.fonts.large);
        ImGui::TextUnformatted(s.keys);
        ImGui::PopFont();
        ImGui::TableNextColumn();
        ImGui::AlignTextToFramePadding();
        ImGui::TextUnformatted(s.what);
      }
      ImGui::EndTable();
    }
    ImGui::Spacing();
    ImGui::TextDisabled("Press ? or Esc to close.");
  }
  ImGui::End();
  ImGui::PopStyleVar(2);
  ImGui::PopStyleColor();
}

}  // namespace attnviz::ui
