#include "ui/shortcuts.h"

#include <algorithm>
#include <cmath>

namespace attnviz::ui {

float nextTemperature(float t, bool up) {
  // Values a lecturer can say out loud; sharp to flat in about a dozen presses.
  static const float ladder[] = {0.05f, 0.1f, 0.2f, 0.3f, 0.5f, 0.7f, 1.0f, 1.5f, 2.0f, 3.0f, 5.0f, 7.0f, 10.0f};
  if (up) {
    for (float v : ladder)
      if (v > t * 1.001f) return v;
    return ladder[std::size(ladder) - 1];
  }
  for (auto it = std::rbegin(ladder); it != std::rend(ladder); ++it)
    if (*it < t * 0.999f) return *it;
  return ladder[0];
}

bool applyShortcut(AppController& app, Shortcut s) {
  switch (s) {
    case Shortcut::QueryPrev:
    case Shortcut::QueryNext: {
      const int before = app.selectedQuery();
      app.moveSelection(s == Shortcut::QueryNext ? 1 : -1);
      return app.selectedQuery() != before;
    }
    case Shortcut::HeadPrev:
    case Shortcut::HeadNext: {
      const int n = app.heads();
      if (n <= 0) return false;
      // Positions 0 = mean, 1..n = head 1..n; "all" steps into the list from the mean.
      const HeadSelection h = app.head();
      int pos = h.kind == HeadSelection::Single ? h.index + 1 : 0;
      if (h.kind == HeadSelection::All) pos = s == Shortcut::HeadNext ? -1 : n + 1;
      pos += s == Shortcut::HeadNext ? 1 : -1;
      pos = ((pos % (n + 1)) + (n + 1)) % (n + 1);
      app.setHead(pos == 0 ? HeadSelection{HeadSelection::Mean, 0} : HeadSelection{HeadSelection::Single, pos - 1});
      return true;
    }
    case Shortcut::TemperatureDown:
    case Shortcut::TemperatureUp: {
      if (app.importedData() && app.problem().nq == 0) return false;  // probabilities: no temperature
      const float before = app.temperature();
      app.setTemperature(nextTemperature(before, s == Shortcut::TemperatureUp));
      return app.temperature() != before;
    }
    case Shortcut::ToggleCausal:
      if (app.importedData() && app.problem().nq == 0) return false;
      app.setCausal(!app.causal());
      return true;
    case Shortcut::ToggleMode:
      if (app.importedData()) return false;  // the file decides
      app.setMode(app.selfAttention() ? AttentionMode::Cross : AttentionMode::Self);
      return true;
    case Shortcut::ToggleAllHeads:
      app.setHead(app.head().kind == HeadSelection::All ? HeadSelection{HeadSelection::Mean, 0}
                                                         : HeadSelection{HeadSelection::All, 0});
      return true;
    case Shortcut::LayerPrev:
    case Shortcut::LayerNext: {
      const int before = app.layer();
      if (!app.modelShown()) return false;
      app.setLayer(before + (s == Shortcut::LayerNext ? 1 : -1));
      return app.layer() != before;
    }
  }
  return false;
}

const std::vector<ShortcutHelp>& shortcutHelp() {
  static const std::vector<ShortcutHelp> list = {
      {"\xE2\x86\x90 / \xE2\x86\x92", "previous / next query token"},
      {"\xE2\x86\x91 / \xE2\x86\x93", "previous / next head (mean, head 1..n)"},
      {"A", "all heads side by side (again: back to the mean)"},
      {"T / Shift+T", "temperature down / up (sharper / flatter)"},
      {"C", "causal mask on / off"},
      {"M", "self-attention / cross-attention"},
      {"PageDown / PageUp", "next / previous deck step (presenter clickers); without a deck: layer"},
      {"[ / ]", "previous / next layer of a real model (layers from 0)"},
      {"H", "hide / show the side panels (heatmap + arcs only)"},
      {"Space", "pause / resume animations"},
      {"S", "save a figure (Export tab settings)"},
      {"L", "light / dark theme"},
      {"F11", "fullscreen on / off"},
      {"Ctrl + / Ctrl \xE2\x88\x92 / Ctrl 0", "larger / smaller / default UI size"},
      {"Home / End", "first / last query token"},
      {"? or F1", "this overlay (Esc closes it)"},
      {"Ctrl+Q", "quit"},
  };
  return list;
}

}  // namespace attnviz::ui
