#include "model/unicode_normalize.h"

#include <utf8proc.h>

#include <cstdlib>
#include <memory>

#include "model/model_error.h"

namespace attnviz::model {

namespace {

struct FreeDeleter {
  void operator()(utf8proc_uint8_t* p) const { std::free(p); }
};

[[noreturn]] void invalid(const std::string& where, utf8proc_ssize_t code) {
  throw ModelError(where + ": the text cannot be normalised (" + utf8proc_errmsg(code) + ")");
}

}  // namespace

bool parseUnicodeForm(std::string_view name, UnicodeForm& form) {
  if (name == "NFC") form = UnicodeForm::nfc;
  else if (name == "NFD") form = UnicodeForm::nfd;
  else if (name == "NFKC") form = UnicodeForm::nfkc;
  else if (name == "NFKD") form = UnicodeForm::nfkd;
  else return false;
  return true;
}

const char* unicodeFormName(UnicodeForm form) {
  switch (form) {
    case UnicodeForm::nfc: return "NFC";
    case UnicodeForm::nfd: return "NFD";
    case UnicodeForm::nfkc: return "NFKC";
    case UnicodeForm::nfkd: return "NFKD";
  }
  return "?";
}

std::string normalizeUnicode(std::string_view utf8, UnicodeForm form, const std::string& where) {
  if (utf8.empty()) return {};
  int options = UTF8PROC_STABLE;
  switch (form) {
    case UnicodeForm::nfc: options |= UTF8PROC_COMPOSE; break;
    case UnicodeForm::nfd: options |= UTF8PROC_DECOMPOSE; break;
    case UnicodeForm::nfkc: options |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT; break;
    case UnicodeForm::nfkd: options |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT; break;
  }
  utf8proc_uint8_t* out = nullptr;
  const utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(utf8.data()),
                                          utf8proc_ssize_t(utf8.size()), &out, utf8proc_option_t(options));
  std::unique_ptr<utf8proc_uint8_t, FreeDeleter> owned(out);
  if (n < 0) invalid(where, n);
  return std::string(reinterpret_cast<const char*>(out), std::size_t(n));
}

std::vector<std::size_t> normalizationSegmentStarts(std::string_view utf8, const std::string& where) {
  std::vector<std::size_t> starts;
  const auto* base = reinterpret_cast<const utf8proc_uint8_t*>(utf8.data());
  std::size_t at = 0;
  while (at < utf8.size()) {
    utf8proc_int32_t cp = 0;
    const utf8proc_ssize_t len = utf8proc_iterate(base + at, utf8proc_ssize_t(utf8.size() - at), &cp);
    if (len < 0) invalid(where, len);
    const utf8proc_property_t* prop = utf8proc_get_property(cp);
    const bool mark = prop->category == UTF8PROC_CATEGORY_MN || prop->category == UTF8PROC_CATEGORY_MC ||
                      prop->category == UTF8PROC_CATEGORY_ME;
    // Hangul V and T jamo compose with the syllable or L jamo before them.
    const bool jamo_tail = (cp >= 0x1161 && cp <= 0x1175) || (cp >= 0x11A8 && cp <= 0x11C2);
    if (at == 0 || (prop->combining_class == 0 && !mark && !jamo_tail)) starts.push_back(at);
    at += std::size_t(len);
  }
  return starts;
}

std::vector<std::size_t> graphemeStarts(std::string_view utf8, const std::string& where) {
  std::vector<std::size_t> starts;
  const auto* base = reinterpret_cast<const utf8proc_uint8_t*>(utf8.data());
  utf8proc_int32_t previous = -1, state = 0;  // the state carries emoji ZWJ sequences and flag pairs
  for (std::size_t at = 0; at < utf8.size();) {
    utf8proc_int32_t cp = 0;
    const utf8proc_ssize_t len = utf8proc_iterate(base + at, utf8proc_ssize_t(utf8.size() - at), &cp);
    if (len < 0) invalid(where, len);
    if (previous < 0 || utf8proc_grapheme_break_stateful(previous, cp, &state)) starts.push_back(at);
    previous = cp;
    at += std::size_t(len);
  }
  return starts;
}

std::string removeNonspacingMarks(std::string_view utf8, const std::string& where) {
  std::string kept;
  kept.reserve(utf8.size());
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(utf8.data());
  utf8proc_ssize_t left = utf8proc_ssize_t(utf8.size());
  while (left > 0) {
    utf8proc_int32_t cp = 0;
    const utf8proc_ssize_t len = utf8proc_iterate(p, left, &cp);
    if (len < 0) invalid(where, len);
    if (utf8proc_category(cp) != UTF8PROC_CATEGORY_MN) kept.append(reinterpret_cast<const char*>(p), std::size_t(len));
    p += len;
    left -= len;
  }
  return kept;
}

bool isUnicodeWhitespace(char32_t cp) {
  if ((cp >= 0x09 && cp <= 0x0D) || cp == 0x85) return true;
  const utf8proc_category_t cat = utf8proc_category(utf8proc_int32_t(cp));
  return cat == UTF8PROC_CATEGORY_ZS || cat == UTF8PROC_CATEGORY_ZL || cat == UTF8PROC_CATEGORY_ZP;
}

bool isUnicodeOther(char32_t cp) {
  const utf8proc_category_t cat = utf8proc_category(utf8proc_int32_t(cp));
  return cat == UTF8PROC_CATEGORY_CC || cat == UTF8PROC_CATEGORY_CF || cat == UTF8PROC_CATEGORY_CN || cat == UTF8PROC_CATEGORY_CO ||
         cat == UTF8PROC_CATEGORY_CS;
}

bool isBertPunctuation(char32_t cp) {
  if (cp < 0x80 && ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)))
    return true;
  const utf8proc_category_t cat = utf8proc_category(utf8proc_int32_t(cp));
  return cat == UTF8PROC_CATEGORY_PC || cat == UTF8PROC_CATEGORY_PD || cat == UTF8PROC_CATEGORY_PS || cat == UTF8PROC_CATEGORY_PE ||
         cat == UTF8PROC_CATEGORY_PI || cat == UTF8PROC_CATEGORY_PF || cat == UTF8PROC_CATEGORY_PO;
}

bool isCjkIdeograph(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF) ||
         (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

std::string lowercaseCodePoint(char32_t cp) {
  utf8proc_uint8_t buf[8];
  if (cp == 0x130) return "i\xCC\x87";
  const utf8proc_ssize_t n = utf8proc_encode_char(utf8proc_tolower(utf8proc_int32_t(cp)), buf);
  return std::string(reinterpret_cast<const char*>(buf), std::size_t(n));
}

}  // namespace attnviz::model
