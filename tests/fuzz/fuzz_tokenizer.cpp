// libFuzzer target: the word tokenizer and the UTF-8 helpers behind it.
// Invariants checked (a violation aborts, which libFuzzer reports as a crash): spans lie inside the
// input, in order and without overlap; every token's text is valid UTF-8 and not empty;
// sanitizeUtf8 is idempotent and agrees with decodeUtf8 + encodeUtf8.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::size_t previous_end = 0;
  for (const attnviz::Token& token : attnviz::tokenize(text)) {
    if (token.byte_begin < previous_end || token.byte_end <= token.byte_begin || token.byte_end > size) std::abort();
    if (token.text.empty() || attnviz::sanitizeUtf8(token.text) != token.text) std::abort();
    previous_end = token.byte_end;
  }
  const std::string clean = attnviz::sanitizeUtf8(text);
  if (attnviz::sanitizeUtf8(clean) != clean) std::abort();
  std::string reencoded;
  for (char32_t cp : attnviz::decodeUtf8(text)) reencoded += attnviz::encodeUtf8(cp);
  if (reencoded != clean) std::abort();
  const std::string lower = attnviz::lowerCase(clean);
  if (attnviz::sanitizeUtf8(lower) != lower) std::abort();
  return 0;
}
