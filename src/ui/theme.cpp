// Fonts and colours. DejaVu (Debian's fonts-dejavu-core) through ImGui's FreeType builder, sized
// for a laptop and a projector; a dark theme with calm blues and one warm accent for selection.
#include <filesystem>

#include <imgui_freetype.h>

#include "ui/ui_context.h"

namespace attnviz::ui {
namespace {

const char* findFont(const char* file) {
  static const char* dirs[] = {"/usr/share/fonts/truetype/dejavu/", "/usr/share/fonts/dejavu/",
                               "/usr/share/fonts/TTF/"};
  static std::string found;
  for (const char* d : dirs) {
    const std::string p = std::string(d) + file;
    std::error_code ec;
    if (std::filesystem::exists(p, ec)) {
      found = p;
      return found.c_str();
    }
  }
  return nullptr;
}

// Latin (with extensions), Greek, Cyrillic, punctuation, arrows, maths, box drawing, shapes,
// symbols and dingbats, U+FFFD. Anything else the texts use is added on demand (loadFonts' extra).
const ImWchar kRanges[] = {0x0020, 0x024F, 0x0250, 0x02FF, 0x0300, 0x036F, 0x0370, 0x03FF, 0x0400, 0x052F,
                           0x1E00, 0x1EFF, 0x2000, 0x206F, 0x2070, 0x209F, 0x20A0, 0x20CF, 0x2100, 0x214F,
                           0x2190, 0x21FF, 0x2200, 0x22FF, 0x2500, 0x257F, 0x25A0, 0x25FF, 0x2600, 0x26FF,
                           0x2700, 0x27BF, 0xFFFD, 0xFFFD, 0};

}  // namespace

bool inBuiltInGlyphRanges(char32_t c) {
  for (const ImWchar* r = kRanges; r[0] != 0; r += 2)
    if (c >= r[0] && c <= r[1]) return true;
  return false;
}

namespace {

// Fonts merged behind DejaVu for scripts it lacks (CJK, ...), when the system has them.
const char* kFallbackFonts[] = {
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/opentype/unifont/unifont.otf",
    "/usr/share/fonts/truetype/unifont/unifont.ttf",
};

ImFont* addFont(const char* file, float px, float scale, const ImWchar* ranges) {
  ImGuiIO& io = ImGui::GetIO();
  const char* path = findFont(file);
  if (!path) return nullptr;
  ImFontConfig cfg;
  cfg.OversampleH = 1;
  cfg.OversampleV = 1;
  cfg.PixelSnapH = true;
  ImFont* font = io.Fonts->AddFontFromFileTTF(path, px * scale, &cfg, ranges);
  if (!font) return nullptr;
  for (const char* fallback : kFallbackFonts) {
    std::error_code ec;
    if (!std::filesystem::exists(fallback, ec)) continue;
    ImFontConfig merge;
    merge.MergeMode = true;
    merge.OversampleH = 1;
    merge.OversampleV = 1;
    merge.PixelSnapH = true;
    io.Fonts->AddFontFromFileTTF(fallback, px * scale, &merge, ranges);
  }
  return font;
}

}  // namespace

UiFonts loadFonts(float scale, const std::u32string& extra) {
  ImGuiIO& io = ImGui::GetIO();
  io.Fonts->Clear();
  io.Fonts->FontBuilderIO = ImGuiFreeType::GetBuilderForFreeType();
  io.Fonts->FontBuilderFlags = ImGuiFreeTypeBuilderFlags_LightHinting;
  // The ranges must outlive the atlas build: kept in a static, replaced on the next call.
  static ImVector<ImWchar> ranges;
  ImFontGlyphRangesBuilder builder;
  builder.AddRanges(kRanges);
  for (char32_t c : extra)
    if (c > 0 && c <= 0xFFFF) builder.AddChar(ImWchar(c));  // ImWchar is 16-bit in this build
  ranges.clear();
  builder.BuildRanges(&ranges);
  UiFonts f;
  f.body = addFont("DejaVuSans.ttf", 16.0f, scale, ranges.Data);
  f.small = addFont("DejaVuSans.ttf", 13.5f, scale, ranges.Data);
  f.large = addFont("DejaVuSans-Bold.ttf", 22.0f, scale, ranges.Data);
  f.mono = addFont("DejaVuSansMono.ttf", 14.5f, scale, ranges.Data);
  f.caption = addFont("DejaVuSans.ttf", 24.0f, scale, ranges.Data);
  if (!f.body) {  // no DejaVu: ImGui's built-in font, so the window still opens
    ImFontConfig cfg;
    cfg.SizePixels = 13.0f * scale;
    f.body = io.Fonts->AddFontDefault(&cfg);
  }
  if (!f.small) f.small = f.body;
  if (!f.large) f.large = f.body;
  if (!f.mono) f.mono = f.body;
  if (!f.caption) f.caption = f.large;
  io.FontDefault = f.body;
  return f;
}

namespace {
UiPalette g_palette;
}  // namespace

const UiPalette& palette() { return g_palette; }
void setPalette(const UiPalette& p) { g_palette = p; }

ImFont* labelFont(const UiContext& ui) { return ui.present || ui.figure ? ui.fonts.body : ui.fonts.small; }

void applyTheme(float scale, bool light) {
  ImGui::GetStyle() = ImGuiStyle();  // sizes are scaled below: start from the defaults every time
  ImGui::StyleColorsDark();
  ImGuiStyle& s = ImGui::GetStyle();
  g_palette = UiPalette{};
  kPanelColor = ImVec4(0.105f, 0.114f, 0.137f, 1.0f);
  kWindowColor = ImVec4(0.075f, 0.082f, 0.098f, 1.0f);
  s.WindowRounding = 0.0f;
  s.ChildRounding = 0.0f;  // square: the panel interiors are scissored clears
  s.FrameRounding = 5.0f;
  s.GrabRounding = 5.0f;
  s.PopupRounding = 5.0f;
  s.TabRounding = 5.0f;
  s.ScrollbarRounding = 6.0f;
  s.WindowPadding = ImVec2(10, 10);
  s.FramePadding = ImVec2(8, 5);
  s.ItemSpacing = ImVec2(8, 7);
  s.ItemInnerSpacing = ImVec2(6, 5);
  s.ScrollbarSize = 12.0f;
  s.WindowBorderSize = 0.0f;
  s.ChildBorderSize = 1.0f;
  ImVec4* c = s.Colors;
  const ImVec4 bg = kWindowColor;
  const ImVec4 frame(0.16f, 0.175f, 0.21f, 1.0f), frame_hover(0.21f, 0.235f, 0.29f, 1.0f);
  const ImVec4 blue(0.26f, 0.48f, 0.86f, 1.0f), blue_hover(0.33f, 0.56f, 0.94f, 1.0f);
  c[ImGuiCol_WindowBg] = bg;
  c[ImGuiCol_ChildBg] = ImVec4(0, 0, 0, 0);  // panels are cleared to `panel` by the window (see UiContext::panel_rects)
  c[ImGuiCol_PopupBg] = ImVec4(0.12f, 0.13f, 0.16f, 0.98f);
  c[ImGuiCol_Border] = ImVec4(0.22f, 0.24f, 0.29f, 1.0f);
  c[ImGuiCol_FrameBg] = frame;
  c[ImGuiCol_FrameBgHovered] = frame_hover;
  c[ImGuiCol_FrameBgActive] = frame_hover;
  c[ImGuiCol_Button] = ImVec4(0.19f, 0.21f, 0.26f, 1.0f);
  c[ImGuiCol_ButtonHovered] = ImVec4(0.25f, 0.29f, 0.36f, 1.0f);
  c[ImGuiCol_ButtonActive] = blue;
  c[ImGuiCol_Header] = ImVec4(0.20f, 0.30f, 0.48f, 1.0f);
  c[ImGuiCol_HeaderHovered] = ImVec4(0.25f, 0.37f, 0.58f, 1.0f);
  c[ImGuiCol_HeaderActive] = blue;
  c[ImGuiCol_CheckMark] = blue_hover;
  c[ImGuiCol_SliderGrab] = blue;
  c[ImGuiCol_SliderGrabActive] = blue_hover;
  c[ImGuiCol_Tab] = ImVec4(0.14f, 0.155f, 0.19f, 1.0f);
  c[ImGuiCol_TabHovered] = ImVec4(0.25f, 0.37f, 0.58f, 1.0f);
  c[ImGuiCol_TabActive] = ImVec4(0.20f, 0.30f, 0.48f, 1.0f);
  c[ImGuiCol_TitleBg] = bg;
  c[ImGuiCol_TitleBgActive] = bg;
  c[ImGuiCol_Separator] = ImVec4(0.22f, 0.24f, 0.29f, 1.0f);
  c[ImGuiCol_Text] = ImVec4(0.90f, 0.92f, 0.95f, 1.0f);
  c[ImGuiCol_TextDisabled] = ImVec4(0.55f, 0.58f, 0.64f, 1.0f);
  if (light) {
    // Projector-friendly: near-white panels, near-black text, strong borders. A projector washes
    // out dark greys, so contrast is kept high and nothing important is mid-grey.
    kPanelColor = ImVec4(0.985f, 0.985f, 0.98f, 1.0f);
    kWindowColor = ImVec4(0.90f, 0.91f, 0.925f, 1.0f);
    UiPalette& p = g_palette;
    p.light = true;
    p.label = IM_COL32(40, 44, 52, 255);
    p.label_strong = IM_COL32(0, 0, 0, 255);
    p.title = IM_COL32(20, 24, 32, 255);
    p.dim = IM_COL32(95, 100, 112, 255);
    p.legend = IM_COL32(70, 75, 85, 255);
    p.box = IM_COL32(226, 229, 236, 255);
    p.box_text = IM_COL32(25, 28, 36, 255);
    p.tag_bg = IM_COL32(255, 255, 255, 235);
    p.tag_text = IM_COL32(20, 22, 28, 255);
    p.hover_cell = IM_COL32(0, 0, 0, 230);
    p.masked_fill = IM_COL32(225, 227, 232, 255);
    p.masked_line = IM_COL32(175, 178, 186, 255);
    p.section = ImVec4(0.08f, 0.27f, 0.62f, 1.0f);
    const float ma[3] = {0.90f, 0.905f, 0.92f}, mb[3] = {0.78f, 0.79f, 0.81f};
    for (int k = 0; k < 3; ++k) p.mask_a[k] = ma[k], p.mask_b[k] = mb[k];
    const ImVec4 lbg = kWindowColor;
    const ImVec4 lframe(0.86f, 0.875f, 0.90f, 1.0f), lframe_hover(0.80f, 0.83f, 0.88f, 1.0f);
    const ImVec4 lblue(0.12f, 0.38f, 0.80f, 1.0f);
    c[ImGuiCol_WindowBg] = lbg;
    c[ImGuiCol_PopupBg] = ImVec4(0.99f, 0.99f, 0.985f, 0.98f);
    c[ImGuiCol_Border] = ImVec4(0.66f, 0.69f, 0.75f, 1.0f);
    c[ImGuiCol_FrameBg] = lframe;
    c[ImGuiCol_FrameBgHovered] = lframe_hover;
    c[ImGuiCol_FrameBgActive] = lframe_hover;
    c[ImGuiCol_Button] = ImVec4(0.84f, 0.86f, 0.90f, 1.0f);
    c[ImGuiCol_ButtonHovered] = ImVec4(0.76f, 0.81f, 0.89f, 1.0f);
    c[ImGuiCol_ButtonActive] = ImVec4(0.62f, 0.72f, 0.90f, 1.0f);
    c[ImGuiCol_Header] = ImVec4(0.72f, 0.80f, 0.93f, 1.0f);
    c[ImGuiCol_HeaderHovered] = ImVec4(0.64f, 0.75f, 0.93f, 1.0f);
    c[ImGuiCol_HeaderActive] = ImVec4(0.55f, 0.68f, 0.92f, 1.0f);
    c[ImGuiCol_CheckMark] = lblue;
    c[ImGuiCol_SliderGrab] = lblue;
    c[ImGuiCol_SliderGrabActive] = ImVec4(0.08f, 0.28f, 0.65f, 1.0f);
    c[ImGuiCol_Tab] = ImVec4(0.84f, 0.86f, 0.90f, 1.0f);
    c[ImGuiCol_TabHovered] = ImVec4(0.64f, 0.75f, 0.93f, 1.0f);
    c[ImGuiCol_TabActive] = ImVec4(0.72f, 0.80f, 0.93f, 1.0f);
    c[ImGuiCol_TitleBg] = lbg;
    c[ImGuiCol_TitleBgActive] = lbg;
    c[ImGuiCol_Separator] = ImVec4(0.66f, 0.69f, 0.75f, 1.0f);
    c[ImGuiCol_Text] = ImVec4(0.06f, 0.07f, 0.09f, 1.0f);
    c[ImGuiCol_TextDisabled] = ImVec4(0.36f, 0.38f, 0.43f, 1.0f);
    c[ImGuiCol_TableRowBgAlt] = ImVec4(0.0f, 0.0f, 0.1f, 0.04f);
    c[ImGuiCol_TableHeaderBg] = ImVec4(0.86f, 0.875f, 0.90f, 1.0f);
    c[ImGuiCol_ScrollbarBg] = ImVec4(0.92f, 0.93f, 0.94f, 1.0f);
    c[ImGuiCol_ScrollbarGrab] = ImVec4(0.70f, 0.72f, 0.76f, 1.0f);
    c[ImGuiCol_ModalWindowDimBg] = ImVec4(0.2f, 0.2f, 0.2f, 0.35f);
  }
  s.ScaleAllSizes(scale);
}

}  // namespace attnviz::ui
