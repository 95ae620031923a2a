#include "model/tokenizer_pipeline.h"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>

#include "model/model_error.h"
#include "model/tokenizer_precompiled.h"
#include "model/tokenizer_regex.h"
#include "model/unicode_normalize.h"

namespace attnviz::model {

const char* const kGpt2Pattern = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

using Json = nlohmann::json;

namespace {

std::string typeOf(const Json& j) {
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) return {};
  return j["type"].get<std::string>();
}

bool boolField(const Json& j, const char* key, bool fallback, const std::string& where) {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  if (!j[key].is_boolean()) throw ModelError(where + ": '" + key + "' is not true/false");
  return j[key].get<bool>();
}

std::string stringField(const Json& j, const char* key, const std::string& where) {
  if (!j.contains(key) || !j[key].is_string()) throw ModelError(where + ": '" + key + "' is missing or not a string");
  return j[key].get<std::string>();
}

// A tokenizer.json pattern: {"String": "..."} (literal) or {"Regex": "..."}.
std::unique_ptr<UnicodeRegex> makePattern(const Json& j, const std::string& where) {
  if (j.is_object() && j.contains("String") && j["String"].is_string())
    return std::make_unique<UnicodeRegex>(j["String"].get<std::string>(), true, where);
  if (j.is_object() && j.contains("Regex") && j["Regex"].is_string())
    return std::make_unique<UnicodeRegex>(j["Regex"].get<std::string>(), false, where);
  throw ModelError(where + ": 'pattern' is not {\"String\": ...} or {\"Regex\": ...}");
}

// A string a step inserts into the text ("prepend", "content", "replacement"), at most kMaxInsertedBytes.
std::string insertedField(const Json& j, const char* key, const std::string& where) {
  std::string value = stringField(j, key, where);
  if (value.size() > kMaxInsertedBytes)
    throw ModelError(where + ": '" + key + "' is " + std::to_string(value.size()) + " bytes; at most " +
                     std::to_string(kMaxInsertedBytes) + " are accepted (real tokenizers insert a '\u2581' or a space)");
  return value;
}

[[noreturn]] void throwGrowth(const char* step, const TokenizerWork& work) {
  throw ModelError(std::string("tokenizer: its ") + step + " step would make the text longer than " +
                   std::to_string(work.max_text_bytes) + " bytes (at most " + std::to_string(kNormalizerGrowth) +
                   " x the input + " + std::to_string(kNormalizerSlackBytes) + "); its tokenizer.json grows text without bound");
}

// ---- normalizers ----

class SequenceNormalizer : public Normalizer {
 public:
  std::vector<std::unique_ptr<Normalizer>> steps;
  void apply(AlignedText& text, TokenizerWork& work) const override {
    for (const auto& step : steps) step->apply(text, work);
  }
};

class PrependNormalizer : public Normalizer {
 public:
  explicit PrependNormalizer(std::string prefix) : prefix_(std::move(prefix)) {}
  void apply(AlignedText& text, TokenizerWork& work) const override {
    if (text.empty()) return;
    if (text.text.size() + prefix_.size() > work.max_text_bytes) throwGrowth("Prepend", work);
    text.prepend(prefix_);
  }

 private:
  std::string prefix_;
};

class ReplaceNormalizer : public Normalizer {
 public:
  ReplaceNormalizer(std::unique_ptr<UnicodeRegex> pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void apply(AlignedText& text, TokenizerWork& work) const override {
    const auto matches = pattern_->findAll(text.text, work.regex);
    if (matches.empty()) return;
    std::size_t matched = 0;
    for (const auto& [begin, end] : matches) matched += end - begin;
    // Checked before the output is built: one step can only grow the text to this bound.
    if (text.text.size() - matched > work.max_text_bytes || matches.size() * content_.size() > work.max_text_bytes - (text.text.size() - matched))
      throwGrowth("Replace", work);
    AlignedText out;
    std::size_t at = 0;
    for (const auto& [begin, end] : matches) {
      out.append(text.slice(at, begin));
      const auto span = text.originSpan(begin, end);
      out.text += content_;
      out.origin_begin.insert(out.origin_begin.end(), content_.size(), static_cast<std::uint32_t>(span.first));
      out.origin_end.insert(out.origin_end.end(), content_.size(), static_cast<std::uint32_t>(span.second));
      at = end;
    }
    out.append(text.slice(at, text.text.size()));
    text = std::move(out);
  }

 private:
  std::unique_ptr<UnicodeRegex> pattern_;
  std::string content_;
};

// NFC, NFD, NFKC, NFKD (utf8proc). The text is normalised in segments that normalise
// independently (unicode_normalize.h), so each output byte keeps the input span of its segment: an
// unchanged segment keeps its bytes' own spans, a changed one maps to the whole segment.
class UnicodeFormNormalizer : public Normalizer {
 public:
  explicit UnicodeFormNormalizer(UnicodeForm form) : form_(form) {}
  void apply(AlignedText& text, TokenizerWork& work) const override {
    if (text.empty()) return;
    const std::string where = std::string("tokenizer: its ") + unicodeFormName(form_) + " normalizer";
    const std::string whole = normalizeUnicode(text.text, form_, where);
    if (whole == text.text) return;
    if (whole.size() > work.max_text_bytes) throwGrowth(unicodeFormName(form_), work);
    const auto starts = normalizationSegmentStarts(text.text, where);
    AlignedText out;
    out.text.reserve(whole.size());
    for (std::size_t s = 0; s < starts.size(); ++s) {
      const std::size_t begin = starts[s], end = s + 1 < starts.size() ? starts[s + 1] : text.text.size();
      const std::string_view piece(text.text.data() + begin, end - begin);
      const std::string normal = normalizeUnicode(piece, form_, where);
      if (normal == piece) {
        out.append(text.slice(begin, end));
        continue;
      }
      const auto span = text.originSpan(begin, end);
      out.text += normal;
      out.origin_begin.insert(out.origin_begin.end(), normal.size(), static_cast<std::uint32_t>(span.first));
      out.origin_end.insert(out.origin_end.end(), normal.size(), static_cast<std::uint32_t>(span.second));
    }
    // The segments are where normalisation cannot cross; if they ever disagree with the whole,
    // the whole is the truth and the spans fall back to the whole input.
    if (out.text != whole) {
      const auto span = text.originSpan(0, text.text.size());
      out.text = whole;
      out.origin_begin.assign(whole.size(), static_cast<std::uint32_t>(span.first));
      out.origin_end.assign(whole.size(), static_cast<std::uint32_t>(span.second));
    }
    text = std::move(out);
  }

 private:
  UnicodeForm form_;
};

// Rewrites `text` one code point at a time: f(cp, out) appends what the code point becomes (nothing
// to drop it), and those bytes keep the code point's input span.
template <class F>
void mapCodePoints(AlignedText& text, TokenizerWork& work, const char* step, F&& f) {
  AlignedText out;
  out.text.reserve(text.text.size());
  std::string piece;
  for (std::size_t i = 0; i < text.text.size();) {
    std::size_t n = validUtf8SequenceLength(text.text, i);
    if (n == 0) n = 1;  // the pipeline's input is valid UTF-8; never loop on a stray byte
    piece.clear();
    f(decodeUtf8At(text.text, i, n), piece);
    if (piece.size() == n && text.text.compare(i, n, piece) == 0) {
      out.append(text.slice(i, i + n));
    } else {
      const auto span = text.originSpan(i, i + n);
      out.text += piece;
      out.origin_begin.insert(out.origin_begin.end(), piece.size(), static_cast<std::uint32_t>(span.first));
      out.origin_end.insert(out.origin_end.end(), piece.size(), static_cast<std::uint32_t>(span.second));
    }
    if (out.text.size() > work.max_text_bytes) throwGrowth(step, work);
    i += n;
  }
  text = std::move(out);
}

// BertNormalizer (Hugging Face tokenizers' normalizers/bert.rs): control characters, U+0000 and
// U+FFFD dropped and every whitespace made a space (clean_text); spaces around each CJK ideograph
// (handle_chinese_chars); NFD with the nonspacing marks removed (strip_accents, by default when
// lowercasing); lowercase. In that order.
class BertNormalizer : public Normalizer {
 public:
  BertNormalizer(bool clean_text, bool chinese, bool strip_accents, bool lowercase)
      : clean_text_(clean_text), chinese_(chinese), strip_accents_(strip_accents), lowercase_(lowercase) {}
  void apply(AlignedText& text, TokenizerWork& work) const override {
    if (text.empty()) return;
    if (clean_text_ || chinese_)
      mapCodePoints(text, work, "BertNormalizer", [&](char32_t cp, std::string& out) {
        if (clean_text_ && cp != '\t' && cp != '\n' && cp != '\r' && (cp == 0 || cp == 0xFFFD || isUnicodeOther(cp))) return;
        if (clean_text_ && isUnicodeWhitespace(cp)) {
          out = " ";
        } else if (chinese_ && isCjkIdeograph(cp)) {
          out = " " + utf8Encode(cp) + " ";
        } else {
          out = utf8Encode(cp);
        }
      });
    if (strip_accents_) stripAccents(text, work);
    if (lowercase_) mapCodePoints(text, work, "BertNormalizer", [](char32_t cp, std::string& out) { out = lowercaseCodePoint(cp); });
  }

 private:
  // NFD then the marks removed, segment by segment (unicode_normalize.h) so spans stay exact.
  static void stripAccents(AlignedText& text, TokenizerWork& work) {
    const std::string where = "tokenizer: its BertNormalizer";
    const auto starts = normalizationSegmentStarts(text.text, where);
    AlignedText out;
    out.text.reserve(text.text.size());
    for (std::size_t s = 0; s < starts.size(); ++s) {
      const std::size_t begin = starts[s], end = s + 1 < starts.size() ? starts[s + 1] : text.text.size();
      const std::string_view piece(text.text.data() + begin, end - begin);
      const std::string stripped = removeNonspacingMarks(normalizeUnicode(piece, UnicodeForm::nfd, where), where);
      if (stripped == piece) {
        out.append(text.slice(begin, end));
      } else {
        const auto span = text.originSpan(begin, end);
        out.text += stripped;
        out.origin_begin.insert(out.origin_begin.end(), stripped.size(), static_cast<std::uint32_t>(span.first));
        out.origin_end.insert(out.origin_end.end(), stripped.size(), static_cast<std::uint32_t>(span.second));
      }
      if (out.text.size() > work.max_text_bytes) throwGrowth("BertNormalizer", work);
    }
    text = std::move(out);
  }

  bool clean_text_, chinese_, strip_accents_, lowercase_;
};

// StripAccents: nonspacing marks removed (after an NFD step of its own Sequence).
class StripAccentsNormalizer : public Normalizer {
 public:
  void apply(AlignedText& text, TokenizerWork& work) const override {
    mapCodePoints(text, work, "StripAccents", [](char32_t cp, std::string& out) {
      const std::string c = utf8Encode(cp);
      out = removeNonspacingMarks(c, "tokenizer: its StripAccents normalizer");
    });
  }
};

// Strip: leading and/or trailing White_Space removed (normalizers/strip.rs, Rust's char::is_whitespace).
class StripNormalizer : public Normalizer {
 public:
  StripNormalizer(bool left, bool right) : left_(left), right_(right) {}
  void apply(AlignedText& text, TokenizerWork&) const override {
    const std::string& t = text.text;
    const auto spaceAt = [&](std::size_t i) {
      const std::size_t n = validUtf8SequenceLength(t, i);
      return n > 0 && isUnicodeWhitespace(decodeUtf8At(t, i, n)) ? n : 0;
    };
    std::size_t begin = 0, end = t.size();
    if (left_)
      while (begin < end && spaceAt(begin)) begin += spaceAt(begin);
    if (right_)
      while (end > begin) {
        std::size_t start = end - 1;  // the code point that ends the text
        while (start > begin && (static_cast<unsigned char>(t[start]) & 0xC0) == 0x80) --start;
        if (!spaceAt(start)) break;
        end = start;
      }
    if (begin > 0 || end < t.size()) text = text.slice(begin, end);
  }

 private:
  bool left_, right_;
};

// ---- pre-tokenizers ----

class SequencePreTokenizer : public PreTokenizer {
 public:
  std::vector<std::unique_ptr<PreTokenizer>> steps;
  void apply(std::vector<AlignedText>& splits, TokenizerWork& work) const override {
    for (const auto& step : steps) step->apply(splits, work);
  }
};

void splitEach(std::vector<AlignedText>& splits, const std::function<std::vector<AlignedText>(const AlignedText&)>& f) {
  std::vector<AlignedText> out;
  for (const auto& s : splits) {
    auto parts = f(s);
    for (auto& p : parts)
      if (!p.empty()) out.push_back(std::move(p));
  }
  splits = std::move(out);
}

class SplitPreTokenizer : public PreTokenizer {
 public:
  SplitPreTokenizer(std::unique_ptr<UnicodeRegex> pattern, SplitBehavior behavior, bool invert)
      : pattern_(std::move(pattern)), behavior_(behavior), invert_(invert) {}
  void apply(std::vector<AlignedText>& splits, TokenizerWork& work) const override {
    splitEach(splits, [&](const AlignedText& s) { return splitAtMatches(s, pattern_->findAll(s.text, work.regex), behavior_, invert_); });
  }

 private:
  std::unique_ptr<UnicodeRegex> pattern_;
  SplitBehavior behavior_;
  bool invert_;
};

// BertPreTokenizer: split on whitespace (dropped), then every punctuation character is a word of
// its own (pre_tokenizers/bert.rs).
class BertPreTokenizer : public PreTokenizer {
 public:
  void apply(std::vector<AlignedText>& splits, TokenizerWork&) const override {
    splitEach(splits, [](const AlignedText& s) {
      std::vector<std::pair<std::size_t, std::size_t>> spaces, punctuation;
      for (std::size_t i = 0; i < s.text.size();) {
        std::size_t n = validUtf8SequenceLength(s.text, i);
        if (n == 0) n = 1;
        const char32_t cp = decodeUtf8At(s.text, i, n);
        if (isUnicodeWhitespace(cp)) spaces.emplace_back(i, i + n);
        i += n;
      }
      std::vector<AlignedText> out;
      for (AlignedText& word : splitAtMatches(s, spaces, SplitBehavior::Removed, false)) {
        punctuation.clear();
        for (std::size_t i = 0; i < word.text.size();) {
          std::size_t n = validUtf8SequenceLength(word.text, i);
          if (n == 0) n = 1;
          if (isBertPunctuation(decodeUtf8At(word.text, i, n))) punctuation.emplace_back(i, i + n);
          i += n;
        }
        for (AlignedText& part : splitAtMatches(word, punctuation, SplitBehavior::Isolated, false)) out.push_back(std::move(part));
      }
      return out;
    });
  }
};

// WhitespaceSplit: words between runs of White_Space, which is dropped (pre_tokenizers/whitespace.rs).
class WhitespaceSplitPreTokenizer : public PreTokenizer {
 public:
  void apply(std::vector<AlignedText>& splits, TokenizerWork&) const override {
    splitEach(splits, [](const AlignedText& s) {
      std::vector<std::pair<std::size_t, std::size_t>> spaces;
      for (std::size_t i = 0; i < s.text.size();) {
        std::size_t n = validUtf8SequenceLength(s.text, i);
        if (n == 0) n = 1;
        if (isUnicodeWhitespace(decodeUtf8At(s.text, i, n))) spaces.emplace_back(i, i + n);
        i += n;
      }
      return splitAtMatches(s, spaces, SplitBehavior::Removed, false);
    });
  }
};

class ByteLevelPreTokenizer : public PreTokenizer {
 public:
  ByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex)
      : add_prefix_space_(addPrefixSpace), regex_(useRegex ? std::make_unique<UnicodeRegex>(kGpt2Pattern, false, "GPT-2 pattern") : nullptr) {}
  void apply(std::vector<AlignedText>& splits, TokenizerWork& work) const override {
    splitEach(splits, [&](const AlignedText& s) {
      AlignedText t = s;
      if (add_prefix_space_ && (t.text.empty() || t.text.front() != ' ')) t.prepend(" ");
      if (!regex_) return std::vector<AlignedText>{t};
      return splitAtMatches(t, regex_->findAll(t.text, work.regex), SplitBehavior::Isolated, false);
    });
    const ByteLevelAlphabet& alphabet = ByteLevelAlphabet::instance();
    for (auto& s : splits) {
      AlignedText mapped;
      for (std::size_t i = 0; i < s.text.size(); ++i) {
        const std::string& c = alphabet.encode(static_cast<std::uint8_t>(s.text[i]));
        mapped.text += c;
        mapped.origin_begin.insert(mapped.origin_begin.end(), c.size(), s.origin_begin[i]);
        mapped.origin_end.insert(mapped.origin_end.end(), c.size(), s.origin_end[i]);
      }
      s = std::move(mapped);
    }
  }

 private:
  bool add_prefix_space_;
  std::unique_ptr<UnicodeRegex> regex_;
};

class MetaspacePreTokenizer : public PreTokenizer {
 public:
  enum class Prepend { Always, First, Never };
  MetaspacePreTokenizer(std::string replacement, Prepend prepend, bool split)
      : replacement_(std::move(replacement)), prepend_(prepend), split_(split) {}
  void apply(std::vector<AlignedText>& splits, TokenizerWork& work) const override {
    splitEach(splits, [&](const AlignedText& s) {
      // Each space becomes the replacement (at most kMaxInsertedBytes): bounded like a normalizer's growth.
      const std::size_t spaces = std::size_t(std::count(s.text.begin(), s.text.end(), ' '));
      if (spaces * replacement_.size() > kNormalizerGrowth * s.text.size()) throwGrowth("Metaspace", work);
      AlignedText t = s;
      t.replaceAll(" ", replacement_);
      const bool startsWithMarker = t.text.rfind(replacement_, 0) == 0;
      const bool atInputStart = !t.origin_begin.empty() && t.origin_begin.front() == 0;
      if (!startsWithMarker && (prepend_ == Prepend::Always || (prepend_ == Prepend::First && atInputStart)))
        t.prepend(replacement_);
      if (!split_) return std::vector<AlignedText>{t};
      std::vector<std::pair<std::size_t, std::size_t>> matches;
      for (std::size_t at = t.text.find(replacement_); at != std::string::npos; at = t.text.find(replacement_, at + replacement_.size()))
        matches.emplace_back(at, at + replacement_.size());
      return splitAtMatches(t, matches, SplitBehavior::MergedWithNext, false);
    });
  }

 private:
  std::string replacement_;
  Prepend prepend_;
  bool split_;
};

class DigitsPreTokenizer : public PreTokenizer {
 public:
  explicit DigitsPreTokenizer(bool individual) : individual_(individual) {}
  void apply(std::vector<AlignedText>& splits, TokenizerWork&) const override {
    splitEach(splits, [&](const AlignedText& s) {
      std::vector<std::pair<std::size_t, std::size_t>> digits;  // each ASCII digit is its own match
      for (std::size_t i = 0; i < s.text.size(); ++i)
        if (s.text[i] >= '0' && s.text[i] <= '9') digits.emplace_back(i, i + 1);
      return splitAtMatches(s, digits, individual_ ? SplitBehavior::Isolated : SplitBehavior::Contiguous, false);
    });
  }

 private:
  bool individual_;
};

SplitBehavior parseBehavior(const Json& j, const std::string& where) {
  const std::string b = j.contains("behavior") && j["behavior"].is_string() ? j["behavior"].get<std::string>() : "";
  if (b == "Removed") return SplitBehavior::Removed;
  if (b == "Isolated") return SplitBehavior::Isolated;
  if (b == "MergedWithPrevious") return SplitBehavior::MergedWithPrevious;
  if (b == "MergedWithNext") return SplitBehavior::MergedWithNext;
  if (b == "Contiguous") return SplitBehavior::Contiguous;
  throw ModelError(where + ": Split behavior '" + b + "' is not one of Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous");
}

}  // namespace

std::vector<AlignedText> splitAtMatches(const AlignedText& text, const std::vector<std::pair<std::size_t, std::size_t>>& matches,
                                        SplitBehavior behavior, bool invert) {
  struct Part {
    std::size_t begin, end;
    bool match;
  };
  std::vector<Part> parts;  // covers the whole text
  std::size_t at = 0;
  for (const auto& [begin, end] : matches) {
    if (begin > at) parts.push_back({at, begin, false});
    if (end > begin) parts.push_back({begin, end, true});
    at = end;
  }
  if (at < text.text.size()) parts.push_back({at, text.text.size(), false});
  if (invert)
    for (auto& p : parts) p.match = !p.match;

  std::vector<Part> kept;
  bool previousMatch = false;
  switch (behavior) {
    case SplitBehavior::Removed:
      for (const auto& p : parts)
        if (!p.match) kept.push_back(p);
      break;
    case SplitBehavior::Isolated:
      kept = parts;
      break;
    case SplitBehavior::MergedWithPrevious:
      for (const auto& p : parts) {
        if (p.match && !previousMatch && !kept.empty())
          kept.back().end = p.end;
        else
          kept.push_back(p);
        previousMatch = p.match;
      }
      break;
    case SplitBehavior::MergedWithNext:
      for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
        if (it->match && !previousMatch && !kept.empty())
          kept.back().begin = it->begin;
        else
          kept.push_back(*it);
        previousMatch = it->match;
      }
      std::reverse(kept.begin(), kept.end());
      break;
    case SplitBehavior::Contiguous:
      for (const auto& p : parts) {
        if (!kept.empty() && p.match == previousMatch)
          kept.back().end = p.end;
        else
          kept.push_back(p);
        previousMatch = p.match;
      }
      break;
  }
  std::vector<AlignedText> out;
  out.reserve(kept.size());
  for (const auto& p : kept)
    if (p.end > p.begin) out.push_back(text.slice(p.begin, p.end));
  return out;
}

namespace {

std::unique_ptr<Normalizer> makeNormalizerAt(const Json& j, const std::string& where, PipelineTraits& traits, int depth) {
  if (j.is_null()) return nullptr;
  const std::string type = typeOf(j);
  const std::string here = where + " normalizer " + (type.empty() ? "(no type)" : quoteForMessage(type, 60));
  if (type == "Sequence") {
    if (depth >= kMaxPipelineDepth)
      throw ModelError(here + ": Sequences nested deeper than " + std::to_string(kMaxPipelineDepth) + " levels");
    if (!j.contains("normalizers") || !j["normalizers"].is_array()) throw ModelError(here + ": 'normalizers' is not a list");
    auto seq = std::make_unique<SequenceNormalizer>();
    for (const auto& step : j["normalizers"]) {
      auto n = makeNormalizerAt(step, where, traits, depth + 1);
      if (n) seq->steps.push_back(std::move(n));
    }
    return seq;
  }
  if (type == "Prepend") return std::make_unique<PrependNormalizer>(insertedField(j, "prepend", here));
  if (type == "Replace") {
    if (!j.contains("pattern")) throw ModelError(here + ": 'pattern' is missing");
    const std::string content = insertedField(j, "content", here);
    if (j["pattern"].is_object() && j["pattern"].contains("String") && j["pattern"]["String"] == " ") traits.space_marker = content;
    return std::make_unique<ReplaceNormalizer>(makePattern(j["pattern"], here), content);
  }
  if (type == "BertNormalizer") {
    const bool lowercase = boolField(j, "lowercase", true, here);
    return std::make_unique<BertNormalizer>(boolField(j, "clean_text", true, here), boolField(j, "handle_chinese_chars", true, here),
                                            boolField(j, "strip_accents", lowercase, here), lowercase);
  }
  if (type == "Lowercase") return std::make_unique<BertNormalizer>(false, false, false, true);
  if (type == "StripAccents") return std::make_unique<StripAccentsNormalizer>();
  if (type == "Strip") {
    for (const char* key : {"strip_left", "strip_right"})
      if (!j.contains(key) || !j[key].is_boolean()) throw ModelError(here + ": '" + key + "' is missing or not true/false");
    return std::make_unique<StripNormalizer>(j["strip_left"].get<bool>(), j["strip_right"].get<bool>());
  }
  if (type == "Precompiled") return makePrecompiledNormalizer(j, here);
  UnicodeForm form{};
  if (parseUnicodeForm(type, form)) return std::make_unique<UnicodeFormNormalizer>(form);
  throw ModelError(here + ": not supported (supported: Sequence, Prepend, Replace, NFC, NFD, NFKC, NFKD, BertNormalizer, Lowercase, StripAccents, "
                         "Strip, Precompiled)");
}

std::unique_ptr<PreTokenizer> makePreTokenizerAt(const Json& j, const std::string& where, PipelineTraits& traits, int depth) {
  if (j.is_null()) return nullptr;
  const std::string type = typeOf(j);
  const std::string here = where + " pre_tokenizer " + (type.empty() ? "(no type)" : quoteForMessage(type, 60));
  if (type == "Sequence") {
    if (depth >= kMaxPipelineDepth)
      throw ModelError(here + ": Sequences nested deeper than " + std::to_string(kMaxPipelineDepth) + " levels");
    if (!j.contains("pretokenizers") || !j["pretokenizers"].is_array()) throw ModelError(here + ": 'pretokenizers' is not a list");
    auto seq = std::make_unique<SequencePreTokenizer>();
    for (const auto& step : j["pretokenizers"]) {
      auto p = makePreTokenizerAt(step, where, traits, depth + 1);
      if (p) seq->steps.push_back(std::move(p));
    }
    return seq;
  }
  if (type == "ByteLevel") {
    traits.byte_level = true;
    return std::make_unique<ByteLevelPreTokenizer>(boolField(j, "add_prefix_space", true, here), boolField(j, "use_regex", true, here));
  }
  if (type == "Split") {
    if (!j.contains("pattern")) throw ModelError(here + ": 'pattern' is missing");
    return std::make_unique<SplitPreTokenizer>(makePattern(j["pattern"], here), parseBehavior(j, here), boolField(j, "invert", false, here));
  }
  if (type == "Metaspace") {
    // Hugging Face reads the replacement as one char (one code point).
    const std::string replacement = insertedField(j, "replacement", here);
    if (replacement.empty() || validUtf8SequenceLength(replacement, 0) != replacement.size())
      throw ModelError(here + ": 'replacement' is not one character");
    const bool addPrefixSpace = boolField(j, "add_prefix_space", true, here);
    MetaspacePreTokenizer::Prepend prepend = addPrefixSpace ? MetaspacePreTokenizer::Prepend::Always : MetaspacePreTokenizer::Prepend::Never;
    if (j.contains("prepend_scheme") && !j["prepend_scheme"].is_null()) {
      const std::string scheme = j["prepend_scheme"].is_string() ? j["prepend_scheme"].get<std::string>() : "";
      if (scheme == "always")
        prepend = MetaspacePreTokenizer::Prepend::Always;
      else if (scheme == "first")
        prepend = MetaspacePreTokenizer::Prepend::First;
      else if (scheme == "never")
        prepend = MetaspacePreTokenizer::Prepend::Never;
      else
        throw ModelError(here + ": prepend_scheme '" + scheme + "' is not always, first or never");
      if (!addPrefixSpace && prepend != MetaspacePreTokenizer::Prepend::Never)
        throw ModelError(here + ": add_prefix_space false does not match prepend_scheme '" + scheme + "'");
    }
    traits.space_marker = replacement;
    return std::make_unique<MetaspacePreTokenizer>(replacement, prepend, boolField(j, "split", true, here));
  }
  if (type == "Digits") return std::make_unique<DigitsPreTokenizer>(boolField(j, "individual_digits", false, here));
  if (type == "BertPreTokenizer") return std::make_unique<BertPreTokenizer>();
  if (type == "WhitespaceSplit") return std::make_unique<WhitespaceSplitPreTokenizer>();
  throw ModelError(here + ": not supported (supported: Sequence, ByteLevel, Split, Metaspace, Digits, BertPreTokenizer, WhitespaceSplit)");
}

}  // namespace

std::unique_ptr<Normalizer> makeNormalizer(const Json& j, const std::string& where, PipelineTraits& traits) {
  return makeNormalizerAt(j, where, traits, 0);
}

std::unique_ptr<PreTokenizer> makePreTokenizer(const Json& j, const std::string& where, PipelineTraits& traits) {
  return makePreTokenizerAt(j, where, traits, 0);
}

std::unique_ptr<Normalizer> makeBertNormalizer(bool lowercase, bool strip_accents, bool chinese_chars) {
  return std::make_unique<BertNormalizer>(true, chinese_chars, strip_accents, lowercase);
}

std::unique_ptr<PreTokenizer> makeBertPreTokenizer() { return std::make_unique<BertPreTokenizer>(); }

std::unique_ptr<PreTokenizer> makeGpt2PreTokenizer(PipelineTraits& traits) {
  traits.byte_level = true;
  return std::make_unique<ByteLevelPreTokenizer>(false, true);
}

}  // namespace attnviz::model
