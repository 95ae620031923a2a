// safetensors header validation from bytes, dtype conversion, config.json parsing, head measures
// and rollout on hand-made inputs whose answers are known.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "model/head_measures.h"
#include "model/model_config.h"
#include "model/model_error.h"
#include "model/safetensors.h"

namespace attnviz::model {
namespace {

std::string withLength(const std::string& header, std::size_t data_bytes) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[std::size_t(i)] = char((header.size() >> (8 * i)) & 0xff);
  return out + header + std::string(data_bytes, '\0');
}

SafetensorsHeader parse(const std::string& bytes) {
  return parseSafetensorsHeader(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), bytes.size(), "t.safetensors");
}

std::string errorOf(const std::string& bytes) {
  try {
    parse(bytes);
  } catch (const ModelError& e) {
    return e.what();
  }
  return "";
}

TEST(SafetensorsHeader, AValidHeaderGivesEveryTensor) {
  const auto h = parse(withLength(
      R"({"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"b":{"dtype":"BF16","shape":[4],"data_offsets":[24,32]},)"
      R"("__metadata__":{"format":"pt"}})",
      32));
  ASSERT_EQ(h.tensors.size(), 2u);
  EXPECT_EQ(h.tensors.at("a").shape, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(h.tensors.at("b").dtype, DType::BF16);
  EXPECT_EQ(h.tensors.at("b").begin, 24u);
}

TEST(SafetensorsHeader, EachDamageIsNamed) {
  EXPECT_NE(errorOf("abc").find("truncated"), std::string::npos);
  std::string past = withLength("{}", 0);
  past[0] = char(200);
  EXPECT_NE(errorOf(past).find("past the end"), std::string::npos);
  EXPECT_NE(errorOf(withLength("{nope", 0)).find("not valid JSON"), std::string::npos);
  EXPECT_NE(errorOf(withLength("[1]", 0)).find("not a JSON object"), std::string::npos);
  EXPECT_NE(errorOf(withLength(R"({"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}})", 8)).find("unsupported dtype F64"),
            std::string::npos);
  EXPECT_NE(errorOf(withLength(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8)).find("12 bytes"),
            std::string::npos);
  EXPECT_NE(errorOf(withLength(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", 8)).find("past the data"),
            std::string::npos);
  EXPECT_NE(errorOf(withLength(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                               R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                               12))
                .find("overlap"),
            std::string::npos);
  EXPECT_NE(errorOf(withLength(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}})", 0)).find("non-negative"),
            std::string::npos);
  EXPECT_NE(errorOf(withLength(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}})", 8)).find("begin > end"),
            std::string::npos);
  // Every message names the file.
  EXPECT_EQ(errorOf(withLength("{nope", 0)).rfind("t.safetensors", 0), 0u);
}

TEST(SafetensorsHeader, HalfAndBfloat16ConvertExactly) {
  EXPECT_EQ(halfToFloat(0x3c00), 1.0f);
  EXPECT_EQ(halfToFloat(0xc000), -2.0f);
  EXPECT_EQ(halfToFloat(0x7bff), 65504.0f);
  EXPECT_EQ(halfToFloat(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_EQ(halfToFloat(0x03ff), std::ldexp(1023.0f, -24));
  EXPECT_TRUE(std::isinf(halfToFloat(0x7c00)));
  EXPECT_TRUE(std::isnan(halfToFloat(0x7e00)));
  EXPECT_EQ(bfloat16ToFloat(0x3f80), 1.0f);
  EXPECT_EQ(bfloat16ToFloat(0x4049), 3.140625f);
}

TEST(ModelConfigParse, Gpt2AndLlamaFamilies) {
  const auto g = parseModelConfig(R"({"model_type":"gpt2","vocab_size":50257,"n_embd":768,"n_layer":12,"n_head":12,"n_positions":1024})");
  EXPECT_EQ(g.head_dim, 64);
  EXPECT_EQ(g.intermediate_size, 3072);
  EXPECT_EQ(g.num_kv_heads, 12);
  const auto s = parseModelConfig(
      R"({"model_type":"llama","vocab_size":49152,"hidden_size":576,"num_hidden_layers":30,"num_attention_heads":9,)"
      R"("num_key_value_heads":3,"intermediate_size":1536,"max_position_embeddings":8192,"rope_theta":100000,)"
      R"("rope_scaling":null,"tie_word_embeddings":true,"bos_token_id":0})");
  EXPECT_EQ(s.head_dim, 64);
  EXPECT_EQ(s.kvHeadOf(8), 2);
  EXPECT_EQ(s.kvHeadOf(2), 0);
  EXPECT_EQ(s.bos_token_id, 0);
  EXPECT_DOUBLE_EQ(s.rope_theta, 100000.0);
  const auto q = parseModelConfig(
      R"({"model_type":"qwen2","vocab_size":100,"hidden_size":32,"num_hidden_layers":1,"num_attention_heads":4,)"
      R"("num_key_value_heads":2,"head_dim":16,"intermediate_size":8,"max_position_embeddings":64})");
  EXPECT_TRUE(q.qkv_bias);
  EXPECT_FALSE(q.o_bias);
  EXPECT_EQ(q.head_dim, 16);
  const auto lin = parseModelConfig(
      R"({"model_type":"llama","vocab_size":100,"hidden_size":32,"num_hidden_layers":1,"num_attention_heads":4,)"
      R"("intermediate_size":8,"max_position_embeddings":64,"rope_scaling":{"type":"linear","factor":2.0}})");
  EXPECT_DOUBLE_EQ(lin.rope_linear_factor, 2.0);
}

std::string configError(const std::string& json) {
  try {
    parseModelConfig(json, "c.json");
  } catch (const ModelError& e) {
    return e.what();
  }
  return "";
}

TEST(ModelConfigParse, RefusalsNameTheField) {
  EXPECT_NE(configError(R"({"model_type":"pegasus"})").find("bart, bert, distilbert, gemma2, gemma3_text, gpt2, gpt_neox, llama, marian, mistral, opt, phi3, qwen2, qwen3, roberta, t5, "
                                                                 "xlm-roberta"), std::string::npos);
  EXPECT_NE(configError(R"({"model_type":"t5"})").find("needs the field \"vocab_size\""), std::string::npos);
  // phi3's 128k checkpoints scale rotary with longrope (or its old name su): refused by that name.
  const std::string phi3 = R"({"model_type":"phi3","vocab_size":5,"hidden_size":8,"num_hidden_layers":1,)"
                           R"("num_attention_heads":2,"intermediate_size":4,"max_position_embeddings":4)";
  EXPECT_EQ(configError(phi3 + "}"), "");
  EXPECT_NE(configError(phi3 + R"(,"rope_scaling":{"type":"longrope","short_factor":[1],"long_factor":[1]}})").find("'longrope'"),
            std::string::npos);
  EXPECT_NE(configError(phi3 + R"(,"rope_scaling":{"type":"su"}})").find("'su'"), std::string::npos);
  EXPECT_NE(configError(phi3 + R"(,"partial_rotary_factor":0.5})").find("partial_rotary_factor"), std::string::npos);
  // opt-350m's projection between a narrower embedding and the hidden size is refused by name.
  const std::string opt = R"({"model_type":"opt","vocab_size":5,"hidden_size":8,"num_hidden_layers":1,)"
                          R"("num_attention_heads":2,"ffn_dim":4,"max_position_embeddings":4)";
  EXPECT_EQ(configError(opt + R"(,"word_embed_proj_dim":8})"), "");
  EXPECT_NE(configError(opt + R"(,"word_embed_proj_dim":4})").find("word_embed_proj_dim"), std::string::npos);
  EXPECT_NE(configError(opt + R"(,"activation_function":"gelu"})").find("'gelu'"), std::string::npos);
  EXPECT_TRUE(parseModelConfig(opt + R"(,"do_layer_norm_before":false})").post_layer_norm);
  EXPECT_FALSE(parseModelConfig(opt + R"(,"do_layer_norm_before":false})").final_norm);
  // gpt_neox: head_dim 4 x rotary_pct 0.25 = 1 rotating dimension, which rotary cannot pair.
  const std::string neox = R"({"model_type":"gpt_neox","vocab_size":5,"hidden_size":8,"num_hidden_layers":1,)"
                           R"("num_attention_heads":2,"intermediate_size":4,"max_position_embeddings":4)";
  EXPECT_NE(configError(neox + "}").find("rotary_pct 0.25 gives 1 rotary dimensions"), std::string::npos) << configError(neox + "}");
  EXPECT_EQ(configError(neox + R"(,"rotary_pct":0.5})"), "");
  EXPECT_NE(configError(neox + R"(,"rotary_pct":0.5,"hidden_act":"relu"})").find("'relu'"), std::string::npos);
  EXPECT_NE(configError(neox + R"(,"rotary_pct":0.5,"rope_scaling":{"type":"linear","factor":2}})").find("rope_scaling"),
            std::string::npos);
  EXPECT_NE(configError(R"({"model_type":"gpt2","vocab_size":5,"n_embd":8,"n_layer":1,"n_positions":4})").find("n_head"),
            std::string::npos);
  EXPECT_NE(configError(R"({"model_type":"gpt2","vocab_size":5,"n_embd":8,"n_layer":1,"n_head":3,"n_positions":4})")
                .find("multiple"),
            std::string::npos);
  EXPECT_NE(configError(R"({"model_type":"llama","vocab_size":5,"hidden_size":8,"num_hidden_layers":1,"num_attention_heads":2,)"
                        R"("intermediate_size":4,"max_position_embeddings":4,"rope_scaling":{"rope_type":"dynamic","factor":8}})")
                .find("'dynamic'"),
            std::string::npos);
  EXPECT_NE(configError(R"({"model_type":"llama","vocab_size":5,"hidden_size":8,"num_hidden_layers":1,"num_attention_heads":2,)"
                        R"("intermediate_size":4,"max_position_embeddings":4,"rope_scaling":{"rope_type":"llama3","factor":8}})")
                .find("low_freq_factor"),
            std::string::npos);
  EXPECT_NE(configError(R"({"model_type":"llama","vocab_size":5,"hidden_size":8,"num_hidden_layers":1,"num_attention_heads":2,)"
                        R"("intermediate_size":4,"max_position_embeddings":4,"hidden_act":"gelu"})")
                .find("gelu"),
            std::string::npos);
  EXPECT_NE(configError("not json").find("c.json"), std::string::npos);
  EXPECT_NE(configError(R"({"model_type":"gpt2","vocab_size":-5,"n_embd":8,"n_layer":1,"n_head":2,"n_positions":4})")
                .find("vocab_size"),
            std::string::npos);
}

TEST(HeadMeasuresMap, KnownValuesOfAHandMadeMap) {
  // n = 3: row 1 = [0.5, 0.5], row 2 = [0.25, 0.25, 0.5] (row 0 is ignored).
  const std::vector<float> p = {1, 0, 0, 0.5f, 0.5f, 0, 0.25f, 0.25f, 0.5f};
  const HeadMeasures m = measureMap(p.data(), 3, 3, true);
  EXPECT_NEAR(m.entropy_bits, (1.0 + 1.5) / 2, 1e-12);
  EXPECT_NEAR(m.mean_distance, (0.5 + (0.25 * 2 + 0.25 * 1)) / 2, 1e-12);
  EXPECT_NEAR(m.previous_token, (0.5 + 0.25) / 2, 1e-12);
  EXPECT_NEAR(m.sink_mass, (0.5 + 0.25) / 2, 1e-12);
  EXPECT_NEAR(m.confidence, (0.5 + 0.5) / 2, 1e-12);
  EXPECT_EQ(measureInfos().size(), 6u);
}

TEST(HeadMeasuresMap, BidirectionalAndCrossMapsReadEveryRowAndKey) {
  // Bidirectional n = 2: row 0 = [0.5, 0.5], row 1 = [0.25, 0.75]; both rows count.
  const std::vector<float> p = {0.5f, 0.5f, 0.25f, 0.75f};
  const HeadMeasures m = measureMap(p.data(), 2, 2, false);
  const double h75 = -(0.25 * std::log2(0.25) + 0.75 * std::log2(0.75));
  EXPECT_NEAR(m.entropy_bits, (1.0 + h75) / 2, 1e-12);
  EXPECT_NEAR(m.mean_distance, (0.5 + 0.25) / 2, 1e-12);
  EXPECT_NEAR(m.previous_token, 0.25, 1e-12);  // row 1 only: row 0 has no previous token
  EXPECT_NEAR(m.sink_mass, (0.5 + 0.25) / 2, 1e-12);
  EXPECT_NEAR(m.confidence, (0.5 + 0.75) / 2, 1e-12);
  // Cross 1 x 3: one target row over three source keys.
  const std::vector<float> c = {0.2f, 0.3f, 0.5f};
  const HeadMeasures x = measureMap(c.data(), 1, 3, false);
  EXPECT_NEAR(x.entropy_bits, -(0.2 * std::log2(0.2) + 0.3 * std::log2(0.3) + 0.5 * std::log2(0.5)), 1e-6);
  EXPECT_NEAR(x.sink_mass, 0.2, 1e-7);
  EXPECT_NEAR(x.confidence, 0.5, 1e-7);
  EXPECT_TRUE(std::isnan(x.mean_distance));
  EXPECT_TRUE(std::isnan(x.previous_token));
}

TEST(HeadMeasuresMap, InductionReadsTheTokenAfterTheEarlierCopy) {
  // BOS + T = 3 tokens twice (n = 7): a perfect induction head puts all weight on i - T + 1.
  const int n = 7, T = 3;
  std::vector<float> p(std::size_t(n) * n, 0.0f);
  for (int i = 0; i < n; ++i) p[std::size_t(i) * n + (i >= 1 + T ? i - T + 1 : 0)] = 1.0f;
  EXPECT_DOUBLE_EQ(inductionScore(p.data(), n, T), 1.0);
  // A previous-token head scores 0 there.
  std::fill(p.begin(), p.end(), 0.0f);
  for (int i = 0; i < n; ++i) p[std::size_t(i) * n + (i ? i - 1 : 0)] = 1.0f;
  EXPECT_DOUBLE_EQ(inductionScore(p.data(), n, T), 0.0);
}

TEST(RolloutTest, MatchesTheProductWrittenOut) {
  // Two layers, n = 2, causal.
  const std::vector<float> a1 = {1, 0, 0.5f, 0.5f}, a2 = {1, 0, 0.2f, 0.8f};
  Rollout r(2);
  r.add(a1);
  r.add(a2);
  // Â = ½A + ½I (rows already sum to 1): Â1 = [[1,0],[.25,.75]], Â2 = [[1,0],[.1,.9]]; R = Â2 Â1.
  const std::vector<double> expected = {1, 0, 0.1 + 0.9 * 0.25, 0.9 * 0.75};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(r.result()[std::size_t(i)], expected[std::size_t(i)], 1e-6) << i;
}

}  // namespace
}  // namespace attnviz::model
