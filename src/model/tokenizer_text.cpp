#include "model/tokenizer_text.h"

#include <algorithm>
#include <cstdio>

namespace attnviz::model {

AlignedText AlignedText::fromInput(std::string_view input, std::size_t offset) {
  AlignedText t;
  t.text.assign(input);
  t.origin_begin.resize(input.size());
  t.origin_end.resize(input.size());
  for (std::size_t i = 0; i < input.size(); ++i) {
    t.origin_begin[i] = static_cast<std::uint32_t>(offset + i);
    t.origin_end[i] = static_cast<std::uint32_t>(offset + i + 1);
  }
  return t;
}

AlignedText AlignedText::slice(std::size_t begin, std::size_t end) const {
  AlignedText t;
  t.text = text.substr(begin, end - begin);
  t.origin_begin.assign(origin_begin.begin() + begin, origin_begin.begin() + end);
  t.origin_end.assign(origin_end.begin() + begin, origin_end.begin() + end);
  return t;
}

void AlignedText::append(const AlignedText& other) {
  text += other.text;
  origin_begin.insert(origin_begin.end(), other.origin_begin.begin(), other.origin_begin.end());
  origin_end.insert(origin_end.end(), other.origin_end.begin(), other.origin_end.end());
}

void AlignedText::prepend(std::string_view inserted) {
  const std::uint32_t at = origin_begin.empty() ? 0 : origin_begin.front();
  text.insert(0, inserted);
  origin_begin.insert(origin_begin.begin(), inserted.size(), at);
  origin_end.insert(origin_end.begin(), inserted.size(), at);
}

void AlignedText::replaceAll(std::string_view from, std::string_view to) {
  if (from.empty() || text.find(from) == std::string::npos) return;
  AlignedText out;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t hit = text.find(from, i);
    const std::size_t stop = hit == std::string::npos ? text.size() : hit;
    out.append(slice(i, stop));
    if (hit == std::string::npos) break;
    const auto span = originSpan(hit, hit + from.size());
    out.text += to;
    out.origin_begin.insert(out.origin_begin.end(), to.size(), static_cast<std::uint32_t>(span.first));
    out.origin_end.insert(out.origin_end.end(), to.size(), static_cast<std::uint32_t>(span.second));
    i = hit + from.size();
  }
  *this = std::move(out);
}

std::pair<std::size_t, std::size_t> AlignedText::originSpan(std::size_t begin, std::size_t end) const {
  if (begin >= end) return {0, 0};
  std::uint32_t lo = origin_begin[begin], hi = origin_end[begin];
  for (std::size_t i = begin; i < end; ++i) {
    lo = std::min(lo, origin_begin[i]);
    hi = std::max(hi, origin_end[i]);
  }
  return {lo, hi};
}

std::size_t validUtf8SequenceLength(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  std::size_t n;
  char32_t cp;
  if ((lead & 0xE0) == 0xC0) {
    n = 2;
    cp = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    n = 3;
    cp = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    n = 4;
    cp = lead & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  static const char32_t smallest[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < smallest[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

std::optional<std::size_t> firstInvalidUtf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = validUtf8SequenceLength(s, i);
    if (n == 0) return i;
    i += n;
  }
  return std::nullopt;
}

char32_t decodeUtf8At(std::string_view s, std::size_t i, std::size_t n) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  if (n == 1) return byte(i);
  char32_t cp = byte(i) & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);
  for (std::size_t k = 1; k < n; ++k) cp = (cp << 6) | (byte(i + k) & 0x3F);
  return cp;
}

std::string utf8Encode(char32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

ByteLevelAlphabet::ByteLevelAlphabet() {
  decode_.fill(-1);
  const auto printable = [](int b) { return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF); };
  int shifted = 0;
  for (int b = 0; b < 256; ++b) {
    const char32_t cp = printable(b) ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + shifted++);
    utf8_[b] = utf8Encode(cp);
    decode_[cp] = b;
  }
}

const ByteLevelAlphabet& ByteLevelAlphabet::instance() {
  static const ByteLevelAlphabet alphabet;
  return alphabet;
}

std::string readableLabel(std::string_view bytes) {
  std::string out;
  for (std::size_t i = 0; i < bytes.size();) {
    const std::size_t n = validUtf8SequenceLength(bytes, i);
    const unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (n == 1 && c == ' ') {
      out += "\u00B7";
    } else if (n == 1 && c == '\n') {
      out += "\u21B5";
    } else if (n == 1 && c == '\t') {
      out += "\u21E5";
    } else if (n == 1 && c == '\r') {
      out += "\u240D";
    } else if (n == 0 || (n == 1 && (c < 0x20 || c == 0x7F))) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "<0x%02X>", c);
      out += hex;
      i += 1;
      continue;
    } else {
      out.append(bytes.substr(i, n));
    }
    i += n;
  }
  return out;
}

}  // namespace attnviz::model
