#include "core/colour_scale.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/tokenizer.h"

namespace attnviz {

const std::vector<ColourScale>& allColourScales() {
  static const std::vector<ColourScale> all = {ColourScale::Linear, ColourScale::Auto, ColourScale::Row, ColourScale::Log};
  return all;
}

const char* colourScaleName(ColourScale s) {
  switch (s) {
    case ColourScale::Linear: return "linear";
    case ColourScale::Auto: return "auto";
    case ColourScale::Row: return "row";
    case ColourScale::Log: return "log";
  }
  return "linear";
}

bool parseColourScale(const std::string& name, ColourScale* out) {
  const std::string n = lowerCase(name);
  for (ColourScale s : allColourScales())
    if (n == colourScaleName(s)) return *out = s, true;
  return false;
}

const char* colourScaleHelp(ColourScale s) {
  switch (s) {
    case ColourScale::Linear:
      return "linear 0..1: a weight's colour means the same in every matrix; long inputs look dark because weights there are small";
    case ColourScale::Auto:
      return "auto 0..max: the largest weight of the shown matrix is the bright end, so long inputs show their structure";
    case ColourScale::Row:
      return "per row: each query's strongest key is the bright end; compares where rows look, not how sharply";
    case ColourScale::Log:
      return "log 1e-4..1: four decades, so small weights (the long tail of a row) stay visible";
  }
  return "";
}

float colourScaleT(ColourScale s, float p, float denominator) {
  if (!(p > 0.0f)) return 0.0f;  // also NaN and masked cells (< 0)
  float t = p;
  switch (s) {
    case ColourScale::Linear: break;
    case ColourScale::Auto:
    case ColourScale::Row: t = denominator > 0.0f ? p / denominator : 0.0f; break;
    case ColourScale::Log: t = (std::log10(std::max(p, kLogScaleFloor)) + kLogScaleDecades) / kLogScaleDecades; break;
  }
  return std::clamp(t, 0.0f, 1.0f);
}

float matrixMaximum(const float* p, int rows, int cols) {
  float m = 0.0f;
  const std::size_t n = std::size_t(std::max(rows, 0)) * std::size_t(std::max(cols, 0));
  for (std::size_t e = 0; e < n; ++e)
    if (std::isfinite(p[e])) m = std::max(m, p[e]);
  return m;
}

std::vector<float> rowMaxima(const float* p, int rows, int cols) {
  std::vector<float> out(std::size_t(std::max(rows, 0)), 0.0f);
  for (int i = 0; i < rows; ++i) out[std::size_t(i)] = matrixMaximum(p + std::size_t(i) * std::size_t(cols), 1, cols);
  return out;
}

ColourScale defaultColourScale(int tokens, bool real_model) {
  return real_model && tokens > kLogDefaultTokens ? ColourScale::Log : ColourScale::Linear;
}

ColourScaleLegend colourScaleLegend(ColourScale s, float matrix_max) {
  char high[32];
  switch (s) {
    case ColourScale::Linear: return {"0", "1", "linear 0..1"};
    case ColourScale::Auto:
      std::snprintf(high, sizeof high, "%.3g", double(matrix_max > 0.0f ? matrix_max : 0.0f));
      return {"0", high, "auto: 0..max of this matrix"};
    case ColourScale::Row: return {"0", "row max", "per row: each row / its max"};
    case ColourScale::Log: return {"1e-4", "1", "log scale"};
  }
  return {"0", "1", "linear 0..1"};
}

}  // namespace attnviz
