// pytorch_model.bin (torch_checkpoint.h, torch_pickle.h): the twins that Debian's python3-torch
// writes with torch.save (tests/model/torch_twins.py) give the same maps and logits as their
// safetensors originals, bit for bit (the weights are the same values), and those are the NumPy
// reference's within forward_test.cpp's tolerance; a checkpoint written without torch
// (tests/model/torch_files.py) reads to the values it was written with. The hostile files of
// torch_files.py are in hostile_model_files_test.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/attention.h"
#include "core/npy.h"
#include "model/model_error.h"
#include "model/model_session.h"
#include "model/safetensors.h"
#include "model/torch_checkpoint.h"
#include "model/transformer.h"
#include "tiny_models.h"
#include "tokenizer_test_support.h"
#include "torch_files.h"

namespace attnviz::model {
namespace {

namespace fs = std::filesystem;
using testing::referenceIds;

constexpr double kMapTolerance = 2e-3;  // forward_test.cpp derives it

// Without Debian's python3-torch the generator writes no twins: skip saying why, but in CI fail
// (scripts/run-tests.sh also checks for torch first).
#define REQUIRE_TORCH_TWINS(root)                                                     \
  if (std::filesystem::exists((root) + "/torch_missing.txt")) {                       \
    const std::string why = testing::readWholeFile((root) + "/torch_missing.txt");     \
    if (testing::inCi()) FAIL() << why;                                               \
    GTEST_SKIP() << why;                                                              \
  }

struct Twin {
  const char* model;
  const char* twin;
  const char* weights;  // the file the twin's folder must hold
};

class TorchTwin : public ::testing::TestWithParam<Twin> {};

TEST_P(TorchTwin, LoadsToTheSameMapsAndLogitsAsItsSafetensorsOriginal) {
  REQUIRE_TINY_MODELS();
  const std::string root = testing::tinyModelsDir();
  REQUIRE_TORCH_TWINS(root);
  const Twin& t = GetParam();
  const std::string original = root + "/" + t.model, twin = root + "/" + t.twin;
  ASSERT_TRUE(fs::exists(twin + "/" + t.weights)) << twin;
  ASSERT_FALSE(fs::exists(twin + "/model.safetensors") || fs::exists(twin + "/model.safetensors.index.json"));
  std::vector<std::string> seen;
  // With the tokenizer, as the encoder tests load BERT (it names [SEP], hence the token types).
  auto a = ModelSession::load(original, true);
  auto b = ModelSession::load(twin, true, [&](const std::string& file, int, int) {
    if (file != "tokenizer" && (seen.empty() || seen.back() != file)) seen.push_back(file);
  });
  // Progress names the .bin files, as it names safetensors shards.
  ASSERT_FALSE(seen.empty());
  for (const std::string& f : seen) EXPECT_NE(f.find(".bin"), std::string::npos) << f;
  const std::vector<int> ids = referenceIds(original);
  a->setTokenIds(ids);
  b->setTokenIds(ids);
  const int n = int(ids.size());
  ASSERT_EQ(a->numLayers(), b->numLayers());
  for (int l = 0; l < a->numLayers(); ++l) {
    const AttentionResult pa = computeReference(a->problemForLayer(l));
    const AttentionResult pb = computeReference(b->problemForLayer(l));
    ASSERT_EQ(pa.p.size(), pb.p.size());
    for (std::size_t i = 0; i < pa.p.size(); ++i) ASSERT_EQ(pa.p[i], pb.p[i]) << t.twin << " layer " << l << " index " << i;
    const NpyArray ref = readNpy(original + "/ref_attn_L" + std::to_string(l) + ".npy");
    ASSERT_EQ(ref.data.size(), pb.p.size());
    for (std::size_t i = 0; i < ref.data.size(); ++i) ASSERT_NEAR(pb.p[i], ref.data[i], kMapTolerance) << t.twin << " layer " << l;
  }
  if (!a->transformer().hasLanguageModelHead()) return;
  for (int pos = 0; pos < n; pos += 5) EXPECT_EQ(a->transformer().logits(pos), b->transformer().logits(pos)) << t.twin << " " << pos;
}

INSTANTIATE_TEST_SUITE_P(Twins, TorchTwin,
                         ::testing::Values(Twin{"gpt2_plain", "gpt2_plain_bin", "pytorch_model.bin"},
                                           Twin{"qwen2_bias_f16", "qwen2_bias_f16_bin", "pytorch_model.bin"},
                                           Twin{"llama_gqa_bf16", "llama_gqa_bf16_bin_sharded", "pytorch_model.bin.index.json"},
                                           Twin{"bert_mlm_f32", "bert_mlm_f32_bin_sharded", "pytorch_model.bin.index.json"}),
                         [](const ::testing::TestParamInfo<Twin>& p) { return std::string(p.param.twin); });

TEST(TorchTwinShards, StorageOffsetsTiedNamesAndInt64BuffersAreAsTorchWroteThem) {
  REQUIRE_TINY_MODELS();
  const std::string root = testing::tinyModelsDir();
  REQUIRE_TORCH_TWINS(root);
  // Each shard of the sharded twins is views into one storage: most tensors start past offset 0.
  const auto shard = TorchCheckpoint::open(root + "/llama_gqa_bf16_bin_sharded/pytorch_model-00001-of-00002.bin");
  int past_zero = 0;
  for (const auto& [name, info] : shard->tensors()) past_zero += info.begin > 0;
  EXPECT_GE(past_zero, int(shard->tensors().size()) - 1);
  // GPT-2's tied lm_head is wte's storage under a second name: the same values.
  const WeightStore gpt2 = WeightStore::openDirectory(root + "/gpt2_plain_bin");
  const FloatTensor wte = gpt2.load("wte.weight"), head = gpt2.load("lm_head.weight");
  EXPECT_EQ(wte.data, head.data) << "one storage, read once";
  // The int64 position_ids buffer is listed by the index but not read; asking for it says why.
  const WeightStore bert = WeightStore::openDirectory(root + "/bert_mlm_f32_bin_sharded");
  EXPECT_FALSE(bert.has("bert.embeddings.position_ids"));
  try {
    bert.info("bert.embeddings.position_ids");
    ADD_FAILURE() << "no error";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("LongStorage"), std::string::npos) << e.what();
  }
}

// Where a folder holds both, safetensors is read (as transformers prefers it); a .bin alone is read.
TEST(TorchCheckpointFolder, SafetensorsComesFirstAndABinAloneIsRead) {
  const std::string files = testing::torchFilesDir();
  ASSERT_FALSE(files.empty()) << "torch_files.py could not write its files";
  REQUIRE_TINY_MODELS();
  const fs::path dir = fs::path(::testing::TempDir()) / "attnviz_both_formats";
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::copy_file(testing::tinyModel("gpt2_plain") + "/model.safetensors", dir / "model.safetensors");
  fs::copy_file(files + "/not_zip.bin", dir / "pytorch_model.bin");
  const WeightStore both = WeightStore::openDirectory(dir.string());
  EXPECT_EQ(both.source(), (dir / "model.safetensors").string());
  fs::remove(dir / "model.safetensors");
  fs::copy_file(files + "/valid.bin", dir / "pytorch_model.bin", fs::copy_options::overwrite_existing);
  const WeightStore bin = WeightStore::openDirectory(dir.string());
  EXPECT_EQ(bin.source(), (dir / "pytorch_model.bin").string());
  EXPECT_TRUE(bin.has("w"));
  fs::remove_all(dir);
}

// A checkpoint written without torch: the values it holds, stored and deflated.
TEST(TorchCheckpointValues, ReadAsWritten) {
  const std::string dir = testing::torchFilesDir();
  ASSERT_FALSE(dir.empty()) << "torch_files.py could not write its files";
  const nlohmann::json expected = nlohmann::json::parse(testing::readWholeFile(dir + "/valid.json"));
  for (const char* file : {"valid.bin", "valid_deflated.bin"}) {
    const WeightStore store = WeightStore::openFile(dir + "/" + file);
    EXPECT_EQ(store.names().size(), expected.size()) << file;
    for (auto it = expected.begin(); it != expected.end(); ++it) {
      const FloatTensor t = store.load(it.key());
      ASSERT_EQ(std::size_t(t.elements()), it.value().size()) << file << " " << it.key();
      for (std::size_t i = 0; i < it.value().size(); ++i) EXPECT_EQ(t.data[i], it.value()[i].get<float>()) << file << " " << it.key() << i;
    }
    EXPECT_EQ(store.info("w").shape, (std::vector<std::int64_t>{2, 3}));
    EXPECT_EQ(store.info("view").shape, (std::vector<std::int64_t>{3, 1}));
    EXPECT_TRUE(store.loadsWithoutCopy("w"));
    EXPECT_FALSE(store.loadsWithoutCopy("h"));
  }
}

}  // namespace
}  // namespace attnviz::model
