// libFuzzer target: the settings loader (JSON parse + applySettings onto a real controller), as
// loadSettingsFile does it. Contract (ui/settings.h): an old or hand-edited file never fails, so
// nothing may throw, and the controller must stay in a usable state.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "ui/settings.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const nlohmann::json j = nlohmann::json::parse(data, data + size, nullptr, false);
  if (j.is_discarded()) return 0;
  attnviz::ui::AppController app;
  attnviz::ui::WindowGeometry window;
  attnviz::ui::applySettings(j, &app, &window);
  if (!(std::isfinite(app.temperature()) && app.temperature() > 0.0f)) std::abort();
  return 0;
}
