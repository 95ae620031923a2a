// A Unicode regular expression for pre-tokenisation (GPT-2's pattern, the Split patterns of
// Llama 3 / Qwen2 tokenizers): PCRE2 in UTF + UCP mode, so \p{L}, \p{N} and \s mean what they mean
// in Hugging Face's tokenizers. Immutable after construction; safe to use from several threads.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace attnviz::model {

class UnicodeRegex {
 public:
  // `literal`: the pattern is plain text to find, not a regex. `source` names where the pattern
  // comes from ("tokenizer.json pre_tokenizer Split") for the ModelError an invalid pattern throws.
  UnicodeRegex(const std::string& pattern, bool literal, const std::string& source);
  ~UnicodeRegex();
  UnicodeRegex(const UnicodeRegex&) = delete;
  UnicodeRegex& operator=(const UnicodeRegex&) = delete;

  // Byte spans [begin, end) of the successive non-overlapping, non-empty matches in valid UTF-8 text.
  std::vector<std::pair<std::size_t, std::size_t>> findAll(std::string_view utf8) const;

 private:
  struct Compiled;
  std::unique_ptr<Compiled> compiled_;
  std::string source_;
};

}  // namespace attnviz::model
