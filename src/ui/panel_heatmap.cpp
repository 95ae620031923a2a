// The heatmap panel: the matrix drawn by HeatmapRenderer (shader + colormap lookup) into a
// framebuffer texture shown as an image, with ImGui drawing what is text and interaction on top:
// row labels (queries, "attends from"), column labels (keys, "attends to"; rotated and elided when
// crowded), legend, hover tooltip, selection, values in large cells, zoom/pan, small multiples.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/stats.h"
#include "ui/model_holder.h"
#include "ui/ui_context.h"
#include "ui/text_bounds.h"

namespace attnviz::ui {
namespace {

struct MatrixParams {
  int slot = 0;
  int layer = 0;
  int head = -1;  // -1: the shown matrix (head or mean); >= 0: that head of the result
  ImVec2 pos, size;
  bool zoomable = true;
  const char* title = nullptr;
  ImU32 title_color = 0;
};

float blendFactor(const UiContext& ui) {
  if (ui.paused || ui.figure) return 1.0f;
  const float t = float((ui.time_s - ui.display_changed_at) / 0.2);
  const float x = std::clamp(t, 0.0f, 1.0f);
  return x * x * (3.0f - 2.0f * x);
}

// Widest label in the current font. Measured once per result and font size, not every frame: with
// thousands of tokens measuring every label each frame is the panel's largest cost.
float maxTextWidth(const std::vector<std::string>& labels, int result_version) {
  struct Entry {
    const std::string* labels;  // the vector's storage: a new label list has new storage
    std::size_t count;
    int version;
    float font_size;
    float width;
  };
  static std::vector<Entry> cache;  // a few entries: query and key labels
  const float font_size = ImGui::GetFontSize();
  for (const Entry& e : cache)
    if (e.labels == labels.data() && e.count == labels.size() && e.version == result_version && e.font_size == font_size)
      return e.width;
  float w = 0;
  for (const std::string& s : labels) w = std::max(w, ImGui::CalcTextSize(s.c_str()).x);
  if (cache.size() >= 8) cache.erase(cache.begin());
  cache.push_back({labels.data(), labels.size(), result_version, font_size, w});
  return w;
}

const float* rowData(const AppController& app, int head, int row) {
  return head < 0 ? app.shown().row(0, row) : app.rowOfHead(head, row);
}

// The legend's ends and the scale's name: what a colour means under the chosen colour scale. In
// all-heads mode the auto scale's top is each panel's own maximum.
ColourScaleLegend legendFor(const AppController& app) {
  ColourScaleLegend l = colourScaleLegend(app.colourScale(), app.shownMaximum());
  if (app.colourScale() == ColourScale::Auto && app.head().kind == HeadSelection::All) l.high = "panel max";
  return l;
}

// The scale's name, and why when the default rule chose it ("log, chosen for 197 tokens").
std::string legendName(const AppController& app) {
  const std::string note = app.colourScaleNote();
  return std::string(colourScaleName(app.colourScale())) + (note.empty() ? "" : ", " + note);
}

// Width of the legend drawn by drawLegend (small font must be pushed).
float legendWidth(const UiContext& ui, const ColourScaleLegend& l, bool masked) {
  float w = 120 * ui.scale + ImGui::CalcTextSize(l.low.c_str()).x + ImGui::CalcTextSize(l.high.c_str()).x + 18 * ui.scale;
  w += ImGui::CalcTextSize(legendName(*ui.app).c_str()).x + 10 * ui.scale;
  if (masked) w += 14 * ui.scale + ImGui::CalcTextSize("masked").x + 26 * ui.scale;
  return w;
}

void drawLegend(UiContext& ui, ImVec2 right_top) {
  AppController& app = *ui.app;
  ImDrawList* dl = ImGui::GetWindowDrawList();
  ImGui::PushFont(ui.fonts.small);
  const ColourScaleLegend legend = legendFor(app);
  const float bar_w = 120 * ui.scale, bar_h = 10 * ui.scale;
  const float text_h = ImGui::GetFontSize();
  const float left = right_top.x - legendWidth(ui, legend, app.causalMaskShown());
  float x = right_top.x - bar_w - ImGui::CalcTextSize(legend.high.c_str()).x - 8 * ui.scale;
  const float y = right_top.y + (text_h - bar_h) * 0.5f + 2 * ui.scale;
  float name_right = x - ImGui::CalcTextSize(legend.low.c_str()).x - 5 * ui.scale;
  if (app.causalMaskShown()) {
    const char* masked = "masked";
    const float sw = 14 * ui.scale;
    const float mx = name_right - sw - ImGui::CalcTextSize(masked).x - 26 * ui.scale;
    dl->AddRectFilled(ImVec2(mx, y - 1), ImVec2(mx + sw, y + bar_h + 1), palette().masked_fill);
    for (float k = -bar_h; k < sw; k += 4.5f)
      dl->AddLine(ImVec2(mx + std::max(k, 0.0f), y + bar_h + 1 - std::max(0.0f, -k)),
                  ImVec2(mx + std::min(k + bar_h, sw), y + 1 + std::max(0.0f, k + bar_h - sw) - 2),
                  palette().masked_line, 1.5f);
    dl->AddText(ImVec2(mx + sw + 5 * ui.scale, right_top.y), palette().legend, masked);
    name_right = mx - 4 * ui.scale;
  }
  // The scale's name, so a reader knows whether bright means 1 or "the largest here".
  const std::string name = legendName(app);
  dl->AddText(ImVec2(name_right - ImGui::CalcTextSize(name.c_str()).x - 6 * ui.scale, right_top.y), palette().legend,
              name.c_str());
  dl->AddText(ImVec2(x - ImGui::CalcTextSize(legend.low.c_str()).x - 5 * ui.scale, right_top.y), palette().legend,
              legend.low.c_str());
  const int steps = 32;
  for (int i = 0; i < steps; ++i) {
    const float a = float(i) / steps, b = float(i + 1) / steps;
    dl->AddRectFilledMultiColor(ImVec2(x + bar_w * a, y), ImVec2(x + bar_w * b + 0.5f, y + bar_h),
                                colormapColor(app.colormap(), a), colormapColor(app.colormap(), b),
                                colormapColor(app.colormap(), b), colormapColor(app.colormap(), a));
  }
  dl->AddText(ImVec2(x + bar_w + 5 * ui.scale, right_top.y), palette().legend, legend.high.c_str());
  if (!ui.figure && ImGui::IsMouseHoveringRect(ImVec2(left, right_top.y), ImVec2(right_top.x, right_top.y + text_h + 4 * ui.scale)))
    ImGui::SetTooltip("Colour scale: %s\n%s\n(change it under Colour scale in the input panel)", legend.caption.c_str(),
                      colourScaleHelp(app.colourScale()));
  ImGui::PopFont();
}

// The whole matrix in the panel. Cells may be up to 1.35x taller than wide (or wider than tall)
// so that a square matrix fills a tall panel instead of leaving it half empty.
void fitView(HeatmapViewState& v, int nq, int nk, ImVec2 m) {
  constexpr float kMaxStretch = 1.35f;
  float cw = std::max(1e-6f, m.x / float(nk)), ch = std::max(1e-6f, m.y / float(nq));
  if (cw > ch * kMaxStretch) cw = ch * kMaxStretch;
  if (ch > cw * kMaxStretch) ch = cw * kMaxStretch;
  v.cpp = 1.0f / cw;
  v.aspect = ch / cw;
  v.x0 = 0;
  v.y0 = 0;
}

void drawMatrix(UiContext& ui, const MatrixParams& mp) {
  AppController& app = *ui.app;
  ImGuiIO& io = ImGui::GetIO();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const int nq = app.nq(), nk = app.nk();
  const auto& qlab = app.queryLabels();
  const auto& klab = app.keyLabels();
  ImVec2 pos = mp.pos, size = mp.size;
  const float line_h = ImGui::GetTextLineHeight();

  if (mp.title) {
    dl->AddRectFilled(ImVec2(pos.x, pos.y + line_h * 0.3f), ImVec2(pos.x + line_h * 0.4f, pos.y + line_h * 0.9f),
                      mp.title_color);
    dl->AddText(ImVec2(pos.x + line_h * 0.6f, pos.y), palette().title, mp.title);
    pos.y += line_h + 4 * ui.scale;
    size.y -= line_h + 4 * ui.scale;
  }

  // Square cells that fit the region decide whether labels fit beside them.
  ImGui::PushFont(labelFont(ui));
  const float small_h = ImGui::GetTextLineHeight();
  const float row_label_w =
      std::min({maxTextWidth(qlab, app.resultVersion()) + 14 * ui.scale, size.x * 0.22f, 150 * ui.scale});
  const float max_key_w = maxTextWidth(klab, app.resultVersion());
  float col_label_h = small_h + 6 * ui.scale;
  float fit_cell = std::min((size.x - row_label_w) / float(nk), (size.y - col_label_h) / float(nq));
  const bool rotated = fit_cell < max_key_w + 6 * ui.scale;
  if (rotated) {
    col_label_h = std::min({max_key_w + 10 * ui.scale, size.y * 0.25f, 110 * ui.scale});
  }
  const bool labels = size.x > 120 * ui.scale && size.y > 100 * ui.scale;
  const float lw = labels ? row_label_w : 0, lh = labels ? col_label_h : 0;
  const ImVec2 m0(pos.x + lw, pos.y + lh);
  const ImVec2 msize(std::max(1.0f, size.x - lw), std::max(1.0f, size.y - lh));

  HeatmapViewState local;
  HeatmapViewState& v = mp.zoomable ? ui.view : local;
  if (v.nq != nq || v.nk != nk) {
    v.fit = true;
    v.nq = nq;
    v.nk = nk;
  }
  if (v.fit || !mp.zoomable) fitView(v, nq, nk, msize);
  const float cpp = v.cpp;               // columns per pixel
  const float cpp_y = cpp / v.aspect;    // rows per pixel
  const float cell_px = 1.0f / cpp;      // cell width in pixels
  const float cell_py = v.aspect / cpp;  // cell height in pixels
  auto cellX = [&](float j) { return m0.x + (j - v.x0) * cell_px; };
  auto cellY = [&](float i) { return m0.y + (i - v.y0) * cell_py; };
  const float mat_right = std::min(m0.x + msize.x, cellX(float(nk)));
  const float mat_bottom = std::min(m0.y + msize.y, cellY(float(nq)));

  // The matrix itself, from the GPU.
  if (ui.heatmap && ui.heatmap->hasDisplay()) {
    const ImVec2 fb = io.DisplayFramebufferScale;
    render::HeatmapView hv;
    hv.x0 = v.x0;
    hv.y0 = v.y0;
    hv.x1 = v.x0 + msize.x * cpp;
    hv.y1 = v.y0 + msize.y * cpp_y;
    hv.layer = mp.layer;
    hv.blend = blendFactor(ui);
    if (hv.blend < 1.0f) ui.animating = true;
    const ImVec4 bg = kPanelColor;
    hv.grid[0] = bg.x;
    hv.grid[1] = bg.y;
    hv.grid[2] = bg.z;
    for (int k = 0; k < 3; ++k) hv.mask_a[k] = palette().mask_a[k], hv.mask_b[k] = palette().mask_b[k];
    const GLuint tex = ui.heatmap->render(ui.slot_base + mp.slot, int(std::lround(msize.x * fb.x)), int(std::lround(msize.y * fb.y)), hv);
    if (tex)
      dl->AddImage(reinterpret_cast<ImTextureID>(static_cast<std::uintptr_t>(tex)), m0,
                   ImVec2(m0.x + msize.x, m0.y + msize.y), ImVec2(0, 1), ImVec2(1, 0));
  }
  if (mp.slot == 0) ui.heatmap_rect = ImVec4(m0.x, m0.y, mat_right, mat_bottom);

  // Visible index ranges, and a stride so labels never overlap.
  const int i_first = std::max(0, int(std::floor(v.y0))), i_last = std::min(nq - 1, int(std::ceil(v.y0 + msize.y * cpp_y)));
  const int j_first = std::max(0, int(std::floor(v.x0))), j_last = std::min(nk - 1, int(std::ceil(v.x0 + msize.x * cpp)));
  const int row_stride = std::max(1, int(std::ceil(small_h / cell_py)));
  const float col_need = rotated ? small_h : max_key_w + 6 * ui.scale;
  const int col_stride = std::max(1, int(std::ceil(col_need / cell_px)));
  const int sel = app.selectedQuery();

  dl->PushClipRect(pos, ImVec2(pos.x + size.x, pos.y + size.y), true);
  if (labels) {
    if (mp.slot == 0) ui.row_labels_rect = ImVec4(pos.x, m0.y, m0.x, mat_bottom);
    // Label clips reach half a line into the empty corner (and below the matrix), so the first
    // row's and column's labels are whole even when a cell is thinner than a line of text.
    dl->PushClipRect(ImVec2(pos.x, m0.y - small_h * 0.5f), ImVec2(m0.x, m0.y + msize.y + small_h * 0.5f), true);
    for (int i = i_first; i <= i_last; ++i) {
      if (i != sel && (i % row_stride != 0 || std::abs(i - sel) * cell_py < small_h)) continue;
      const float cy = cellY(i + 0.5f);
      const std::string text = elide(qlab[std::size_t(i)], lw - 10 * ui.scale);
      const ImVec2 ts = ImGui::CalcTextSize(text.c_str());
      const bool selected = i == sel;
      const bool hovered_row = i == ui.label_hover_row;
      if (selected)
        dl->AddRectFilled(ImVec2(pos.x, cy - std::max(cell_py, small_h) * 0.5f), ImVec2(m0.x - 2, cy + std::max(cell_py, small_h) * 0.5f),
                          accentColor(), 3.0f);
      dl->AddText(ImVec2(m0.x - 6 * ui.scale - ts.x, cy - ts.y * 0.5f),
                  selected || hovered_row ? palette().label_strong : palette().label, text.c_str());
    }
    dl->PopClipRect();
    dl->PushClipRect(ImVec2(m0.x - small_h * 0.5f, pos.y), ImVec2(m0.x + msize.x + small_h * 0.5f, m0.y), true);
    for (int j = j_first; j <= j_last; ++j) {
      if (j % col_stride != 0) continue;
      const float cx = cellX(j + 0.5f);
      if (rotated) {
        const std::string text = elide(klab[std::size_t(j)], lh - 8 * ui.scale);
        addTextRotated90(dl, ImVec2(cx + small_h * 0.5f, m0.y - 4 * ui.scale),
                         j == ui.label_hover_col ? palette().label_strong : palette().label, text.c_str());
      } else {
        const ImVec2 ts = ImGui::CalcTextSize(klab[std::size_t(j)].c_str());
        dl->AddText(ImVec2(cx - ts.x * 0.5f, m0.y - ts.y - 3 * ui.scale),
                    j == ui.label_hover_col ? palette().label_strong : palette().label,
                    klab[std::size_t(j)].c_str());
      }
    }
    dl->PopClipRect();
  }
  ImGui::PopFont();

  dl->PushClipRect(m0, ImVec2(m0.x + msize.x, m0.y + msize.y), true);
  // Values printed in cells large enough to hold them.
  if (cell_px >= 40 * ui.scale && cell_py >= small_h * 1.2f) {
    // Presentation: the values in the large bold face when the cells can hold it (read from the
    // back of a lecture hall); figures keep the mono face the exports are made with.
    ImFont* value_font = ui.fonts.mono;
    if (ui.present && !ui.figure && ui.fonts.large) {
      ImGui::PushFont(ui.fonts.large);
      const ImVec2 big = ImGui::CalcTextSize("1.00");
      ImGui::PopFont();
      if (big.x * 1.25f <= cell_px && big.y * 1.2f <= cell_py) value_font = ui.fonts.large;
    }
    ImGui::PushFont(value_font);
    for (int i = i_first; i <= i_last; ++i) {
      const float* row = rowData(app, mp.head, i);
      for (int j = j_first; j <= j_last; ++j) {
        if (app.isMasked(i, j)) continue;
        const float w = row[j];
        char buf[16];
        std::snprintf(buf, sizeof buf, "%.2f", double(w));
        const char* s = buf[0] == '0' ? buf + 1 : buf;  // ".34": less ink, same meaning
        const ImVec2 ts = ImGui::CalcTextSize(s);
        dl->AddText(ImVec2(cellX(j + 0.5f) - ts.x * 0.5f, cellY(i + 0.5f) - ts.y * 0.5f),
                    textColorOn(app.colormap(), app.colourPosition(mp.head, i, w)), s);
      }
    }
    ImGui::PopFont();
  }
  // The selected query row.
  if (sel >= 0 && sel < nq) {
    const float y0 = cellY(float(sel)), y1 = cellY(float(sel + 1));
    const float x0 = std::max(m0.x, cellX(0)), x1 = mat_right;
    dl->AddRect(ImVec2(x0 - 1, y0 - 1), ImVec2(x1 + 1, y1 + 1), accentColor(), 2.0f, 0, (ui.present ? 3.5f : 2.5f) * ui.scale);
  }
  dl->PopClipRect();

  // Interaction: hover tooltip, click to select, wheel zoom, drag pan, double-click to fit.
  ImGui::SetCursorScreenPos(pos);
  char id[32];
  std::snprintf(id, sizeof id, "##matrix%d", mp.slot);
  ImGui::InvisibleButton(id, ImVec2(std::max(size.x, 1.0f), std::max(size.y, 1.0f)));
  const bool hovered = ImGui::IsItemHovered();
  const ImVec2 mouse = io.MousePos;
  const float mj = v.x0 + (mouse.x - m0.x) * cpp, mi = v.y0 + (mouse.y - m0.y) * cpp_y;
  const bool over_cells = mouse.x >= m0.x && mouse.y >= m0.y && mj >= 0 && mi >= 0 && mj < nk && mi < nq;
  const bool over_row_labels = mouse.x < m0.x && mouse.y >= m0.y && mi >= 0 && mi < nq;
  if (mp.zoomable && hovered && io.MouseWheel != 0 && over_cells) {
    const float factor = std::pow(1.2f, -io.MouseWheel);
    HeatmapViewState fit;
    fitView(fit, nq, nk, msize);
    const float new_cpp = std::clamp(cpp * factor, 1.0f / 400.0f, fit.cpp * 1.5f);
    v.x0 = mj - (mouse.x - m0.x) * new_cpp;
    v.y0 = mi - (mouse.y - m0.y) * new_cpp / v.aspect;
    v.cpp = new_cpp;
    v.fit = false;
  }
  if (mp.zoomable && ImGui::IsItemActive() && ImGui::IsMouseDragging(ImGuiMouseButton_Left, 4.0f)) {
    v.x0 -= io.MouseDelta.x * cpp;
    v.y0 -= io.MouseDelta.y * cpp_y;
    v.fit = false;
    v.dragging = true;
  }
  if (ImGui::IsItemDeactivated()) {
    if (!v.dragging && (over_cells || over_row_labels)) app.selectQuery(int(mi));
    v.dragging = false;
  }
  if (mp.zoomable && hovered && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) v.fit = true;

  if (hovered && over_cells && !v.dragging) {
    const int i = int(mi), j = int(mj);
    app.setHoverCell(i, j);
    const float cx0 = cellX(float(j)), cy0 = cellY(float(i));
    dl->AddRect(ImVec2(cx0, cy0), ImVec2(cx0 + cell_px, cy0 + cell_py), palette().hover_cell, 0, 0,
                1.5f * ui.scale);
    ImGui::BeginTooltip();
    ImGui::Text("Query  %s  (row %d)", qlab[std::size_t(i)].c_str(), i);
    ImGui::Text("Key    %s  (column %d)", klab[std::size_t(j)].c_str(), j);
    if (app.isMasked(i, j)) {
      ImGui::TextDisabled("masked: a causal query cannot see later keys");
    } else {
      const float* row = rowData(app, mp.head, i);
      ImGui::Text("Weight %.4f  (%.1f%%)", double(row[j]), double(row[j]) * 100.0);
      ImGui::Text("Rank in row: %d of %d", rankInRow(row, nk, j), app.visibleKeys().empty() ? nk : app.visibleKeys()[std::size_t(i)]);
    }
    ImGui::TextDisabled("click: select this query   wheel: zoom   drag: pan   double-click: fit");
    ImGui::EndTooltip();
  } else if (hovered && over_row_labels) {
    app.setHoverCell(int(mi), -1);
    ImGui::SetTooltip("Query %s: click to show its attention", boundedText(qlab[std::size_t(int(mi))], kMaxUiLineBytes).c_str());
  }
  dl->PopClipRect();
}

}  // namespace

void drawHeatmapPanel(UiContext& ui) {
  AppController& app = *ui.app;
  // Labels light up for the cell hovered in the last frame; this frame's hover is found below.
  ui.label_hover_row = app.hoverRow();
  ui.label_hover_col = app.hoverCol();
  app.setHoverCell(-1, -1);
  const ImVec2 start = ImGui::GetCursorScreenPos();
  const float avail_w = ImGui::GetContentRegionAvail().x;
  const std::string title = "Attention heatmap \xC2\xB7 " + app.headLabel();
  sectionTitle(title.c_str());
  // The legend sits beside the title when there is room, else on its own line.
  ImGui::PushFont(ui.fonts.small);
  const float legend_w = legendWidth(ui, legendFor(app), app.causalMaskShown());
  ImGui::PopFont();
  const bool legend_inline = ImGui::CalcTextSize(title.c_str()).x + legend_w + 12 * ui.scale < avail_w;
  if (legend_inline) drawLegend(ui, ImVec2(start.x + avail_w, start.y));
  ImGui::PushFont(ui.fonts.small);
  ImGui::PushTextWrapPos(0);
  if (app.shownSelfAttention())
    ImGui::TextDisabled("Row = query (attends FROM)   Column = key (attends TO)");
  else
    ImGui::TextDisabled("Row = target token (attends FROM)   Column = source token (attends TO)");
  if (!ui.view.fit && !ui.figure && app.head().kind != HeadSelection::All) {
    // Zoomed: say so, and how to get back.
    const char* note = "zoomed (double-click: fit)";
    if (ImGui::GetContentRegionAvail().x - ImGui::GetItemRectSize().x > ImGui::CalcTextSize(note).x + 20 * ui.scale)
      ImGui::SameLine();
    ImGui::TextColored(ImVec4(0.95f, 0.75f, 0.35f, 1), "%s", note);
  }
  ImGui::PopTextWrapPos();
  ImGui::PopFont();
  if (!legend_inline) {
    drawLegend(ui, ImVec2(start.x + avail_w, ImGui::GetCursorScreenPos().y));
    ImGui::Dummy(ImVec2(1, ImGui::GetTextLineHeight()));
  }
  if (!app.hasResult()) {
    // A text the model refuses (too long for its positions, no tokens) says so here too: "Type a
    // sentence" over a full sentence box read as if nothing had been typed.
    if (app.loadingModel() && !app.modelShown()) {
      // The launch's model (or one picked before anything was shown): its progress here too.
      drawModelLoadProgress(ui, "heatmap_load");
    } else if (app.modelShown() && app.error().empty() && app.modelWorking()) {
      // The model's first forward: where it is, rather than an invitation to type.
      const model::ModelProgress p = app.model()->progress();
      if (p.total > 0)
        ImGui::TextDisabled("Running %s: %s %d / %d", modelDisplayName(*app.model()).c_str(), p.what.c_str(),
                            std::min(p.done + 1, p.total), p.total);
      else
        ImGui::TextDisabled("Running %s on the text...", modelDisplayName(*app.model()).c_str());
      ui.nameLastItem("heatmap_first_forward");
    } else if (app.modelShown() && !app.error().empty()) {
      ImGui::PushTextWrapPos(0);
      ImGui::TextDisabled("Nothing to show: %s", boundedText(app.error(), kMaxUiParagraphBytes).c_str());
      ImGui::PopTextWrapPos();
    } else {
      ImGui::TextDisabled("Type a sentence to see its attention.");
    }
    return;
  }
  const ImVec2 pos = ImGui::GetCursorScreenPos();
  const ImVec2 size = ImGui::GetContentRegionAvail();
  if (size.x < 20 || size.y < 20) return;
  const std::vector<int> heads = app.displayedHeads();
  if (heads.size() == 1) {
    MatrixParams mp;
    mp.pos = pos;
    mp.size = size;
    drawMatrix(ui, mp);
  } else {
    const int n = int(heads.size());
    const int cols = int(std::ceil(std::sqrt(double(n)))), rows = (n + cols - 1) / cols;
    const float gap = 12 * ui.scale;
    const ImVec2 tile((size.x - gap * float(cols - 1)) / float(cols), (size.y - gap * float(rows - 1)) / float(rows));
    for (int k = 0; k < n; ++k) {
      MatrixParams mp;
      mp.slot = k;
      mp.layer = k;
      mp.head = heads[std::size_t(k)];
      mp.zoomable = false;
      mp.pos = ImVec2(pos.x + float(k % cols) * (tile.x + gap), pos.y + float(k / cols) * (tile.y + gap));
      mp.size = tile;
      const std::string tile_title = app.headNames()[std::size_t(mp.head)];
      mp.title = tile_title.c_str();
      mp.title_color = headColor(mp.head);
      drawMatrix(ui, mp);
    }
  }
  ImGui::SetCursorScreenPos(ImVec2(pos.x, pos.y + size.y));
}

}  // namespace attnviz::ui
