// Arcs for the selected query: the tokens as a strip (two strips in cross mode: target above,
// source below), curved arcs to the keys with width and opacity by weight, growing out of the query
// when it is selected and with dots flowing along them to show the direction; the top k carry a
// percentage. In "all heads" mode each head has its colour.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include <glm/geometric.hpp>

#include "core/export.h"
#include "render/arc_layout.h"
#include "ui/ui_context.h"
#include "ui/text_bounds.h"

namespace attnviz::ui {
namespace {

struct Strip {
  std::vector<float> x;
  std::vector<float> w;  // box width of each token
};

// Tokens at their natural width when the whole sentence fits (spare room spread as gaps), else
// equal slots.
Strip layoutStrip(const std::vector<std::string>& labels, float left, float right, float pad, float min_gap = 0) {
  Strip s;
  const int n = int(labels.size());
  float total = 0;
  for (const std::string& l : labels) {
    s.w.push_back(ImGui::CalcTextSize(l.c_str()).x + 2 * pad);
    total += s.w.back();
  }
  const float avail = right - left;
  if (n > 0 && total + min_gap * float(n - 1) <= avail) {
    const float gap = std::max(min_gap, std::min((avail - total) / float(n), 3.0f * pad));
    float x = left + 0.5f * (avail - total - gap * float(n - 1));
    for (int i = 0; i < n; ++i) {
      s.x.push_back(x + 0.5f * s.w[std::size_t(i)]);
      x += s.w[std::size_t(i)] + gap;
    }
    return s;
  }
  s.x = render::tokenSlots(n, left, right);
  const float slot = avail / float(std::max(n, 1));
  for (float& w : s.w) w = slot * 0.92f;
  return s;
}

// Token boxes along a strip; labels are full when they fit, else elided, else only the ones that
// matter (selected query and labelled keys) are written.
render::LabelBox chipBox(UiContext& ui, const Strip& s, int i, float y) {
  const float h = ImGui::GetTextLineHeight() + 8 * ui.scale;
  const float cx = s.x[std::size_t(i)], half = 0.5f * s.w[std::size_t(i)];
  return {cx - half, y - h * 0.5f, cx + half, y + h * 0.5f};
}

// The index (into the strip) of the chip under the mouse, or -1.
int chipUnderMouse(UiContext& ui, const Strip& s, float y) {
  if (ui.figure || !ImGui::IsWindowHovered()) return -1;
  const ImVec2 m = ImGui::GetIO().MousePos;
  for (int i = 0; i < int(s.x.size()); ++i) {
    const render::LabelBox b = chipBox(ui, s, i, y);
    if (m.x >= b.x0 && m.x <= b.x1 && m.y >= b.y0 && m.y <= b.y1) return i;
  }
  return -1;
}

void drawStrip(UiContext& ui, ImDrawList* dl, const std::vector<std::string>& labels, const Strip& s, float y,
               int highlight, const std::vector<float>* weights, const std::vector<int>& force_label) {
  AppController& app = *ui.app;
  for (int i = 0; i < int(labels.size()); ++i) {
    const float cx = s.x[std::size_t(i)];
    const render::LabelBox box = chipBox(ui, s, i, y);
    const ImVec2 a(box.x0, box.y0), b(box.x1, box.y1);
    ImU32 fill = palette().box;
    ImU32 text = palette().box_text;
    if (weights) {
      const float w = (*weights)[std::size_t(i)];
      fill = colormapColor(app.colormap(), w);
      text = textColorOn(app.colormap(), w);
    }
    if (i == highlight) {
      fill = accentColor();
      text = IM_COL32(255, 255, 255, 255);
    }
    dl->AddRectFilled(a, b, fill, 4.0f * ui.scale);
    const bool forced = std::find(force_label.begin(), force_label.end(), i) != force_label.end();
    const float room = b.x - a.x - 4 * ui.scale;
    std::string label = labels[std::size_t(i)];
    if (room < std::min(ImGui::CalcTextSize(label.c_str()).x, ImGui::GetFontSize() * 1.2f)) {
      if (!forced && i != highlight) continue;
      // Too narrow: write it above the box instead.
      const ImVec2 ts = ImGui::CalcTextSize(label.c_str());
      dl->AddText(ImVec2(cx - ts.x * 0.5f, a.y - ts.y - 2), i == highlight ? accentColor() : palette().label,
                  label.c_str());
      continue;
    }
    label = elide(label, room);
    const ImVec2 ts = ImGui::CalcTextSize(label.c_str());
    dl->AddText(ImVec2(cx - ts.x * 0.5f, y - ts.y * 0.5f), text, label.c_str());
  }
}

void drawArc(UiContext& ui, ImDrawList* dl, const render::Arc& arc, float grow, float time, ImU32 base_rgb) {
  // Segments by the curve's rough length (a segment per ~14 px, 8..40): every triangle costs
  // set-up time on a software rasteriser, and short arcs need few to look smooth.
  constexpr int kMaxSegments = 40;
  const float rough_len = glm::length(arc.p1 - arc.p0) + glm::length(arc.p2 - arc.p1) + glm::length(arc.p3 - arc.p2);
  const int segments = std::clamp(int(rough_len / (14.0f * ui.scale)), 8, kMaxSegments);
  const int last = std::max(1, int(std::ceil(grow * float(segments))));
  ImVec2 pts[kMaxSegments + 1];
  for (int k = 0; k <= last; ++k) {
    const float t = std::min(grow, float(k) / float(segments));
    const glm::vec2 p = render::bezierPoint(arc, t);
    pts[k] = ImVec2(p.x, p.y);
  }
  ImVec4 c = ImGui::ColorConvertU32ToFloat4(base_rgb);
  c.w = arc.alpha;
  // Presentation and figures: thicker strokes that survive a projector or a printed page.
  const float width_scale = ui.present || ui.figure ? 1.7f : 1.0f;
  dl->AddPolyline(pts, last + 1, ImGui::ColorConvertFloat4ToU32(c), 0, arc.width * width_scale * ui.scale);
  if (grow < 1.0f) ui.animating = true;
  if (grow >= 1.0f && !ui.figure && !ui.paused && ui.flow_opacity > 0) {
    // Flow: bright dots travelling from the query to the key.
    ui.animating = true;
    const float speed = 0.45f;
    for (int d = 0; d < 2; ++d) {
      const float t = std::fmod(time * speed + 0.5f * float(d) + float(arc.key) * 0.137f, 1.0f);
      const glm::vec2 p = render::bezierPoint(arc, t);
      const float fade = std::sin(t * 3.14159f);
      dl->AddCircleFilled(ImVec2(p.x, p.y), (arc.width * width_scale * 0.35f + 1.6f) * ui.scale,
                          IM_COL32(255, 255, 255, int(200 * fade * arc.alpha * ui.flow_opacity)), 10);
    }
  }
}


// The percentage tags of the labelled arcs, placed together so none overlaps another or a token
// chip: heaviest first, each at the first free spot along its own arc; the ones with no free spot
// are left out (hovering an arc names it). The placed boxes go to ui.arc_label_rects for tests.
void drawArcLabels(UiContext& ui, ImDrawList* dl, const std::vector<std::pair<render::Arc, ImU32>>& arcs,
                   float seconds, const render::LabelBox& bounds, const std::vector<render::LabelBox>& chips) {
  ImGui::PushFont(labelFont(ui));
  const float pad_x = 4 * ui.scale, pad_y = 1 * ui.scale;
  std::vector<render::LabelCandidate> candidates;
  std::vector<std::size_t> arc_of;
  std::vector<std::string> texts;
  for (std::size_t i = 0; i < arcs.size(); ++i) {
    const render::Arc& a = arcs[i].first;
    if (!a.labelled || render::arcGrowFraction(seconds, a.rank) < 1.0f) continue;
    char buf[16];
    std::snprintf(buf, sizeof buf, "%.0f%%", double(a.weight) * 100.0);
    const ImVec2 ts = ImGui::CalcTextSize(buf);
    render::LabelCandidate c;
    c.centres = render::labelPositionsAlong(a);
    c.w = ts.x + 2 * pad_x;
    c.h = ts.y + 2 * pad_y;
    c.priority = a.weight;
    candidates.push_back(std::move(c));
    arc_of.push_back(i);
    texts.emplace_back(buf);
  }
  const std::vector<render::LabelPlacement> placed = render::placeLabels(candidates, bounds, chips, 2 * ui.scale);
  ui.arc_labels_dropped = 0;
  for (std::size_t c = 0; c < placed.size(); ++c) {
    if (!placed[c].placed) {
      ++ui.arc_labels_dropped;
      continue;
    }
    const render::LabelBox& b = placed[c].box;
    const ImU32 col = arcs[arc_of[c]].second;
    dl->AddRectFilled(ImVec2(b.x0, b.y0), ImVec2(b.x1, b.y1), palette().tag_bg, 4.0f);
    dl->AddRect(ImVec2(b.x0, b.y0), ImVec2(b.x1, b.y1), col, 4.0f);
    dl->AddText(ImVec2(b.x0 + pad_x, b.y0 + pad_y), palette().tag_text, texts[c].c_str());
    ui.arc_label_rects.emplace_back(b.x0, b.y0, b.x1, b.y1);
  }
  ImGui::PopFont();
}

// The arc nearest the mouse (within a few pixels of its curve), or -1: hover names any arc,
// labelled or not.
int arcUnderMouse(UiContext& ui, const std::vector<std::pair<render::Arc, ImU32>>& arcs) {
  if (ui.figure || !ImGui::IsWindowHovered()) return -1;
  const ImVec2 m = ImGui::GetIO().MousePos;
  const glm::vec2 mouse(m.x, m.y);
  int best = -1;
  float best_d2 = 0;
  for (std::size_t i = 0; i < arcs.size(); ++i) {
    const render::Arc& a = arcs[i].first;
    const float reach = 0.5f * a.width * (ui.present ? 1.7f : 1.0f) * ui.scale + 5 * ui.scale;
    for (int k = 0; k <= 32; ++k) {
      const glm::vec2 d = render::bezierPoint(a, float(k) / 32.0f) - mouse;
      const float d2 = d.x * d.x + d.y * d.y;
      if (d2 <= reach * reach && (best < 0 || d2 < best_d2)) {
        best = int(i);
        best_d2 = d2;
      }
    }
  }
  return best;
}

}  // namespace

namespace {

// Which tokens a strip shows: all of them when they fit at their natural width, else the ones
// that matter (the query and the strongest keys), in sentence order, with gaps marked.
bool fitsNaturally(const std::vector<std::string>& labels, float avail, float pad) {
  float total = 0;
  for (const std::string& l : labels) total += ImGui::CalcTextSize(l.c_str()).x + 2 * pad;
  return total <= avail;
}

std::vector<int> focusSet(std::vector<int> picks) {
  std::sort(picks.begin(), picks.end());
  picks.erase(std::unique(picks.begin(), picks.end()), picks.end());
  return picks;
}

template <class T>
std::vector<T> gather(const std::vector<T>& v, const std::vector<int>& idx) {
  std::vector<T> out;
  for (int i : idx) out.push_back(v[std::size_t(i)]);
  return out;
}

void drawGaps(ImDrawList* dl, const Strip& s, const std::vector<int>& idx, float y) {
  for (std::size_t m = 1; m < idx.size(); ++m) {
    if (idx[m] == idx[m - 1] + 1) continue;
    const float x = 0.5f * ((s.x[m - 1] + 0.5f * s.w[m - 1]) + (s.x[m] - 0.5f * s.w[m]));
    const char* ell = "\xE2\x80\xA6";
    const ImVec2 ts = ImGui::CalcTextSize(ell);
    dl->AddText(ImVec2(x - ts.x * 0.5f, y - ts.y * 0.5f), palette().dim, ell);
  }
}

}  // namespace

void drawArcsPanel(UiContext& ui) {
  AppController& app = *ui.app;
  if (!app.hasResult()) return;
  const int sel = app.selectedQuery();
  const auto& qlab = app.queryLabels();
  const auto& klab = app.keyLabels();
  char title[256];
  std::snprintf(title, sizeof title, "Top attention arcs \xC2\xB7 from \"%s\"", app.queryNames()[std::size_t(sel)].c_str());
  sectionTitle(title);
  const char* hint = "(arrow keys move)";
  if (!ui.figure && ImGui::GetContentRegionAvail().x - ImGui::GetItemRectSize().x >
                        ImGui::CalcTextSize(hint).x * 0.85f + 2 * ImGui::GetStyle().ItemSpacing.x) {
    ImGui::SameLine();
    ImGui::PushFont(ui.fonts.small);
    ImGui::TextDisabled("%s", hint);
    ImGui::PopFont();
  }

  const ImVec2 pos = ImGui::GetCursorScreenPos();
  const ImVec2 size = ImGui::GetContentRegionAvail();
  if (size.x < 40 || size.y < 40) return;
  ui.arcs_rect = ImVec4(pos.x, pos.y, pos.x + size.x, pos.y + size.y);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->PushClipRect(pos, ImVec2(pos.x + size.x, pos.y + size.y), true);
  ui.arc_label_rects.clear();
  ui.arc_labels_dropped = 0;
  ui.arc_chip_rects.clear();

  const bool all = app.head().kind == HeadSelection::All;
  const bool self = app.shownSelfAttention();
  const float margin = 10 * ui.scale;
  const float strip_h = ImGui::GetTextLineHeight() + 8 * ui.scale;
  const float box_pad = 6 * ui.scale;
  const float left = pos.x + margin, right = pos.x + size.x - margin;
  // Paused or a figure: the arcs as they are once grown.
  const float seconds = ui.paused || ui.figure ? 1e3f : float(ui.time_s - app.selectionChangedAt());
  render::ArcStyle style;
  style.top_k = all ? 2 : 5;
  const float* shown_row = app.selectedRow();

  // The key tokens on the strip.
  std::vector<int> kidx;
  const bool compress_keys = !fitsNaturally(klab, right - left, box_pad);
  if (compress_keys) {
    std::vector<RankedKey> candidates;
    const int per_head = all ? 3 : 6;
    auto pickFrom = [&](const float* row) {
      for (const RankedKey& k : topK(row, app.nk(), per_head))
        if (k.weight > 0) candidates.push_back(k);
    };
    if (all) {
      for (int h = 0; h < app.heads(); ++h) pickFrom(app.rowOfHead(h, sel));
    } else {
      pickFrom(shown_row);
    }
    // No more chips than fit with a readable name ("#123" at least): with 12 heads x 3 keys the
    // strip had 35 chips a few pixels wide whose names and gaps printed over each other. The
    // heaviest keys (over the heads) stay; the others' arcs are left out.
    const float min_chip = ImGui::CalcTextSize("\xC2\xB7" "abc" "\xE2\x80\xA6").x + 2 * box_pad + 16 * ui.scale;
    const std::size_t max_chips = std::size_t(std::max(2.0f, std::floor((right - left) / min_chip)));
    std::stable_sort(candidates.begin(), candidates.end(), [](const RankedKey& a, const RankedKey& b) { return a.weight > b.weight; });
    std::vector<int> picks;
    if (self) picks.push_back(sel);
    for (const RankedKey& k : candidates) {
      if (std::find(picks.begin(), picks.end(), k.index) != picks.end()) continue;
      if (picks.size() >= max_chips) break;
      picks.push_back(k.index);
    }
    kidx = focusSet(picks);
  } else {
    for (int j = 0; j < app.nk(); ++j) kidx.push_back(j);
  }
  // A strip that leaves tokens out names repeated ones with their position ("stone #15").
  const std::vector<std::string> klab_s = gather(compress_keys ? app.keyNames() : klab, kidx);
  const Strip keys = layoutStrip(klab_s, left, right, box_pad, compress_keys ? 16 * ui.scale : 0.0f);
  std::vector<float> key_weights;
  for (int j : kidx) key_weights.push_back(shown_row[j]);
  auto compressedRow = [&](const float* row) {
    std::vector<float> out;
    for (int j : kidx) out.push_back(row[j]);
    return out;
  };
  const auto sel_it = std::find(kidx.begin(), kidx.end(), sel);
  const int sel_k = sel_it == kidx.end() ? -1 : int(sel_it - kidx.begin());

  std::vector<std::pair<render::Arc, ImU32>> arcs;
  std::vector<int> labelled;
  auto collect = [&](std::vector<render::Arc> list, ImU32 col) {
    for (render::Arc& a : list) {
      if (all) {
        // Heads side by side: a small sideways offset and staggered labels, so arcs of different
        // heads to the same key stay apart.
        const float off = (float(a.head) - 0.5f * float(app.heads() - 1)) * 4.0f * ui.scale;
        a.p0.x += off;
        a.p1.x += off;
        a.p2.x += off;
        a.p3.x += off;
        a.label_t = std::clamp(a.label_t + 0.12f * (float(a.head) - 0.5f * float(app.heads() - 1)), 0.2f, 0.9f);
      }
      if (a.labelled) labelled.push_back(a.key);
      arcs.emplace_back(a, col);
    }
  };
  // The bright end of the colormap reads on a dark panel; on a light one the dark end does.
  const ImU32 single_col = colormapColor(app.colormap(), palette().light ? 0.12f : 0.85f);

  // The head colour key (all-heads mode), wrapped onto more lines when the panel is narrow.
  std::vector<ImVec2> key_pos;
  float key_h = 0;
  ImGui::PushFont(ui.fonts.small);
  const float key_line = ImGui::GetTextLineHeight() + 2 * ui.scale;
  if (all) {
    float x = 0, y = 0;
    for (int h = 0; h < app.heads(); ++h) {
      const float w = (24 * ui.scale) + ImGui::CalcTextSize(app.headNames()[std::size_t(h)].c_str()).x;
      if (x > 0 && margin + x + w - 10 * ui.scale > size.x - margin) {
        x = 0;
        y += key_line;
      }
      key_pos.emplace_back(pos.x + margin + x, pos.y + y);
      x += w;
    }
    key_h = y + key_line;
  }
  ImGui::PopFont();
  // Labels stay below the head colour key.
  const float labels_top = pos.y + key_h;
  int hovered_key = -1, hovered_query = -1;
  if (self) {
    const float baseline = pos.y + size.y - strip_h * 0.5f - 6 * ui.scale - ImGui::GetTextLineHeight();
    style.max_height = std::max(20.0f, baseline - pos.y - 26 * ui.scale) / 1.33f;
    auto add = [&](const float* row, int head, ImU32 col) {
      const std::vector<float> r = compressedRow(row);
      collect(render::layoutSelfArcs(r.data(), int(r.size()), sel_k, keys.x, baseline - strip_h * 0.5f, style, head), col);
    };
    if (all) {
      for (int h = 0; h < app.heads(); ++h) add(app.rowOfHead(h, sel), h, headColor(h));
    } else {
      add(shown_row, 0, single_col);
    }
    for (auto& [a, col] : arcs) drawArc(ui, dl, a, render::arcGrowFraction(seconds, a.rank), float(ui.time_s), col);
    std::vector<render::LabelBox> chips;
    for (int i = 0; i < int(kidx.size()); ++i) {
      chips.push_back(chipBox(ui, keys, i, baseline));
      ui.arc_chip_rects.emplace_back(kidx[std::size_t(i)], ImVec4(chips.back().x0, chips.back().y0, chips.back().x1, chips.back().y1));
    }
    drawArcLabels(ui, dl, arcs, seconds, {pos.x, labels_top, pos.x + size.x, pos.y + size.y}, chips);
    drawStrip(ui, dl, klab_s, keys, baseline, sel_k, all ? nullptr : &key_weights, labelled);
    drawGaps(dl, keys, kidx, baseline);
    // A click on a token chip selects it, as a click on its row label does.
    const int chip = chipUnderMouse(ui, keys, baseline);
    if (chip >= 0) {
      hovered_key = kidx[std::size_t(chip)];
      if (ImGui::IsMouseClicked(ImGuiMouseButton_Left)) app.selectQuery(kidx[std::size_t(chip)]);
    }
  } else {
    // Cross: target tokens (queries) on top, source tokens (keys) below.
    std::vector<int> qidx;
    if (fitsNaturally(qlab, right - left, box_pad)) {
      for (int i = 0; i < app.nq(); ++i) qidx.push_back(i);
    } else {
      for (int i = std::max(0, sel - 3); i <= std::min(app.nq() - 1, sel + 3); ++i) qidx.push_back(i);
    }
    const std::vector<std::string> qlab_s = gather(qidx.size() < qlab.size() ? app.queryNames() : qlab, qidx);
    const Strip queries = layoutStrip(qlab_s, left, right, box_pad, qidx.size() < qlab.size() ? 22 * ui.scale : 0.0f);
    const int sel_q = int(std::find(qidx.begin(), qidx.end(), sel) - qidx.begin());
    // In all-heads mode the head legend takes the first line, so the strip moves down one more.
    const float top = pos.y + strip_h * 0.5f + key_h + ImGui::GetTextLineHeight() + 4 * ui.scale;
    // Room below the source strip for the "strongest keys" note, as in the self view.
    const float bottom = pos.y + size.y - strip_h * 0.5f - (compress_keys ? 6 * ui.scale + ImGui::GetTextLineHeight() : 4 * ui.scale);
    auto add = [&](const float* row, int head, ImU32 col) {
      const std::vector<float> r = compressedRow(row);
      collect(render::layoutCrossArcs(r.data(), int(r.size()), queries.x[std::size_t(sel_q)], keys.x,
                                      top + strip_h * 0.5f, bottom - strip_h * 0.5f, style, head),
              col);
    };
    if (all) {
      for (int h = 0; h < app.heads(); ++h) add(app.rowOfHead(h, sel), h, headColor(h));
    } else {
      add(shown_row, 0, single_col);
    }
    for (auto& [a, col] : arcs) drawArc(ui, dl, a, render::arcGrowFraction(seconds, a.rank), float(ui.time_s), col);
    if (app.alignment()) {
      // Each shown target token to its most attended source token (of what is shown), where that
      // source token has a chip on the strip.
      const AttentionResult& m = app.shown();
      const std::vector<int> align = alignmentOf(m.p.data(), m.nq, m.nk);
      const ImU32 link = palette().label;
      for (int i = 0; i < int(qidx.size()); ++i) {
        const int j = align[std::size_t(qidx[std::size_t(i)])];
        const auto k = std::find(kidx.begin(), kidx.end(), j);
        if (j < 0 || k == kidx.end()) continue;
        const ImVec2 a(queries.x[std::size_t(i)], top + strip_h * 0.5f), b(keys.x[std::size_t(k - kidx.begin())], bottom - strip_h * 0.5f);
        const float len = std::hypot(b.x - a.x, b.y - a.y), dash = 6 * ui.scale;
        for (float t0 = 0; t0 < len; t0 += 2 * dash) {  // dashed, so the arcs stay readable beneath
          const float t1 = std::min(len, t0 + dash);
          dl->AddLine(ImVec2(a.x + (b.x - a.x) * t0 / len, a.y + (b.y - a.y) * t0 / len),
                      ImVec2(a.x + (b.x - a.x) * t1 / len, a.y + (b.y - a.y) * t1 / len), link, 1.5f * ui.scale);
        }
      }
    }
    std::vector<render::LabelBox> chips;
    for (int i = 0; i < int(qidx.size()); ++i) {
      chips.push_back(chipBox(ui, queries, i, top));
      ui.arc_chip_rects.emplace_back(qidx[std::size_t(i)], ImVec4(chips.back().x0, chips.back().y0, chips.back().x1, chips.back().y1));
    }
    for (int i = 0; i < int(kidx.size()); ++i) chips.push_back(chipBox(ui, keys, i, bottom));
    drawArcLabels(ui, dl, arcs, seconds, {pos.x, labels_top, pos.x + size.x, pos.y + size.y}, chips);
    drawStrip(ui, dl, qlab_s, queries, top, sel_q, nullptr, {});
    drawGaps(dl, queries, qidx, top);
    drawStrip(ui, dl, klab_s, keys, bottom, -1, all ? nullptr : &key_weights, labelled);
    drawGaps(dl, keys, kidx, bottom);
    // Target chips are the queries: a click selects one. Source chips are keys only (hover names them).
    const int qchip = chipUnderMouse(ui, queries, top);
    if (qchip >= 0) {
      hovered_query = qidx[std::size_t(qchip)];
      if (ImGui::IsMouseClicked(ImGuiMouseButton_Left)) app.selectQuery(qidx[std::size_t(qchip)]);
    }
    const int kchip = chipUnderMouse(ui, keys, bottom);
    if (kchip >= 0) hovered_key = kidx[std::size_t(kchip)];
    ImGui::PushFont(ui.fonts.small);
    dl->AddText(ImVec2(pos.x + margin, top - strip_h * 0.5f - ImGui::GetTextLineHeight() - 2 * ui.scale),
                palette().dim, "target (queries)");
    ImGui::PopFont();
  }
  // Hover: a chip names its token and weight; an arc names its head, key and weight (every arc,
  // including those whose tag had no free spot).
  const auto& qnames = app.queryNames();
  const auto& knames = app.keyNames();
  if (hovered_query >= 0) {
    ImGui::SetTooltip("target token %s: click to show its attention", qnames[std::size_t(hovered_query)].c_str());
  } else if (hovered_key >= 0) {
    const int j = hovered_key;
    ImGui::BeginTooltip();
    ImGui::Text("%s  (position %d)", knames[std::size_t(j)].c_str(), j);
    ImGui::Text("\"%s\" gives it %.1f%%", qnames[std::size_t(sel)].c_str(), double(shown_row[j]) * 100.0);
    if (self) ImGui::TextDisabled("click: select this token as the query");
    ImGui::EndTooltip();
  } else if (const int hit = arcUnderMouse(ui, arcs); hit >= 0) {
    const render::Arc& a = arcs[std::size_t(hit)].first;
    const int key = kidx[std::size_t(a.key)];
    if (all)
      ImGui::SetTooltip("%s: \"%s\" \xE2\x86\x92 \"%s\"  %.1f%%", app.headNames()[std::size_t(a.head)].c_str(),
                        qnames[std::size_t(sel)].c_str(), knames[std::size_t(key)].c_str(), double(a.weight) * 100.0);
    else
      ImGui::SetTooltip("\"%s\" \xE2\x86\x92 \"%s\"  %.1f%%", qnames[std::size_t(sel)].c_str(),
                        knames[std::size_t(key)].c_str(), double(a.weight) * 100.0);
  }
  ImGui::PushFont(ui.fonts.small);
  if (compress_keys) {
    char note[128];
    std::snprintf(note, sizeof note, "the query and its strongest keys: %d of %d tokens", int(kidx.size()), app.nk());
    if (ImGui::CalcTextSize(note).x > right - left)
      std::snprintf(note, sizeof note, "%d of %d tokens shown", int(kidx.size()), app.nk());
    const ImVec2 ts = ImGui::CalcTextSize(note);
    dl->AddText(ImVec2(right - ts.x, pos.y + size.y - ts.y), palette().dim, note);
  }
  if (all) {  // head colour key
    const float sq = 10 * ui.scale, dy = 0.5f * (ImGui::GetTextLineHeight() - sq);
    for (int h = 0; h < app.heads(); ++h) {
      const ImVec2 p = key_pos[std::size_t(h)];
      dl->AddRectFilled(ImVec2(p.x, p.y + dy), ImVec2(p.x + sq, p.y + dy + sq), headColor(h), 2.0f);
      dl->AddText(ImVec2(p.x + sq + 4 * ui.scale, p.y), palette().label, app.headNames()[std::size_t(h)].c_str());
    }
  }
  ImGui::PopFont();
  dl->PopClipRect();
  ImGui::Dummy(size);
}

void drawTopAttentionPanel(UiContext& ui) {
  AppController& app = *ui.app;
  if (!app.hasResult()) return;
  const float* row = app.selectedRow();
  std::vector<RankedKey> ranked;
  for (const RankedKey& k : topK(row, app.nk(), app.nk())) {
    if (app.isMasked(app.selectedQuery(), k.index)) continue;  // a masked key is not a candidate at all
    ranked.push_back(k);
    if (ranked.size() == 8) break;
  }
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float name_w = std::min(ImGui::GetContentRegionAvail().x * 0.35f, 130 * ui.scale);
  const float pct_w = ImGui::CalcTextSize("100.0%").x + 6 * ui.scale;
  for (std::size_t r = 0; r < ranked.size(); ++r) {
    const RankedKey& k = ranked[r];
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const float h = ImGui::GetTextLineHeight();
    const float avail = ImGui::GetContentRegionAvail().x;
    char rank[24];
    std::snprintf(rank, sizeof rank, "%zu.", r + 1);
    dl->AddText(p, palette().dim, rank);
    const float rank_w = ImGui::CalcTextSize("10. ").x;
    dl->AddText(ImVec2(p.x + rank_w, p.y), palette().title, elide(app.keyNames()[std::size_t(k.index)], name_w - 6).c_str());
    const float bar_x = p.x + rank_w + name_w, bar_w = std::max(10.0f, avail - rank_w - name_w - pct_w);
    dl->AddRectFilled(ImVec2(bar_x, p.y + 2), ImVec2(bar_x + bar_w, p.y + h - 2), palette().box, 3.0f);
    dl->AddRectFilled(ImVec2(bar_x, p.y + 2), ImVec2(bar_x + bar_w * std::clamp(k.weight, 0.0f, 1.0f), p.y + h - 2),
                      colormapColor(app.colormap(), 0.35f + 0.65f * k.weight), 3.0f);
    char pct[16];
    std::snprintf(pct, sizeof pct, "%.1f%%", double(k.weight) * 100.0);
    const ImVec2 ts = ImGui::CalcTextSize(pct);
    dl->AddText(ImVec2(p.x + avail - ts.x, p.y), palette().title, pct);
    ImGui::Dummy(ImVec2(avail, h));
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("rank %zu: %s receives %.4f of the query's attention", r + 1,
                                                 boundedText(app.keyNames()[std::size_t(k.index)], kMaxUiLineBytes).c_str(), double(k.weight));
  }
}

}  // namespace attnviz::ui
