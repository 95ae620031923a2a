#include "render/screen_rects.h"

#include <algorithm>
#include <utility>

namespace attnviz::render {

std::vector<PixelRect> uncoveredRects(const PixelRect& area, const std::vector<PixelRect>& covered) {
  std::vector<PixelRect> out;
  if (area.empty()) return out;
  std::vector<PixelRect> clipped;
  std::vector<int> xs = {area.x0, area.x1};
  for (const PixelRect& r : covered) {
    const PixelRect c{std::max(r.x0, area.x0), std::max(r.y0, area.y0), std::min(r.x1, area.x1), std::min(r.y1, area.y1)};
    if (c.empty()) continue;
    clipped.push_back(c);
    xs.push_back(c.x0);
    xs.push_back(c.x1);
  }
  std::sort(xs.begin(), xs.end());
  xs.erase(std::unique(xs.begin(), xs.end()), xs.end());
  // Free y intervals of the previous slab, with the index in `out` of the rectangle each extends.
  std::vector<std::pair<int, int>> prev_free;
  std::vector<std::size_t> prev_out;
  for (std::size_t s = 0; s + 1 < xs.size(); ++s) {
    const int x0 = xs[s], x1 = xs[s + 1];
    std::vector<std::pair<int, int>> spans;
    for (const PixelRect& c : clipped)
      if (c.x0 <= x0 && c.x1 >= x1) spans.emplace_back(c.y0, c.y1);
    std::sort(spans.begin(), spans.end());
    std::vector<std::pair<int, int>> free;
    int y = area.y0;
    for (const auto& [a, b] : spans) {
      if (a > y) free.emplace_back(y, a);
      y = std::max(y, b);
    }
    if (y < area.y1) free.emplace_back(y, area.y1);
    std::vector<std::size_t> now_out;
    if (free == prev_free) {
      for (std::size_t k = 0; k < free.size(); ++k) out[prev_out[k]].x1 = x1;  // same gaps: widen
      now_out = prev_out;
    } else {
      for (const auto& [a, b] : free) {
        now_out.push_back(out.size());
        out.push_back({x0, a, x1, b});
      }
    }
    prev_free = std::move(free);
    prev_out = std::move(now_out);
  }
  return out;
}

}  // namespace attnviz::render
