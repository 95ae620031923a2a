// The one routine attnviz uses to read numbers from text it is given (command-line options, the
// window's flags, deck and settings values given as text). Needs no GL context.
//
// Accepted: an optional '-', decimal digits with an optional fraction and an optional exponent
// ("12", "-0.5", "1e-3", "2.5E+2"). Refused: empty text, spaces, a leading '+', hexadecimal ("0x10"),
// "inf"/"nan", trailing characters, and values beyond double range; a non-zero value too small
// for a double (it would read as 0) is refused too, while tiny values a double holds ("1e-308")
// are accepted. Integers are range-checked, never narrowed silently.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace attnviz {

// The finite value, or nullopt when the text is not such a decimal number.
std::optional<double> parseDecimal(std::string_view text);

// The integer when the text is whole decimal digits (optional '-') within [min, max].
std::optional<std::int64_t> parseDecimalInteger(std::string_view text, std::int64_t min, std::int64_t max);

// Why parseDecimal refused the text ("is not a decimal number", "is out of range"); "" when it is fine.
std::string decimalProblem(std::string_view text);

}  // namespace attnviz
