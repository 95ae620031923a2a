#include "ui/settings.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/input_file.h"

namespace attnviz::ui {

std::string configDir() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  if (xdg && *xdg) return std::string(xdg) + "/attnviz";
  const char* home = std::getenv("HOME");
  if (home && *home) return std::string(home) + "/.config/attnviz";
  return "";
}

namespace {

// XDG_<NAME>_DIR from user-dirs.dirs: lines like XDG_PICTURES_DIR="$HOME/Bilder".
std::string xdgUserDir(const std::string& config_home, const std::string& home, const char* name) {
  std::ifstream in(config_home + "/user-dirs.dirs");
  const std::string key = std::string("XDG_") + name + "_DIR=";
  for (std::string line; std::getline(in, line);) {
    if (line.compare(0, key.size(), key) != 0) continue;
    std::string v = line.substr(key.size());
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    if (v.compare(0, 5, "$HOME") == 0) v = home + v.substr(5);
    if (!v.empty() && v.front() == '/' && v != home && v != home + "/") return v;  // "$HOME" alone means unset
  }
  return "";
}

}  // namespace

std::string defaultExportFolder() {
  const char* home_env = std::getenv("HOME");
  if (!home_env || !*home_env) return ".";
  const std::string home = home_env;
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  const std::string config_home = xdg && *xdg ? std::string(xdg) : home + "/.config";
  std::error_code ec;
  for (const char* name : {"PICTURES", "DOCUMENTS"}) {
    const std::string dir = xdgUserDir(config_home, home, name);
    if (!dir.empty() && std::filesystem::is_directory(dir, ec)) return dir;
    const std::string fallback = home + (std::string(name) == "PICTURES" ? "/Pictures" : "/Documents");
    if (std::filesystem::is_directory(fallback, ec)) return fallback;
  }
  return home;
}

nlohmann::json settingsToJson(const AppController& app, const WindowGeometry& window) {
  nlohmann::json j;
  j["version"] = 1;
  j["text"] = app.text();
  j["target"] = app.target();
  j["mode"] = app.mode() == AttentionMode::Cross ? "cross" : "self";
  j["causal"] = app.causal();
  j["temperature"] = app.temperature();
  j["engine"] = app.engineRequested();
  j["colormap"] = colormapName(app.colormap());
  // Only a scale someone chose: otherwise the default rule keeps choosing from the data.
  if (app.colourScaleChosen()) j["colour_scale"] = colourScaleName(app.colourScale());
  const HeadSelection h = app.head();
  j["head"] = h.kind == HeadSelection::All ? "all" : h.kind == HeadSelection::Mean ? "mean" : std::to_string(h.index + 1);
  j["window"] = {{"width", window.width}, {"height", window.height}, {"continuous_redraw", window.continuous_redraw}};
  if (!window.export_folder.empty()) j["export_folder"] = window.export_folder;
  return j;
}

void applySettings(const nlohmann::json& j, AppController* app, WindowGeometry* window) {
  if (!j.is_object()) return;
  auto str = [&](const char* key) -> const std::string* {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
  };
  if (auto* m = str("mode")) app->setMode(*m == "cross" ? AttentionMode::Cross : AttentionMode::Self);
  if (auto* t = str("text")) app->setText(*t);
  if (auto* t = str("target")) app->setTarget(*t);
  if (auto it = j.find("causal"); it != j.end() && it->is_boolean()) app->setCausal(it->get<bool>());
  if (auto it = j.find("temperature"); it != j.end() && it->is_number()) app->setTemperature(it->get<float>());
  if (auto* e = str("engine")) app->setEngine(*e);
  if (auto* c = str("colormap")) {
    Colormap cm;
    if (parseColormap(*c, &cm)) app->setColormap(cm);
  }
  if (auto* c = str("colour_scale")) {
    ColourScale scale;
    if (parseColourScale(*c, &scale)) app->setColourScale(scale);
  }
  if (auto* h = str("head")) app->setHeadByName(*h, nullptr);
  if (auto* f = str("export_folder"); f && window) window->export_folder = *f;
  if (auto it = j.find("window"); it != j.end() && it->is_object() && window) {
    const auto& w = *it;
    if (w.contains("width") && w["width"].is_number_integer()) window->width = w["width"].get<int>();
    if (w.contains("height") && w["height"].is_number_integer()) window->height = w["height"].get<int>();
    if (w.contains("continuous_redraw") && w["continuous_redraw"].is_boolean())
      window->continuous_redraw = w["continuous_redraw"].get<bool>();
  }
}

bool loadSettingsFile(const std::string& path, AppController* app, WindowGeometry* window, std::string* error) {
  if (error) error->clear();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return false;  // first run: no settings yet
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(readInputFile(path, InputKind::Settings), nullptr, false);
  } catch (const InputError& e) {
    if (error) *error = std::string(e.what()) + "; using defaults";
    return false;
  }
  if (j.is_discarded()) {
    if (error) *error = path + ": not valid JSON; using defaults";
    return false;
  }
  applySettings(j, app, window);
  return true;
}

bool saveSettingsFile(const std::string& path, const AppController& app, const WindowGeometry& window,
                      std::string* error) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  std::ofstream out(path);
  if (!out) {
    if (error) *error = path + ": cannot write";
    return false;
  }
  out << settingsToJson(app, window).dump(2) << "\n";
  return bool(out);
}

}  // namespace attnviz::ui
