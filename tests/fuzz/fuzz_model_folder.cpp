// libFuzzer target: a whole model folder. The input is cut at each line "@@@@" into config.json,
// tokenizer.json, tokenizer_config.json and model.safetensors (missing parts are absent files);
// they are written into a scratch folder and read by the folder readers the CLI uses
// (loadModelConfig, ModelTokenizer::fromDirectory, WeightStore::openDirectory).
// Contract (issue 17): every refusal is a ModelError of one line without raw control characters
// and at most kMaxModelErrorBytes (+ the "…"); a config that loads has its bos_token_id inside its
// vocabulary; a tokenizer that loads encodes consistently; loaded weights lie inside their file.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_model_support.h"
#include "model/model_config.h"
#include "model/model_error.h"
#include "model/safetensors.h"
#include "model/tokenizer_model.h"

namespace {

namespace fs = std::filesystem;

const fs::path& folder() {
  static const fs::path dir = [] {
    char tmpl[] = "/tmp/attnviz_fuzz_model_XXXXXX";
    return fs::path(mkdtemp(tmpl));
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace attnviz::model;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  static const char* const names[] = {"config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors"};
  std::vector<std::string_view> parts;
  for (std::size_t at = 0; parts.size() < 4;) {
    const std::size_t cut = input.find("\n@@@@\n", at);
    parts.push_back(input.substr(at, cut == std::string_view::npos ? std::string_view::npos : cut - at));
    if (cut == std::string_view::npos) break;
    at = cut + 6;
  }
  const fs::path dir = folder();
  for (std::size_t i = 0; i < 4; ++i) {
    std::error_code ec;
    fs::remove(dir / names[i], ec);
    if (i < parts.size()) std::ofstream(dir / names[i], std::ios::binary) << parts[i];
  }
  std::optional<ModelConfig> config;
  try {
    config = loadModelConfig((dir / "config.json").string());
    if (config->bos_token_id >= config->vocab_size) std::abort();
  } catch (const ModelError& e) {
    attnviz::fuzz::checkModelErrorMessage(e);
  }
  try {
    const ModelTokenizer tokenizer = ModelTokenizer::fromDirectory(dir);
    attnviz::fuzz::encodeSamples(tokenizer);
  } catch (const ModelError& e) {
    attnviz::fuzz::checkModelErrorMessage(e);
  }
  try {
    const WeightStore store = WeightStore::openDirectory(dir.string());
    for (const std::string& name : store.names()) {
      const TensorInfo& info = store.info(name);
      if (info.begin > info.end) std::abort();
    }
  } catch (const ModelError& e) {
    attnviz::fuzz::checkModelErrorMessage(e);
  }
  return 0;
}
