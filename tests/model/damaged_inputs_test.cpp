// Damaged and inconsistent model folders through the real binary: each is refused with exit
// code 2 and one line on stderr that names what is wrong. The folders are copies of the tiny GPT-2
// and Llama checkpoints with one thing broken.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>
#include <vector>

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

// The new kinds: an encoder, an encoder-decoder's cross-attention and Marian's tokenizer files.
TEST_F(DamagedModel, EncoderAndEncoderDecoderFilesMissingTheirPartsAreRefusedByName) {
  std::string dir = copyModel("bert_mlm_f32", "bert_missing");
  editHeader(dir + "/model.safetensors", [](json& h) {
    h["bert.encoder.layer.1.attention.self.key.wrong"] = h["bert.encoder.layer.1.attention.self.key.weight"];
    h.erase("bert.encoder.layer.1.attention.self.key.weight");
  });
  expectRefused(dir, {"encoder.layer.1.attention.self.key.weight", "missing", "bert"});
  dir = copyModel("bart_f32", "bart_no_cross");
  editHeader(dir + "/model.safetensors", [](json& h) {
    h["model.decoder.layers.0.encoder_attn.k_proj.wrong"] = h["model.decoder.layers.0.encoder_attn.k_proj.weight"];
    h.erase("model.decoder.layers.0.encoder_attn.k_proj.weight");
  });
  expectRefused(dir, {"decoder.layers.0.encoder_attn.k_proj.weight", "missing"});
  dir = copyModel("marian_f16", "marian_no_spm");
  fs::remove(dir + "/source.spm");
  fs::remove(dir + "/target.spm");
  expectRefused(dir, {"vocab.json", "source.spm"});
  dir = copyModel("marian_f16", "marian_cut_spm");
  const std::string spm = testing::readWholeFile(dir + "/source.spm");
  writeFile(dir + "/source.spm", spm.substr(0, spm.size() / 2));
  expectRefused(dir, {"source.spm", "not a SentencePiece model"});
  dir = copyModel("marian_f16", "marian_no_vocab");
  fs::remove(dir + "/vocab.json");
  expectRefused(dir, {"source.spm", "no vocab.json"});
}

TEST_F(DamagedModel, EncoderDecoderConfigsAttnvizDoesNotRunAreRefusedByName) {
  const std::string dir = copyModel("bart_f32", "bart_config");
  editConfig(dir, [](json& c) { c["normalize_before"] = true; });
  expectRefused(dir, {"normalize_before", "mBART"});
  editConfig(dir, [](json& c) {
    c["normalize_before"] = false;
    c["activation_function"] = "gelu_fast";
  });
  expectRefused(dir, {"gelu_fast", "not implemented"});
  editConfig(dir, [](json& c) {
    c["activation_function"] = "gelu";
    c["decoder_attention_heads"] = 2;
  });
  expectRefused(dir, {"decoder_attention_heads"});
  editConfig(dir, [](json& c) {
    c["decoder_attention_heads"] = 4;
    c.erase("decoder_start_token_id");
  });
  expectRefused(dir, {"decoder_start_token_id"});
  const std::string marian = copyModel("marian_f16", "marian_config");
  editConfig(marian, [](json& c) { c["share_encoder_decoder_embeddings"] = false; });
  expectRefused(marian, {"decoder vocabulary of its own"});
}

// T5: the relative position bias lives only in each stack's layer 0; without it the maps would be
// wrong, so the folder is refused. Feed-forward kinds other than relu / gated-gelu, by name.
TEST_F(DamagedModel, T5WithoutItsPositionBiasOrWithAnUnknownFeedForwardIsRefusedByName) {
  std::string dir = copyModel("t5_f32", "t5_no_bias");
  editHeader(dir + "/model.safetensors", [](json& h) {
    const std::string name = "decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight";
    h["decoder.block.0.layer.0.SelfAttention.wrong"] = h[name];
    h.erase(name);
  });
  expectRefused(dir, {"decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight", "missing", "t5"});
  dir = copyModel("t5_f32", "t5_config");
  editConfig(dir, [](json& c) { c["feed_forward_proj"] = "gated-silu"; });
  expectRefused(dir, {"feed_forward_proj", "gated-silu", "relu, gated-gelu"});
  editConfig(dir, [](json& c) {
    c["feed_forward_proj"] = "relu";
    c["relative_attention_num_buckets"] = 24;  // the tensor has 16 rows
  });
  expectRefused(dir, {"relative_attention_bias.weight", "[16, 4]", "[24, 4]"});
  editConfig(dir, [](json& c) {
    c["relative_attention_num_buckets"] = 16;
    c["relative_attention_max_distance"] = 2;
  });
  expectRefused(dir, {"relative_attention_max_distance"});
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
  editConfig(dir, [](json& c) { c["model_type"] = "mamba"; });
  expectRefused(dir, {"'mamba'", "gpt2", "llama", "mistral", "qwen2", "bert", "roberta", "distilbert"});
}

TEST_F(DamagedModel, UnimplementedRopeScalingIsRefusedByName) {
  const std::string dir = copyModel("llama_gqa_bf16", "rope_scaling");
  editConfig(dir, [](json& c) { c["rope_scaling"] = {{"rope_type", "yarn"}, {"factor", 4.0}}; });
  expectRefused(dir, {"rope_scaling", "yarn"});
}

// Gemma configs attnviz cannot run as written: each refused in one line naming the field.
TEST_F(DamagedModel, GemmaConfigsAttnvizDoesNotRunAreRefusedByName) {
  const std::string dir = copyModel("gemma3_pattern_bf16", "gemma_config");
  const json intact = json::parse(testing::readWholeFile(dir + "/config.json"));
  for (const auto& [edit, needles] : std::vector<std::pair<std::function<void(json&)>, std::vector<std::string>>>{
           {[](json& c) { c["rope_scaling"] = {{"rope_type", "yarn"}, {"factor", 4.0}}; }, {"rope_scaling 'yarn'", "gemma3_text", "linear"}},
           {[](json& c) { c["rope_scaling"] = {{"rope_type", "llama3"}, {"factor", 8.0}}; }, {"rope_scaling 'llama3'", "gemma3_text"}},
           {[](json& c) { c.erase("query_pre_attn_scalar"); }, {"query_pre_attn_scalar"}},
           {[](json& c) { c["query_pre_attn_scalar"] = 0; }, {"\"query_pre_attn_scalar\" must be a number from 1"}},
           {[](json& c) { c["hidden_activation"] = "gelu"; }, {"hidden_activation 'gelu'", "gelu_pytorch_tanh"}},
           {[](json& c) { c["layer_types"] = {"sliding_attention", "full_attention"}; }, {"layer_types", "4 entries"}},
           {[](json& c) { c["layer_types"] = {"sliding_attention", "chunked_attention", "full_attention", "full_attention"}; },
            {"layer_types[1]", "chunked_attention"}},
           {[](json& c) { c["attn_logit_softcapping"] = -5; }, {"attn_logit_softcapping"}},
           {[](json& c) { c["sliding_window"] = 0; }, {"\"sliding_window\" must be a positive integer"}},
           {[](json& c) { c["sliding_window_pattern"] = 0; }, {"sliding_window_pattern"}},
           {[](json& c) { c["rope_local_base_freq"] = 1e-300; }, {"rope_local_base_freq"}},
           {[](json& c) { c["rope_parameters"] = {{"full_attention", {{"rope_type", "default"}}}}; }, {"both rope_parameters and rope_scaling"}},
           {[](json& c) {
              c.erase("rope_scaling");
              c["rope_parameters"] = {{"full_attention", {{"rope_type", "yarn"}, {"factor", 4.0}}}};
            },
            {"rope_parameters[\"full_attention\"] rope_type 'yarn'"}},
           {[](json& c) { c["use_bidirectional_attention"] = true; }, {"use_bidirectional_attention"}},
           {[](json& c) { c = {{"model_type", "gemma3"}, {"text_config", c}}; }, {"'gemma3'", "text_config", "gemma3_text"}}}) {
    editConfig(dir, [&, e = edit](json& c) {
      c = intact;
      e(c);
    });
    expectRefused(dir, needles);
  }
  editConfig(dir, [&](json& c) { c = intact; });
  const auto ok = testing::run("dump --model '" + dir + "' --text 'the cat' --layer 0");
  EXPECT_EQ(ok.code, 0) << ok.err;
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

// ---- Issue 17: non-finite values, config bounds, the budget on the model path. ----
namespace attnviz::model {
namespace {

// The safetensors file of `dir` holding `tensor` (single file or through the index).
std::string fileHolding(const std::string& dir, const std::string& tensor) {
  if (fs::exists(dir + "/model.safetensors")) return dir + "/model.safetensors";
  const json index = json::parse(testing::readWholeFile(dir + "/model.safetensors.index.json"));
  return dir + "/" + index["weight_map"][tensor].get<std::string>();
}

std::uint16_t toHalf(float v) {  // enough for the values used here: NaN, +-Inf, 0
  if (std::isnan(v)) return 0x7e00;
  if (std::isinf(v)) return v > 0 ? 0x7c00 : 0xfc00;
  return 0;
}

// Writes `value` into elements [first, first + count) of `tensor` (count -1: to the end), in the
// tensor's own dtype (F32, F16 or BF16).
void poke(const std::string& dir, const std::string& tensor, std::int64_t first, std::int64_t count, float value) {
  const std::string file = fileHolding(dir, tensor);
  std::string bytes = testing::readWholeFile(file);
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | std::uint8_t(bytes[std::size_t(i)]);
  const json header = json::parse(bytes.substr(8, n));
  const json& e = header.at(tensor);
  const std::string dtype = e["dtype"];
  const std::uint64_t begin = e["data_offsets"][0], end = e["data_offsets"][1];
  const std::size_t size = dtype == "F32" ? 4 : 2;
  const std::int64_t total = std::int64_t((end - begin) / size);
  if (count < 0) count = total - first;
  ASSERT_LE(first + count, total) << tensor;
  for (std::int64_t i = first; i < first + count; ++i) {
    char* at = &bytes[std::size_t(8 + n + begin + std::uint64_t(i) * size)];
    if (dtype == "F32") {
      std::memcpy(at, &value, 4);
    } else {
      std::uint32_t bits;
      std::memcpy(&bits, &value, 4);
      const std::uint16_t h = dtype == "BF16" ? std::uint16_t(bits >> 16) : toHalf(value);
      at[0] = char(h & 0xff), at[1] = char(h >> 8);
    }
  }
  writeFile(file, bytes);
}

// Every output of every model command for `dir`: exit 2, one line containing `needle`, nothing on
// standard output (so no JSON, CSV, table or figure can carry NaN, null or an all-zero row).
void expectEveryOutputRefused(const std::string& dir, const std::string& needle) {
  const std::string m = "--model '" + dir + "' --text 'the cat sat'";
  const std::string svg = testing::tempDir() + "/nonfinite.svg";
  fs::remove(svg);
  for (const std::string& args : {"dump " + m + " --layer 0", "dump " + m + " --layer 0 --next 5", "dump " + m + " --layer 1 --format csv",
                                  "heads " + m + " --json", "heads " + m + " --csv", "heads " + m, "heads " + m + " --json --induction --repeat 4",
                                  "render " + m + " --layer 0 --out " + svg}) {
    const auto r = testing::run(args);
    EXPECT_EQ(r.code, 2) << args << "\n" << r.err;
    EXPECT_EQ(testing::lines(r.err), 1) << args << "\n" << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << args << "\n" << r.err;
    EXPECT_TRUE(r.out.empty()) << args << "\n" << r.out.substr(0, 300);
    for (const char* bad : {"nan", "null", "inf"}) EXPECT_EQ(r.out.find(bad), std::string::npos) << args;
  }
  EXPECT_FALSE(fs::exists(svg));
}

TEST_F(DamagedModel, TheIntactModelsOutputsCarryOnlyFiniteNumbers) {
  const std::string dir = copyModel("gpt2_plain", "finite_control");
  const auto d = testing::run("dump --model '" + dir + "' --text 'the cat sat' --layer 0 --next 5");
  ASSERT_EQ(d.code, 0) << d.err;
  const auto h = testing::run("heads --model '" + dir + "' --text 'the cat sat' --json");
  ASSERT_EQ(h.code, 0) << h.err;
  for (const std::string& out : {d.out, h.out}) {
    EXPECT_FALSE(json::parse(out, nullptr, false).is_discarded());  // valid JSON: a bare nan is not
    for (const char* bad : {"nan", "null", "inf"}) EXPECT_EQ(out.find(bad), std::string::npos) << out.substr(0, 200);
  }
}

// NaN or Inf in any weight of a layer, the embeddings or the final norm: refused in one line naming
// the tensor and the stage where the value first appeared. Element 0 of every tensor is used by the
// forward; of the embedding, the row of the text's first token.
TEST_F(DamagedModel, NonFiniteWeightsAreRefusedNamingTheTensor) {
  const std::string intact = copyModel("gpt2_plain", "nonfinite_src");
  const int first_token = 116;  // "t" of "the cat sat" in the tiny byte-level BPE
  std::vector<std::string> tensors = {"wte.weight", "wpe.weight", "ln_f.weight", "ln_f.bias"};
  for (const char* t : {"ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias", "attn.c_proj.weight", "attn.c_proj.bias",
                        "ln_2.weight", "ln_2.bias", "mlp.c_fc.weight", "mlp.c_fc.bias", "mlp.c_proj.weight", "mlp.c_proj.bias"})
    tensors.push_back(std::string("h.1.") + t);
  int index = 0;
  for (const std::string& tensor : tensors) {
    const float value = index++ % 2 ? std::numeric_limits<float>::infinity() : std::nanf("");
    const std::string dir = copyModel("gpt2_plain", "nonfinite");
    poke(dir, tensor, tensor == "wte.weight" ? first_token * 64 : 0, 1, value);
    const auto r = testing::run("dump --model '" + dir + "' --text 'the cat sat' --layer 0 --next 3");
    EXPECT_EQ(r.code, 2) << tensor << ": " << r.err;
    EXPECT_EQ(testing::lines(r.err), 1) << r.err;
    EXPECT_TRUE(r.out.empty()) << tensor;
    EXPECT_NE(r.err.find("tensor '" + tensor + "' holds " + (std::isnan(value) ? "NaN" : "+Inf")), std::string::npos) << r.err;
    const std::string stage = tensor.rfind("h.1.", 0) == 0 ? "layer 1" : tensor.rfind("ln_f", 0) == 0 ? "the final norm" : "the embeddings";
    EXPECT_NE(r.err.find(stage), std::string::npos) << tensor << ": " << r.err;
  }
  (void)intact;
}

// The other dtypes and layouts: BF16 through an index (q_proj, lm_head), F16 with biases.
TEST_F(DamagedModel, NonFiniteWeightsInHalfPrecisionShards) {
  for (const auto& [model, tensor] : std::vector<std::pair<std::string, std::string>>{
           {"llama_gqa_bf16", "model.layers.0.self_attn.q_proj.weight"},
           {"llama_gqa_bf16", "model.layers.1.mlp.down_proj.weight"},
           {"llama_gqa_bf16", "model.norm.weight"},
           {"qwen2_bias_f16", "model.layers.1.self_attn.k_proj.bias"},
           {"qwen2_bias_f16", "model.layers.0.post_attention_layernorm.weight"}}) {
    const std::string dir = copyModel(model, "nonfinite_half");
    poke(dir, tensor, 0, 1, std::nanf(""));
    const auto r = testing::run("dump --model '" + dir + "' --text 'the cat sat' --layer 0");
    EXPECT_EQ(r.code, 2) << tensor << ": " << r.err;
    EXPECT_EQ(testing::lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find("tensor '" + tensor + "' holds NaN"), std::string::npos) << r.err;
  }
  // A NaN in a row of the separate lm_head: the forward is finite, the next tokens are not.
  const std::string dir = copyModel("llama_gqa_bf16", "nonfinite_lm_head");
  poke(dir, "lm_head.weight", 48 * 7, 48, std::nanf(""));
  const auto ok = testing::run("dump --model '" + dir + "' --text 'the cat sat' --layer 0");
  EXPECT_EQ(ok.code, 0) << ok.err;
  const auto r = testing::run("dump --model '" + dir + "' --text 'the cat sat' --layer 0 --next 3");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_TRUE(r.out.empty());
  EXPECT_NE(r.err.find("tensor 'lm_head.weight' holds NaN (element 336"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("the logits"), std::string::npos) << r.err;
}

// Finite weights whose products overflow float (3e38 everywhere in one matrix): refused as an overflow.
TEST_F(DamagedModel, FiniteWeightsThatOverflowAreRefused) {
  for (const std::string tensor : {"h.0.mlp.c_fc.weight", "h.2.attn.c_attn.weight", "ln_f.weight"}) {
    const std::string dir = copyModel("gpt2_plain", "overflow");
    poke(dir, tensor, 0, -1, 3e38f);
    const auto r = testing::run("dump --model '" + dir + "' --text 'the cat sat' --layer 0");
    EXPECT_EQ(r.code, 2) << tensor << ": " << r.err;
    EXPECT_EQ(testing::lines(r.err), 1) << r.err;
    EXPECT_TRUE(r.out.empty());
    EXPECT_NE(r.err.find("overflow float"), std::string::npos) << tensor << ": " << r.err;
  }
}

TEST_F(DamagedModel, NoOutputOfAModelThatGivesNaNCarriesANonFiniteNumber) {
  const std::string dir = copyModel("gpt2_plain", "nan_outputs");
  poke(dir, "h.0.attn.c_attn.weight", 0, 1, std::nanf(""));
  expectEveryOutputRefused(dir, "tensor 'h.0.attn.c_attn.weight' holds NaN");
  const std::string big = copyModel("llama_gqa_bf16", "overflow_outputs");
  poke(big, "model.layers.0.mlp.up_proj.weight", 0, -1, 3e38f);
  expectEveryOutputRefused(big, "overflow float");
}

// Configs whose numbers make the forward non-finite or that no real model has: refused by field.
TEST_F(DamagedModel, ConfigValuesOutsideWhatRealModelsUse) {
  for (const auto& [field, value, needle] : std::vector<std::tuple<std::string, json, std::string>>{
           {"rope_theta", 1e-300, "\"rope_theta\" must be a number from 1 to 1e+12"},
           {"rope_theta", 1e300, "\"rope_theta\" must be a number from 1 to 1e+12"},
           {"rope_scaling", json{{"rope_type", "linear"}, {"factor", 1e-300}}, "rope_scaling \"factor\" must be from 0.001 to 1e+06"},
           {"rope_scaling", json{{"type", "linear"}, {"factor", 1e300}}, "rope_scaling \"factor\" must be from 0.001 to 1e+06"},
           {"rms_norm_eps", 1e-300, "\"rms_norm_eps\" must be a number from 1e-30 to 1"},
           {"num_hidden_layers", 3000000, "\"num_hidden_layers\" is 3000000; attnviz reads models with at most 1024 layers"},
           {"num_attention_heads", 4096, "at most 1024 heads"},
           {"hidden_size", 100000, "at most 65536 hidden units"},
           {"intermediate_size", 1 << 20, "at most 524288 MLP units"},
           {"max_position_embeddings", 1 << 25, "at most 16777216 positions"},
           {"vocab_size", 1 << 25, "at most 2097152 vocabulary entries"},
           {"head_dim", 8192, "at most 4096 units per head"},
           {"num_key_value_heads", 12, "num_key_value_heads 12 is more than num_attention_heads 6"}}) {
    const std::string dir = copyModel("llama_gqa_bf16", "config_range");
    editConfig(dir, [&, f = field, v = value](json& c) { c[f] = v; });
    expectRefused(dir, {"config.json", needle});
  }
  const std::string gpt2 = copyModel("gpt2_plain", "config_range_gpt2");
  editConfig(gpt2, [](json& c) { c["n_layer"] = 1000000000; });
  expectRefused(gpt2, {"config.json", "\"n_layer\" is 1000000000; attnviz reads models with at most 1024 layers"});
}

// The memory budget on the model path: the weights when loading, the text's forward and maps before
// the forward, each with the estimate.
TEST_F(DamagedModel, MemoryBudgetIsAppliedToTheModelPath) {
  const std::string dir = copyModel("gpt2_plain", "budget");
  auto r = testing::run("dump --max-memory 100K --model '" + dir + "' --text 'the cat' --layer 0");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(testing::lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("loading the weights of"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("weights mapped 668.5 KiB) but the memory budget is 100.0 KiB (set by --max-memory 100K)"), std::string::npos) << r.err;
  // The weights fit in 1 MiB; 59 tokens' cache, activations and maps do not.
  r = testing::run("dump --max-memory 1M --model '" + dir + "' --text '" + std::string(59, 'z') + "' --layer 0");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("the text of 59 tokens through this model needs about"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Q/K/V cache"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("one layer's maps"), std::string::npos) << r.err;
  r = testing::run("dump --max-memory 2M --model '" + dir + "' --text '" + std::string(59, 'z') + "' --layer 0");
  EXPECT_EQ(r.code, 0) << r.err;
  const std::string bf16 = copyModel("llama_gqa_bf16", "budget_bf16");
  r = testing::run("heads --max-memory 200K --model '" + bf16 + "' --text 'the cat'");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("(weights converted to float32 220.3 KiB)"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace attnviz::model
