// Numbers as the panels print them. Needs no ImGui (tested directly).
#pragma once

#include <cmath>
#include <cstdio>
#include <string>

namespace attnviz::ui {

// A probability (0..1) as a percentage with at least two significant digits: "42.0%", "0.50%",
// "0.020%", "0.0012%", below that scientific ("3.1e-06%"). A fixed "%.1f" printed a next-token
// probability of 0.0002 as "0.0%", as if the model ruled the token out.
inline std::string formatProbabilityPercent(double p) {
  char out[32];
  const double pct = p * 100.0;
  if (!(pct > 0)) {
    std::snprintf(out, sizeof out, "%s", pct == 0 ? "0%" : "n/a");
  } else if (pct >= 1.0) {
    std::snprintf(out, sizeof out, "%.1f%%", pct);
  } else if (pct >= 0.001) {
    const int decimals = 1 - int(std::floor(std::log10(pct)));  // two significant digits
    std::snprintf(out, sizeof out, "%.*f%%", decimals, pct);
  } else {
    std::snprintf(out, sizeof out, "%.1e%%", pct);
  }
  return out;
}

}  // namespace attnviz::ui
