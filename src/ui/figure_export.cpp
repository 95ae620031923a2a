#include "ui/figure_export.h"

#include <glad/gl.h>
#include <imgui.h>
#include <imgui_impl_opengl3.h>

#include <algorithm>
#include <cctype>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <cstdio>
#include <fstream>

#include "gpu/gl_objects.h"
#include "render/png_writer.h"
#include "ui/model_holder.h"

namespace attnviz::ui {

float figureScale(int width, int height) {
  return std::clamp(1.25f * std::min(float(width) / 1600.0f, float(height) / 900.0f), 0.6f, 8.0f);
}

render::DisplayScaling displayScalingFor(const AppController& app) {
  return {app.colourScale(), app.displayDenominators()};
}

bool prepareHeatmapFor(const AppController& app, render::HeatmapRenderer& heatmap, std::string* error) {
  if (!app.hasResult()) {
    *error = "nothing to draw: " + (app.error().empty() ? std::string("no result") : app.error());
    return false;
  }
  heatmap.setColormap(app.colormap());
  if (!heatmap.uploadSource(app.result(), error)) return false;
  return heatmap.prepare(app.displayedHeads(), app.causalMaskShown(), false, error, displayScalingFor(app), app.slidingWindowShown());
}

namespace {

// Restores the previous ImGui context and the theme globals however the figure ends.
struct ContextGuard {
  ImGuiContext* previous = ImGui::GetCurrentContext();
  UiPalette palette_before = palette();
  ImVec4 panel_before = kPanelColor, window_before = kWindowColor;
  ImGuiContext* mine = nullptr;
  bool backend = false;
  ~ContextGuard() {
    if (mine) {
      if (backend) ImGui_ImplOpenGL3_Shutdown();
      ImGui::DestroyContext(mine);
    }
    ImGui::SetCurrentContext(previous);
    setPalette(palette_before);
    kPanelColor = panel_before;
    kWindowColor = window_before;
  }
};

void drawFigureLayout(UiContext& ui, const FigureRequest& req) {
  ImGuiIO& io = ImGui::GetIO();
  ImGui::SetNextWindowPos(ImVec2(0, 0));
  ImGui::SetNextWindowSize(io.DisplaySize);
  ImGui::Begin("##figure", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings |
                   ImGuiWindowFlags_NoBackground);
  ui.panel_rects.clear();
  if (!req.title.empty()) {
    ImGui::PushFont(ui.fonts.caption);
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::ColorConvertU32ToFloat4(palette().title));
    ImGui::TextUnformatted(req.title.c_str());
    ImGui::PopStyleColor();
    ImGui::PopFont();
  }
  // The SVG's subtitle: which head, temperature, mask, data and colour scale the picture shows. The
  // stage (view "both") prints head, T and mask itself, so there only the rest is added.
  if (req.view == FigureView::Both)
    ImGui::TextDisabled("%s \xC2\xB7 %s colour scale",
                        ui.app->importedData() ? ui.app->importedName().c_str() : "simulated model",
                        colourScaleName(ui.app->colourScale()));
  else
    ImGui::TextDisabled("%s", figureDescription(*ui.app).c_str());
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const ImGuiWindowFlags flags = ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse;
  if (req.view == FigureView::Heatmap) {
    beginPanel(ui, "##heatmap", avail, flags);
    drawHeatmapPanel(ui);
    ImGui::EndChild();
  } else if (req.view == FigureView::Arcs) {
    beginPanel(ui, "##arcs", avail, flags);
    drawArcsPanel(ui);
    ImGui::EndChild();
  } else {
    drawStage(ui, avail);
  }
  ImGui::End();
}

}  // namespace

bool renderFigureRgba(AppController& app, render::HeatmapRenderer& heatmap, const FigureRequest& req,
                      std::vector<std::uint8_t>* rgba, std::string* error) {
  GLint max_tex = 0, max_vp[2] = {0, 0};
  glGetIntegerv(GL_MAX_TEXTURE_SIZE, &max_tex);
  glGetIntegerv(GL_MAX_VIEWPORT_DIMS, max_vp);
  const int limit = std::min({max_tex, max_vp[0], max_vp[1]});
  if (req.width < 16 || req.height < 16 || req.width > limit || req.height > limit) {
    *error = "figure size " + std::to_string(req.width) + " x " + std::to_string(req.height) +
             " is outside what this GL driver can render (16.." + std::to_string(limit) + " per side)";
    return false;
  }
  if (!app.hasResult() || !heatmap.hasDisplay()) {
    *error = "nothing to draw yet";
    return false;
  }

  ContextGuard guard;
  guard.mine = ImGui::CreateContext();
  ImGui::SetCurrentContext(guard.mine);
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;
  io.LogFilename = nullptr;
  io.DisplaySize = ImVec2(float(req.width), float(req.height));
  io.DisplayFramebufferScale = ImVec2(1, 1);
  io.DeltaTime = 1.0f / 60.0f;
  io.BackendPlatformName = "attnviz-figure";
  if (!ImGui_ImplOpenGL3_Init("#version 330 core")) {
    *error = "the ImGui OpenGL renderer could not start";
    return false;
  }
  guard.backend = true;

  UiContext ui;
  ui.app = &app;
  ui.heatmap = &heatmap;
  ui.scale = req.scale > 0 ? req.scale : figureScale(req.width, req.height);
  ui.figure = true;
  ui.light = req.light;
  ui.slot_base = 32;  // the window's slots keep their textures
  ui.display_changed_at = -1e9;
  ui.time_s = app.selectionChangedAt() + 1e3;  // animations finished
  ui.fonts = loadFonts(ui.scale);
  applyTheme(ui.scale, req.light);

  // Two frames: the first sizes child windows and tab bars, the second is the picture.
  for (int frame = 0; frame < 2; ++frame) {
    ImGui_ImplOpenGL3_NewFrame();
    io.DisplaySize = ImVec2(float(req.width), float(req.height));
    io.MousePos = ImVec2(-FLT_MAX, -FLT_MAX);
    ImGui::NewFrame();
    drawFigureLayout(ui, req);
    ImGui::Render();
  }

  gpu::Texture color = gpu::Texture::create();
  gpu::Framebuffer fbo = gpu::Framebuffer::create();
  glBindTexture(GL_TEXTURE_2D, color.id());
  glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, req.width, req.height, 0, GL_RGBA, GL_UNSIGNED_BYTE, nullptr);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
  glBindTexture(GL_TEXTURE_2D, 0);
  glBindFramebuffer(GL_FRAMEBUFFER, fbo.id());
  glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, color.id(), 0);
  if (glCheckFramebufferStatus(GL_FRAMEBUFFER) != GL_FRAMEBUFFER_COMPLETE) {
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    *error = "cannot make a " + std::to_string(req.width) + " x " + std::to_string(req.height) +
             " framebuffer (out of GPU memory?)";
    return false;
  }
  glViewport(0, 0, req.width, req.height);
  glDisable(GL_SCISSOR_TEST);
  glClearColor(kWindowColor.x, kWindowColor.y, kWindowColor.z, 1.0f);
  glClear(GL_COLOR_BUFFER_BIT);
  // Panel interiors, as the window does it (scissored clears).
  glEnable(GL_SCISSOR_TEST);
  glClearColor(kPanelColor.x, kPanelColor.y, kPanelColor.z, 1.0f);
  for (const ImVec4& r : ui.panel_rects) {
    const int x0 = int(std::floor(r.x)), x1 = int(std::ceil(r.z));
    const int y0 = int(std::floor(r.y)), y1 = int(std::ceil(r.w));
    glScissor(x0, req.height - y1, x1 - x0, y1 - y0);
    glClear(GL_COLOR_BUFFER_BIT);
  }
  glDisable(GL_SCISSOR_TEST);
  ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
  glFinish();
  std::vector<std::uint8_t> bottom_up = render::readFramebufferRgba(0, 0, req.width, req.height);
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
  const std::size_t row = std::size_t(req.width) * 4;
  rgba->resize(bottom_up.size());
  for (int y = 0; y < req.height; ++y)
    std::copy_n(bottom_up.begin() + std::ptrdiff_t(row * std::size_t(req.height - 1 - y)), row,
                rgba->begin() + std::ptrdiff_t(row * std::size_t(y)));
  // Opaque: the clears above cover every pixel, but blending may have left alpha below 255.
  for (std::size_t i = 3; i < rgba->size(); i += 4) (*rgba)[i] = 255;
  return true;
}

bool writeFigurePng(AppController& app, render::HeatmapRenderer& heatmap, const FigureRequest& request,
                    const std::string& path, std::string* error) {
  std::vector<std::uint8_t> rgba;
  if (!renderFigureRgba(app, heatmap, request, &rgba, error)) return false;
  return render::writePngRgba(path, request.width, request.height, rgba, false, error);
}

std::string figureDescription(const AppController& app, bool all_as_mean) {
  const char* dot = " \xC2\xB7 ";
  std::string head = app.headLabel();
  if (app.head().kind == HeadSelection::Single) head += " head";
  if (app.head().kind == HeadSelection::All && all_as_mean) head = "mean of " + std::to_string(app.heads()) + " heads";
  std::string line = head + dot + (app.shownSelfAttention() ? "self-attention" : "cross-attention");
  if (app.temperatureUnavailableReason().empty()) {
    char t[32];
    std::snprintf(t, sizeof t, "T = %.2f", double(app.temperature()));
    line += dot + std::string(t);
  }
  if (app.causalMaskShown()) line += dot + std::string("causal mask");
  line += dot + (app.importedData() ? app.importedName() : std::string("simulated model"));
  line += dot + std::string(colourScaleName(app.colourScale())) + " colour scale";
  if (app.contributionsShown()) line += dot + std::string(kContributionCaption);
  return line;
}

FigureSpec svgSpecFor(const AppController& app, const FigureRequest& request) {
  FigureSpec spec;
  const AttentionResult& shown = app.shown();
  spec.nq = shown.nq;
  spec.nk = shown.nk;
  spec.weights.assign(shown.p.begin(), shown.p.begin() + std::ptrdiff_t(std::size_t(shown.nq) * std::size_t(shown.nk)));
  spec.query_labels = app.queryLabels();
  spec.key_labels = app.keyLabels();
  if (app.causalMaskShown()) {
    spec.masked.resize(spec.weights.size());
    for (int i = 0; i < spec.nq; ++i)
      for (int j = 0; j < spec.nk; ++j) spec.masked[std::size_t(i) * std::size_t(spec.nk) + std::size_t(j)] = app.isMasked(i, j);
  }
  spec.cross = !app.shownSelfAttention();
  spec.colormap = app.colormap();
  spec.scale = app.colourScale();
  spec.dark = !request.light;
  spec.view = request.view;
  spec.selected_query = std::clamp(app.selectedQuery(), 0, std::max(0, spec.nq - 1));
  spec.width = request.width;
  spec.height = request.height;
  spec.title = request.title;
  spec.subtitle = figureDescription(app, true);
  return spec;
}

DumpDocument dumpDocumentFor(const AppController& app) {
  DumpDocument doc;
  doc.mode = app.shownSelfAttention() ? "self" : "cross";
  doc.engine = app.engineUsed();
  doc.engine_fallback_reason = app.engineNote();
  doc.temperature = app.importedData() && app.problem().nq == 0 ? 1.0 : double(app.problem().temperature);
  doc.causal = app.causalMaskShown();
  doc.d_k = app.problem().d;
  doc.query_tokens = app.queryLabels();
  doc.key_tokens = app.keyLabels();
  if (const ModelHolder* m = app.model()) {  // a real model: which one, which layer, which ids
    doc.model = m->name();
    doc.layer = app.layer();
    doc.token_ids = m->shown().token_ids;
  }
  if (app.contributionsShown()) {
    doc.values = "contribution_row_normalised";
    doc.values_definition = kContributionDefinition;
  }
  const AttentionResult& r = app.result();
  const HeadSelection sel = app.head();
  const auto& names = app.headNames();
  if (sel.kind == HeadSelection::All)
    for (int h = 0; h < r.heads; ++h) doc.heads.push_back(exportHead(r, h, names[std::size_t(h)], app.visibleKeys()));
  if (sel.kind == HeadSelection::Single)
    doc.heads.push_back(exportHead(r, sel.index, names[std::size_t(sel.index)], app.visibleKeys()));
  if (sel.kind != HeadSelection::Single) {
    doc.has_mean = true;
    doc.mean = exportHead(meanOverHeads(r), 0, "mean", app.visibleKeys());
  }
  return doc;
}

std::string csvFor(const AppController& app) {
  const DumpDocument doc = dumpDocumentFor(app);
  return toCsv(doc.has_mean ? doc.mean : doc.heads.front(), doc.query_tokens, doc.key_tokens);
}

namespace {

// The exports are written as they go (TextOut / std::ofstream), never built as one string: a large
// matrix is gigabytes of text.
bool writeSvgFile(const std::string& path, const FigureSpec& spec) {
  std::ofstream f(path, std::ios::binary);
  writeSvg(spec, f);
  return bool(f);
}

bool writeDumpFile(const std::string& path, const DumpDocument& doc, bool csv) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (!file) return false;
  bool ok;
  {
    TextOut out(file);
    std::vector<MatrixView> heads;
    for (const ExportedMatrix& m : doc.heads) heads.push_back(viewOf(m));
    const MatrixView mean = viewOf(doc.mean);
    if (csv) writeCsv(doc.has_mean ? mean : heads.front(), doc.query_tokens, doc.key_tokens, out);
    else writeJson(doc, heads, doc.has_mean ? &mean : nullptr, out);
    ok = out.flush();
  }
  return std::fclose(file) == 0 && ok;
}

}  // namespace

void performExport(UiContext& ui) {
  ExportSettings& ex = ui.exporting;
  ex.requested = false;
  AppController& app = *ui.app;
  if (!app.hasResult()) {
    ex.status = "Nothing to export yet.";
    ex.status_ok = false;
    return;
  }
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path folder = ex.folder.empty() ? fs::path(".") : fs::path(ex.folder);
  fs::create_directories(folder, ec);
  std::string name = ex.name.empty() ? "attnviz-figure" : ex.name;
  for (const char* ext : {".png", ".svg", ".csv", ".json"})  // "figure.png" typed as the name
    if (name.size() > 4 && name.compare(name.size() - std::string(ext).size(), std::string::npos, ext) == 0)
      name.resize(name.size() - std::string(ext).size());
  std::string model_title;
  if (const ModelHolder* m = app.model()) {
    // Figures of a real model say which model, layer and head they show: in the heading, and in
    // the file names unless the user named the files.
    const std::string shown = app.head().kind == HeadSelection::Single ? app.headNames()[std::size_t(app.head().index)]
                                                                        : app.headLabel();
    model_title = modelDisplayName(*m) + " \xC2\xB7 " + shown;
    if (ex.name.empty() || ex.name == ExportSettings{}.name) {
      std::string tag = modelDisplayName(*m) + "-L" + std::to_string(app.layer()) +
                        (app.head().kind == HeadSelection::Single ? "H" + std::to_string(app.head().index)
                         : app.head().kind == HeadSelection::Mean ? "-mean" : "-all") +
                        (app.contributionsShown() ? "-contribution" : "");
      for (char& c : tag)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_') c = '-';
      name = "attnviz-" + tag;
    }
  }
  const fs::path base = fs::absolute(folder / name, ec).lexically_normal();
  FigureRequest req;
  req.title = model_title;
  req.width = std::clamp(ex.width, 64, 16384);
  req.height = std::clamp(ex.height, 64, 16384);
  req.light = ex.light;
  req.view = ex.view;
  std::vector<std::string> written, failed;
  auto target = [&](const char* ext) { return base.string() + ext; };
  if (ex.png) {
    std::string error;
    if (writeFigurePng(app, *ui.heatmap, req, target(".png"), &error))
      written.push_back(name + ".png");
    else
      failed.push_back("PNG: " + error);
  }
  if (ex.svg) {
    if (writeSvgFile(target(".svg"), svgSpecFor(app, req)))
      written.push_back(name + ".svg");
    else
      failed.push_back("cannot write " + target(".svg"));
  }
  if (ex.csv) {
    if (writeDumpFile(target(".csv"), dumpDocumentFor(app), true))
      written.push_back(name + ".csv");
    else
      failed.push_back("cannot write " + target(".csv"));
  }
  if (ex.json) {
    if (writeDumpFile(target(".json"), dumpDocumentFor(app), false))
      written.push_back(name + ".json");
    else
      failed.push_back("cannot write " + target(".json"));
  }
  std::string status;
  if (!written.empty()) {
    // The full path of the first file, so the status line says exactly where to look.
    status = "Saved " + (base.parent_path() / written.front()).string();
    for (std::size_t k = 1; k < written.size(); ++k) status += ", " + written[k];
    if (app.contributionsShown()) status += std::string(" (") + kContributionCaption + ", not weights)";
    ex.saved_folder = base.parent_path().string();
  }
  for (const std::string& f : failed) status += (status.empty() ? "" : "; ") + f;
  if (written.empty() && failed.empty()) status = "Choose at least one format.";
  ex.status = status;
  ex.status_ok = failed.empty() && !written.empty();
}

}  // namespace attnviz::ui
