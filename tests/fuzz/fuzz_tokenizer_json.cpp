// libFuzzer target: a Hugging Face tokenizer.json (model, normalizer, pre-tokenizer, added
// tokens), then encoding a few fixed texts with whatever tokenizer it describes.
// Contract (model/tokenizer_model.h): ModelError with one line for anything it cannot use; an
// encoding's arrays agree in length and its spans lie inside the text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "model/model_error.h"
#include "model/tokenizer_model.h"
#include "fuzz_model_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  try {
    const auto tokenizer = attnviz::model::ModelTokenizer::fromTokenizerJson(json);
    attnviz::fuzz::encodeSamples(tokenizer);
  } catch (const attnviz::model::ModelError& e) {
    if (std::string_view(e.what()).find('\n') != std::string_view::npos) std::abort();
  }
  return 0;
}
