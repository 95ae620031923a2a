// libFuzzer target: GPT-2's merges.txt, parsed and then applied with a small fixed byte-level
// vocabulary (every byte, plus a few merged pieces) to encode fixed texts.
// Contract (model/tokenizer_bpe.h): ModelError with one line, or merges that encode consistently.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "model/model_error.h"
#include "model/tokenizer_bpe.h"
#include "model/tokenizer_model.h"
#include "fuzz_model_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view merges(reinterpret_cast<const char*>(data), size);
  try {
    (void)attnviz::model::parseMergesText(merges, "merges.txt");
    const auto tokenizer =
        attnviz::model::ModelTokenizer::fromVocabAndMerges(attnviz::fuzz::byteLevelVocabJson(), merges);
    attnviz::fuzz::encodeSamples(tokenizer);
  } catch (const attnviz::model::ModelError& e) {
    if (std::string_view(e.what()).find('\n') != std::string_view::npos) std::abort();
  }
  return 0;
}
