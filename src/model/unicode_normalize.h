// Unicode normalisation forms as tokenizers define them (NFC, NFD, NFKC, NFKD), through utf8proc
// (Debian's libutf8proc: Unicode's own decomposition and composition data, not a table of ours).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace attnviz::model {

enum class UnicodeForm { nfc, nfd, nfkc, nfkd };

// Parses "NFC", "NFD", "NFKC" or "NFKD" (the names tokenizer.json uses); false for anything else.
bool parseUnicodeForm(std::string_view name, UnicodeForm& form);
const char* unicodeFormName(UnicodeForm form);

// `utf8` in the normalisation form. Throws ModelError naming `where` when the text is not valid
// UTF-8 (the tokenizers reject it the same way).
std::string normalizeUnicode(std::string_view utf8, UnicodeForm form, const std::string& where);

// Byte offsets where `utf8` may be cut so that normalising each piece on its own gives the
// normalisation of the whole: before every code point that no normalisation form attaches to what
// precedes it (canonical combining class 0, not a mark, not a Hangul vowel or final jamo). Always
// starts with 0 for non-empty text. Throws ModelError naming `where` for invalid UTF-8.
std::vector<std::size_t> normalizationSegmentStarts(std::string_view utf8, const std::string& where);

// Byte offsets where the extended grapheme clusters of `utf8` start (UAX #29, utf8proc's rules,
// as Rust's unicode-segmentation `graphemes(true)` gives them to Hugging Face's Precompiled
// normalizer). Starts with 0 for non-empty text. Throws ModelError naming `where` for invalid UTF-8.
std::vector<std::size_t> graphemeStarts(std::string_view utf8, const std::string& where);

// The text with combining marks (general category Mn) removed, as BertNormalizer's strip_accents
// does after NFD.
std::string removeNonspacingMarks(std::string_view utf8, const std::string& where);

// Character classes as BERT's normalizer and pre-tokenizer read them (Hugging Face tokenizers'
// bert.rs), from utf8proc's Unicode data: White_Space (category Zs, Zl, Zp, and U+0009..U+000D,
// U+0085); "other" (Cc, Cf, Cn, Co, Cs); punctuation (any P category, which holds all of ASCII's
// punctuation but $ + < = > ^ ` | ~, added as Rust's is_ascii_punctuation does); Chinese
// ideographs (the CJK blocks BERT names).
bool isUnicodeWhitespace(char32_t cp);
bool isUnicodeOther(char32_t cp);
bool isBertPunctuation(char32_t cp);
bool isCjkIdeograph(char32_t cp);
// The full lowercase of one code point as UTF-8 (Unicode's lowercase mapping; U+0130 becomes
// "i" + U+0307, its one unconditional multi-character lowercase).
std::string lowercaseCodePoint(char32_t cp);

}  // namespace attnviz::model
