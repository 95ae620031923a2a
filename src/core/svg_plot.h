// A log-log line chart as SVG (time vs sequence length per engine, for `attnviz bench --plot`).
// Needs no GL context.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace attnviz {

struct PlotSeries {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y), both > 0; others are skipped
  bool dashed = false;                             // e.g. a roofline
};

// Label of a log-axis tick: "1000", "1", "0.01" (no trailing zeros, no exponent for decades).
std::string logTickLabel(double v);

// Ticks of a log axis spanning the decades [10^first_decade, 10^last_decade]: 1, 2 and 5 times
// each power of ten, ascending, ending at 10^last_decade.
std::vector<double> logAxisTicks(int first_decade, int last_decade);

// title: one line, or "heading\nsubtitle" (the subtitle drawn smaller beneath).
std::string renderLogLogPlotSvg(const std::vector<PlotSeries>& series, const std::string& title, const std::string& x_label,
                                const std::string& y_label, int width = 900, int height = 560);

}  // namespace attnviz
