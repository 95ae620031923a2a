#include "model/model_json.h"

#include "model/model_error.h"

namespace attnviz::model {

void checkJsonLimits(std::string_view text, const std::string& file, std::size_t maxValues) {
  std::size_t depth = 0, values = 1;
  bool inString = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (inString) {
      if (c == '\\')
        ++i;  // the escaped character cannot end the string
      else if (c == '"')
        inString = false;
      continue;
    }
    switch (c) {
      case '"': inString = true; break;
      case '[':
      case '{':
        if (++depth > kMaxJsonDepth)
          throw ModelError(file + ": JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels (at byte " +
                           std::to_string(i) + "); real model files nest a few levels");
        [[fallthrough]];
      case ',':
        if (++values > maxValues)
          throw ModelError(file + ": JSON has more than " + std::to_string(maxValues) + " values (at byte " + std::to_string(i) +
                           "), more than any real model file of its kind");
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;
        break;
      default: break;
    }
  }
}

}  // namespace attnviz::model
