// Unicode normalisation forms as tokenizers define them (NFC, NFD, NFKC, NFKD), through utf8proc
// (Debian's libutf8proc: Unicode's own decomposition and composition data, not a table of ours).
#pragma once

#include <string>
#include <string_view>

namespace attnviz::model {

enum class UnicodeForm { nfc, nfd, nfkc, nfkd };

// Parses "NFC", "NFD", "NFKC" or "NFKD" (the names tokenizer.json uses); false for anything else.
bool parseUnicodeForm(std::string_view name, UnicodeForm& form);
const char* unicodeFormName(UnicodeForm form);

// `utf8` in the normalisation form. Throws ModelError naming `where` when the text is not valid
// UTF-8 (the tokenizers reject it the same way).
std::string normalizeUnicode(std::string_view utf8, UnicodeForm form, const std::string& where);

// The text with combining marks (general category Mn) removed, as BertNormalizer's strip_accents
// does after NFD.
std::string removeNonspacingMarks(std::string_view utf8, const std::string& where);

}  // namespace attnviz::model
