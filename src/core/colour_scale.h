// How an attention weight becomes a position on the colormap (0 = dark end, 1 = bright end).
// The same mapping colours the window's heatmap (its prepare shader mirrors colourScaleT), the
// PNG figures and the SVG figures, and the legend names it. Needs no GL context.
//
//   linear  t = p                      (0..1, comparable between matrices)
//   auto    t = p / max(P)             (0..max of the shown matrix: long inputs are not all dark)
//   row     t = p / max(row of p)      (each query's strongest key is the bright end)
//   log     t = (log10 p + 4) / 4      (1e-4..1: four decades, small weights stay visible)
#pragma once

#include <string>
#include <vector>

namespace attnviz {

enum class ColourScale { Linear, Auto, Row, Log };

inline constexpr float kLogScaleFloor = 1e-4f;  // the dark end of the log scale
inline constexpr float kLogScaleDecades = 4.0f;

const std::vector<ColourScale>& allColourScales();
const char* colourScaleName(ColourScale s);  // "linear", "auto", "row", "log"
// The names above (case-insensitive); false when unknown.
bool parseColourScale(const std::string& name, ColourScale* out);
// One line for tooltips and help: what the scale does and when to use it.
const char* colourScaleHelp(ColourScale s);

// The scale a matrix gets until a person chooses one. A real model's causal map past a few dozen
// tokens spreads each row over many keys, so under linear it reads as a dark triangle: log shows its
// structure there. Short inputs, the simulated model and imported data keep linear (comparable
// between matrices).
inline constexpr int kLogDefaultTokens = 32;
ColourScale defaultColourScale(int tokens, bool real_model);

// t in [0, 1] for a weight p >= 0. `denominator` is the matrix maximum (Auto) or the row maximum
// (Row) and is ignored otherwise; a denominator <= 0 (an all-zero matrix or row) gives t = 0.
// Negative p (a masked cell) and NaN give 0.
float colourScaleT(ColourScale s, float p, float denominator);

// Largest finite entry of a matrix (0 when empty or all masked / negative).
float matrixMaximum(const float* p, int rows, int cols);
// Per-row maxima (rows floats), same rules.
std::vector<float> rowMaxima(const float* p, int rows, int cols);

// The legend's ends and caption for the shown matrix, e.g. {"0", "0.23", "auto: 0..max of this matrix"}.
struct ColourScaleLegend {
  std::string low, high, caption;
};
ColourScaleLegend colourScaleLegend(ColourScale s, float matrix_max);

}  // namespace attnviz
