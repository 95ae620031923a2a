// The Benchmark tab: runs `attnviz bench`'s suite (gpu/bench_runner.h) in the window, on the
// window's own GL device, and shows time vs n per engine on log-log axes beside the table.
// The run is a BenchSession: CPU steps on a worker thread, GPU steps on this (the UI) thread a
// time slice per frame, so frames keep coming; a single GPU run cannot be split, so on a software
// rasteriser a large n pauses the window for that run (the panel says so before it starts).
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/cpu_fast.h"
#include "core/cpu_features.h"
#include "core/svg_plot.h"
#include "core/thread_pool.h"
#include "render/heatmap_renderer.h"
#include "ui/bench_session.h"
#include "ui/ui_context.h"

#include <imgui_stdlib.h>  // after imgui.h

namespace attnviz::ui {

namespace {

const int kPresetSizes[] = {64, 128, 256, 512, 1024, 2048, 4096, 8192};
constexpr int kPresetCount = int(sizeof(kPresetSizes) / sizeof(kPresetSizes[0]));
const int kDims[] = {16, 32, 64, 128, 256};

}  // namespace

struct BenchPanelState {
  BenchSession session{true};
  bool engines[4] = {true, true, true, true};  // benchEngineNames() order
  bool sizes[kPresetCount] = {true, true, true, true, true, true, false, false};
  int heads = 4, dim = 64, reps = 3;
  bool causal = false;
  std::string folder = "bench-results", name = "attnviz-bench";
  std::string status, error;
  bool status_ok = true;
  bool large_view = false;
  std::string cpu, simd, gl_renderer;
  int threads = 0;

  BenchConfig config() const {
    BenchConfig c;
    c.engines.clear();
    for (int i = 0; i < 4; ++i)
      if (engines[i]) c.engines.push_back(benchEngineNames()[std::size_t(i)]);
    c.sizes.clear();
    for (int i = 0; i < kPresetCount; ++i)
      if (sizes[i]) c.sizes.push_back(kPresetSizes[i]);
    c.heads = heads;
    c.dim = dim;
    c.causal = causal;
    c.reps = reps;
    c.warmup = 1;
    c.ref_max = 2048;
    return c;
  }
};

namespace {

// Fixed colours per engine (Okabe-Ito through headColor), in the order the SVG export uses when
// all four engines run: blue, vermillion, green, reddish purple.
ImU32 engineColor(const std::string& engine, float alpha = 1.0f) {
  if (engine == "cpu-ref") return headColor(6, alpha);
  if (engine == "cpu-fast") return headColor(3, alpha);
  if (engine == "gpu-compute") return headColor(2, alpha);
  return headColor(4, alpha);
}

BenchPanelState& state(UiContext& ui) {
  if (!ui.bench) {
    ui.bench = std::make_shared<BenchPanelState>();
    ui.bench->cpu = cpuModelName();
    ui.bench->simd = "cpu-fast: " + cpuFastPathsDescription();
    ui.bench->threads = sharedThreadPool().size();
    ui.bench->gl_renderer = render::HeatmapRenderer::glRenderer();
  }
  return *ui.bench;
}

bool isSoftware(const std::string& renderer) {
  return renderer.find("llvmpipe") != std::string::npos || renderer.find("softpipe") != std::string::npos;
}

std::string sizeLabel(double n) {
  char buf[32];
  if (n >= 1024 && std::fmod(n, 1024.0) == 0) std::snprintf(buf, sizeof buf, "%.0fk", n / 1024);
  else std::snprintf(buf, sizeof buf, "%.0f", n);
  return buf;
}


void dashedLine(ImDrawList* dl, ImVec2 a, ImVec2 b, ImU32 col, float thickness, float dash, float gap) {
  const float dx = b.x - a.x, dy = b.y - a.y, len = std::sqrt(dx * dx + dy * dy);
  if (len <= 0) return;
  for (float t = 0; t < len; t += dash + gap) {
    const float t1 = std::min(len, t + dash);
    dl->AddLine(ImVec2(a.x + dx * t / len, a.y + dy * t / len), ImVec2(a.x + dx * t1 / len, a.y + dy * t1 / len), col, thickness);
  }
}

// Time vs n per engine on log-log axes: decade grid (faint 2..9 minors), whiskers from min to max,
// the CPU roofline dashed, a legend, and the values of the point under the mouse.
void drawPlot(UiContext& ui, const BenchReport& report, ImVec2 size) {
  const float s = ui.scale;
  const UiPalette& pal = palette();
  ImGui::InvisibleButton("##benchplot", size);
  const bool hovered = ImGui::IsItemHovered();
  const ImVec2 p0 = ImGui::GetItemRectMin(), p1 = ImGui::GetItemRectMax();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  ImGui::PushFont(ui.fonts.small);
  const float fh = ImGui::GetFontSize();
  const ImVec2 a(p0.x + fh * 3.2f, p0.y + fh * 1.6f), b(p1.x - 10 * s, p1.y - fh * 2.6f);
  if (b.x - a.x < 40 || b.y - a.y < 40) {
    ImGui::PopFont();
    return;
  }

  // Ranges: x from the configured sizes (stable while the run fills in), y from the data.
  double x_min = 1e300, x_max = 0, y_min = 1e300, y_max = 0;
  for (int n : report.config.sizes) x_min = std::min(x_min, double(n)), x_max = std::max(x_max, double(n));
  for (const BenchRow& r : report.rows) {
    for (double y : {r.t.min_ms, r.t.max_ms, r.roofline_ms.value_or(0)})
      if (y > 0 && std::isfinite(y)) y_min = std::min(y_min, y), y_max = std::max(y_max, y);
  }
  if (x_max <= 0) x_min = 64, x_max = 2048;
  if (y_max <= 0) y_min = 0.01, y_max = 1000;
  const double lx0 = std::log10(x_min) - 0.08, lx1 = std::max(std::log10(x_max) + 0.08, lx0 + 0.5);
  const double ly0 = std::log10(y_min) - 0.15, ly1 = std::max(std::log10(y_max) + 0.15, ly0 + 1.0);
  auto px = [&](double x) { return float(a.x + (std::log10(x) - lx0) / (lx1 - lx0) * (b.x - a.x)); };
  auto py = [&](double y) { return float(b.y - (std::log10(y) - ly0) / (ly1 - ly0) * (b.y - a.y)); };

  dl->PushClipRect(p0, p1, true);
  const ImU32 grid_major = pal.light ? IM_COL32(0, 0, 0, 60) : IM_COL32(255, 255, 255, 48);
  const ImU32 grid_minor = pal.light ? IM_COL32(0, 0, 0, 20) : IM_COL32(255, 255, 255, 14);
  for (int d = int(std::floor(lx0)); d <= int(std::ceil(lx1)); ++d)
    for (int m = 1; m <= 9; ++m) {
      const double x = m * std::pow(10.0, d);
      if (std::log10(x) < lx0 || std::log10(x) > lx1) continue;
      dl->AddLine(ImVec2(px(x), a.y), ImVec2(px(x), b.y), m == 1 ? grid_major : grid_minor);
    }
  for (int d = int(std::floor(ly0)); d <= int(std::ceil(ly1)); ++d)
    for (int m = 1; m <= 9; ++m) {
      const double y = m * std::pow(10.0, d);
      if (std::log10(y) < ly0 || std::log10(y) > ly1) continue;
      dl->AddLine(ImVec2(a.x, py(y)), ImVec2(b.x, py(y)), m == 1 ? grid_major : grid_minor);
      if (m == 1) {
        const std::string t = logTickLabel(y);
        const ImVec2 ts = ImGui::CalcTextSize(t.c_str());
        dl->AddText(ImVec2(a.x - ts.x - 4 * s, py(y) - ts.y * 0.5f), pal.label, t.c_str());
      }
    }
  dl->AddRect(a, b, pal.legend);
  // x labels at the sizes measured (powers of two read better than decades here).
  float last_right = -1e9f;
  for (int n : report.config.sizes) {
    const std::string t = sizeLabel(n);
    const ImVec2 ts = ImGui::CalcTextSize(t.c_str());
    const float x = px(n) - ts.x * 0.5f;
    if (x < last_right + 4 * s) continue;
    dl->AddLine(ImVec2(px(n), b.y), ImVec2(px(n), b.y + 3 * s), pal.legend);
    dl->AddText(ImVec2(x, b.y + 4 * s), pal.label, t.c_str());
    last_right = x + ts.x;
  }
  const char* x_title = "sequence length n (nq = nk)";
  dl->AddText(ImVec2((a.x + b.x - ImGui::CalcTextSize(x_title).x) * 0.5f, b.y + 4 * s + fh), pal.dim, x_title);
  dl->AddText(ImVec2(p0.x + 2 * s, p0.y + 2 * s), pal.dim, "median time (ms), min-max bars");

  // Roofline (CPU) dashed, then the engines.
  std::vector<std::pair<double, double>> roof;
  for (const BenchRow& r : report.rows)
    if (r.roofline_ms && (roof.empty() || roof.back().first != double(r.n))) roof.push_back({double(r.n), *r.roofline_ms});
  std::sort(roof.begin(), roof.end());
  const ImU32 roof_col = pal.title;
  for (std::size_t i = 1; i < roof.size(); ++i)
    dashedLine(dl, ImVec2(px(roof[i - 1].first), py(roof[i - 1].second)), ImVec2(px(roof[i].first), py(roof[i].second)), roof_col,
               1.5f * s, 6 * s, 4 * s);
  const BenchRow* near = nullptr;
  float near_d2 = (10 * s) * (10 * s);
  const ImVec2 mouse = ImGui::GetIO().MousePos;
  std::vector<std::string> legend;
  for (const std::string& engine : report.config.engines) {
    std::vector<const BenchRow*> pts;
    for (const BenchRow& r : report.rows)
      if (r.engine == engine && r.t.median_ms > 0) pts.push_back(&r);
    std::sort(pts.begin(), pts.end(), [](const BenchRow* l, const BenchRow* r) { return l->n < r->n; });
    legend.push_back(engine);
    const ImU32 col = engineColor(engine);
    for (std::size_t i = 0; i < pts.size(); ++i) {
      const ImVec2 c(px(pts[i]->n), py(pts[i]->t.median_ms));
      if (i > 0) dl->AddLine(ImVec2(px(pts[i - 1]->n), py(pts[i - 1]->t.median_ms)), c, col, 2.0f * s);
      if (pts[i]->t.max_ms > pts[i]->t.min_ms)
        dl->AddLine(ImVec2(c.x, py(pts[i]->t.min_ms)), ImVec2(c.x, py(pts[i]->t.max_ms)), engineColor(engine, 0.7f), 1.0f * s);
      dl->AddCircleFilled(c, 3.5f * s, col);
      const float dx = mouse.x - c.x, dy = mouse.y - c.y;
      if (hovered && dx * dx + dy * dy < near_d2) near_d2 = dx * dx + dy * dy, near = pts[i];
    }
  }
  // Legend, top left inside the axes.
  if (!roof.empty()) legend.push_back("CPU roofline");
  float lw = 0;
  for (const std::string& l : legend) lw = std::max(lw, ImGui::CalcTextSize(l.c_str()).x);
  const ImVec2 la(a.x + 6 * s, a.y + 6 * s), lb(la.x + lw + 34 * s, la.y + legend.size() * (fh + 2 * s) + 6 * s);
  dl->AddRectFilled(la, lb, pal.tag_bg, 3 * s);
  for (std::size_t i = 0; i < legend.size(); ++i) {
    const float y = la.y + 4 * s + i * (fh + 2 * s) + fh * 0.5f;
    if (legend[i] == "CPU roofline") dashedLine(dl, ImVec2(la.x + 5 * s, y), ImVec2(la.x + 25 * s, y), roof_col, 1.5f * s, 5 * s, 3 * s);
    else dl->AddLine(ImVec2(la.x + 5 * s, y), ImVec2(la.x + 25 * s, y), engineColor(legend[i]), 2.5f * s);
    dl->AddText(ImVec2(la.x + 30 * s, y - fh * 0.5f), pal.tag_text, legend[i].c_str());
  }
  dl->PopClipRect();
  ImGui::PopFont();
  if (near) {
    ImGui::BeginTooltip();
    ImGui::Text("%s  n = %d", near->engine.c_str(), near->n);
    ImGui::Text("median %.3f ms (min %.3f, max %.3f)", near->t.median_ms, near->t.min_ms, near->t.max_ms);
    ImGui::Text("%.2f GFLOP/s, %.2f GB/s", near->gflops, near->gbps);
    if (near->roofline_ms) ImGui::Text("roofline %.3f ms, efficiency %.2f", *near->roofline_ms, near->efficiency.value_or(0));
    if (near->wall_ms) ImGui::Text("wall %.3f ms (upload + compute + readback)", *near->wall_ms);
    ImGui::EndTooltip();
  }
}

void drawTable(UiContext& ui, const BenchReport& report, ImVec2 size) {
  const ImGuiTableFlags flags = ImGuiTableFlags_ScrollX | ImGuiTableFlags_ScrollY | ImGuiTableFlags_RowBg |
                                ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingFixedFit;
  static const char* cols[] = {"engine", "n", "median ms", "min ms", "max ms", "GFLOP/s", "GB/s", "roofline ms", "eff", "max|err|", "vs", "wall ms"};
  const int ncols = int(sizeof(cols) / sizeof(cols[0]));
  if (!ImGui::BeginTable("##benchtable", ncols, flags, size)) return;
  ImGui::TableSetupScrollFreeze(1, 1);
  for (const char* c : cols) ImGui::TableSetupColumn(c);
  ImGui::TableHeadersRow();
  ImGui::PushFont(ui.fonts.mono);
  auto cell = [](const char* f, double v) { ImGui::Text(f, v); };
  auto opt = [](const char* f, const std::optional<double>& v) {
    if (v) ImGui::Text(f, *v);
    else ImGui::TextDisabled("-");
  };
  for (const BenchRow& r : report.rows) {
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const float h = ImGui::GetTextLineHeight();
    ImGui::GetWindowDrawList()->AddRectFilled(ImVec2(p.x, p.y + h * 0.25f), ImVec2(p.x + h * 0.5f, p.y + h * 0.75f), engineColor(r.engine));
    ImGui::SetCursorScreenPos(ImVec2(p.x + h * 0.7f, p.y));
    ImGui::TextUnformatted(r.engine.c_str());
    ImGui::TableNextColumn();
    ImGui::Text("%d", r.n);
    ImGui::TableNextColumn();
    cell("%.3f", r.t.median_ms);
    ImGui::TableNextColumn();
    cell("%.3f", r.t.min_ms);
    ImGui::TableNextColumn();
    cell("%.3f", r.t.max_ms);
    ImGui::TableNextColumn();
    cell("%.2f", r.gflops);
    ImGui::TableNextColumn();
    cell("%.2f", r.gbps);
    ImGui::TableNextColumn();
    opt("%.3f", r.roofline_ms);
    ImGui::TableNextColumn();
    opt("%.2f", r.efficiency);
    ImGui::TableNextColumn();
    opt("%.1e", r.max_abs_err);
    ImGui::TableNextColumn();
    if (r.max_abs_err) ImGui::TextUnformatted(r.check_engine.c_str());
    else ImGui::TextDisabled("-");
    ImGui::TableNextColumn();
    opt("%.3f", r.wall_ms);
  }
  ImGui::PopFont();
  ImGui::EndTable();
}

// Continues the row of checkboxes, or starts a new one indented to `indent` when `width` does not fit.
void wrapLine(float width, float indent) {
  ImGui::SameLine();
  if (ImGui::GetContentRegionAvail().x < width) {
    ImGui::NewLine();  // ends the row (a SameLine after it would go back up to it)
    ImGui::SetCursorPosX(indent);
  }
}

void drawContents(UiContext& ui, BenchPanelState& st, bool large) {
  const float s = ui.scale;
  BenchSession& session = st.session;
  const bool running = session.running();
  if (running) ui.animating = true;  // the GPU half of the benchmark advances once per frame
  const std::vector<std::string>& names = benchEngineNames();

  // ---- choices -------------------------------------------------------------------------------
  ImGui::BeginDisabled(running);
  const float label_w = ImGui::CalcTextSize("Engines ").x + 6 * s;
  ImGui::AlignTextToFramePadding();
  ImGui::TextUnformatted("Engines");
  ImGui::SameLine(label_w);
  for (int i = 0; i < 4; ++i) {
    if (i > 0) wrapLine(ImGui::GetFrameHeight() + ImGui::CalcTextSize(names[std::size_t(i)].c_str()).x + 12 * s, label_w);
    ImGui::PushStyleColor(ImGuiCol_CheckMark, ImGui::ColorConvertU32ToFloat4(engineColor(names[std::size_t(i)])));
    ImGui::Checkbox(names[std::size_t(i)].c_str(), &st.engines[i]);
    ImGui::PopStyleColor();
  }
  ImGui::AlignTextToFramePadding();
  ImGui::TextUnformatted("Sizes");
  ImGui::SameLine(label_w);
  for (int i = 0; i < kPresetCount; ++i) {
    const std::string label = sizeLabel(kPresetSizes[i]) + "##size" + std::to_string(i);
    const float w = ImGui::GetFrameHeight() + ImGui::CalcTextSize(sizeLabel(kPresetSizes[i]).c_str()).x + 12 * s;
    if (i > 0) wrapLine(w, label_w);
    ImGui::Checkbox(label.c_str(), &st.sizes[i]);
    if (kPresetSizes[i] >= 4096 && ImGui::IsItemHovered())
      ImGui::SetTooltip("large: cpu-ref is skipped above 2048 (cpu-fast is the check); on a software GL renderer one GPU run takes seconds");
  }
  ImGui::AlignTextToFramePadding();
  ImGui::TextUnformatted("Shape");
  ImGui::SameLine(label_w);
  ImGui::SetNextItemWidth(90 * s);
  ImGui::SliderInt("heads", &st.heads, 1, 16);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(70 * s);
  if (ImGui::BeginCombo("d", std::to_string(st.dim).c_str())) {
    for (int d : kDims)
      if (ImGui::Selectable(std::to_string(d).c_str(), d == st.dim)) st.dim = d;
    ImGui::EndCombo();
  }
  wrapLine(ImGui::GetFrameHeight() + ImGui::CalcTextSize("causal").x + 12 * s, label_w);
  ImGui::Checkbox("causal", &st.causal);
  wrapLine(80 * s + ImGui::CalcTextSize("reps").x + 12 * s, label_w);
  ImGui::SetNextItemWidth(80 * s);
  ImGui::SliderInt("reps", &st.reps, 1, 20);
  ImGui::EndDisabled();

  // ---- run -----------------------------------------------------------------------------------
  if (!running) {
    if (ImGui::Button("Run")) {
      st.error.clear();
      if (!session.start(st.config(), &st.error)) st.status.clear();
    }
  } else if (ImGui::Button("Cancel")) {
    session.cancel();
  }
  ImGui::SameLine();
  if (!large) {
    if (ImGui::Button(st.large_view ? "Close large view" : "Large view")) st.large_view = !st.large_view;
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("the plot and the table side by side in a window of their own");
    ImGui::SameLine();
  }
  const gpu::BenchProgress pr = session.progress();
  std::string overlay;
  if (running) {
    overlay = pr.engine.empty() ? pr.what : pr.engine + ", n = " + std::to_string(pr.n) + ", " + std::to_string(pr.task) + " of " +
                                                std::to_string(pr.tasks) + " (run " + std::to_string(std::min(pr.run + 1, pr.runs)) +
                                                "/" + std::to_string(pr.runs) + ")";
    if (session.cancelRequested()) overlay = "cancelling after this run: " + overlay;
  } else if (session.hasReport()) {
    overlay = session.report().cancelled ? "cancelled: " + std::to_string(session.report().rows.size()) + " rows kept"
                                         : "done: " + std::to_string(session.report().rows.size()) + " rows";
  } else {
    overlay = "not run yet";
  }
  // The bar shares its line with the buttons; when the words do not fit in it, the bar shows the
  // percentage and the words go on the line below (never clipped).
  const float fraction = running ? float(pr.fraction) : session.hasReport() ? 1.0f : 0.0f;
  const bool fits = ImGui::CalcTextSize(overlay.c_str()).x + 2 * ImGui::GetStyle().FramePadding.x <= ImGui::GetContentRegionAvail().x;
  char percent[16];
  std::snprintf(percent, sizeof percent, "%.0f%%", double(fraction) * 100.0);
  ImGui::ProgressBar(fraction, ImVec2(-1, 0), fits ? overlay.c_str() : percent);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", overlay.c_str());
  if (!fits) {
    ImGui::PushTextWrapPos(0);
    ImGui::TextUnformatted(overlay.c_str());
    ImGui::PopTextWrapPos();
  }
  if (!st.error.empty()) ImGui::TextColored(ImVec4(0.95f, 0.40f, 0.30f, 1), "%s", st.error.c_str());

  // Device.
  const BenchReport& report = session.report();
  const std::string renderer = report.device.gl_renderer.empty() ? st.gl_renderer : report.device.gl_renderer;
  ImGui::PushFont(ui.fonts.small);
  ImGui::PushTextWrapPos(0);
  ImGui::TextDisabled("CPU %s, %d threads  |  GL %s", st.cpu.c_str(), st.threads, renderer.empty() ? "(none)" : renderer.c_str());
  ImGui::TextDisabled("%s", st.simd.c_str());
  const BenchConfig chosen = st.config();
  const bool gpu_chosen = st.engines[2] || st.engines[3];
  const int largest = chosen.sizes.empty() ? 0 : *std::max_element(chosen.sizes.begin(), chosen.sizes.end());
  if (isSoftware(renderer))
    ImGui::TextDisabled("The window keeps drawing on the CPU (software GL) while CPU engines run: their times are a little "
                        "slower than `attnviz bench` reports.");
  if (isSoftware(renderer) && gpu_chosen && largest >= 1024)
    ImGui::TextDisabled("Software GL renderer: one GPU run at n = %d takes about %s; the window pauses for each such run.", largest,
                        largest >= 4096 ? "seconds or more" : largest >= 2048 ? "a second" : "a third of a second");
  if (report.peak_fma_gflops > 0) {
    std::string roofs;
    char buf[96];
    std::snprintf(buf, sizeof buf, "Roofs measured now: peak fp32 FMA %.0f GFLOP/s; write bandwidth", report.peak_fma_gflops);
    roofs = buf;
    for (const auto& [n, bw] : report.write_roofs) {
      std::snprintf(buf, sizeof buf, " n=%d %.0f GB/s", n, bw);
      roofs += buf;
    }
    ImGui::TextDisabled("%s. GPU time: %s.", roofs.c_str(),
                        report.device.software_gl ? "wall time until glFinish (software renderer)" : "GL_TIME_ELAPSED; wall ms adds upload and readback");
  }
  for (const auto& [what, why] : report.skipped) ImGui::TextDisabled("skipped %s: %s", what.c_str(), why.c_str());
  ImGui::PopTextWrapPos();
  ImGui::PopFont();

  // ---- plot and table ------------------------------------------------------------------------
  const float export_h = ImGui::GetFrameHeightWithSpacing() * 2 + ImGui::GetTextLineHeightWithSpacing();
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  if (avail.x > 760 * s) {
    const float h = std::max(220 * s, avail.y - export_h);
    const float plot_w = std::floor(avail.x * 0.5f);
    drawPlot(ui, report, ImVec2(plot_w, h));
    ImGui::SameLine(0, gap);
    drawTable(ui, report, ImVec2(avail.x - plot_w - gap, h));
  } else {
    drawPlot(ui, report, ImVec2(avail.x, std::clamp(avail.x * 0.62f, 200 * s, 340 * s)));
    drawTable(ui, report, ImVec2(avail.x, 200 * s));
  }

  // ---- export --------------------------------------------------------------------------------
  ImGui::AlignTextToFramePadding();
  ImGui::TextUnformatted("Export to");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(std::max(80 * s, ImGui::GetContentRegionAvail().x * 0.35f));
  ImGui::InputText("##benchfolder", &st.folder);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(std::max(80 * s, ImGui::GetContentRegionAvail().x * 0.4f));
  ImGui::InputText("##benchname", &st.name);
  ImGui::BeginDisabled(report.rows.empty());
  int which = -1;
  if (ImGui::Button("JSON")) which = 0;
  ImGui::SameLine();
  if (ImGui::Button("CSV")) which = 1;
  ImGui::SameLine();
  if (ImGui::Button("SVG plot")) which = 2;
  ImGui::SameLine();
  if (ImGui::Button("All three")) which = 3;
  ImGui::EndDisabled();
  if (which >= 0)
    st.status_ok = session.exportFiles(st.folder, st.name, which == 0 || which == 3, which == 1 || which == 3, which == 2 || which == 3,
                                       &st.status);
  if (!st.status.empty()) {
    ImGui::SameLine();
    ImGui::PushTextWrapPos(0);
    if (st.status_ok) ImGui::TextDisabled("%s", st.status.c_str());
    else ImGui::TextColored(ImVec4(0.95f, 0.40f, 0.30f, 1), "%s", st.status.c_str());
    ImGui::PopTextWrapPos();
  }
}

}  // namespace

void updateBenchmark(UiContext& ui) {
  if (!ui.bench && ui.initial_tab != "bench-run") return;  // never opened: nothing to do
  BenchPanelState& st = state(ui);
  if (ui.initial_tab == "bench-run") {
    ui.initial_tab = "bench";
    st.large_view = true;
    if (st.session.start(st.config(), &st.error) && ui.headless) st.session.finishNow();  // screenshots: the whole run now
  }
  // GPU steps here, on the UI thread, at most ~50 ms of them per frame (at least one run).
  st.session.update(50);
  if (st.large_view) {
    const ImVec2 display = ImGui::GetIO().DisplaySize;
    ImGui::SetNextWindowSize(ImVec2(display.x * 0.9f, display.y * 0.85f), ImGuiCond_Appearing);
    ImGui::SetNextWindowPos(ImVec2(display.x * 0.5f, display.y * 0.5f), ImGuiCond_Appearing, ImVec2(0.5f, 0.5f));
    ImGui::SetNextWindowBgAlpha(1.0f);  // over the heatmap: opaque
    if (ImGui::Begin("Benchmark##large", &st.large_view, ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_NoSavedSettings))
      drawContents(ui, st, true);
    ImGui::End();
  }
}

void drawBenchPanel(UiContext& ui) { drawContents(ui, state(ui), false); }

}  // namespace attnviz::ui
