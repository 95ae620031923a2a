// Vector figures (SVG 1.1) of an attention matrix: the heatmap with labels and legend, the arcs
// from a selected query, or both side by side. Valid XML; opens in browsers and Inkscape.
// Needs no GL context.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "core/colormap.h"
#include "core/colour_scale.h"

namespace attnviz {

enum class FigureView { Heatmap, Arcs, Both };
bool parseFigureView(const std::string& name, FigureView* out);  // "heatmap" | "arcs" | "both"

struct FigureSpec {
  std::vector<float> weights;               // [nq][nk]
  int nq = 0, nk = 0;
  std::vector<std::string> query_labels;    // nq
  std::vector<std::string> key_labels;      // nk
  std::vector<std::uint8_t> masked;         // [nq][nk] 1 = masked key (drawn hatched); may be empty
  bool cross = false;                       // rows and columns are different sequences
  Colormap colormap = kDefaultColormap;
  ColourScale scale = ColourScale::Linear;  // how weights map onto the colormap; the legend names it
  bool dark = false;                        // dark theme (else light, for projectors and paper)
  FigureView view = FigureView::Both;
  int selected_query = 0;
  int top_k = 5;                            // arcs labelled with percentages (as the window's arcs panel)
  int width = 1600, height = 900;           // pixels (SVG user units)
  std::string title;                        // optional heading
  std::string subtitle;                     // optional line under it: head, temperature, mask, source
  // Cross-attention: each target token's most attended source token (alignmentOf), drawn as dashed
  // links between the two strips; empty: none.
  std::vector<int> alignment;
};

std::string renderSvg(const FigureSpec& spec);
// The same, written as it goes (a figure of 5,000 x 5,000 cells is gigabytes of text).
void writeSvg(const FigureSpec& spec, std::ostream& out);

// Token text shortened to at most max_chars code points, with an ellipsis when cut.
std::string elide(const std::string& utf8, int max_chars);

}  // namespace attnviz
