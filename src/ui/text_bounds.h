// Bounds on the length of text the UI draws. Dear ImGui 1.86 (as Debian builds it) indexes
// vertices with 16 bits: one text call that writes more than 65,536 vertices (16,384 glyphs)
// aborts the program, and wrapped text writes vertices for every line, visible or not. User text
// (deck captions, token labels, file names, error messages) is therefore cut before it is drawn;
// the exports keep the full text. Needs no ImGui (tested directly).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace attnviz::ui {

// A label or a tooltip line: far wider than any panel at this length.
inline constexpr std::size_t kMaxUiLineBytes = 256;
// A caption or a message paragraph: more than the caption bar or the error line can show.
inline constexpr std::size_t kMaxUiParagraphBytes = 2048;

// `text` cut at a UTF-8 code-point boundary to at most max_bytes bytes, then "…" and the count of
// characters left out, e.g. "xxxx… (+14952 characters)". Unchanged when short enough.
inline std::string boundedText(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  std::size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // not inside a code point
  std::size_t left_out = 0;
  for (std::size_t i = cut; i < text.size(); ++i) left_out += (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
  return std::string(text.substr(0, cut)) + "\xE2\x80\xA6 (+" + std::to_string(left_out) + " characters)";
}

}  // namespace attnviz::ui
