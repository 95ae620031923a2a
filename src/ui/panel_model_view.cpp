// The model view (every layer x head of a real model as a small heatmap, one texture for all of
// them, click one to open it) and the attention rollout map.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

#include <imgui.h>

#include "ui/model_holder.h"
#include "ui/model_panel_state.h"
#include "ui/ui_context.h"

namespace attnviz::ui {
namespace {

constexpr int kRolloutPixels = 512;

// sqrt spreads the small weights of long rows over the colour scale; -1 (masked) gets the
// masked-cell colour.
void colourPixels(const float* values, std::size_t count, Colormap cmap, std::vector<std::uint8_t>* rgba) {
  rgba->resize(count * 4);
  const ImVec4 masked = ImGui::ColorConvertU32ToFloat4(palette().masked_fill);
  for (std::size_t i = 0; i < count; ++i) {
    const float v = values[i];
    float r = masked.x, g = masked.y, b = masked.z;
    if (v >= 0) {
      const Rgb c = sampleColormap(cmap, std::sqrt(std::min(v, 1.0f)));
      r = c.r;
      g = c.g;
      b = c.b;
    }
    std::uint8_t* px = rgba->data() + i * 4;
    px[0] = std::uint8_t(std::lround(r * 255));
    px[1] = std::uint8_t(std::lround(g * 255));
    px[2] = std::uint8_t(std::lround(b * 255));
    px[3] = 255;
  }
}

// Blue (ablation lowered the weight) - white - red (raised), t in [-1, 1] (ColorBrewer RdBu's ends).
void divergingPixel(float t, std::uint8_t* px) {
  const float lo[3] = {33, 102, 172}, mid[3] = {247, 247, 247}, hi[3] = {178, 24, 43};
  const float a = std::min(std::abs(t), 1.0f);
  const float* end = t < 0 ? lo : hi;
  for (int c = 0; c < 3; ++c) px[c] = std::uint8_t(std::lround(mid[c] + (end[c] - mid[c]) * a));
  px[3] = 255;
}

// The ablation's difference thumbnails into their own texture (when a new ablation arrives).
void updateDifferenceTexture(ModelHolder& m, ModelPanelState& st, std::string* error) {
  const model::ModelSnapshot& s = m.shown();
  if (!s.ablation_diff) return;
  if (st.diff_holder == &m && st.diff_ablation == s.ablation.id && st.diff_tokens == s.tokens_version) return;
  const int t = ModelHolder::kThumbSize, H = m.heads(), L = m.layers();
  if (!st.diff_grid.resize(H * t, L * t, error)) return;
  std::vector<std::uint8_t> rgba(std::size_t(H) * t * L * t * 4);
  // sqrt, as the maps' colours: small changes stay visible beside the largest.
  const float scale = s.ablation_diff_max > 0 ? 1.0f / s.ablation_diff_max : 0.0f;
  for (int l = 0; l < L; ++l)
    for (int h = 0; h < H; ++h)
      for (int y = 0; y < t; ++y)
        for (int x = 0; x < t; ++x) {
          const float d = (*s.ablation_diff)[((std::size_t(l) * H + h) * t + y) * t + x] * scale;
          divergingPixel(std::copysign(std::sqrt(std::abs(d)), d),
                         rgba.data() + ((std::size_t(l) * t + y) * std::size_t(H) * t + std::size_t(h) * t + x) * 4);
        }
  st.diff_grid.update(0, 0, H * t, L * t, rgba.data());
  st.diff_holder = &m;
  st.diff_ablation = s.ablation.id;
  st.diff_tokens = s.tokens_version;
}

// Brings the grid texture up to date with the layers the overview has finished.
void updateGridTexture(UiContext& ui, ModelHolder& m, ModelPanelState& st) {
  const int t = ModelHolder::kThumbSize;
  // The thumbnails follow the controller's choice of values (weights or contributions).
  const int kind = ui.app->contributionView() ? ModelPanelState::GridContributions : ModelPanelState::GridMaps;
  const bool same = st.grid_holder == &m && st.grid_colormap == ui.app->colormap() &&
                    st.grid_version == m.tokensVersion() && st.grid_kind == kind;
  if (!same) {
    st.grid_layers = 0;
    st.grid_holder = &m;
    st.grid_colormap = ui.app->colormap();
    st.grid_version = m.tokensVersion();
    st.grid_kind = kind;
    st.grid_error.clear();
    if (!st.grid.resize(m.heads() * t, m.layers() * t, &st.grid_error)) return;
  }
  std::vector<std::uint8_t> rgba;
  std::vector<float> row(std::size_t(m.heads()) * t * t);
  while (st.grid_layers < m.overviewLayersDone()) {
    const LayerOverview* o = m.overview(st.grid_layers);
    if (!o) break;
    // [heads][t][t] to one strip of t rows, heads side by side.
    const std::vector<float>& thumbs = kind == ModelPanelState::GridContributions ? o->contribution_thumbs : o->thumbs;
    if (thumbs.size() != row.size()) break;  // a layer without these values: the grid stops above it
    for (int h = 0; h < m.heads(); ++h)
      for (int y = 0; y < t; ++y)
        std::copy_n(thumbs.data() + (std::size_t(h) * t + std::size_t(y)) * t, t,
                    row.data() + std::size_t(y) * std::size_t(m.heads()) * t + std::size_t(h) * t);
    colourPixels(row.data(), row.size(), st.grid_colormap, &rgba);
    st.grid.update(0, st.grid_layers * t, m.heads() * t, t, rgba.data());
    ++st.grid_layers;
  }
}

ImTextureID textureId(unsigned texture) { return reinterpret_cast<ImTextureID>(static_cast<std::uintptr_t>(texture)); }

}  // namespace

void drawModelViewPanel(UiContext& ui) {
  AppController& app = *ui.app;
  if (!app.model()) return;
  ModelHolder& m = *app.model();
  ModelPanelState& st = modelPanelState(ui);
  updateGridTexture(ui, m, st);
  if (!st.grid_error.empty() || !m.overviewError().empty()) {
    ImGui::TextWrapped("Model view unavailable: %s", st.grid_error.empty() ? m.overviewError().c_str() : st.grid_error.c_str());
    return;
  }
  const int layers = m.layers(), heads = m.heads(), t = ModelHolder::kThumbSize;
  ImGui::PushFont(ui.fonts.small);
  ImGui::PushTextWrapPos(0);
  const std::vector<std::vector<double>>& importance =
      st.grid_importance_mode ? m.importance() : m.shown().importance;  // asked for only in that mode
  const bool show_importance = st.grid_importance_mode && int(importance.size()) == layers;
  double importance_max = 0;
  for (const auto& row : importance)
    for (double v : row) importance_max = std::max(importance_max, v);
  if (st.grid_importance_mode)
    ImGui::TextDisabled("%s: %d layers x %d heads, %d tokens. Each cell is one head's importance: how much the text's "
                        "next-token loss rises when that head alone is zero-ablated (colour: 0 .. %.3f nats, the largest; "
                        "a fall counts as 0).%s",
                        modelDisplayName(m).c_str(), layers, heads, m.numTokens(), importance_max,
                        show_importance ? "" : " Computing...");
  else if (!(st.grid_difference_mode && m.shown().ablation_diff))
    ImGui::TextDisabled("%s: %d layers x %d heads, %d tokens. Each cell is one head's map of %s (largest value per block, "
                        "colour = square root). Click one to open it.",
                        modelDisplayName(m).c_str(), layers, heads, m.numTokens(),
                        ui.app->contributionView() ? "row-normalised contributions \xE2\x80\x96\xCE\xB1 v W_O\xE2\x80\x96" : "weights");
  const bool have_diff = m.shown().ablation_diff != nullptr;
  if (!have_diff) st.grid_difference_mode = false;
  if (st.grid_difference_mode) {
    std::string error;
    updateDifferenceTexture(m, st, &error);
    if (!error.empty()) st.grid_difference_mode = false;
  }
  if (st.grid_difference_mode && m.shown().ablation_outcome)
    ImGui::TextDisabled("Showing how the ablation changed each map: ablated minus unablated weight (blue lower, red higher, "
                        "white unchanged; colour = square root of the change, largest %.3f). Layers L0..L%d keep their maps "
                        "(ablation acts after a layer's weights).",
                        double(m.shown().ablation_diff_max), m.shown().ablation_outcome->rerun_from_layer);
  // A checkbox that would not fit beside the previous item starts a new line instead of being cut.
  auto besideIfItFits = [](const char* label) {
    const ImGuiStyle& style = ImGui::GetStyle();
    const float width = ImGui::GetFrameHeight() + style.ItemInnerSpacing.x + ImGui::CalcTextSize(label).x;
    const float right = ImGui::GetItemRectMax().x + style.ItemSpacing.x + width;
    if (right <= ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x) ImGui::SameLine();
  };
  ImGui::TextDisabled("Ctrl/Cmd-click: mark a head for ablation (Ablation tab).");
  besideIfItFits("importance");
  ImGui::Checkbox("importance", &st.grid_importance_mode);
  if (st.grid_importance_mode) st.grid_difference_mode = false;
  besideIfItFits("ablation difference");
  ImGui::BeginDisabled(!have_diff);
  if (ImGui::Checkbox("ablation difference", &st.grid_difference_mode) && st.grid_difference_mode) st.grid_importance_mode = false;
  ImGui::EndDisabled();
  if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
    ImGui::SetTooltip(have_diff ? "Each cell: the head's map with the ablation minus without it (diverging colours)"
                                : "Ablate some heads first (Ablation tab, or ctrl/cmd-click cells)");
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("Colour each head by its importance (Michel et al. 2019): one ablated rerun per head,\n"
                      "in the background after everything else; editing the text restarts it.");
  ImGui::PopTextWrapPos();
  // Gemma's rows say which layers are local (sliding window) and which global.
  const model::ModelConfig& config = m.facts().config;
  const bool layer_kinds = !config.local_layers.empty() && !m.isEncoderDecoder();
  const float label_w = ImGui::CalcTextSize(layer_kinds ? "L000 global" : "L000").x + 6 * ui.scale;
  const float label_h = ImGui::GetTextLineHeight() + 2 * ui.scale;
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float gap = std::max(1.0f, 2 * ui.scale);
  // Fit the width; fit the height too when the cells stay readable, else scroll down the layers.
  float cell = (avail.x - label_w) / float(heads) - gap;
  const float fit_h = (avail.y - label_h) / float(layers) - gap;
  if (fit_h >= 24 * ui.scale) cell = std::min(cell, fit_h);
  cell = std::floor(std::clamp(cell, 12 * ui.scale, 160 * ui.scale));
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  ImGui::BeginChild("##model_grid", ImVec2(avail.x, avail.y), false, ImGuiWindowFlags_None);
  const ImVec2 o = ImGui::GetCursorScreenPos();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float grid_w = label_w + float(heads) * (cell + gap), grid_h = label_h + float(layers) * (cell + gap);
  ImGui::InvisibleButton("##grid", ImVec2(grid_w, grid_h));
  const bool hovered = ImGui::IsItemHovered();
  const bool clicked = ImGui::IsItemClicked(ImGuiMouseButton_Left);
  const ImVec2 mouse = ImGui::GetIO().MousePos;
  // The cells only (labels excluded): cell (l, h) is the (h, l)th of heads x layers equal steps.
  ui.model_view_rect = ImVec4(o.x + label_w, o.y + label_h, o.x + grid_w, o.y + grid_h);
  (void)origin;
  for (int h = 0; h < heads; ++h) {
    char label[16];
    std::snprintf(label, sizeof label, "H%d", h);
    const float x = o.x + label_w + float(h) * (cell + gap) + cell * 0.5f - ImGui::CalcTextSize(label).x * 0.5f;
    dl->AddText(ImVec2(x, o.y), palette().dim, label);
  }
  const ImVec2 clip0 = ImGui::GetWindowPos();
  const ImVec2 clip1(clip0.x + ImGui::GetWindowSize().x, clip0.y + ImGui::GetWindowSize().y);
  const HeadSelection sel = app.head();
  int hover_l = -1, hover_h = -1;
  for (int l = 0; l < layers; ++l) {
    const float y = o.y + label_h + float(l) * (cell + gap);
    if (y > clip1.y || y + cell < clip0.y) continue;  // only the rows on screen
    char label[32];
    std::snprintf(label, sizeof label, "L%d%s", l, !layer_kinds ? "" : config.isLocalLayer(l) ? " local" : " global");
    dl->AddText(ImVec2(o.x, y + cell * 0.5f - ImGui::GetTextLineHeight() * 0.5f), palette().dim, label);
    const bool done = l < st.grid_layers;
    for (int h = 0; h < heads; ++h) {
      const ImVec2 a(o.x + label_w + float(h) * (cell + gap), y), b(a.x + cell, a.y + cell);
      if (show_importance) {
        const double v = importance[std::size_t(l)][std::size_t(h)];
        const float x = importance_max > 0 ? float(std::clamp(v / importance_max, 0.0, 1.0)) : 0.0f;
        dl->AddRectFilled(a, b, colormapColor(ui.app->colormap(), x));
      } else if (st.grid_difference_mode && st.diff_ablation == m.shown().ablation.id) {
        const float u0 = float(h * t) / float(st.diff_grid.width()), u1 = float((h + 1) * t) / float(st.diff_grid.width());
        const float v0 = float(l * t) / float(st.diff_grid.height()), v1 = float((l + 1) * t) / float(st.diff_grid.height());
        dl->AddImage(textureId(st.diff_grid.texture()), a, b, ImVec2(u0, v0), ImVec2(u1, v1));
      } else if (done && !st.grid_importance_mode) {
        const float u0 = float(h * t) / float(st.grid.width()), u1 = float((h + 1) * t) / float(st.grid.width());
        const float v0 = float(l * t) / float(st.grid.height()), v1 = float((l + 1) * t) / float(st.grid.height());
        dl->AddImage(textureId(st.grid.texture()), a, b, ImVec2(u0, v0), ImVec2(u1, v1));
      } else {
        dl->AddRectFilled(a, b, palette().box);
      }
      if (hovered && mouse.x >= a.x && mouse.x < b.x + gap && mouse.y >= a.y && mouse.y < b.y + gap) {
        hover_l = l;
        hover_h = h;
      }
      if (std::find(st.ablate_parsed.begin(), st.ablate_parsed.end(), model::HeadRef{l, h}) != st.ablate_parsed.end()) {
        // Ablated: crossed out.
        dl->AddLine(a, b, palette().hover_cell, 2.0f * ui.scale);
        dl->AddLine(ImVec2(b.x, a.y), ImVec2(a.x, b.y), palette().hover_cell, 2.0f * ui.scale);
      }
      const bool selected = l == app.layer() && sel.kind == HeadSelection::Single && sel.index == h;
      if (selected) dl->AddRect(ImVec2(a.x - 1, a.y - 1), ImVec2(b.x + 1, b.y + 1), accentColor(), 0, 0, 2.0f * ui.scale);
      else if (l == hover_l && h == hover_h) dl->AddRect(a, b, palette().hover_cell);
    }
  }
  if (hover_l >= 0) {
    const LayerOverview* ov = m.overview(hover_l);
    const std::string name = m.headName(hover_l, hover_h);
    const bool contribution = app.contributionView();
    if (ov && hover_h < int(ov->measures.size())) {
      const model::HeadMeasures& hm = (contribution ? ov->contribution_measures : ov->measures)[std::size_t(hover_h)];
      std::string extra;
      if (hover_l < int(importance.size())) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "\nimportance %.4f nats", importance[std::size_t(hover_l)][std::size_t(hover_h)]);
        extra = buf;
      }
      ImGui::SetTooltip("%s%s\nentropy %.2f bits   mean distance %.1f tokens\nprevious token %.2f   first token (sink) %.2f   "
                        "confidence %.2f%s\nclick: open it   ctrl/cmd-click: mark for ablation",
                        name.c_str(), contribution ? " (of the contributions)" : "", hm.entropy_bits, hm.mean_distance,
                        hm.previous_token, hm.sink_mass, hm.confidence, extra.c_str());
    } else {
      ImGui::SetTooltip("%s (computing...)", name.c_str());
    }
    const ImGuiIO& io = ImGui::GetIO();
    if (clicked && (io.KeyCtrl || io.KeySuper)) {
      // Toggle the head in the Ablation tab's field and rerun the ablation.
      const model::HeadRef ref{hover_l, hover_h};
      auto it = std::find(st.ablate_parsed.begin(), st.ablate_parsed.end(), ref);
      if (it == st.ablate_parsed.end()) st.ablate_parsed.push_back(ref);
      else st.ablate_parsed.erase(it);
      st.ablate_heads.clear();
      for (const model::HeadRef& r : st.ablate_parsed) st.ablate_heads += (st.ablate_heads.empty() ? "" : ",") + model::headRefName(r);
      applyAblationField(ui);
    } else if (clicked) {
      app.setLayer(hover_l);
      app.setHead({HeadSelection::Single, hover_h});
      ui.main_view = MainView::Heatmap;
    }
  }
  ImGui::EndChild();
  ImGui::PopFont();
}

void drawRolloutPanel(UiContext& ui) {
  AppController& app = *ui.app;
  if (!app.model()) return;
  ModelHolder& m = *app.model();
  ModelPanelState& st = modelPanelState(ui);
  ImGui::PushFont(ui.fonts.small);
  ImGui::PushTextWrapPos(0);
  ImGui::TextDisabled("Attention rollout (Abnar & Zuidema 2020): per layer the mean over heads, 0.5 A + 0.5 I, rows "
                      "renormalised, multiplied through all %d layers. Row i: how much each token feeds token i at the top.",
                      m.layers());
  ImGui::PopTextWrapPos();
  if (m.kind() == model::AttentionKind::cross) {
    ImGui::TextWrapped("Rollout multiplies self-attention maps through the layers; choose the encoder's or the decoder's "
                       "attention (Attention, in the sidebar).");
    ImGui::PopFont();
    return;
  }
  if (!m.overviewComplete() || m.rollout().empty()) {
    if (!m.overviewError().empty())
      ImGui::TextWrapped("Rollout unavailable: %s", m.overviewError().c_str());
    else
      ImGui::Text("Computing layer %d of %d...", m.overviewLayersDone() + 1, m.layers());
    ImGui::PopFont();
    return;
  }
  const int n = m.rolloutTokens();
  const int px = std::min(n, kRolloutPixels);
  if (st.rollout_holder != &m || st.rollout_version != m.tokensVersion() || st.rollout_colormap != app.colormap()) {
    std::string error;
    if (st.rollout.resize(px, px, &error)) {
      // Max-pool n x n to px x px; the upper triangle stays masked.
      std::vector<float> pooled(std::size_t(px) * std::size_t(px), -1.0f);
      const std::vector<float>& r = m.rollout();
      for (int i = 0; i < n; ++i)
        for (int j = 0; j <= i; ++j) {
          float& cell = pooled[std::size_t(std::int64_t(i) * px / n) * std::size_t(px) + std::size_t(std::int64_t(j) * px / n)];
          cell = std::max(cell, r[std::size_t(i) * std::size_t(n) + std::size_t(j)]);
        }
      std::vector<std::uint8_t> rgba;
      colourPixels(pooled.data(), pooled.size(), app.colormap(), &rgba);
      st.rollout.update(0, 0, px, px, rgba.data());
    }
    st.rollout_holder = &m;
    st.rollout_version = m.tokensVersion();
    st.rollout_colormap = app.colormap();
  }
  // Legend: what a colour means (the square root of the rolled-out share, as the model view).
  const auto& token_labels = m.tokenLabels();
  {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const float bar_w = 120 * ui.scale, bar_h = 10 * ui.scale, text_h = ImGui::GetFontSize();
    const char* caption = "share of token i drawn from token j (sqrt colour)";
    float x = p.x;
    dl->AddText(ImVec2(x, p.y), palette().legend, caption);
    x += ImGui::CalcTextSize(caption).x + 8 * ui.scale;
    dl->AddText(ImVec2(x, p.y), palette().legend, "0");
    x += ImGui::CalcTextSize("0").x + 4 * ui.scale;
    const int steps = 32;
    for (int k = 0; k < steps; ++k) {
      const float t0 = float(k) / steps, t1 = float(k + 1) / steps;
      dl->AddRectFilledMultiColor(ImVec2(x + bar_w * t0, p.y + (text_h - bar_h) * 0.5f + 2),
                                  ImVec2(x + bar_w * t1 + 0.5f, p.y + (text_h + bar_h) * 0.5f + 2),
                                  colormapColor(app.colormap(), t0), colormapColor(app.colormap(), t1),
                                  colormapColor(app.colormap(), t1), colormapColor(app.colormap(), t0));
    }
    dl->AddText(ImVec2(x + bar_w + 4 * ui.scale, p.y), palette().legend, "1");
    ImGui::Dummy(ImVec2(1, text_h + 4 * ui.scale));
  }
  // Token labels beside the rows and above the columns, every `step`-th one when they do not all fit.
  const ImVec2 avail0 = ImGui::GetContentRegionAvail();
  float label_w = 0;
  for (const std::string& l : token_labels) label_w = std::max(label_w, ImGui::CalcTextSize(l.c_str()).x);
  label_w = std::min(label_w, 80 * ui.scale) + 6 * ui.scale;
  const float label_h = std::min(label_w, 60 * ui.scale);
  const float side = std::max(64.0f, std::min(avail0.x - label_w, avail0.y - label_h - ImGui::GetTextLineHeightWithSpacing() * 2));
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  const ImVec2 a(origin.x + label_w, origin.y + label_h);
  {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const float cell = side / float(n), text_h = ImGui::GetFontSize();
    const int step = std::max(1, int(std::ceil(text_h * 1.1f / cell)));
    for (int i = 0; i < n && i < int(token_labels.size()); i += step) {
      const std::string l = elide(token_labels[std::size_t(i)], label_w - 6 * ui.scale);
      const float cy = a.y + (float(i) + 0.5f) * cell;
      const ImU32 colour = i == app.selectedQuery() ? accentColor() : palette().label;
      dl->AddText(ImVec2(a.x - 4 * ui.scale - ImGui::CalcTextSize(l.c_str()).x, cy - text_h * 0.5f), colour, l.c_str());
      const std::string c = elide(token_labels[std::size_t(i)], label_h - 4 * ui.scale);
      const float cx = a.x + (float(i) + 0.5f) * cell;
      addTextRotated90(dl, ImVec2(cx + text_h * 0.5f, a.y - 3 * ui.scale), palette().label, c.c_str());
    }
  }
  ImGui::SetCursorScreenPos(a);
  ImGui::Image(textureId(st.rollout.texture()), ImVec2(side, side));
  if (ImGui::IsItemHovered()) {
    const ImVec2 mp = ImGui::GetIO().MousePos;
    const int i = std::clamp(int((mp.y - a.y) / side * float(n)), 0, n - 1);
    const int j = std::clamp(int((mp.x - a.x) / side * float(n)), 0, n - 1);
    const auto& labels = token_labels;
    if (j <= i && i < int(labels.size()))
      ImGui::SetTooltip("token %d '%s' <- token %d '%s': %.3f", i, labels[std::size_t(i)].c_str(), j,
                        labels[std::size_t(j)].c_str(), double(m.rollout()[std::size_t(i) * std::size_t(n) + std::size_t(j)]));
    if (ImGui::IsMouseClicked(ImGuiMouseButton_Left)) app.selectQuery(i);
  }
  // The selected token's strongest sources through the whole model.
  const int q = std::clamp(app.selectedQuery(), 0, n - 1);
  std::vector<int> order(std::size_t(q + 1));
  for (int j = 0; j <= q; ++j) order[std::size_t(j)] = j;
  const float* row = m.rollout().data() + std::size_t(q) * std::size_t(n);
  std::sort(order.begin(), order.end(), [&](int x, int y) { return row[x] > row[y]; });
  std::string line = "Token " + std::to_string(q) + " draws on:";
  const auto& labels = m.tokenLabels();
  for (std::size_t k = 0; k < std::min<std::size_t>(5, order.size()); ++k) {
    char buf[128];
    const int j = order[k];
    std::snprintf(buf, sizeof buf, "  '%s' %.0f%%", j < int(labels.size()) ? labels[std::size_t(j)].c_str() : "?",
                  double(row[j]) * 100.0);
    line += buf;
  }
  ImGui::TextUnformatted(line.c_str());
  ImGui::PopFont();
}

}  // namespace attnviz::ui
