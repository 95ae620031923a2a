// The pytorch_model.bin files tests/model/torch_files.py writes without torch (a valid one and the
// hostile ones), generated once per version of the script into a folder under /tmp shared by the
// test processes (tiny_models.h's generatedOnce). Needs /usr/bin/python3.
#pragma once

#include <string>

#include "tiny_models.h"

namespace attnviz::testing {

// The folder, or "" (and a message on stderr) when the script failed.
inline std::string torchFilesDir() {
  static const std::string dir = [] {
    const std::string script = std::string(ATTNVIZ_TEST_DIR) + "/model/torch_files.py";
    const std::size_t key = std::hash<std::string>{}(readWholeFile(script));
    return generatedOnce("/tmp/attnviz_torch_files_" + std::to_string(key), "/usr/bin/python3 " + script);
  }();
  return dir;
}

}  // namespace attnviz::testing
