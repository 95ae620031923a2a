// libFuzzer target: T5's spiece.model (a SentencePiece protobuf, read by libsentencepiece),
// optionally followed by a line "@@@@" and a tokenizer_config.json, then encoding a few fixed texts
// with the tokenizer T5Tokenizer's conventions make of it. Contract (model/tokenizer_model.h):
// ModelError with one short line for anything it cannot use; an encoding is self-consistent.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_model_support.h"
#include "model/model_error.h"
#include "model/tokenizer_model.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t cut = input.find("\n@@@@\n");
  const std::string_view spiece = input.substr(0, cut);
  const std::string_view config = cut == std::string_view::npos ? std::string_view() : input.substr(cut + 6);
  try {
    const auto tokenizer = attnviz::model::ModelTokenizer::fromT5SentencePiece(spiece, config);
    attnviz::fuzz::encodeSamples(tokenizer);
  } catch (const attnviz::model::ModelError& e) {
    attnviz::fuzz::checkModelErrorMessage(e);
  }
  return 0;
}
