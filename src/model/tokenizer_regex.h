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
// ByteLevel, the NFC check): kRegexStepsFloor + kRegexStepsPerByte x bytes PCRE2 steps. Every
// match call is charged its match limit (kFirstMatchLimit to begin with; ordinary patterns on
// ordinary text need 1-32) times the start positions it searched; a position that needs more is
// retried alone with 8 times the limit, and so on (see findAll). When the budget is spent the
// encoding is refused. (Catastrophic backtracking such as (a+)+$ on many short runs of 'a' stays
// under PCRE2's own per-match limit at every position, and took unbounded time in total.)
// At ~5 ns a step: under 0.1 s for a 100 KB text, ~10 s for the 16 MiB a text file may have.
inline constexpr std::uint64_t kFirstMatchLimit = 16;
inline constexpr std::uint64_t kRegexStepsFloor = 10'000'000;
inline constexpr std::uint64_t kRegexStepsPerByte = 128;

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
