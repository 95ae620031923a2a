// Settings kept between runs: a small JSON file next to ImGui's layout file, in
// $XDG_CONFIG_HOME/attnviz (or ~/.config/attnviz). No ImGui dependency; needs no GL context.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "ui/app_controller.h"

namespace attnviz::ui {

struct WindowGeometry {
  int width = 1280;
  int height = 800;
};

// The folder for settings, "" when neither XDG_CONFIG_HOME nor HOME is set.
std::string configDir();

nlohmann::json settingsToJson(const AppController& app, const WindowGeometry& window);
// Applies what it understands and ignores the rest (an old or hand-edited file never fails).
void applySettings(const nlohmann::json& j, AppController* app, WindowGeometry* window);

// False (and *error) when the file cannot be read/parsed or written; a missing file is not an error
// for load (returns false with *error empty).
bool loadSettingsFile(const std::string& path, AppController* app, WindowGeometry* window, std::string* error);
bool saveSettingsFile(const std::string& path, const AppController& app, const WindowGeometry& window,
                      std::string* error);

}  // namespace attnviz::ui
