// Keyboard shortcuts of the window (presentation mode and everywhere else): the list shown by the
// "?" overlay, and the ones that change the controller, applied here without ImGui so that tests
// drive them. The window maps keys to these (panel_present.cpp) and ignores them while a text box
// has the keyboard.
#pragma once

#include <string>
#include <vector>

#include "ui/app_controller.h"

namespace attnviz::ui {

enum class Shortcut {
  QueryPrev, QueryNext,      // Left / Right
  HeadPrev, HeadNext,        // Up / Down: mean, head 1..n
  TemperatureDown,           // T
  TemperatureUp,             // Shift+T
  ToggleCausal,              // C
  ToggleMode,                // M: self / cross
  ToggleAllHeads,            // A
  LayerPrev, LayerNext,      // [ / ] (and PageUp / PageDown without a deck): a real model's layer
};

// Applies a controller shortcut. Returns whether it changed something.
bool applyShortcut(AppController& app, Shortcut s);

// The temperature ladder T and Shift+T walk: the next value below / above t.
float nextTemperature(float t, bool up);

struct ShortcutHelp {
  const char* keys;
  const char* what;
};
// Every shortcut of the window, for the overlay and the README.
const std::vector<ShortcutHelp>& shortcutHelp();

}  // namespace attnviz::ui
