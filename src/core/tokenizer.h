// Word-level tokenizer of the simulated model. Needs no GL context.
//
// Tokens are words (runs of Unicode letters/digits, keeping inner apostrophes and hyphens as in
// "didn't" and "state-of-the-art") and single punctuation marks; whitespace is dropped. CJK
// ideographs and kana are one token each (those scripts do not separate words by spaces).
// Invalid UTF-8 bytes become U+FFFD in the token text; spans still refer to the input bytes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace attnviz {

struct Token {
  std::string text;        // valid UTF-8
  std::size_t byte_begin;  // span in the input, [byte_begin, byte_end)
  std::size_t byte_end;
};

std::vector<Token> tokenize(std::string_view utf8);

// Lower-cased copy (ASCII and Latin-1/Latin Extended-A letters) for lexicon look-ups.
std::string lowerCase(std::string_view utf8);

// Decodes UTF-8 to code points, replacing each invalid byte with U+FFFD.
std::u32string decodeUtf8(std::string_view utf8);
// Valid UTF-8: each invalid byte replaced by U+FFFD (labels and titles from files and flags).
std::string sanitizeUtf8(std::string_view utf8);
std::string encodeUtf8(char32_t cp);

}  // namespace attnviz
