// Drawing helpers shared by the panels.
#include <algorithm>
#include <cmath>

#include "ui/ui_context.h"
#include "ui/text_bounds.h"

namespace attnviz::ui {

ImU32 colormapColor(Colormap c, float t, float alpha) {
  const Rgb rgb = sampleColormap(c, t);
  return ImGui::ColorConvertFloat4ToU32(ImVec4(rgb.r, rgb.g, rgb.b, alpha));
}

ImU32 textColorOn(Colormap c, float t) {
  const Rgb rgb = sampleColormap(c, t);
  const float luminance = 0.2126f * rgb.r + 0.7152f * rgb.g + 0.0722f * rgb.b;
  return luminance > 0.45f ? IM_COL32(10, 10, 14, 255) : IM_COL32(245, 245, 245, 255);
}

std::string elide(const std::string& full_text, float max_width) {
  // Bounded first: measuring a 17,000-character label code point by code point every frame is slow.
  const std::string text = boundedText(full_text, kMaxUiLineBytes);
  if (ImGui::CalcTextSize(text.c_str()).x <= max_width) return text;
  const char* ell = "\xE2\x80\xA6";  // U+2026
  const float ell_w = ImGui::CalcTextSize(ell).x;
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    // Advance one UTF-8 code point.
    std::size_t next = i + 1;
    while (next < text.size() && (static_cast<unsigned char>(text[next]) & 0xC0) == 0x80) ++next;
    const std::string candidate = text.substr(0, next);
    if (ImGui::CalcTextSize(candidate.c_str()).x + ell_w > max_width) break;
    out = candidate;
    i = next;
  }
  return out + ell;
}

void addTextRotated90(ImDrawList* dl, ImVec2 bottom_left, ImU32 col, const char* full_text) {
  // No CPU clip below, so every glyph writes vertices: bound the text (16-bit vertex indices).
  const std::string bounded = boundedText(full_text, kMaxUiLineBytes);
  const char* text = bounded.c_str();
  // Draw horizontally, then turn the new vertices 90 degrees counter-clockwise about the pivot, so
  // the text reads upwards and occupies [pivot.x - font height, pivot.x] x [pivot.y - width, pivot.y].
  const int first = dl->VtxBuffer.Size;
  const float h = ImGui::GetFontSize();
  // RenderText with an unbounded CPU clip: AddText would drop glyphs that lie outside the clip
  // rectangle *before* the turn. The draw command's own clip rectangle still applies on the GPU.
  const ImVec4 no_clip(-1e9f, -1e9f, 1e9f, 1e9f);
  ImGui::GetFont()->RenderText(dl, h, ImVec2(bottom_left.x, bottom_left.y - h), col, no_clip, text, nullptr);
  for (int i = first; i < dl->VtxBuffer.Size; ++i) {
    ImDrawVert& v = dl->VtxBuffer[i];
    const float dx = v.pos.x - bottom_left.x, dy = v.pos.y - bottom_left.y;
    v.pos = ImVec2(bottom_left.x + dy, bottom_left.y - dx);
  }
}

ImU32 headColor(int head, float alpha) {
  static const ImVec4 palette[] = {
      {0.902f, 0.624f, 0.000f, 1}, {0.337f, 0.706f, 0.914f, 1}, {0.000f, 0.620f, 0.451f, 1},
      {0.835f, 0.369f, 0.000f, 1}, {0.800f, 0.475f, 0.655f, 1}, {0.941f, 0.894f, 0.259f, 1},
      {0.000f, 0.447f, 0.698f, 1}};
  ImVec4 c = palette[std::size_t(std::abs(head)) % (sizeof(palette) / sizeof(palette[0]))];
  c.w = alpha;
  return ImGui::ColorConvertFloat4ToU32(c);
}

bool beginPanel(UiContext& ui, const char* id, ImVec2 size, ImGuiWindowFlags flags) {
  // The whole child rectangle, cut to what the parent shows.
  const ImVec2 clip_a = ImGui::GetWindowDrawList()->GetClipRectMin(), clip_b = ImGui::GetWindowDrawList()->GetClipRectMax();
  const bool open = ImGui::BeginChild(id, size, true, flags);
  const ImVec2 p = ImGui::GetWindowPos(), s = ImGui::GetWindowSize();
  const ImVec2 a(std::max(p.x, clip_a.x), std::max(p.y, clip_a.y));
  const ImVec2 b(std::min(p.x + s.x, clip_b.x), std::min(p.y + s.y, clip_b.y));
  if (b.x > a.x && b.y > a.y) ui.panel_rects.push_back(ImVec4(a.x, a.y, b.x, b.y));
  return open;
}

ImU32 accentColor(float alpha) { return ImGui::ColorConvertFloat4ToU32(ImVec4(1.0f, 0.42f, 0.24f, alpha)); }

void sectionTitle(const char* text) {
  ImGui::PushStyleColor(ImGuiCol_Text, palette().section);
  ImGui::PushTextWrapPos(0);  // a narrow panel wraps its title instead of cutting it
  ImGui::TextUnformatted(text);
  ImGui::PopTextWrapPos();
  ImGui::PopStyleColor();
}

}  // namespace attnviz::ui
