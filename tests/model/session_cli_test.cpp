// The session's measures and rollout against the NumPy reference maps, and the model commands of
// the CLI (dump --model, heads, render --model) end to end on the tiny checkpoints.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "../core/cli_test_support.h"
#include "core/attention.h"
#include "core/npy.h"
#include "model/head_measures.h"
#include "model/model_session.h"
#include "tiny_models.h"

namespace attnviz::model {
namespace {

using testing::referenceIds;

using nlohmann::json;

std::string modelDir(const char* name) { return testing::tinyModelsDir() + "/" + name; }

TEST(SessionMeasures, AgreeWithTheReferenceMaps) {
  ASSERT_FALSE(testing::tinyModelsDir().empty());
  const std::string dir = modelDir("llama_gqa_bf16");
  auto session = ModelSession::load(dir, false);
  session->setTokenIds(referenceIds(dir));
  const int n = session->numTokens();
  const auto measures = session->measures();
  ASSERT_EQ(int(measures.size()), session->numLayers() * session->numHeads());
  for (const auto& m : measures) {
    const NpyArray ref = readNpy(dir + "/ref_attn_L" + std::to_string(m.layer) + ".npy");
    const HeadMeasures r = measureMap(ref.data.data() + std::size_t(m.head) * n * n, n, n, true);
    // Map errors <= 2e-3 (forward_test.cpp); entropy is Lipschitz-bounded only loosely near 0, so
    // allow 0.05 bits; the linear measures move by at most the map error times their weights.
    EXPECT_NEAR(m.entropy_bits, r.entropy_bits, 0.05) << m.layer << "," << m.head;
    EXPECT_NEAR(m.mean_distance, r.mean_distance, 2e-3 * n) << m.layer << "," << m.head;
    EXPECT_NEAR(m.previous_token, r.previous_token, 2e-3) << m.layer << "," << m.head;
    EXPECT_NEAR(m.sink_mass, r.sink_mass, 2e-3) << m.layer << "," << m.head;
    EXPECT_NEAR(m.confidence, r.confidence, 2e-3) << m.layer << "," << m.head;
  }
}

// An encoder's maps are bidirectional: every row is real and every key counts. The expected
// values are computed here from the NumPy reference maps with plain loops (not measureMap).
TEST(SessionMeasures, AnEncoderCountsEveryRowAndEveryKey) {
  ASSERT_FALSE(testing::tinyModelsDir().empty());
  const std::string dir = modelDir("bert_mlm_f32");
  auto session = ModelSession::load(dir, true);  // the tokenizer names [SEP]: the token types
  session->setTokenIds(referenceIds(dir));
  const int n = session->numTokens();
  ASSERT_GE(n, 4);
  const auto measures = session->measures();
  ASSERT_EQ(int(measures.size()), session->numLayers() * session->numHeads());
  for (const auto& m : measures) {
    const NpyArray ref = readNpy(dir + "/ref_attn_L" + std::to_string(m.layer) + ".npy");
    const float* p = ref.data.data() + std::size_t(m.head) * n * n;
    double entropy = 0, distance = 0, previous = 0, sink = 0;
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) {
        const double a = p[i * n + j];
        if (a > 0) entropy -= a * std::log2(a) / n;
        distance += a * std::abs(i - j) / n;
        if (j == 0) sink += a / n;
        if (i >= 1 && j == i - 1) previous += a / (n - 1);
      }
    EXPECT_NEAR(m.entropy_bits, entropy, 0.05) << m.layer << "," << m.head;  // tolerances as in the test above
    EXPECT_NEAR(m.mean_distance, distance, 2e-3 * n) << m.layer << "," << m.head;
    EXPECT_NEAR(m.previous_token, previous, 2e-3) << m.layer << "," << m.head;
    EXPECT_NEAR(m.sink_mass, sink, 2e-3) << m.layer << "," << m.head;
  }
}

// Cross maps (target queries x source keys): entropy, sink and confidence over every row; no
// distance or previous token, since a query and a key are not positions of one text.
TEST(SessionMeasures, CrossMapsHaveNoPositionalMeasures) {
  ASSERT_FALSE(testing::tinyModelsDir().empty());
  auto session = ModelSession::load(modelDir("marian_f16"), true);
  session->setText("the cat sat on the mat");
  session->setTarget("die katze");
  session->setAttentionKind(AttentionKind::cross);
  const auto measures = session->measures();
  ASSERT_EQ(int(measures.size()), session->numLayers() * session->numHeads());
  for (const auto& m : measures) {
    const AttentionResult maps = computeReference(session->problemFor(m.layer, m.head));
    ASSERT_NE(maps.nq, maps.nk);
    double confidence = 0;
    for (int i = 0; i < maps.nq; ++i) {
      double best = 0;
      for (int j = 0; j < maps.nk; ++j) best = std::max(best, double(maps.row(0, i)[j]));
      confidence += best / maps.nq;
    }
    EXPECT_TRUE(std::isnan(m.mean_distance) && std::isnan(m.previous_token));
    EXPECT_NEAR(m.confidence, confidence, 1e-4) << m.layer << "," << m.head;
    EXPECT_GT(m.entropy_bits, 0.0);
  }
}

TEST(SessionMeasures, RolloutMatchesTheReference) {
  ASSERT_FALSE(testing::tinyModelsDir().empty());
  for (const char* name : {"gpt2_plain", "qwen2_bias_f16"}) {
    const std::string dir = modelDir(name);
    auto session = ModelSession::load(dir, false);
    session->setTokenIds(referenceIds(dir));
    const std::vector<float> got = session->rollout();
    const NpyArray ref = readNpy(dir + "/ref_rollout.npy");
    ASSERT_EQ(got.size(), ref.data.size());
    for (std::size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], ref.data[i], 2e-3) << name << " " << i;
  }
}

TEST(SessionMeasures, InductionScoresLeaveTheTextAsItWas) {
  ASSERT_FALSE(testing::tinyModelsDir().empty());
  auto session = ModelSession::load(modelDir("gpt2_prefixed"));
  session->setText("the cat sat");
  const auto ids = session->tokenIds();
  const AttentionResult before = computeReference(session->problemForLayer(1));
  const auto scores = session->inductionScores(10, 3);
  ASSERT_EQ(scores.size(), 2u);
  for (const auto& layer : scores)
    for (double s : layer) EXPECT_TRUE(s >= 0 && s <= 1) << s;
  EXPECT_EQ(session->tokenIds(), ids);
  const AttentionResult after = computeReference(session->problemForLayer(1));
  EXPECT_EQ(after.p, before.p);
}

TEST(SessionText, TokenizedTextAndLabels) {
  ASSERT_FALSE(testing::tinyModelsDir().empty());
  auto session = ModelSession::load(modelDir("gpt2_plain"));
  ASSERT_TRUE(session->hasTokenizer());
  session->setText("the cat sat");
  // Byte-level BPE with merges "Ġt"+"he" -> "Ġthe", "Ġc"+"at" -> "Ġcat": t|he|·cat|·|s|at.
  EXPECT_EQ(session->tokenLabels(), (std::vector<std::string>{"t", "he", "·cat", "·", "s", "at"}));
  const ForwardReport r = session->setText("the cat sat on");
  EXPECT_GE(r.reused_prefix, 5);
  EXPECT_EQ(r.tokens, session->numTokens());
}

TEST(ModelCli, DumpCarriesModelLayerIdsAndNextTokens) {
  ASSERT_FALSE(testing::tinyModelsDir().empty());
  const std::string dir = modelDir("gpt2_plain");
  const auto r = testing::run("dump --model '" + dir + "' --text 'the cat sat' --layer 2 --engine cpu-ref --next 4");
  ASSERT_EQ(r.code, 0) << r.err;
  const json doc = json::parse(r.out);
  EXPECT_EQ(doc["model"], dir);
  EXPECT_EQ(doc["layer"], 2);
  EXPECT_EQ(doc["token_ids"].size(), 6u);
  EXPECT_EQ(doc["heads"].size(), 8u);
  EXPECT_EQ(doc["heads"][3]["name"], "L2H3");
  EXPECT_TRUE(doc.contains("mean"));
  ASSERT_EQ(doc["next_tokens"].size(), 4u);
  EXPECT_GE(doc["next_tokens"][0]["prob"].get<double>(), doc["next_tokens"][1]["prob"].get<double>());
  EXPECT_TRUE(doc["causal"].get<bool>());

  // The session gives the same map and next token.
  auto session = ModelSession::load(dir);
  session->setText("the cat sat");
  const AttentionResult ref = computeReference(session->problemFor(2, 3));
  for (int i = 0; i < ref.nq; ++i)
    for (int j = 0; j < ref.nk; ++j) EXPECT_NEAR(doc["heads"][3]["weights"][i][j].get<double>(), ref.at(0, i, j), 1e-7);
  EXPECT_EQ(doc["next_tokens"][0]["id"], session->nextTokens(1)[0].id);

  // --head 3 and --head L2H3 select the same head; a mismatched layer is refused.
  const auto a = testing::run("dump --model '" + dir + "' --text 'the cat sat' --layer 2 --engine cpu-ref --head 3");
  const auto b = testing::run("dump --model '" + dir + "' --text 'the cat sat' --engine cpu-ref --head L2H3");
  ASSERT_EQ(a.code, 0) << a.err;
  ASSERT_EQ(b.code, 0) << b.err;
  EXPECT_EQ(a.out, b.out);
  EXPECT_EQ(json::parse(a.out)["heads"].size(), 1u);
  const auto c = testing::run("dump --model '" + dir + "' --text 'the cat sat' --layer 1 --head L2H3");
  EXPECT_EQ(c.code, 2);
  EXPECT_EQ(testing::lines(c.err), 1) << c.err;
  const auto d = testing::run("dump --model '" + dir + "' --text 'the cat sat' --layer 1 --head 8");
  EXPECT_EQ(d.code, 2);
  EXPECT_NE(d.err.find("0..7"), std::string::npos) << d.err;
  const auto csv = testing::run("dump --model '" + dir + "' --text 'the cat' --layer 0 --format csv --head 1");
  ASSERT_EQ(csv.code, 0) << csv.err;
  EXPECT_EQ(testing::lines(csv.out), 1 + 3);  // header + "t", "he", "·cat"
}

TEST(ModelCli, HeadsTableJsonAndCsv) {
  ASSERT_FALSE(testing::tinyModelsDir().empty());
  const std::string dir = modelDir("llama_gqa_bf16");
  const std::string text = "the cat sat on the mat";
  const auto j = testing::run("heads --model '" + dir + "' --text '" + text + "' --json --induction --repeat 8");
  ASSERT_EQ(j.code, 0) << j.err;
  const json doc = json::parse(j.out);
  ASSERT_EQ(doc["heads"].size(), 12u);
  EXPECT_EQ(doc["kv_heads"], 2);
  EXPECT_EQ(doc["heads"][5]["name"], "L0H5");
  EXPECT_EQ(doc["heads"][5]["kv_head"], 1);
  EXPECT_TRUE(doc["definitions"].contains("induction"));
  auto session = ModelSession::load(dir);
  session->setText(text);
  const auto measures = session->measures();
  for (int i = 0; i < 12; ++i) {
    EXPECT_NEAR(doc["heads"][i]["entropy_bits"].get<double>(), measures[std::size_t(i)].entropy_bits, 1e-5);
    EXPECT_NEAR(doc["heads"][i]["previous_token"].get<double>(), measures[std::size_t(i)].previous_token, 1e-5);
    const double ind = doc["heads"][i]["induction"].get<double>();
    EXPECT_TRUE(ind >= 0 && ind <= 1);
  }
  const auto c = testing::run("heads --model '" + dir + "' --text '" + text + "' --csv");
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_EQ(testing::lines(c.out), 13);
  EXPECT_EQ(c.out.substr(0, c.out.find('\n')), "kind,layer,head,kv_head,entropy_bits,mean_distance,previous_token,sink_mass,confidence");
  const auto t = testing::run("heads --model '" + dir + "' --text '" + text + "'");
  ASSERT_EQ(t.code, 0) << t.err;
  EXPECT_NE(t.out.find("L1H5"), std::string::npos);
  const auto bad = testing::run("heads --model '" + dir + "' --text '" + text + "' --json --csv");
  EXPECT_EQ(bad.code, 2);
}

// dump and heads on Gemma: a local layer's map is the session's (its sliding window applied, the
// weights further back 0), and the names say local or global.
TEST(ModelCli, DumpAndHeadsOfGemmaShowTheLocalLayersWindow) {
  ASSERT_FALSE(testing::tinyModelsDir().empty());
  const std::string dir = modelDir("gemma2_softcap_f32");
  const std::string text = "the cat sat on the mat, the cat sat on the mat";
  const auto r = testing::run("dump --model '" + dir + "' --text '" + text + "' --layer 0 --engine cpu-ref --next 2");
  ASSERT_EQ(r.code, 0) << r.err;
  const json doc = json::parse(r.out);
  EXPECT_EQ(doc["heads"][1]["name"], "L0H1 local (kv 0)");
  auto session = ModelSession::load(dir);
  session->setText(text);
  const int n = session->numTokens(), window = session->config().sliding_window;
  ASSERT_GT(n, 2 * window);
  const AttentionResult ref = computeReference(session->problemFor(0, 1));
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      const double w = doc["heads"][1]["weights"][i][j].get<double>();
      EXPECT_NEAR(w, ref.at(0, i, j), 1e-7) << i << "," << j;
      if (j <= i - window) {
        EXPECT_EQ(w, 0.0) << i << "," << j;
      }
    }
  EXPECT_EQ(doc["next_tokens"][0]["id"], session->nextTokens(1)[0].id);
  const auto global = testing::run("dump --model '" + dir + "' --text '" + text + "' --engine cpu-ref --head L1H3");
  ASSERT_EQ(global.code, 0) << global.err;
  EXPECT_EQ(json::parse(global.out)["heads"][0]["name"], "L1H3 global (kv 1)");
  const auto h = testing::run("heads --model '" + dir + "' --text '" + text + "' --json");
  ASSERT_EQ(h.code, 0) << h.err;
  const json heads = json::parse(h.out);
  ASSERT_EQ(heads["heads"].size(), 12u);
  EXPECT_EQ(heads["heads"][1]["layer_kind"], "local");
  EXPECT_EQ(heads["heads"][1]["window"], 8);
  EXPECT_EQ(heads["heads"][5]["layer_kind"], "global");
  EXPECT_EQ(heads["heads"][5]["window"], 0);
  const auto measures = session->measures();
  for (int i = 0; i < 12; ++i)
    EXPECT_NEAR(heads["heads"][i]["entropy_bits"].get<double>(), measures[std::size_t(i)].entropy_bits, 1e-5) << i;
  const auto t = testing::run("heads --model '" + dir + "' --text '" + text + "'");
  ASSERT_EQ(t.code, 0) << t.err;
  EXPECT_NE(t.out.find("L0H1       0  local "), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("L1H1       0  global "), std::string::npos) << t.out;
  const auto c = testing::run("heads --model '" + dir + "' --text '" + text + "' --csv");
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_EQ(c.out.substr(0, c.out.find('\n')), "kind,layer,head,kv_head,layer_kind,entropy_bits,mean_distance,previous_token,sink_mass,confidence");
  EXPECT_NE(c.out.find("\ndecoder,1,3,1,global,"), std::string::npos) << c.out;
}

TEST(ModelCli, RenderSvgOfAModelHead) {
  ASSERT_FALSE(testing::tinyModelsDir().empty());
  const std::string out = testing::tempDir() + "/model_head.svg";
  const auto r = testing::run("render --model '" + modelDir("qwen2_bias_f16") + "' --text 'the cat sat' --head L1H2 --engine cpu-ref --out " + out);
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string svg = testing::readWholeFile(out);
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("·cat"), std::string::npos);
}

// --text-file PATH|-: the same text as --text, from a file or standard input, for every command
// that takes --text (issue 17).
TEST(ModelCli, TextFileAndStandardInputGiveTheSameOutputAsText) {
  ASSERT_FALSE(testing::tinyModelsDir().empty());
  const std::string dir = modelDir("gpt2_plain");
  const std::string text = "the cat sat on the mat";
  const std::string file = testing::tempDir() + "/text_file.txt";
  std::ofstream(file, std::ios::binary) << text;
  for (const std::string command : {"dump --layer 1 --engine cpu-ref --next 3", "heads --json", "tokenize --json"}) {
    const std::string head = command.substr(0, command.find(' ')), rest = command.substr(command.find(' '));
    const auto a = testing::run(head + " --model '" + dir + "' --text '" + text + "'" + rest);
    const auto b = testing::run(head + " --model '" + dir + "' --text-file '" + file + "'" + rest);
    ASSERT_EQ(a.code, 0) << command << ": " << a.err;
    ASSERT_EQ(b.code, 0) << command << ": " << b.err;
    EXPECT_EQ(a.out, b.out) << command;
    // Standard input ("-"): run through the shell with the file as stdin.
    const std::string out = testing::tempDir() + "/stdin_out";
    const std::string cmd = std::string(ATTNVIZ_BINARY) + " " + head + " --model '" + dir + "' --text-file -" + rest + " <" + file +
                            " >" + out + " 2>/dev/null";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    EXPECT_EQ(testing::readWholeFile(out), a.out) << command;
  }
  // Simulated input too; and a text longer than a command line may be (2.5 MB) works from a file.
  const auto sim_a = testing::run("dump --text '" + text + "' --engine cpu-ref");
  const auto sim_b = testing::run("dump --text-file '" + file + "' --engine cpu-ref");
  ASSERT_EQ(sim_b.code, 0) << sim_b.err;
  EXPECT_EQ(sim_a.out, sim_b.out);
  std::string long_text;
  while (long_text.size() < 2500000) long_text += "the cat ";
  std::ofstream(file, std::ios::binary | std::ios::trunc) << long_text;
  const auto tok = testing::run("tokenize --model '" + dir + "' --text-file '" + file + "'");
  EXPECT_EQ(tok.code, 0) << tok.err;
  // t|he|·cat, then ·the|·cat per repeat, and the last space: 2 k + 2 tokens for k = 312,500 repeats.
  EXPECT_EQ(testing::lines(tok.out), 2 * 312500 + 2);
}

// render --model names the model and the layer where simulated input says "simulated model".
TEST(ModelCli, RenderOfAModelNamesTheModel) {
  ASSERT_FALSE(testing::tinyModelsDir().empty());
  const std::string out = testing::tempDir() + "/model_label.svg";
  const auto r = testing::run("render --model '" + modelDir("gpt2_plain") + "' --text 'the cat sat' --head L1H2 --engine cpu-ref --out " + out);
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string svg = testing::readWholeFile(out);
  EXPECT_EQ(svg.find("simulated model"), std::string::npos);
  EXPECT_NE(svg.find("L1H2 head"), std::string::npos);
  EXPECT_NE(svg.find("gpt2_plain layer 1"), std::string::npos);
}

// model-bench's arguments: a negative --append-at used to escape as std::length_error (SIGABRT).
TEST(ModelCli, ModelBenchRefusesArgumentsOutOfRangeInOneLine) {
  ASSERT_FALSE(testing::tinyModelsDir().empty());
  const std::string dir = modelDir("gpt2_plain");
  for (const std::string bad : {"--tokens 10 --append-at -5", "--tokens 10 --append-at 0", "--tokens 10 --append-at 10",
                                 "--tokens 10 --repeat 0", "--tokens 10 --repeat 2000000000", "--tokens 1", "--tokens 65"}) {
    const auto r = testing::run("model-bench --model '" + dir + "' " + bad + " --forward-only");
    EXPECT_EQ(r.code, 2) << bad << ": " << r.err;
    EXPECT_EQ(testing::lines(r.err), 1) << bad << ": " << r.err;
    EXPECT_EQ(r.err.rfind("attnviz model-bench: ", 0), 0u) << r.err;
  }
  const auto ok = testing::run("model-bench --model '" + dir + "' --tokens 10 --append-at 9 --repeat 1 --forward-only");
  EXPECT_EQ(ok.code, 0) << ok.err;
}

}  // namespace
}  // namespace attnviz::model
