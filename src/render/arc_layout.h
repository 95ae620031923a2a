// Geometry of the attention arcs from one query token to its keys (pure maths, no GL): cubic
// Bézier curves whose width and opacity follow the weight, plus the timing of the grow/flow
// animation. The UI draws them (ImDrawList); tests check them directly. Units are pixels.
#pragma once

#include <vector>

#include <glm/vec2.hpp>

namespace attnviz::render {

struct ArcStyle {
  int top_k = 5;               // the k heaviest keys get a percentage label...
  float min_label_weight = 0.01f;  // ...unless they round to 0%
  float min_weight = 0.02f;    // lighter keys get no arc (unless among the top k)
  float min_width = 1.0f, max_width = 10.0f;
  float min_alpha = 0.18f;     // opacity of the lightest arc drawn; the row's maximum gets 1
  float max_height = 120.0f;   // self mode: how high the longest arc rises above the strip
};

struct Arc {
  int key = 0;
  int head = 0;
  float weight = 0;
  int rank = 0;  // 1 = heaviest
  glm::vec2 p0, p1, p2, p3;
  float width = 1;
  float alpha = 1;
  bool labelled = false;
  float label_t = 0.5f;  // where along the curve its label sits
};

// Self attention: queries and keys share one strip at height `baseline`; arcs rise above it.
// key_x[j] is the centre of token j. The arc to the query itself is a small loop.
std::vector<Arc> layoutSelfArcs(const float* row, int nk, int query, const std::vector<float>& key_x, float baseline,
                                const ArcStyle& style, int head = 0);

// Cross attention: the query sits on the target strip at (query_x, top), the keys on the source
// strip at (key_x[j], bottom); arcs are S-curves between the strips.
std::vector<Arc> layoutCrossArcs(const float* row, int nk, float query_x, const std::vector<float>& key_x, float top,
                                 float bottom, const ArcStyle& style, int head = 0);

glm::vec2 bezierPoint(const Arc& a, float t);


// Grow animation: how much of an arc of the given rank is drawn `seconds` after selection (0..1,
// ease-out; heavier arcs start first).
float arcGrowFraction(float seconds, int rank);

// Label placement with collision avoidance (arc percentage tags, and any other small labels that
// must not overlap). Each candidate offers positions in order of preference (centres, e.g. points
// along its arc); candidates are placed heaviest first at the first position where the box stays
// inside `bounds`, clear of every placed box and every obstacle (token chips) by `gap` pixels.
// A candidate with no free position is dropped (the UI shows it on hover instead).
struct LabelBox {
  float x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  bool overlaps(const LabelBox& o, float gap = 0) const {
    return x0 < o.x1 + gap && o.x0 < x1 + gap && y0 < o.y1 + gap && o.y0 < y1 + gap;
  }
};

struct LabelCandidate {
  std::vector<glm::vec2> centres;  // preferred first
  float w = 0, h = 0;              // box size in pixels
  float priority = 0;              // heavier first (the arc's weight)
};

struct LabelPlacement {
  bool placed = false;
  LabelBox box;          // where it went (valid when placed)
  int position = -1;     // index into the candidate's centres
};

// Returns one placement per candidate, in the candidates' order. Deterministic: equal priorities
// keep their input order.
std::vector<LabelPlacement> placeLabels(const std::vector<LabelCandidate>& candidates, const LabelBox& bounds,
                                        const std::vector<LabelBox>& obstacles, float gap = 2.0f);

// Positions along an arc for its label: the arc's own label_t first, then alternately later and
// earlier by `step` (clamped to [t_min, t_max]).
std::vector<glm::vec2> labelPositionsAlong(const Arc& arc, int count = 9, float step = 0.06f, float t_min = 0.12f,
                                           float t_max = 0.94f);

// Evenly spaced horizontal token slots: the centre x of each of n tokens in [left, right].
std::vector<float> tokenSlots(int n, float left, float right);

}  // namespace attnviz::render
