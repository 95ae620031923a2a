// Shared by the model tokenizer fuzz targets: fixed texts to encode and the checks on each encoding.
#pragma once
#include <cstdlib>
#include <string>
#include <string_view>

#include "model/model_error.h"
#include "model/tokenizer_model.h"

namespace attnviz::fuzz {

// A model error's message must be one short line: no control characters, at most the cap (plus "…").
inline void checkModelErrorMessage(const model::ModelError& e) {
  const std::string_view what(e.what());
  if (what.size() > model::kMaxModelErrorBytes + 3) std::abort();
  for (unsigned char c : what)
    if (c < 0x20 || c == 0x7F) std::abort();
}

// Encodes a few texts (ASCII, accents, CJK, emoji, digits, spaces); a text the tokenizer cannot
// encode may throw ModelError, but an encoding must be self-consistent.
inline void encodeSamples(const model::ModelTokenizer& tokenizer) {
  static const std::string_view texts[] = {"The bank by the river was steep.", "  caf\xc3\xa9 na\xc3\xafve 12345",
                                           "\xe6\x9d\xb1\xe4\xba\xac \xf0\x9f\x98\x80!", ""};
  for (std::string_view text : texts) {
    model::Encoding e;
    try {
      e = tokenizer.encode(text);
    } catch (const model::ModelError&) {
      continue;
    }
    const std::size_t n = e.ids.size();
    if (e.pieces.size() != n || e.labels.size() != n || e.spans.size() != n || e.special.size() != n) std::abort();
    for (const auto& [begin, end] : e.spans)
      if (begin > end || end > text.size()) std::abort();
    for (std::int32_t id : e.ids) {
      if (id < 0 || std::size_t(id) >= tokenizer.vocabSize()) std::abort();
    }
    (void)tokenizer.decode(e.ids);
  }
}

// vocab.json with the 256 byte-level pieces (GPT-2's byte-to-code-point map) and a few merged
// pieces, so fuzzed merges have something to build on.
inline const std::string& byteLevelVocabJson() {
  static const std::string json = [] {
    std::string out = "{";
    int id = 0;
    auto add = [&](const std::string& piece) {
      if (id) out += ",";
      out += "\"" + piece + "\":" + std::to_string(id++);
    };
    auto utf8 = [](char32_t cp) {
      std::string s;
      if (cp < 0x80) s += char(cp);
      else {
        s += char(0xC0 | (cp >> 6));
        s += char(0x80 | (cp & 0x3F));
      }
      return s;
    };
    int extra = 0;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      const char32_t cp = printable ? char32_t(b) : char32_t(256 + extra++);
      if (b == '"') add("\\\"");
      else if (b == '\\') add("\\\\");
      else add(utf8(cp));
    }
    for (const char* piece : {"Th", "The", "\xc4\xa0" "b", "\xc4\xa0" "ba", "an", "ank", "er", "\xc4\xa0" "the"}) add(piece);
    return out + "}";
  }();
  return json;
}

}  // namespace attnviz::fuzz
