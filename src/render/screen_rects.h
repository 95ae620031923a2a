// Integer pixel rectangles on the screen, and what of an area a set of them leaves uncovered (pure
// geometry, no GL). The window clears the whole frame to the panel colour (a fast full clear on a
// software rasteriser) and paints only the uncovered gaps in the window colour: a scissored clear
// is drawn as a quad there, so clearing the panels one by one cost a full-screen pass per frame.
#pragma once

#include <vector>

namespace attnviz::render {

struct PixelRect {
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // [x0, x1) x [y0, y1)
  bool empty() const { return x1 <= x0 || y1 <= y0; }
};

// Disjoint rectangles that together cover exactly the part of `area` outside every rectangle of
// `covered` (which may overlap each other and reach outside `area`). Vertical slabs between the
// distinct x edges, merged with the slab to their left when they leave the same y ranges free.
std::vector<PixelRect> uncoveredRects(const PixelRect& area, const std::vector<PixelRect>& covered);

}  // namespace attnviz::render
