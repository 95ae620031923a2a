#include "core/tokenizer.h"

namespace attnviz {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

struct Decoded {
  char32_t cp;
  std::size_t length;  // bytes consumed (1 for an invalid byte)
};

// Strict UTF-8: rejects overlong forms, surrogates and values past U+10FFFF byte by byte.
Decoded decodeOne(std::string_view s, std::size_t at) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(at);
  if (b0 < 0x80) return {b0, 1};
  int extra;
  char32_t cp;
  char32_t min;
  if ((b0 & 0xE0) == 0xC0) { extra = 1; cp = b0 & 0x1F; min = 0x80; }
  else if ((b0 & 0xF0) == 0xE0) { extra = 2; cp = b0 & 0x0F; min = 0x800; }
  else if ((b0 & 0xF8) == 0xF0) { extra = 3; cp = b0 & 0x07; min = 0x10000; }
  else return {kReplacement, 1};
  if (at + extra >= s.size()) return {kReplacement, 1};
  for (int k = 1; k <= extra; ++k) {
    const unsigned char b = byte(at + k);
    if ((b & 0xC0) != 0x80) return {kReplacement, 1};
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {kReplacement, 1};
  return {cp, std::size_t(extra) + 1};
}

bool isSpace(char32_t c) {
  return c == ' ' || (c >= 0x09 && c <= 0x0D) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200B) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000 || c == 0xFEFF;
}

// Marks that belong to the character before them (accents, joiners, variation selectors).
bool isAttaching(char32_t c) {
  return (c >= 0x0300 && c <= 0x036F) || (c >= 0x1AB0 && c <= 0x1AFF) || (c >= 0x1DC0 && c <= 0x1DFF) ||
         (c >= 0x20D0 && c <= 0x20FF) || c == 0x200C || c == 0x200D || (c >= 0xFE00 && c <= 0xFE0F) ||
         (c >= 0xFE20 && c <= 0xFE2F) || (c >= 0x1F3FB && c <= 0x1F3FF) || (c >= 0xE0100 && c <= 0xE01EF);
}

// Scripts written without spaces between words: one token per character.
bool isCjk(char32_t c) {
  return (c >= 0x3040 && c <= 0x30FF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x3FFFF);
}

bool isPunctuationOrSymbol(char32_t c) {
  if (c < 0x80) return !((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'));
  return (c >= 0xA1 && c <= 0xBF) || c == 0xD7 || c == 0xF7 || (c >= 0x2010 && c <= 0x205E) ||
         (c >= 0x20A0 && c <= 0x20CF) || (c >= 0x2100 && c <= 0x2BFF) || (c >= 0x3001 && c <= 0x303F) ||
         (c >= 0xFF01 && c <= 0xFF0F) || (c >= 0xFF1A && c <= 0xFF20) || (c >= 0xFF3B && c <= 0xFF40) ||
         (c >= 0xFF5B && c <= 0xFF65) || (c >= 0x1F000 && c <= 0x1FAFF);
}

bool isWordChar(char32_t c) { return !isSpace(c) && !isPunctuationOrSymbol(c) && !isCjk(c) && !isAttaching(c); }
bool isDigit(char32_t c) { return c >= '0' && c <= '9'; }
// Joiners kept inside a word when letters/digits stand on both sides: didn't, state-of-the-art.
bool isInnerJoiner(char32_t c) { return c == '\'' || c == 0x2019 || c == '-' || c == 0x2010; }

}  // namespace

std::string encodeUtf8(char32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xC0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += char(0xE0 | (cp >> 12));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  } else {
    out += char(0xF0 | (cp >> 18));
    out += char(0x80 | ((cp >> 12) & 0x3F));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  }
  return out;
}

std::u32string decodeUtf8(std::string_view utf8) {
  std::u32string out;
  for (std::size_t at = 0; at < utf8.size();) {
    Decoded d = decodeOne(utf8, at);
    out += d.cp;
    at += d.length;
  }
  return out;
}

std::string sanitizeUtf8(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  for (char32_t c : decodeUtf8(utf8)) out += encodeUtf8(c);
  return out;
}

std::vector<Token> tokenize(std::string_view utf8) {
  struct Unit {
    char32_t cp;
    std::size_t begin, end;
  };
  std::vector<Unit> units;
  for (std::size_t at = 0; at < utf8.size();) {
    Decoded d = decodeOne(utf8, at);
    units.push_back({d.cp, at, at + d.length});
    at += d.length;
  }
  std::vector<Token> tokens;
  bool in_word = false;  // the last token is a word still open for more characters
  auto append = [&](const Unit& u) {
    tokens.back().text += encodeUtf8(u.cp);
    tokens.back().byte_end = u.end;
  };
  auto start = [&](const Unit& u) { tokens.push_back({encodeUtf8(u.cp), u.begin, u.end}); };
  for (std::size_t k = 0; k < units.size(); ++k) {
    const Unit& u = units[k];
    const bool next_is_word = k + 1 < units.size() && isWordChar(units[k + 1].cp);
    if (isSpace(u.cp)) {
      in_word = false;
    } else if (isAttaching(u.cp)) {
      if (tokens.empty() || tokens.back().byte_end != u.begin) start(u);
      else append(u);
    } else if (isWordChar(u.cp)) {
      if (in_word) append(u);
      else start(u);
      in_word = true;
    } else if (in_word && next_is_word && isInnerJoiner(u.cp)) {
      append(u);
    } else if (in_word && next_is_word && (u.cp == '.' || u.cp == ',') && isDigit(units[k - 1].cp) &&
               isDigit(units[k + 1].cp)) {
      append(u);  // 3.14 and 1,000 stay one number
    } else {
      start(u);  // a punctuation mark, symbol or CJK character is a token of its own
      in_word = false;
    }
  }
  return tokens;
}

std::string lowerCase(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  for (char32_t c : decodeUtf8(utf8)) {
    if (c >= 'A' && c <= 'Z') c += 32;
    else if ((c >= 0xC0 && c <= 0xDE && c != 0xD7)) c += 32;
    else if (((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177)) && c % 2 == 0 && c != 0x130) c += 1;
    else if (c >= 0x391 && c <= 0x3A9) c += 32;
    else if (c >= 0x410 && c <= 0x42F) c += 32;
    else if (c >= 0x400 && c <= 0x40F) c += 80;
    out += encodeUtf8(c);
  }
  return out;
}

}  // namespace attnviz
