// The one error type of the model layer (safetensors, config, tokenizers, model paths, forward).
// Its message is a single line naming the file, tensor or field and what is wrong with it, so the
// CLI can print it as is and exit 2.
#pragma once

#include <stdexcept>
#include <string>

namespace attnviz::model {

class ModelError : public std::runtime_error {
 public:
  explicit ModelError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace attnviz::model
