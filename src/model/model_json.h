// Limits on the JSON of model files (config.json, tokenizer.json, tokenizer_config.json, vocab.json,
// the safetensors index and header), checked by one linear scan of the bytes BEFORE nlohmann turns
// them into objects: the parse itself, copies and destruction of a document are recursive or cost
// ~40-80 bytes per value, so a small file of nested or empty arrays could otherwise exhaust the
// stack or the memory. Real model files nest at most ~6 levels.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace attnviz::model {

inline constexpr std::size_t kMaxJsonDepth = 64;

// Throws ModelError "<file>: JSON nested deeper than 64 levels (at byte N)" or "<file>: JSON has
// more than maxValues values" (values are counted as containers plus separators, outside strings).
// Text that is not JSON passes when it breaks neither limit; the parser refuses it afterwards.
void checkJsonLimits(std::string_view text, const std::string& file, std::size_t maxValues);

}  // namespace attnviz::model
