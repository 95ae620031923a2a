// A Unicode regular expression for pre-tokenisation (GPT-2's pattern, the Split patterns of
// Llama 3 / Qwen2 tokenizers): PCRE2 in UTF + UCP mode, so \p{L}, \p{N} and \s mean what they mean
// in Hugging Face's tokenizers. Immutable after construction; safe to use from several threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace attnviz::model {

// The regex work one text may cost, shared by every pattern its encoding runs (Split, Replace,
// ByteLevel, the NFC check). Each match is first tried with a small PCRE2 match limit
// (kFirstMatchLimit), which ordinary patterns on ordinary text never reach; as a text has at most
// one such try per byte, those cost at most kFirstMatchLimit x (bytes + 1) steps. A match that
// needs more is retried with 8 times the limit, and so on, each retry charged to this budget of
// kRegexStepsFloor + kRegexStepsPerByte x bytes steps; when it is spent the encoding is refused.
// (Catastrophic backtracking such as (a+)+$ on many short runs of 'a' stays under PCRE2's own
// per-match limit at every match, and took unbounded time in total.)
inline constexpr std::uint64_t kFirstMatchLimit = 2000;
inline constexpr std::uint64_t kRegexStepsFloor = 50'000'000;
inline constexpr std::uint64_t kRegexStepsPerByte = 64;

struct RegexBudget {
  explicit RegexBudget(std::size_t textBytes) : steps_left(kRegexStepsFloor + kRegexStepsPerByte * std::uint64_t(textBytes)) {}
  std::uint64_t steps_left;
};

class UnicodeRegex {
 public:
  // `literal`: the pattern is plain text to find, not a regex. `source` names where the pattern
  // comes from ("tokenizer.json pre_tokenizer Split") for the ModelError an invalid pattern throws.
  UnicodeRegex(const std::string& pattern, bool literal, const std::string& source);
  ~UnicodeRegex();
  UnicodeRegex(const UnicodeRegex&) = delete;
  UnicodeRegex& operator=(const UnicodeRegex&) = delete;

  // Byte spans [begin, end) of the successive non-overlapping, non-empty matches in valid UTF-8 text.
  // Retries beyond the first match limit are charged to `budget`; ModelError when it runs out.
  std::vector<std::pair<std::size_t, std::size_t>> findAll(std::string_view utf8, RegexBudget& budget) const;
  // With a budget of its own, for this text alone.
  std::vector<std::pair<std::size_t, std::size_t>> findAll(std::string_view utf8) const {
    RegexBudget budget(utf8.size());
    return findAll(utf8, budget);
  }

 private:
  struct Compiled;
  std::unique_ptr<Compiled> compiled_;
  std::string source_;
};

}  // namespace attnviz::model
