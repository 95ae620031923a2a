// libFuzzer target: resolving a model name in a Hugging Face cache and its sharded index. The input
// is cut at the first line "@@@@" into refs/main and model.safetensors.index.json; the snapshot the
// refs should name (and one valid shard, model-00001.safetensors with the tensor "a") exist in a
// scratch cache. resolveModelDirectory("fuzz/model") then WeightStore::openDirectory run on it.
// Contract (issue 17): every refusal is a ModelError of one line without raw control characters
// and at most kMaxModelErrorBytes (+ the "…"); a resolved folder lies inside the cache's snapshots;
// an index that opens lists only tensors the store has.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "fuzz_model_support.h"
#include "model/model_error.h"
#include "model/model_path.h"
#include "model/safetensors.h"

namespace {

namespace fs = std::filesystem;
const char* const kHash = "0123456789abcdef0123456789abcdef01234567";

const fs::path& repo() {
  static const fs::path dir = [] {
    char tmpl[] = "/tmp/attnviz_fuzz_refs_XXXXXX";
    const fs::path hub(mkdtemp(tmpl));
    setenv("HF_HUB_CACHE", hub.c_str(), 1);
    const fs::path r = hub / "models--fuzz--model";
    fs::create_directories(r / "refs");
    fs::create_directories(r / "snapshots" / kHash);
    const std::string header = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    std::string shard(8, '\0');
    shard[0] = char(header.size());
    shard += header + std::string(8, '\0');
    std::ofstream(r / "snapshots" / kHash / "model-00001.safetensors", std::ios::binary) << shard;
    return r;
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace attnviz::model;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t cut = input.find("\n@@@@\n");
  const fs::path r = repo();
  std::ofstream(r / "refs" / "main", std::ios::binary) << input.substr(0, cut);
  const fs::path index = r / "snapshots" / kHash / "model.safetensors.index.json";
  std::error_code ec;
  fs::remove(index, ec);
  if (cut != std::string_view::npos) std::ofstream(index, std::ios::binary) << input.substr(cut + 6);
  try {
    const fs::path dir = resolveModelDirectory("fuzz/model");
    if (dir.parent_path() != r / "snapshots") std::abort();
    const WeightStore store = WeightStore::openDirectory(dir.string());
    for (const std::string& name : store.names()) (void)store.info(name);
  } catch (const ModelError& e) {
    attnviz::fuzz::checkModelErrorMessage(e);
  }
  return 0;
}
