// libFuzzer target: the .npy reader, then the two converters that consume its arrays.
// Contract under test: any bytes either parse or throw NpyError (one line naming the file); a parsed
// array's element count matches its shape.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  attnviz::NpyArray array;
  try {
    array = attnviz::parseNpy(bytes, "fuzz.npy");
  } catch (const attnviz::NpyError& e) {
    if (std::string_view(e.what()).find('\n') != std::string_view::npos) std::abort();  // one line
    return 0;
  }
  std::size_t count = 1;
  for (std::size_t extent : array.shape) count *= extent;
  if (count != array.data.size()) std::abort();
  try {
    (void)attnviz::resultFromWeights(array, "fuzz.npy");
  } catch (const attnviz::NpyError&) {
  }
  try {
    (void)attnviz::problemFromArrays(array, "q.npy", array, "k.npy", nullptr, "");
  } catch (const attnviz::NpyError&) {
  }
  return 0;
}
