#include "model/tokenizer_precompiled.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "model/model_error.h"
#include "model/unicode_normalize.h"

namespace attnviz::model {

std::string decodeBase64(std::string_view text, const std::string& where) {
  const auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  if (text.size() % 4 != 0) throw ModelError(where + ": not base64 (its length " + std::to_string(text.size()) + " is not a multiple of 4)");
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    const int pad = last ? (text[i + 3] == '=') + (text[i + 2] == '=' && text[i + 3] == '=') : 0;
    std::uint32_t group = 0;
    for (int k = 0; k < 4; ++k) {
      const int v = k >= 4 - pad ? 0 : value(text[i + std::size_t(k)]);
      if (v < 0) throw ModelError(where + ": not base64 (byte " + std::to_string(i + std::size_t(k)) + ")");
      group = group << 6 | std::uint32_t(v);
    }
    // Non-canonical trailing bits are refused, as the Rust decoder does.
    if ((pad == 1 && (group & 0xFF)) || (pad == 2 && (group & 0xFFFF)))
      throw ModelError(where + ": not base64 (trailing bits at the end)");
    out += char(group >> 16);
    if (pad < 2) out += char(group >> 8 & 0xFF);
    if (pad < 1) out += char(group & 0xFF);
  }
  return out;
}

PrecompiledCharsMap::PrecompiledCharsMap(std::string_view blob, const std::string& where) : where_(where) {
  const auto le32 = [&](std::size_t at) {
    return std::uint32_t(std::uint8_t(blob[at])) | std::uint32_t(std::uint8_t(blob[at + 1])) << 8 |
           std::uint32_t(std::uint8_t(blob[at + 2])) << 16 | std::uint32_t(std::uint8_t(blob[at + 3])) << 24;
  };
  if (blob.size() < 4) throw ModelError(where + ": precompiled_charsmap is " + std::to_string(blob.size()) + " bytes, too short for its trie size");
  // As spm_precompiled parses it: size / 4 units follow, the rest is the replacements.
  const std::size_t count = le32(0) / 4;
  if (count == 0) throw ModelError(where + ": precompiled_charsmap has an empty trie");
  if (count > (blob.size() - 4) / 4)
    throw ModelError(where + ": precompiled_charsmap says its trie is " + std::to_string(count) + " units but holds " +
                     std::to_string((blob.size() - 4) / 4));
  units_.resize(count);
  for (std::size_t i = 0; i < count; ++i) units_[i] = le32(4 + 4 * i);
  normalized_.assign(blob.substr(4 + 4 * count));
  if (const auto bad = firstInvalidUtf8(normalized_))
    throw ModelError(where + ": precompiled_charsmap's replacements are not UTF-8 (byte " + std::to_string(*bad) + ")");
}

std::uint32_t PrecompiledCharsMap::unit(std::uint64_t index) const {
  if (index >= units_.size())
    throw ModelError(where_ + ": precompiled_charsmap's trie points outside itself (unit " + std::to_string(index) + " of " +
                     std::to_string(units_.size()) + ")");
  return units_[std::size_t(index)];
}

std::optional<std::string_view> PrecompiledCharsMap::transform(std::string_view chunk) const {
  // Darts' unit: bit 8 has_leaf, label = bits 0-7 and 31, value = bits 0-30, offset = bits 10-31
  // shifted left by 8 when bit 9 is set.
  const auto offset = [](std::uint64_t u) { return (u >> 10) << ((u & (1u << 9)) >> 6); };
  std::uint64_t pos = offset(unit(0));
  for (const char ch : chunk) {
    const auto c = std::uint8_t(ch);
    if (c == 0) break;
    pos ^= c;
    const std::uint64_t u = unit(pos);
    if ((u & ((1u << 31) | 0xFFu)) != c) return std::nullopt;
    pos ^= offset(u);
    if ((u >> 8) & 1) {
      const std::size_t at = unit(pos) & ((1u << 31) - 1);
      if (at > normalized_.size() || (at < normalized_.size() && (std::uint8_t(normalized_[at]) & 0xC0) == 0x80))
        throw ModelError(where_ + ": precompiled_charsmap points at byte " + std::to_string(at) +
                         ", not the start of a replacement (a damaged file)");
      const std::size_t end = normalized_.find('\0', at);
      return std::string_view(normalized_).substr(at, (end == std::string::npos ? normalized_.size() : end) - at);
    }
  }
  return std::nullopt;
}

namespace {

class PrecompiledNormalizer : public Normalizer {
 public:
  explicit PrecompiledNormalizer(PrecompiledCharsMap map) : map_(std::move(map)) {}
  void apply(AlignedText& text, TokenizerWork& work) const override {
    if (text.empty()) return;
    const std::string where = "tokenizer: its Precompiled normalizer";
    const auto starts = graphemeStarts(text.text, where);
    AlignedText out;
    out.text.reserve(text.text.size());
    const auto put = [&](std::size_t begin, std::size_t end, std::string_view replacement) {
      const auto span = text.originSpan(begin, end);
      out.text += replacement;
      out.origin_begin.insert(out.origin_begin.end(), replacement.size(), static_cast<std::uint32_t>(span.first));
      out.origin_end.insert(out.origin_end.end(), replacement.size(), static_cast<std::uint32_t>(span.second));
    };
    for (std::size_t g = 0; g < starts.size(); ++g) {
      const std::size_t begin = starts[g], end = g + 1 < starts.size() ? starts[g + 1] : text.text.size();
      const std::string_view grapheme(text.text.data() + begin, end - begin);
      if (grapheme.size() < 6) {
        if (const auto whole = map_.transform(grapheme)) {
          put(begin, end, *whole);
          continue;
        }
      }
      for (std::size_t at = begin; at < end;) {
        std::size_t n = validUtf8SequenceLength(text.text, at);
        if (n == 0) n = 1;
        if (const auto one = map_.transform(std::string_view(text.text.data() + at, n)))
          put(at, at + n, *one);
        else
          out.append(text.slice(at, at + n));
        at += n;
      }
      if (out.text.size() > work.max_text_bytes)
        throw ModelError("tokenizer: its Precompiled step would make the text longer than " + std::to_string(work.max_text_bytes) +
                         " bytes (at most " + std::to_string(kNormalizerGrowth) + " x the input + " +
                         std::to_string(kNormalizerSlackBytes) + "); its precompiled_charsmap grows text without bound");
    }
    // Hugging Face records a deletion on the character before it (precompiled.rs), so what the
    // text's first characters lose is lost from the alignment: its first character left then
    // counts from the text's start, which Metaspace's "first" scheme tests.
    if (!out.text.empty() && out.origin_begin.front() != text.origin_begin.front()) {
      const std::size_t n = std::max<std::size_t>(1, validUtf8SequenceLength(out.text, 0));
      for (std::size_t i = 0; i < n && i < out.text.size(); ++i) out.origin_begin[i] = std::min(out.origin_begin[i], text.origin_begin.front());
    }
    text = std::move(out);
  }

 private:
  PrecompiledCharsMap map_;
};

}  // namespace

std::unique_ptr<Normalizer> makePrecompiledNormalizer(const nlohmann::json& j, const std::string& where) {
  if (!j.contains("precompiled_charsmap") || !j["precompiled_charsmap"].is_string())
    throw ModelError(where + ": 'precompiled_charsmap' is missing or not a string");
  const std::string blob = decodeBase64(j["precompiled_charsmap"].get_ref<const std::string&>(), where + " precompiled_charsmap");
  return std::make_unique<PrecompiledNormalizer>(PrecompiledCharsMap(blob, where));
}

}  // namespace attnviz::model
