// libFuzzer target: the safetensors header check (length field, JSON, dtypes, shapes, offsets).
// Contract (model/safetensors.h): the input as a whole file either validates or throws ModelError
// with one line; every tensor of a validated header lies inside the file's data section.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "model/model_error.h"
#include "model/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  attnviz::model::SafetensorsHeader header;
  try {
    header = attnviz::model::parseSafetensorsHeader(data, size, size, "fuzz.safetensors");
  } catch (const attnviz::model::ModelError& e) {
    if (std::string_view(e.what()).find('\n') != std::string_view::npos) std::abort();
    return 0;
  }
  for (const auto& [name, tensor] : header.tensors) {
    if (tensor.begin > tensor.end || header.data_offset + tensor.end > size) std::abort();
    if (std::uint64_t(tensor.elements()) * attnviz::model::dtypeBytes(tensor.dtype) != tensor.end - tensor.begin)
      std::abort();
  }
  return 0;
}
