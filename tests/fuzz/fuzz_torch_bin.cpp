// libFuzzer target: pytorch_model.bin, the zip container (libzip) and the weights-only unpickler.
// An input that starts like a zip archive is opened as a whole checkpoint and every readable
// tensor's storage is read; any other input goes to the unpickler as a data.pkl.
// Contract (model/torch_checkpoint.h, model/torch_pickle.h): it reads or throws ModelError with one
// line; every tensor it accepts lies inside the storage bytes it reads, and is contiguous.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "model/model_error.h"
#include "model/torch_checkpoint.h"
#include "model/torch_pickle.h"

namespace {

void checkOneLine(const attnviz::model::ModelError& e) {
  if (std::string_view(e.what()).find('\n') != std::string_view::npos) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace attnviz::model;
  if (size >= 2 && std::memcmp(data, "PK", 2) == 0) {
    try {
      const auto checkpoint = TorchCheckpoint::fromBytes(data, size, "fuzz.bin");
      for (const auto& [name, info] : checkpoint->tensors()) {
        if (info.begin > info.end || std::uint64_t(info.elements()) * std::uint64_t(dtypeBytes(info.dtype)) != info.end - info.begin)
          std::abort();
        try {
          const auto storage = checkpoint->storageOf(name, false);
          if (info.end > storage->size()) std::abort();
        } catch (const ModelError& e) {
          checkOneLine(e);
        }
      }
    } catch (const ModelError& e) {
      checkOneLine(e);
    }
    return 0;
  }
  try {
    for (const PickledTensor& t : readTorchPickle(data, size, "fuzz.pkl"))
      if (t.shape.size() != t.stride.size() || torchStorageElementBytes(t.storage_type) == 0) std::abort();
  } catch (const ModelError& e) {
    checkOneLine(e);
  }
  return 0;
}
