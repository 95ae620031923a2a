// Text helpers of the model tokenizers: text that remembers where each of its bytes came from in
// the user's input (so tokens keep byte spans through normalisation), UTF-8 decoding, GPT-2's
// byte-to-unicode table, and the readable labels shown to people.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace attnviz::model {

// A piece of text inside the tokenizer pipeline. Byte i of `text` came from input bytes
// [origin_begin[i], origin_end[i]); inserted bytes (a prepended "▁") have an empty span.
struct AlignedText {
  std::string text;
  std::vector<std::uint32_t> origin_begin, origin_end;

  // The input itself; `offset` is where it starts in the whole input.
  static AlignedText fromInput(std::string_view input, std::size_t offset);
  AlignedText slice(std::size_t begin, std::size_t end) const;  // bytes [begin, end)
  void append(const AlignedText& other);
  void prepend(std::string_view inserted);
  // Every occurrence of `from` (non-empty) replaced by `to`; the new bytes take the span of what they replace.
  void replaceAll(std::string_view from, std::string_view to);
  // Input span of bytes [begin, end) of this text.
  std::pair<std::size_t, std::size_t> originSpan(std::size_t begin, std::size_t end) const;
  bool empty() const { return text.empty(); }
};

// Length of the UTF-8 sequence starting at s[i] if it is valid there, else 0.
std::size_t validUtf8SequenceLength(std::string_view s, std::size_t i);
// Offset of the first byte that is not valid UTF-8, or nullopt when all of it is.
std::optional<std::size_t> firstInvalidUtf8(std::string_view s);
// Decodes the valid sequence at s[i] of length n (n from validUtf8SequenceLength).
char32_t decodeUtf8At(std::string_view s, std::size_t i, std::size_t n);
std::string utf8Encode(char32_t cp);

// GPT-2's reversible map from bytes to printable code points: printable Latin-1 bytes map to
// themselves, the rest to U+0100 upwards in byte order (so a space is 'Ġ', a newline 'Ċ').
class ByteLevelAlphabet {
 public:
  static const ByteLevelAlphabet& instance();
  const std::string& encode(std::uint8_t byte) const { return utf8_[byte]; }
  // The byte a code point stands for, or -1 when it is not in the alphabet.
  int decode(char32_t cp) const { return cp < decode_.size() ? decode_[cp] : -1; }

 private:
  ByteLevelAlphabet();
  std::array<std::string, 256> utf8_;
  std::array<int, 512> decode_;
};

// A token's bytes as people should read them: valid UTF-8 is kept, a space shows as '·', a
// newline as '↵', a tab as '⇥', a carriage return as '␍'; other control bytes and bytes that do not
// form valid UTF-8 (half of an emoji split over two tokens) show as "<0xE2>".
std::string readableLabel(std::string_view bytes);

}  // namespace attnviz::model
