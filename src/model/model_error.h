// The one error type of the model layer (safetensors, config, tokenizers, model paths, forward).
// Its message is a single line naming the file, tensor or field and what is wrong with it, so the
// CLI can print it as is and exit 2. The constructor makes sure of that whatever the message holds
// (parts of it come from files): control characters are escaped (oneLine) and the message is cut
// at kMaxModelErrorBytes. Callers quote file-derived parts with quoteForMessage (200 bytes).
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

#include "core/input_file.h"

namespace attnviz::model {

inline constexpr std::size_t kMaxModelErrorBytes = 2000;

class ModelError : public std::runtime_error {
 public:
  explicit ModelError(const std::string& message) : std::runtime_error(quoteForMessage(message, kMaxModelErrorBytes)) {}
};

}  // namespace attnviz::model
