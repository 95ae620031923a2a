#include "core/colormap.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/tokenizer.h"

namespace attnviz {
namespace {

// Control points at evenly spaced t, read off the published maps (matplotlib's viridis and magma,
// Nuñez et al.'s cividis); the curves between them are smooth enough for linear interpolation.
constexpr Rgb kViridis[] = {{0.267f, 0.005f, 0.329f}, {0.283f, 0.141f, 0.458f}, {0.254f, 0.265f, 0.530f},
                            {0.207f, 0.372f, 0.553f}, {0.164f, 0.471f, 0.558f}, {0.128f, 0.567f, 0.551f},
                            {0.135f, 0.659f, 0.518f}, {0.267f, 0.749f, 0.441f}, {0.478f, 0.821f, 0.318f},
                            {0.741f, 0.873f, 0.150f}, {0.993f, 0.906f, 0.144f}};
constexpr Rgb kMagma[] = {{0.001f, 0.000f, 0.014f}, {0.079f, 0.054f, 0.212f}, {0.232f, 0.060f, 0.438f},
                          {0.390f, 0.100f, 0.502f}, {0.550f, 0.161f, 0.506f}, {0.716f, 0.215f, 0.475f},
                          {0.869f, 0.288f, 0.409f}, {0.968f, 0.440f, 0.360f}, {0.995f, 0.624f, 0.427f},
                          {0.992f, 0.812f, 0.572f}, {0.987f, 0.991f, 0.750f}};
constexpr Rgb kCividis[] = {{0.000f, 0.135f, 0.305f}, {0.000f, 0.187f, 0.435f}, {0.194f, 0.255f, 0.424f},
                            {0.312f, 0.329f, 0.425f}, {0.405f, 0.403f, 0.440f}, {0.490f, 0.484f, 0.471f},
                            {0.588f, 0.566f, 0.469f}, {0.692f, 0.651f, 0.441f}, {0.797f, 0.742f, 0.391f},
                            {0.906f, 0.840f, 0.314f}, {0.996f, 0.911f, 0.220f}};
constexpr Rgb kGrey[] = {{0.0f, 0.0f, 0.0f}, {1.0f, 1.0f, 1.0f}};

template <std::size_t N>
Rgb interpolate(const Rgb (&points)[N], float t) {
  t = std::clamp(std::isfinite(t) ? t : 0.0f, 0.0f, 1.0f);
  const float x = t * float(N - 1);
  const std::size_t i = std::min<std::size_t>(std::size_t(x), N - 2);
  const float f = x - float(i);
  const Rgb& a = points[i];
  const Rgb& b = points[i + 1];
  return {a.r + (b.r - a.r) * f, a.g + (b.g - a.g) * f, a.b + (b.b - a.b) * f};
}

}  // namespace

const std::vector<Colormap>& allColormaps() {
  static const std::vector<Colormap> all = {Colormap::Cividis, Colormap::Viridis, Colormap::Magma, Colormap::Greyscale};
  return all;
}

const char* colormapName(Colormap c) {
  switch (c) {
    case Colormap::Cividis: return "cividis";
    case Colormap::Viridis: return "viridis";
    case Colormap::Magma: return "magma";
    case Colormap::Greyscale: return "greyscale";
  }
  return "cividis";
}

bool parseColormap(const std::string& name, Colormap* out) {
  const std::string n = lowerCase(name);
  for (Colormap c : allColormaps())
    if (n == colormapName(c)) return *out = c, true;
  if (n == "grey" || n == "gray" || n == "grayscale") return *out = Colormap::Greyscale, true;
  return false;
}

Rgb sampleColormap(Colormap c, float t) {
  switch (c) {
    case Colormap::Cividis: return interpolate(kCividis, t);
    case Colormap::Viridis: return interpolate(kViridis, t);
    case Colormap::Magma: return interpolate(kMagma, t);
    case Colormap::Greyscale: return interpolate(kGrey, t);
  }
  return interpolate(kCividis, t);
}

std::vector<std::uint8_t> colormapTable(Colormap c, int n) {
  std::vector<std::uint8_t> out;
  out.reserve(std::size_t(n) * 4);
  for (int i = 0; i < n; ++i) {
    const Rgb rgb = sampleColormap(c, n > 1 ? float(i) / float(n - 1) : 0.0f);
    for (float v : {rgb.r, rgb.g, rgb.b}) out.push_back(std::uint8_t(std::lround(std::clamp(v, 0.0f, 1.0f) * 255.0f)));
    out.push_back(255);
  }
  return out;
}

std::string toHex(Rgb c) {
  auto byte = [](float v) { return int(std::lround(std::clamp(v, 0.0f, 1.0f) * 255.0f)); };
  char buf[8];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", byte(c.r), byte(c.g), byte(c.b));
  return buf;
}

}  // namespace attnviz
