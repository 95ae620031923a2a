#include "core/svg_figure.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "core/stats.h"
#include "core/tokenizer.h"

namespace attnviz {
namespace {

std::string xmlEscape(const std::string& raw) {
  const std::string s = sanitizeUtf8(raw);
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        if (static_cast<unsigned char>(c) >= 0x20 || c == '\t') out += c;  // XML 1.0 forbids other controls
    }
  }
  return out;
}

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

struct Theme {
  const char* background;
  const char* text;
  const char* muted;
  const char* accent;   // selection outline, arcs
  const char* masked;   // hatch lines
};
constexpr Theme kLight = {"#ffffff", "#1b1f24", "#5b6370", "#d9480f", "#9aa1ab"};
constexpr Theme kDark = {"#16181d", "#eef1f5", "#a3abb8", "#ff922b", "#59606b"};

// Approximate advance of a glyph in DejaVu Sans, as a fraction of the font size.
double textWidth(const std::string& s, double font) { return double(decodeUtf8(s).size()) * font * 0.6; }

struct Box {
  double x, y, w, h;
};

void drawHeatmap(std::ostream& o, const FigureSpec& s, const Theme& t, Box box) {
  std::vector<std::string> rows, cols;
  for (int i = 0; i < s.nq; ++i) rows.push_back(elide(i < int(s.query_labels.size()) ? s.query_labels[i] : std::to_string(i), 14));
  for (int j = 0; j < s.nk; ++j) cols.push_back(elide(j < int(s.key_labels.size()) ? s.key_labels[j] : std::to_string(j), 14));
  // Font sized to the cells, within readable bounds; labels stop being drawn when cells get tiny.
  const double legend_h = 56;
  double font = 16;
  double label_w = 0, label_h = 0;
  for (int pass = 0; pass < 2; ++pass) {
    label_w = 12, label_h = 12;
    for (auto& r : rows) label_w = std::max(label_w, textWidth(r, font) + 14);
    for (auto& c : cols) label_h = std::max(label_h, textWidth(c, font) * 0.72 + 18);  // rotated 45 degrees
    const double cell = std::min((box.w - label_w - 34) / s.nk, (box.h - label_h - legend_h - 44) / s.nq);
    font = std::clamp(cell * 0.55, 7.0, 18.0);
  }
  const double axis_title = 22;
  const double cell = std::max(0.5, std::min((box.w - label_w - axis_title) / s.nk, (box.h - label_h - legend_h - axis_title) / s.nq));
  const double gx = box.x + axis_title + label_w, gy = box.y + axis_title + label_h;
  const double gw = cell * s.nk, gh = cell * s.nq;
  const bool draw_labels = cell >= 7;

  o << "<g id=\"heatmap\" font-size=\"" << fmt(font) << "\">\n";
  o << "<text x=\"" << fmt(gx + gw / 2) << "\" y=\"" << fmt(box.y + 14) << "\" text-anchor=\"middle\" fill=\"" << t.muted
    << "\" font-size=\"13\">keys (attended to) " << (s.cross ? "— source" : "") << "</text>\n";
  o << "<text transform=\"translate(" << fmt(box.x + 12) << "," << fmt(gy + gh / 2) << ") rotate(-90)\" text-anchor=\"middle\" fill=\""
    << t.muted << "\" font-size=\"13\">queries (attending from) " << (s.cross ? "— target" : "") << "</text>\n";
  // Maxima of the visible (unmasked) cells, for the auto and row colour scales.
  std::vector<float> row_max(std::size_t(s.nq), 0.0f);
  float matrix_max = 0.0f;
  for (int i = 0; i < s.nq; ++i)
    for (int j = 0; j < s.nk; ++j) {
      const std::size_t e = std::size_t(i) * s.nk + j;
      if ((!s.masked.empty() && s.masked[e]) || !std::isfinite(s.weights[e])) continue;
      row_max[std::size_t(i)] = std::max(row_max[std::size_t(i)], s.weights[e]);
      matrix_max = std::max(matrix_max, s.weights[e]);
    }
  for (int i = 0; i < s.nq; ++i)
    for (int j = 0; j < s.nk; ++j) {
      const std::size_t e = std::size_t(i) * s.nk + j;
      const bool masked = !s.masked.empty() && s.masked[e];
      const float w = s.weights[e];
      const float pos = colourScaleT(s.scale, w, s.scale == ColourScale::Row ? row_max[std::size_t(i)] : matrix_max);
      o << "<rect class=\"cell\" data-row=\"" << i << "\" data-col=\"" << j << "\" data-weight=\"" << w << "\" x=\""
        << fmt(gx + j * cell) << "\" y=\"" << fmt(gy + i * cell) << "\" width=\"" << fmt(cell) << "\" height=\"" << fmt(cell)
        << "\" fill=\"" << (masked ? std::string("url(#masked)") : toHex(sampleColormap(s.colormap, pos))) << "\"/>\n";
      if (!masked && cell >= 34) {
        const Rgb c = sampleColormap(s.colormap, pos);
        const bool bright = 0.2126f * c.r + 0.7152f * c.g + 0.0722f * c.b > 0.5f;
        o << "<text x=\"" << fmt(gx + (j + 0.5) * cell) << "\" y=\"" << fmt(gy + (i + 0.5) * cell + font * 0.3)
          << "\" text-anchor=\"middle\" font-size=\"" << fmt(std::min(font * 0.8, cell * 0.3)) << "\" fill=\""
          << (bright ? "#000000" : "#ffffff") << "\">" << fmt(w) << "</text>\n";
      }
    }
  if (s.selected_query >= 0 && s.selected_query < s.nq)
    o << "<rect id=\"selected-row\" x=\"" << fmt(gx - 1.5) << "\" y=\"" << fmt(gy + s.selected_query * cell - 1.5) << "\" width=\""
      << fmt(gw + 3) << "\" height=\"" << fmt(cell + 3) << "\" fill=\"none\" stroke=\"" << t.accent << "\" stroke-width=\"3\"/>\n";
  if (draw_labels) {
    for (int i = 0; i < s.nq; ++i)
      o << "<text class=\"row-label\" x=\"" << fmt(gx - 8) << "\" y=\"" << fmt(gy + (i + 0.5) * cell + font * 0.35)
        << "\" text-anchor=\"end\" fill=\"" << (i == s.selected_query ? t.accent : t.text) << "\">" << xmlEscape(rows[i]) << "</text>\n";
    for (int j = 0; j < s.nk; ++j) {
      const double x = gx + (j + 0.5) * cell, y = gy - 8;
      o << "<text class=\"col-label\" transform=\"translate(" << fmt(x) << "," << fmt(y) << ") rotate(-45)\" fill=\"" << t.text << "\">"
        << xmlEscape(cols[j]) << "</text>\n";
    }
  }
  // Legend: the scale's ends and its name (what bright means under this colour scale).
  const ColourScaleLegend legend = colourScaleLegend(s.scale, matrix_max);
  const double lx = gx, ly = gy + gh + 22, lw = std::min(gw, 320.0);
  o << "<rect id=\"legend\" data-scale=\"" << colourScaleName(s.scale) << "\" x=\"" << fmt(lx) << "\" y=\"" << fmt(ly)
    << "\" width=\"" << fmt(lw) << "\" height=\"14\" fill=\"url(#legend-gradient)\"/>\n";
  o << "<text class=\"legend-low\" x=\"" << fmt(lx) << "\" y=\"" << fmt(ly + 32) << "\" fill=\"" << t.muted << "\" font-size=\"13\">"
    << xmlEscape(legend.low) << "</text>\n";
  o << "<text class=\"legend-high\" x=\"" << fmt(lx + lw) << "\" y=\"" << fmt(ly + 32) << "\" text-anchor=\"end\" fill=\"" << t.muted
    << "\" font-size=\"13\">" << xmlEscape(legend.high) << "</text>\n";
  o << "<text class=\"legend-caption\" x=\"" << fmt(lx + lw + 12) << "\" y=\"" << fmt(ly + 12) << "\" fill=\"" << t.muted
    << "\" font-size=\"13\">attention weight, " << xmlEscape(legend.caption) << "</text>\n";
  o << "</g>\n";
}

void drawArcs(std::ostream& o, const FigureSpec& s, const Theme& t, Box box) {
  if (s.selected_query < 0 || s.selected_query >= s.nq) return;
  const int q = s.selected_query;
  const float* row = &s.weights[std::size_t(q) * s.nk];
  const int n = std::max(s.nk, s.cross ? s.nq : 0);
  const double step = box.w / std::max(n, 1);
  const double font = std::clamp(step * 0.32, 8.0, 18.0);
  const bool draw_labels = step >= 10;
  const double keys_y = box.y + box.h * (s.cross ? 0.78 : 0.72);
  const double queries_y = s.cross ? box.y + box.h * 0.22 : keys_y;
  auto key_x = [&](int j) { return box.x + (j + 0.5) * (box.w / s.nk); };
  auto query_x = [&](int i) { return s.cross ? box.x + (i + 0.5) * (box.w / s.nq) : key_x(i); };

  o << "<g id=\"arcs\" font-size=\"" << fmt(font) << "\">\n";
  o << "<text x=\"" << fmt(box.x) << "\" y=\"" << fmt(box.y + 16) << "\" fill=\"" << t.muted << "\" font-size=\"14\">attention from '"
    << xmlEscape(elide(q < int(s.query_labels.size()) ? s.query_labels[q] : std::to_string(q), 24)) << "'</text>\n";
  const auto top = topK(row, s.nk, std::max(s.top_k, 0));
  const float row_max = std::max(1e-6f, *std::max_element(row, row + s.nk));
  for (int j = 0; j < s.nk; ++j) {
    const float w = row[j];
    if (w < 0.005f) continue;  // invisible anyway; keeps long rows' files small
    const double x0 = query_x(q), x1 = key_x(j);
    std::string d;
    if (s.cross) {
      const double my = (queries_y + keys_y) / 2;
      d = "M" + fmt(x0) + "," + fmt(queries_y + 10) + " C" + fmt(x0) + "," + fmt(my) + " " + fmt(x1) + "," + fmt(my) + " " + fmt(x1) +
          "," + fmt(keys_y - font - 4);
    } else if (j == q) {
      d = "M" + fmt(x0 - 6) + "," + fmt(keys_y - font - 4) + " c-14,-40 26,-40 12,0";  // a small self-loop
    } else {
      const double height = std::min(std::fabs(x1 - x0) * 0.5, (keys_y - box.y) * 0.85);
      d = "M" + fmt(x0) + "," + fmt(keys_y - font - 4) + " Q" + fmt((x0 + x1) / 2) + "," + fmt(keys_y - font - 4 - 2 * height) + " " +
          fmt(x1) + "," + fmt(keys_y - font - 4);
    }
    o << "<path class=\"arc\" data-key=\"" << j << "\" data-weight=\"" << w << "\" d=\"" << d << "\" fill=\"none\" stroke=\"" << t.accent
      << "\" stroke-opacity=\"" << fmt(0.25 + 0.75 * w / row_max) << "\" stroke-width=\"" << fmt(1.0 + 9.0 * w) << "\" stroke-linecap=\"round\"/>\n";
  }
  if (s.cross)
    for (int i = 0; i < int(s.alignment.size()) && i < s.nq; ++i) {
      const int j = s.alignment[std::size_t(i)];
      if (j < 0 || j >= s.nk) continue;
      o << "<line class=\"alignment\" data-query=\"" << i << "\" data-key=\"" << j << "\" x1=\"" << fmt(query_x(i)) << "\" y1=\""
        << fmt(queries_y + 10) << "\" x2=\"" << fmt(key_x(j)) << "\" y2=\"" << fmt(keys_y - font - 4) << "\" stroke=\"" << t.text
        << "\" stroke-opacity=\"0.7\" stroke-width=\"1.5\" stroke-dasharray=\"5,4\"/>\n";
    }
  for (const auto& k : top) {
    if (k.weight < 0.005f) continue;  // "0%" labels say nothing
    o << "<text class=\"arc-label\" x=\"" << fmt(key_x(k.index)) << "\" y=\"" << fmt(keys_y + font * 2.4) << "\" text-anchor=\"middle\" fill=\""
      << t.accent << "\" font-weight=\"bold\">" << int(std::lround(k.weight * 100)) << "%</text>\n";
  }
  auto token = [&](double x, double y, const std::string& label, bool selected) {
    if (!draw_labels) return;
    o << "<text class=\"token\" x=\"" << fmt(x) << "\" y=\"" << fmt(y) << "\" text-anchor=\"middle\" fill=\"" << (selected ? t.accent : t.text)
      << "\"" << (selected ? " font-weight=\"bold\"" : "") << ">" << xmlEscape(elide(label, 12)) << "</text>\n";
  };
  for (int j = 0; j < s.nk; ++j)
    token(key_x(j), keys_y, j < int(s.key_labels.size()) ? s.key_labels[j] : std::to_string(j), !s.cross && j == q);
  if (s.cross)
    for (int i = 0; i < s.nq; ++i)
      token(query_x(i), queries_y, i < int(s.query_labels.size()) ? s.query_labels[i] : std::to_string(i), i == q);
  o << "</g>\n";
}

}  // namespace

bool parseFigureView(const std::string& name, FigureView* out) {
  if (name == "heatmap") return *out = FigureView::Heatmap, true;
  if (name == "arcs") return *out = FigureView::Arcs, true;
  if (name == "both") return *out = FigureView::Both, true;
  return false;
}

std::string elide(const std::string& utf8, int max_chars) {
  const std::u32string cps = decodeUtf8(utf8);
  if (int(cps.size()) <= max_chars) return utf8;
  std::string out;
  for (int i = 0; i < std::max(max_chars - 1, 1); ++i) out += encodeUtf8(cps[i]);
  return out + "\xE2\x80\xA6";  // …
}

std::string renderSvg(const FigureSpec& s) {
  std::ostringstream o;
  writeSvg(s, o);
  return o.str();
}

void writeSvg(const FigureSpec& s, std::ostream& o) {
  const Theme& t = s.dark ? kDark : kLight;
  o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" << s.width << "\" height=\"" << s.height << "\" viewBox=\"0 0 "
    << s.width << " " << s.height << "\" font-family=\"DejaVu Sans, Noto Sans, Arial, sans-serif\">\n";
  o << "<defs>\n<linearGradient id=\"legend-gradient\" x1=\"0\" x2=\"1\" y1=\"0\" y2=\"0\">\n";
  for (int k = 0; k <= 10; ++k)
    o << "<stop offset=\"" << fmt(k / 10.0) << "\" stop-color=\"" << toHex(sampleColormap(s.colormap, float(k) / 10.0f)) << "\"/>\n";
  o << "</linearGradient>\n<pattern id=\"masked\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">"
    << "<rect width=\"6\" height=\"6\" fill=\"" << t.background << "\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"" << t.masked
    << "\" stroke-width=\"2\"/></pattern>\n</defs>\n";
  o << "<rect width=\"100%\" height=\"100%\" fill=\"" << t.background << "\"/>\n";
  double top = 16;
  if (!s.title.empty()) {
    o << "<text x=\"24\" y=\"36\" font-size=\"24\" font-weight=\"bold\" fill=\"" << t.text << "\">" << xmlEscape(s.title) << "</text>\n";
    top = 56;
  }
  if (!s.subtitle.empty()) {
    o << "<text id=\"subtitle\" x=\"24\" y=\"" << fmt(top + 14) << "\" font-size=\"15\" fill=\"" << t.muted << "\">"
      << xmlEscape(s.subtitle) << "</text>\n";
    top += 30;
  }
  const Box whole{24, top, double(s.width) - 48, double(s.height) - top - 16};
  if (s.nq > 0 && s.nk > 0 && s.weights.size() == std::size_t(s.nq) * s.nk) {
    if (s.view == FigureView::Heatmap) drawHeatmap(o, s, t, whole);
    if (s.view == FigureView::Arcs) drawArcs(o, s, t, whole);
    if (s.view == FigureView::Both) {
      const double split = whole.w * 0.5;
      drawHeatmap(o, s, t, {whole.x, whole.y, split - 16, whole.h});
      drawArcs(o, s, t, {whole.x + split + 16, whole.y, whole.w - split - 16, whole.h});
    }
  }
  o << "</svg>\n";
}

}  // namespace attnviz
