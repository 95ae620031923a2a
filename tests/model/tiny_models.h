// The tiny checkpoints of tiny_models.py and their NumPy reference outputs, generated once per
// version of the generator scripts into a folder under /tmp that every test process shares
// (generated into a private folder, then renamed into place, so parallel tests never see half a
// model). Needs /usr/bin/python3 with numpy (Debian's python3-numpy).
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "core/npy.h"

namespace attnviz::testing {

// Token ids saved by tiny_models.py (as float64 .npy, what attnviz's reader takes).
inline std::vector<int> idsFromNpy(const std::string& path) {
  std::vector<int> ids;
  for (float v : readNpy(path).data) ids.push_back(int(v));
  return ids;
}
inline std::vector<int> referenceIds(const std::string& dir) { return idsFromNpy(dir + "/ref_ids.npy"); }

inline std::string readWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Folder holding the checkpoints tiny_models.py writes (gpt2_plain, bert_mlm_f32, bart_f32, ...); empty
// string (and a message on stderr) when generation failed.
// Runs `command DIR` into a fresh folder and renames it to final_dir, unless final_dir is already
// complete (several test processes may race; the first rename wins). Empty string on failure.
inline std::string generatedOnce(const std::string& final_dir, const std::string& command) {
  namespace fs = std::filesystem;
  if (fs::exists(final_dir + "/done")) return final_dir;
  char tmpl[] = "/tmp/attnviz_generated_tmp_XXXXXX";
  const std::string work = mkdtemp(tmpl);
  const std::string cmd = command + " " + work + " >/dev/null";
  if (std::system(cmd.c_str()) != 0) {
    std::fprintf(stderr, "test data generator failed: %s\n", cmd.c_str());
    return std::string();
  }
  std::ofstream(work + "/done") << "ok\n";
  std::error_code ec;
  fs::rename(work, final_dir, ec);
  if (ec) fs::remove_all(work, ec);  // another test process got there first
  return final_dir;
}

inline std::string tinyModelsDir() {
  namespace fs = std::filesystem;
  static const std::string dir = [] {
    const std::string scripts = std::string(ATTNVIZ_TEST_DIR) + "/model/";
    std::string scripts_text;
    for (const char* f : {"tiny_models.py", "tiny_gemma.py", "reference_forward.py", "reference_gemma.py", "torch_twins.py"})
      scripts_text += readWholeFile(scripts + f);
    const std::size_t key = std::hash<std::string>{}(scripts_text);
    return generatedOnce("/tmp/attnviz_tiny_models_" + std::to_string(key), "/usr/bin/python3 " + scripts + "tiny_models.py");
  }();
  return dir;
}

// One checkpoint of tinyModelsDir(), or "" when the generator failed (REQUIRE_TINY_MODELS says so).
inline std::string tinyModel(const std::string& name) {
  const std::string dir = tinyModelsDir();
  return dir.empty() ? std::string() : dir + "/" + name;
}

#define REQUIRE_TINY_MODELS() \
  ASSERT_FALSE(::attnviz::testing::tinyModelsDir().empty()) << "tiny_models.py could not write the checkpoints"

// The committed model assets/models/<name> (trained by scripts/train-demo-models.py).
inline std::string shippedModelDir(const std::string& name) { return std::string(ATTNVIZ_TEST_DIR) + "/../assets/models/" + name; }

// What `tiny_models.py --shipped` writes for a shipped model: <dir>/shipped, a copy with the NumPy
// references and the Python BPE's ids.
// Regenerated when the generator scripts or the model's files change; empty string on failure.
inline std::string shippedModelRefsDir(const std::string& name) {
  namespace fs = std::filesystem;
  const std::string scripts = std::string(ATTNVIZ_TEST_DIR) + "/model/";
  const std::string model = shippedModelDir(name);
  const std::size_t key = std::hash<std::string>{}(readWholeFile(scripts + "tiny_models.py") + readWholeFile(scripts + "reference_forward.py") +
                                                   readWholeFile(model + "/model.safetensors") + readWholeFile(model + "/config.json") +
                                                   readWholeFile(model + "/vocab.json") + readWholeFile(model + "/merges.txt") +
                                                   readWholeFile(model + "/source.spm") + readWholeFile(model + "/alignment_test.json"));
  return generatedOnce("/tmp/attnviz_shipped_" + name + "_" + std::to_string(key),
                       "/usr/bin/python3 " + scripts + "tiny_models.py --shipped '" + model + "'");
}

}  // namespace attnviz::testing
