#include "core/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "core/export.h"

namespace attnviz {
namespace {

// Okabe-Ito colours: distinguishable with colour-vision deficiencies.
const char* kColours[] = {"#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000"};

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string xml(const std::string& s) {
  std::string out;
  for (char c : jsonEscape(s)) {  // jsonEscape makes the text valid UTF-8 first
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else out += c;
  }
  return out;
}

}  // namespace

std::string logTickLabel(double v) {
  char buf[32];
  if (v >= 1) std::snprintf(buf, sizeof buf, "%.0f", v);
  else std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::vector<double> logAxisTicks(int first_decade, int last_decade) {
  std::vector<double> ticks;
  for (int e = first_decade; e < last_decade; ++e)
    for (double m : {1.0, 2.0, 5.0}) ticks.push_back(m * std::pow(10.0, e));
  ticks.push_back(std::pow(10.0, last_decade));
  return ticks;
}

std::string renderLogLogPlotSvg(const std::vector<PlotSeries>& series, const std::string& title, const std::string& x_label,
                                const std::string& y_label, int width, int height) {
  double x_min = 1e300, x_max = 0, y_min = 1e300, y_max = 0;
  for (const auto& s : series)
    for (auto [x, y] : s.points)
      if (x > 0 && y > 0 && std::isfinite(x) && std::isfinite(y)) {
        x_min = std::min(x_min, x), x_max = std::max(x_max, x);
        y_min = std::min(y_min, y), y_max = std::max(y_max, y);
      }
  if (x_max <= 0) x_min = 1, x_max = 10, y_min = 1, y_max = 10;
  // Whole decades on both axes.
  const double lx0 = std::floor(std::log10(x_min)), lx1 = std::max(lx0 + 1, std::ceil(std::log10(x_max)));
  const double ly0 = std::floor(std::log10(y_min)), ly1 = std::max(ly0 + 1, std::ceil(std::log10(y_max)));
  // A title with a newline gets its second part as a smaller subtitle line.
  const std::size_t newline = title.find('\n');
  const std::string heading = title.substr(0, newline);
  const std::string subtitle = newline == std::string::npos ? "" : title.substr(newline + 1);
  const double left = 80, right = width - 180.0, top = subtitle.empty() ? 50 : 62, bottom = height - 60.0;
  auto px = [&](double x) { return left + (std::log10(x) - lx0) / (lx1 - lx0) * (right - left); };
  auto py = [&](double y) { return bottom - (std::log10(y) - ly0) / (ly1 - ly0) * (bottom - top); };

  std::ostringstream o;
  o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" << width
    << "\" height=\"" << height << "\" font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"13\">\n";
  o << "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
  o << "<text x=\"" << num(left) << "\" y=\"30\" font-size=\"17\" font-weight=\"bold\" fill=\"#1b1f24\">" << xml(heading) << "</text>\n";
  if (!subtitle.empty())
    o << "<text x=\"" << num(left) << "\" y=\"48\" font-size=\"12\" fill=\"#5b6370\">" << xml(subtitle) << "</text>\n";
  // Ticks at 1-2-5 steps: decades drawn stronger; the 2s and 5s labelled while the axis spans few
  // enough decades for their labels to fit.
  auto is_decade = [](double v) { return std::fabs(std::log10(v) - std::round(std::log10(v))) < 1e-9; };
  const bool label_y_minor = ly1 - ly0 <= 4, label_x_minor = lx1 - lx0 <= 3;
  for (double v : logAxisTicks(int(ly0), int(ly1))) {
    const double y = py(v);
    const bool major = is_decade(v);
    o << "<line class=\"y-tick\" x1=\"" << num(left) << "\" x2=\"" << num(right) << "\" y1=\"" << num(y) << "\" y2=\"" << num(y)
      << "\" stroke=\"" << (major ? "#d0d5dc" : "#eceef2") << "\"/>\n";
    if (major || label_y_minor)
      o << "<text class=\"y-tick-label\" x=\"" << num(left - 8) << "\" y=\"" << num(y + 4) << "\" text-anchor=\"end\" fill=\"#5b6370\">"
        << logTickLabel(v) << "</text>\n";
  }
  for (double v : logAxisTicks(int(lx0), int(lx1))) {
    const double x = px(v);
    const bool major = is_decade(v);
    o << "<line class=\"x-tick\" x1=\"" << num(x) << "\" x2=\"" << num(x) << "\" y1=\"" << num(top) << "\" y2=\"" << num(bottom)
      << "\" stroke=\"" << (major ? "#d0d5dc" : "#eceef2") << "\"/>\n";
    if (major || label_x_minor)
      o << "<text class=\"x-tick-label\" x=\"" << num(x) << "\" y=\"" << num(bottom + 18) << "\" text-anchor=\"middle\" fill=\"#5b6370\">"
        << logTickLabel(v) << "</text>\n";
  }
  o << "<rect x=\"" << num(left) << "\" y=\"" << num(top) << "\" width=\"" << num(right - left) << "\" height=\"" << num(bottom - top)
    << "\" fill=\"none\" stroke=\"#5b6370\"/>\n";
  o << "<text x=\"" << num((left + right) / 2) << "\" y=\"" << num(bottom + 42) << "\" text-anchor=\"middle\" fill=\"#1b1f24\">"
    << xml(x_label) << "</text>\n";
  o << "<text transform=\"translate(22," << num((top + bottom) / 2) << ") rotate(-90)\" text-anchor=\"middle\" fill=\"#1b1f24\">"
    << xml(y_label) << "</text>\n";
  int index = 0;
  for (const auto& s : series) {
    const char* colour = kColours[index % 7];
    std::string d;
    for (auto [x, y] : s.points)
      if (x > 0 && y > 0 && std::isfinite(x) && std::isfinite(y)) d += (d.empty() ? "M" : " L") + num(px(x)) + "," + num(py(y));
    if (d.empty()) continue;
    o << "<path class=\"series\" data-name=\"" << xml(s.name) << "\" d=\"" << d << "\" fill=\"none\" stroke=\"" << colour
      << "\" stroke-width=\"2.5\"" << (s.dashed ? " stroke-dasharray=\"7,5\"" : "") << "/>\n";
    for (auto [x, y] : s.points)
      if (x > 0 && y > 0 && std::isfinite(x) && std::isfinite(y) && !s.dashed)
        o << "<circle cx=\"" << num(px(x)) << "\" cy=\"" << num(py(y)) << "\" r=\"4\" fill=\"" << colour << "\"/>\n";
    const double ly = top + 10 + 22.0 * index;
    o << "<line x1=\"" << num(right + 16) << "\" x2=\"" << num(right + 44) << "\" y1=\"" << num(ly) << "\" y2=\"" << num(ly)
      << "\" stroke=\"" << colour << "\" stroke-width=\"2.5\"" << (s.dashed ? " stroke-dasharray=\"7,5\"" : "") << "/>\n";
    o << "<text x=\"" << num(right + 50) << "\" y=\"" << num(ly + 4) << "\" fill=\"#1b1f24\">" << xml(s.name) << "</text>\n";
    ++index;
  }
  o << "</svg>\n";
  return o.str();
}

}  // namespace attnviz
