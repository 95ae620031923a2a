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
  // PCRE2_USE_OFFSET_LIMIT: findAll bounds how far one call may search (see there).
  const std::uint32_t options = PCRE2_USE_OFFSET_LIMIT | (literal ? (PCRE2_UTF | PCRE2_LITERAL) : (PCRE2_UTF | PCRE2_UCP));
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
  const std::size_t n = utf8.size();
  // The JIT applies the match limit to each start position, so one call may scan the whole text
  // at up to `limit` steps a position. Each call therefore also gets a window of start positions
  // (PCRE2's offset limit) and is charged limit x the positions it covered. The window starts at
  // one position after a match and doubles while nothing matches in it, so patterns that match
  // rarely need few calls; a position that needs more than the limit is found by going back to a
  // window of one, where the limit grows 8-fold until the match completes or the budget is spent.
  std::uint64_t limit = kFirstMatchLimit;
  std::size_t window = 1, start = 0;
  const auto charge = [&](std::uint64_t positions) {
    const std::uint64_t cost = limit * positions;
    if (cost > budget.steps_left) {
      budget.steps_left = 0;
      throw ModelError(source_ + ": the pattern needs more than " + std::to_string(kRegexStepsFloor / 1'000'000) + " million + " +
                       std::to_string(kRegexStepsPerByte) + " x " + std::to_string(n) +
                       " backtracking steps on this text (near byte " + std::to_string(start) +
                       "); a pattern that backtracks catastrophically is refused");
    }
    budget.steps_left -= cost;
  };
  while (start <= n) {
    const std::size_t positions = std::min(window, n - start + 1);
    pcre2_set_match_limit(state.context, std::uint32_t(std::min<std::uint64_t>(limit, 0xFFFFFFFFu)));
    pcre2_set_offset_limit(state.context, positions == n - start + 1 ? PCRE2_UNSET : PCRE2_SIZE(start + positions - 1));
    const int rc = pcre2_match(compiled_->code, subject, n, start, PCRE2_NO_UTF_CHECK, state.data, state.context);
    if (rc == PCRE2_ERROR_MATCHLIMIT) {
      charge(positions);
      if (positions > 1)
        window = 1;
      else
        limit *= 8;
      continue;
    }
    if (rc == PCRE2_ERROR_NOMATCH) {
      charge(positions);
      if (positions == n - start + 1) break;
      start += positions;  // no match starts before here; step to the next code point
      while (start < n && (static_cast<unsigned char>(utf8[start]) & 0xC0) == 0x80) ++start;
      window *= 2;
      limit = kFirstMatchLimit;
      continue;
    }
    if (rc < 0) {
      PCRE2_UCHAR message[256];
      pcre2_get_error_message(rc, message, sizeof message);
      throw ModelError(source_ + ": regex match failed: " + reinterpret_cast<const char*>(message));
    }
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(state.data);
    const std::size_t begin = ovector[0], end = ovector[1];
    charge(begin - start + 1);
    window = 1;
    limit = kFirstMatchLimit;
    if (end > begin) {
      matches.emplace_back(begin, end);
      start = end;
    } else {
      // An empty match: step over one whole code point so the next search starts on a boundary.
      if (begin >= n) break;
      std::size_t next = begin + 1;
      while (next < n && (static_cast<unsigned char>(utf8[next]) & 0xC0) == 0x80) ++next;
      start = next;
    }
  }
  return matches;
}

}  // namespace attnviz::model
