// libFuzzer target: BERT's vocab.txt, optionally followed by a line "@@@@" and a
// tokenizer_config.json, then encoding a few fixed texts with the WordPiece tokenizer it makes.
// Contract (model/tokenizer_model.h): ModelError with one line for anything it cannot use; an
// encoding's arrays agree in length and its spans lie inside the text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fuzz_model_support.h"
#include "model/model_error.h"
#include "model/tokenizer_model.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t cut = input.find("\n@@@@\n");
  const std::string_view vocab = input.substr(0, cut);
  const std::string_view config = cut == std::string_view::npos ? std::string_view() : input.substr(cut + 6);
  try {
    const auto tokenizer = attnviz::model::ModelTokenizer::fromVocabTxt(vocab, config);
    attnviz::fuzz::encodeSamples(tokenizer);
  } catch (const attnviz::model::ModelError& e) {
    if (std::string_view(e.what()).find('\n') != std::string_view::npos) std::abort();
  }
  return 0;
}
