#include "model/tokenizer_regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>

#include "model/model_error.h"

namespace attnviz::model {

struct UnicodeRegex::Compiled {
  pcre2_code* code = nullptr;
  ~Compiled() {
    if (code) pcre2_code_free(code);
  }
};

UnicodeRegex::UnicodeRegex(const std::string& pattern, bool literal, const std::string& source)
    : compiled_(std::make_unique<Compiled>()), source_(source) {
  // PCRE2_LITERAL refuses PCRE2_UCP (which only changes what classes mean, and a literal has none).
  const std::uint32_t options = literal ? (PCRE2_UTF | PCRE2_LITERAL) : (PCRE2_UTF | PCRE2_UCP);
  int error = 0;
  PCRE2_SIZE errorOffset = 0;
  compiled_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), options, &error,
                                  &errorOffset, nullptr);
  if (!compiled_->code) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error, message, sizeof message);
    throw ModelError(source + ": pattern does not compile at offset " + std::to_string(errorOffset) + ": " +
                     reinterpret_cast<const char*>(message));
  }
  // The JIT makes long texts several times faster; where it is unavailable the interpreter is used.
  pcre2_jit_compile(compiled_->code, PCRE2_JIT_COMPLETE);
}

UnicodeRegex::~UnicodeRegex() = default;

namespace {

// Frees the match data and context however findAll leaves.
struct MatchState {
  pcre2_match_data* data = nullptr;
  pcre2_match_context* context = nullptr;
  ~MatchState() {
    if (data) pcre2_match_data_free(data);
    if (context) pcre2_match_context_free(context);
  }
};

// The interpreter's nesting limit, used where the JIT is unavailable (the JIT has its own stack limit).
constexpr std::uint32_t kDepthLimit = 100'000;

}  // namespace

std::vector<std::pair<std::size_t, std::size_t>> UnicodeRegex::findAll(std::string_view utf8, RegexBudget& budget) const {
  std::vector<std::pair<std::size_t, std::size_t>> matches;
  MatchState state;
  state.data = pcre2_match_data_create_from_pattern(compiled_->code, nullptr);
  state.context = pcre2_match_context_create(nullptr);
  if (!state.data || !state.context) throw ModelError(source_ + ": out of memory for regex match data");
  pcre2_set_depth_limit(state.context, kDepthLimit);
  const auto subject = reinterpret_cast<PCRE2_SPTR>(utf8.data());
  std::size_t start = 0;
  while (start <= utf8.size()) {
    int rc = 0;
    for (std::uint64_t limit = kFirstMatchLimit;; limit *= 8) {
      const bool retry = limit > kFirstMatchLimit;
      const std::uint64_t allowed = retry ? std::min(limit, budget.steps_left) : limit;
      pcre2_set_match_limit(state.context, std::uint32_t(std::min<std::uint64_t>(allowed, 0xFFFFFFFFu)));
      rc = pcre2_match(compiled_->code, subject, utf8.size(), start, PCRE2_NO_UTF_CHECK, state.data, state.context);
      if (retry) budget.steps_left -= allowed;
      if (rc != PCRE2_ERROR_MATCHLIMIT) break;
      if (retry && budget.steps_left == 0)
        throw ModelError(source_ + ": the pattern needs more than " + std::to_string(kRegexStepsFloor / 1'000'000) + " million + " +
                         std::to_string(kRegexStepsPerByte) + " x " + std::to_string(utf8.size()) +
                         " backtracking steps on this text (at byte " + std::to_string(start) +
                         "); a pattern that backtracks catastrophically is refused");
    }
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) {
      PCRE2_UCHAR message[256];
      pcre2_get_error_message(rc, message, sizeof message);
      throw ModelError(source_ + ": regex match failed: " + reinterpret_cast<const char*>(message));
    }
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(state.data);
    const std::size_t begin = ovector[0], end = ovector[1];
    if (end > begin) {
      matches.emplace_back(begin, end);
      start = end;
    } else {
      // An empty match: step over one whole code point so the next search starts on a boundary.
      if (begin >= utf8.size()) break;
      std::size_t next = begin + 1;
      while (next < utf8.size() && (static_cast<unsigned char>(utf8[next]) & 0xC0) == 0x80) ++next;
      start = next;
    }
  }
  return matches;
}

}  // namespace attnviz::model
