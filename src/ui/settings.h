// Settings kept between runs: a small JSON file next to ImGui's layout file, in
// $XDG_CONFIG_HOME/attnviz (or ~/.config/attnviz). No ImGui dependency; needs no GL context.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "ui/app_controller.h"

namespace attnviz::ui {

// What the window keeps between runs besides the controller's state.
struct WindowGeometry {
  int width = 1280;
  int height = 800;
  std::string export_folder;  // where the last export went ("" = none yet)
  bool continuous_redraw = false;  // draw every frame, even when nothing moves
};

// The folder for settings, "" when neither XDG_CONFIG_HOME nor HOME is set.
std::string configDir();

// Where exports go by default: the user's pictures folder (XDG_PICTURES_DIR from
// ~/.config/user-dirs.dirs, else ~/Pictures), else the documents folder, else home; "." only when
// there is no home. Only folders that exist are chosen.
std::string defaultExportFolder();

nlohmann::json settingsToJson(const AppController& app, const WindowGeometry& window);
// Applies what it understands and ignores the rest (an old or hand-edited file never fails).
void applySettings(const nlohmann::json& j, AppController* app, WindowGeometry* window);

// False (and *error) when the file cannot be read/parsed or written; a missing file is not an error
// for load (returns false with *error empty).
bool loadSettingsFile(const std::string& path, AppController* app, WindowGeometry* window, std::string* error);
bool saveSettingsFile(const std::string& path, const AppController& app, const WindowGeometry& window,
                      std::string* error);

}  // namespace attnviz::ui
