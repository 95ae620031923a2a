// Damaged and inconsistent model folders through the real binary: each is refused with exit
// code 2 and one line on stderr that names what is wrong. The folders are copies of the tiny GPT-2
// and Llama checkpoints with one thing broken.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "../core/cli_test_support.h"
#include "tiny_models.h"

namespace attnviz::model {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string copyModel(const std::string& name, const std::string& as) {
  const std::string src = testing::tinyModelsDir() + "/" + name;
  const std::string dst = testing::tempDir() + "/" + as;
  fs::remove_all(dst);
  fs::copy(src, dst, fs::copy_options::recursive);
  return dst;
}

void writeFile(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

// Rewrites a safetensors file with its header passed through `edit` (the data is kept).
void editHeader(const std::string& path, const std::function<void(json&)>& edit) {
  const std::string bytes = testing::readWholeFile(path);
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | std::uint8_t(bytes[std::size_t(i)]);
  json header = json::parse(bytes.substr(8, n));
  edit(header);
  std::string text = header.dump();
  while (text.size() % 8) text += ' ';
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[std::size_t(i)] = char((text.size() >> (8 * i)) & 0xff);
  writeFile(path, out + text + bytes.substr(8 + n));
}

void editConfig(const std::string& dir, const std::function<void(json&)>& edit) {
  json config = json::parse(testing::readWholeFile(dir + "/config.json"));
  edit(config);
  writeFile(dir + "/config.json", config.dump());
}

// Runs `dump --model DIR` and checks: exit 2, exactly one line, containing every `needle`.
void expectRefused(const std::string& dir, const std::vector<std::string>& needles, const std::string& text = "the cat") {
  const auto r = testing::run("dump --model '" + dir + "' --text '" + text + "' --layer 0");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(testing::lines(r.err), 1) << r.err;
  EXPECT_TRUE(r.out.empty());
  for (const auto& needle : needles) EXPECT_NE(r.err.find(needle), std::string::npos) << "missing '" << needle << "' in: " << r.err;
}

class DamagedModel : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(testing::tinyModelsDir().empty()); }
};

TEST_F(DamagedModel, TheIntactCopyLoads) {
  const std::string dir = copyModel("gpt2_plain", "intact");
  const auto r = testing::run("dump --model '" + dir + "' --text 'the cat' --layer 0 --engine cpu-ref");
  EXPECT_EQ(r.code, 0) << r.err;
}

TEST_F(DamagedModel, TruncatedFile) {
  const std::string dir = copyModel("gpt2_plain", "truncated");
  const std::string bytes = testing::readWholeFile(dir + "/model.safetensors");
  writeFile(dir + "/model.safetensors", bytes.substr(0, bytes.size() / 2));
  expectRefused(dir, {"model.safetensors", "past the data"});
  writeFile(dir + "/model.safetensors", bytes.substr(0, 5));
  expectRefused(dir, {"model.safetensors", "truncated"});
}

TEST_F(DamagedModel, HeaderLengthPastTheEnd) {
  const std::string dir = copyModel("gpt2_plain", "header_past_end");
  std::string bytes = testing::readWholeFile(dir + "/model.safetensors");
  const std::uint64_t n = bytes.size();  // one header of the whole file cannot fit after the 8 bytes
  for (int i = 0; i < 8; ++i) bytes[std::size_t(i)] = char((n >> (8 * i)) & 0xff);
  writeFile(dir + "/model.safetensors", bytes);
  expectRefused(dir, {"model.safetensors", "header length", "past the end"});
  for (int i = 0; i < 8; ++i) bytes[std::size_t(i)] = char(0xff);
  writeFile(dir + "/model.safetensors", bytes);
  expectRefused(dir, {"model.safetensors", "100 MB"});
}

TEST_F(DamagedModel, HeaderNotJson) {
  const std::string dir = copyModel("gpt2_plain", "not_json");
  std::string bytes = testing::readWholeFile(dir + "/model.safetensors");
  bytes[8] = '[';
  bytes[9] = '{';
  writeFile(dir + "/model.safetensors", bytes);
  expectRefused(dir, {"model.safetensors", "not valid JSON"});
}

TEST_F(DamagedModel, OverlappingOffsets) {
  const std::string dir = copyModel("gpt2_plain", "overlap");
  editHeader(dir + "/model.safetensors", [](json& h) { h["ln_f.bias"]["data_offsets"] = h["ln_f.weight"]["data_offsets"]; });
  expectRefused(dir, {"model.safetensors", "overlap", "ln_f"});
}

TEST_F(DamagedModel, OffsetsOutOfRange) {
  const std::string dir = copyModel("gpt2_plain", "out_of_range");
  editHeader(dir + "/model.safetensors", [](json& h) {
    const std::uint64_t far = 1ull << 40;
    h["ln_f.bias"]["data_offsets"] = {far, far + 256};
  });
  expectRefused(dir, {"model.safetensors", "ln_f.bias", "past the data"});
}

TEST_F(DamagedModel, ShapeAndSpanDisagree) {
  const std::string dir = copyModel("gpt2_plain", "span");
  editHeader(dir + "/model.safetensors", [](json& h) { h["ln_f.bias"]["shape"] = {32}; });
  expectRefused(dir, {"ln_f.bias", "bytes"});
}

TEST_F(DamagedModel, UnsupportedDtype) {
  const std::string dir = copyModel("gpt2_plain", "dtype");
  editHeader(dir + "/model.safetensors", [](json& h) {
    h["ln_f.bias"]["dtype"] = "I8";
  });
  expectRefused(dir, {"ln_f.bias", "unsupported dtype I8"});
}

TEST_F(DamagedModel, MissingTensor) {
  const std::string dir = copyModel("gpt2_plain", "missing");
  editHeader(dir + "/model.safetensors", [](json& h) {
    h["h.1.mlp.c_fc.wrong"] = h["h.1.mlp.c_fc.weight"];
    h.erase("h.1.mlp.c_fc.weight");
  });
  expectRefused(dir, {"model.safetensors", "h.1.mlp.c_fc.weight", "missing"});
}

TEST_F(DamagedModel, MisShapedTensor) {
  const std::string dir = copyModel("gpt2_plain", "misshaped");
  // Same byte count, transposed shape: what an nn.Linear-style export of a Conv1D weight looks like.
  editHeader(dir + "/model.safetensors", [](json& h) { h["h.0.attn.c_attn.weight"]["shape"] = {192, 64}; });
  expectRefused(dir, {"h.0.attn.c_attn.weight", "[192, 64]", "[64, 192]"});
}

TEST_F(DamagedModel, MissingShardOfAnIndex) {
  const std::string dir = copyModel("llama_gqa_bf16", "missing_shard");
  fs::remove(dir + "/model-00002-of-00002.safetensors");
  expectRefused(dir, {"model-00002-of-00002.safetensors"});
}

TEST_F(DamagedModel, ConfigWithoutAFieldItsTypeNeeds) {
  const std::string dir = copyModel("gpt2_plain", "config_field");
  editConfig(dir, [](json& c) { c.erase("n_head"); });
  expectRefused(dir, {"config.json", "n_head"});
  const std::string llama = copyModel("llama_gqa_bf16", "config_field_llama");
  editConfig(llama, [](json& c) { c.erase("intermediate_size"); });
  expectRefused(llama, {"config.json", "intermediate_size"});
}

TEST_F(DamagedModel, UnknownModelTypeListsTheSupportedOnes) {
  const std::string dir = copyModel("gpt2_plain", "model_type");
  editConfig(dir, [](json& c) { c["model_type"] = "bert"; });
  expectRefused(dir, {"'bert'", "gpt2", "llama", "mistral", "qwen2"});
}

TEST_F(DamagedModel, UnimplementedRopeScalingIsRefusedByName) {
  const std::string dir = copyModel("llama_gqa_bf16", "rope_scaling");
  editConfig(dir, [](json& c) { c["rope_scaling"] = {{"rope_type", "yarn"}, {"factor", 4.0}}; });
  expectRefused(dir, {"rope_scaling", "yarn"});
}

TEST_F(DamagedModel, TokenizerMissing) {
  const std::string dir = copyModel("gpt2_plain", "no_tokenizer");
  fs::remove(dir + "/vocab.json");
  fs::remove(dir + "/merges.txt");
  expectRefused(dir, {dir});
}

TEST_F(DamagedModel, TextLongerThanThePositionsNamesTheLimit) {
  const std::string dir = copyModel("gpt2_plain", "long");
  expectRefused(dir, {"64"}, std::string(80, 'z'));
}

TEST_F(DamagedModel, LayerOutOfRangeAndMissingFolder) {
  const std::string dir = copyModel("gpt2_plain", "layer");
  auto r = testing::run("dump --model '" + dir + "' --text 'the cat' --layer 3");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(testing::lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("0..2"), std::string::npos) << r.err;
  r = testing::run("dump --model /nonexistent/attnviz_model --text 'the cat' --layer 0");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(testing::lines(r.err), 1) << r.err;
  r = testing::run("heads --model no-such-org/no-such-model --text 'the cat'");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(testing::lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("no-such-org/no-such-model"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace attnviz::model
