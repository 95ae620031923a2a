#include "render/arc_layout.h"

#include <algorithm>
#include <cmath>

#include "core/stats.h"

namespace attnviz::render {
namespace {

// Which keys get an arc: the top k always, the others when heavy enough. Ranked heaviest first.
std::vector<Arc> rankedArcs(const float* row, int nk, const ArcStyle& style, int head) {
  std::vector<Arc> arcs;
  if (nk <= 0) return arcs;
  const std::vector<RankedKey> ranked = topK(row, nk, nk);
  const float row_max = ranked.empty() ? 0.0f : ranked.front().weight;
  for (std::size_t r = 0; r < ranked.size(); ++r) {
    const bool top = int(r) < style.top_k;
    if (ranked[r].weight <= 0.0f) break;
    if (!top && ranked[r].weight < style.min_weight) break;
    Arc a;
    a.key = ranked[r].index;
    a.head = head;
    a.weight = ranked[r].weight;
    a.rank = int(r) + 1;
    a.labelled = top && a.weight >= style.min_label_weight;
    a.width = style.min_width + (style.max_width - style.min_width) * std::clamp(a.weight, 0.0f, 1.0f);
    const float rel = row_max > 0 ? a.weight / row_max : 0.0f;
    a.alpha = style.min_alpha + (1.0f - style.min_alpha) * rel;
    arcs.push_back(a);
  }
  return arcs;
}

}  // namespace

std::vector<Arc> layoutSelfArcs(const float* row, int nk, int query, const std::vector<float>& key_x, float baseline,
                                const ArcStyle& style, int head) {
  std::vector<Arc> arcs = rankedArcs(row, nk, style, head);
  if (query < 0 || query >= int(key_x.size())) return {};
  const float xq = key_x[std::size_t(query)];
  float longest = 1.0f;
  for (float x : key_x) longest = std::max(longest, std::abs(x - xq));
  for (Arc& a : arcs) {
    const float xk = key_x[std::size_t(a.key)];
    if (a.key == query) {
      // A loop above the token: it attends to itself.
      const float h = std::min(style.max_height * 0.35f, 36.0f);
      a.p0 = {xq - 5.0f, baseline};
      a.p1 = {xq - 22.0f, baseline - h};
      a.p2 = {xq + 22.0f, baseline - h};
      a.p3 = {xq + 5.0f, baseline};
      continue;
    }
    const float dx = std::abs(xk - xq);
    // Height grows with distance so nested arcs do not overlap; at least a readable bump.
    const float h = std::max(style.max_height * std::sqrt(dx / longest), 14.0f);
    a.p0 = {xq, baseline};
    a.p1 = {xq + (xk - xq) * 0.05f, baseline - h * 1.33f};
    a.p2 = {xk - (xk - xq) * 0.05f, baseline - h * 1.33f};
    a.p3 = {xk, baseline};
  }
  return arcs;
}

std::vector<Arc> layoutCrossArcs(const float* row, int nk, float query_x, const std::vector<float>& key_x, float top,
                                 float bottom, const ArcStyle& style, int head) {
  std::vector<Arc> arcs = rankedArcs(row, nk, style, head);
  const float mid = 0.5f * (top + bottom);
  for (Arc& a : arcs) {
    const float xk = key_x[std::size_t(a.key)];
    a.p0 = {query_x, top};
    a.p1 = {query_x, mid};
    a.p2 = {xk, mid};
    a.p3 = {xk, bottom};
    // Labels near the keys, where the S-curves have spread apart.
    a.label_t = 0.8f;
  }
  return arcs;
}

glm::vec2 bezierPoint(const Arc& a, float t) {
  const float u = 1.0f - t;
  return u * u * u * a.p0 + 3.0f * u * u * t * a.p1 + 3.0f * u * t * t * a.p2 + t * t * t * a.p3;
}

std::vector<LabelPlacement> placeLabels(const std::vector<LabelCandidate>& candidates, const LabelBox& bounds,
                                        const std::vector<LabelBox>& obstacles, float gap) {
  std::vector<int> order(candidates.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = int(i);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return candidates[std::size_t(a)].priority > candidates[std::size_t(b)].priority;
  });
  std::vector<LabelPlacement> out(candidates.size());
  std::vector<LabelBox> taken;
  taken.reserve(candidates.size());
  for (int i : order) {
    const LabelCandidate& c = candidates[std::size_t(i)];
    if (!(c.w > 0) || !(c.h > 0)) continue;
    for (std::size_t p = 0; p < c.centres.size(); ++p) {
      const glm::vec2 m = c.centres[p];
      LabelBox box{m.x - 0.5f * c.w, m.y - 0.5f * c.h, m.x + 0.5f * c.w, m.y + 0.5f * c.h};
      if (box.x0 < bounds.x0 || box.y0 < bounds.y0 || box.x1 > bounds.x1 || box.y1 > bounds.y1) continue;
      bool free = true;
      for (const LabelBox& t : taken)
        if (box.overlaps(t, gap)) { free = false; break; }
      for (std::size_t o = 0; free && o < obstacles.size(); ++o)
        if (box.overlaps(obstacles[o], 0.0f)) free = false;
      if (!free) continue;
      out[std::size_t(i)] = {true, box, int(p)};
      taken.push_back(box);
      break;
    }
  }
  return out;
}

std::vector<glm::vec2> labelPositionsAlong(const Arc& arc, int count, float step, float t_min, float t_max) {
  std::vector<glm::vec2> out;
  const float t0 = std::clamp(arc.label_t, t_min, t_max);
  out.push_back(bezierPoint(arc, t0));
  for (int k = 1; static_cast<int>(out.size()) < count && k <= count; ++k) {
    for (float sign : {1.0f, -1.0f}) {
      const float t = t0 + sign * step * float(k);
      if (t < t_min || t > t_max) continue;
      out.push_back(bezierPoint(arc, t));
      if (static_cast<int>(out.size()) >= count) break;
    }
  }
  return out;
}

float arcGrowFraction(float seconds, int rank) {
  const float start = 0.04f * float(std::max(rank - 1, 0));
  const float x = std::clamp((seconds - start) / 0.45f, 0.0f, 1.0f);
  const float u = 1.0f - x;
  return 1.0f - u * u * u;
}

std::vector<float> tokenSlots(int n, float left, float right) {
  std::vector<float> xs(std::size_t(std::max(n, 0)));
  if (n <= 0) return xs;
  const float w = (right - left) / float(n);
  for (int i = 0; i < n; ++i) xs[std::size_t(i)] = left + w * (float(i) + 0.5f);
  return xs;
}

}  // namespace attnviz::render
