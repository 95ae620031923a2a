#include "core/strict_number.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>

namespace attnviz {
namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// Syntax only: -?digits(.digits?)?([eE][+-]?digits)? or -?.digits(...). Sets *nonzero_mantissa.
bool decimalSyntax(std::string_view t, bool* nonzero_mantissa) {
  std::size_t i = 0;
  if (i < t.size() && t[i] == '-') ++i;
  std::size_t digits = 0;
  *nonzero_mantissa = false;
  for (; i < t.size() && isDigit(t[i]); ++i, ++digits) *nonzero_mantissa |= t[i] != '0';
  if (i < t.size() && t[i] == '.') {
    ++i;
    for (; i < t.size() && isDigit(t[i]); ++i, ++digits) *nonzero_mantissa |= t[i] != '0';
  }
  if (digits == 0) return false;
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    std::size_t exp_digits = 0;
    for (; i < t.size() && isDigit(t[i]); ++i) ++exp_digits;
    if (exp_digits == 0) return false;
  }
  return i == t.size();
}

}  // namespace

std::string decimalProblem(std::string_view text) {
  bool nonzero = false;
  if (!decimalSyntax(text, &nonzero)) return "is not a decimal number";
  const std::string copy(text);
  errno = 0;
  char* end = nullptr;
  const double x = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size()) return "is not a decimal number";
  if (!std::isfinite(x)) return "is out of range";
  if (x == 0.0 && nonzero) return "is out of range (too small to tell from 0)";
  return "";
}

std::optional<double> parseDecimal(std::string_view text) {
  if (!decimalProblem(text).empty()) return std::nullopt;
  return std::strtod(std::string(text).c_str(), nullptr);
}

std::optional<std::int64_t> parseDecimalInteger(std::string_view text, std::int64_t min, std::int64_t max) {
  std::size_t i = 0;
  const bool negative = !text.empty() && text[0] == '-';
  if (negative) ++i;
  if (i == text.size()) return std::nullopt;
  // Magnitudes up to 2^63 fit an unsigned accumulator; anything longer than 19 digits is out of range.
  std::uint64_t magnitude = 0;
  for (; i < text.size(); ++i) {
    if (!isDigit(text[i])) return std::nullopt;
    if (magnitude > (UINT64_MAX - 9) / 10) return std::nullopt;
    magnitude = magnitude * 10 + std::uint64_t(text[i] - '0');
  }
  if (!negative && magnitude > std::uint64_t(INT64_MAX)) return std::nullopt;
  if (negative && magnitude > std::uint64_t(INT64_MAX) + 1) return std::nullopt;
  const std::int64_t value = negative ? std::int64_t(0 - magnitude) : std::int64_t(magnitude);
  if (value < min || value > max) return std::nullopt;
  return value;
}

}  // namespace attnviz
