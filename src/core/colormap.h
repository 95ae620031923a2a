// Colormaps for attention weights (0 -> 1), as data: used to fill the heatmap's lookup texture and
// to colour exported figures, so both agree. Needs no GL context.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace attnviz {

enum class Colormap { Cividis, Viridis, Magma, Greyscale };

struct Rgb {
  float r, g, b;  // 0..1, sRGB
};

// Cividis (designed to read the same with colour-vision deficiency) is the default.
inline constexpr Colormap kDefaultColormap = Colormap::Cividis;

const std::vector<Colormap>& allColormaps();
const char* colormapName(Colormap c);  // "cividis", "viridis", "magma", "greyscale"
// Accepts the names above (case-insensitive) and "grey"/"gray"/"grayscale"; false if unknown.
bool parseColormap(const std::string& name, Colormap* out);

// t is clamped to [0, 1]; linear interpolation between the map's control points.
Rgb sampleColormap(Colormap c, float t);
// n entries of RGBA8 (alpha 255), for a lookup texture.
std::vector<std::uint8_t> colormapTable(Colormap c, int n = 256);
// "#rrggbb"
std::string toHex(Rgb c);

}  // namespace attnviz
