// The encoder-decoders through the CLI: dump's three kinds of attention with a typed or a generated
// target (the JSON's source/target fields, shapes, the causal mask only on the decoder's), heads
// and tokenize with a target, render of the cross view, and the refusals (one line, exit 2).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "../core/cli_test_support.h"
#include "core/attention.h"
#include "model/model_session.h"
#include "tiny_models.h"

namespace attnviz::model {
namespace {

using nlohmann::json;

std::string bart() { return testing::tinyModelsDir() + "/bart_f32"; }

json dumpJson(const std::string& args) {
  const auto r = testing::run("dump --model '" + bart() + "' " + args);
  EXPECT_EQ(r.code, 0) << r.err;
  return json::parse(r.out);
}

void expectRefused(const std::string& args, const std::string& needle) {
  const auto r = testing::run(args);
  EXPECT_EQ(r.code, 2) << args << ": " << r.err;
  EXPECT_EQ(testing::lines(r.err), 1) << r.err;
  EXPECT_TRUE(r.out.empty());
  EXPECT_NE(r.err.find(needle), std::string::npos) << "missing '" << needle << "' in: " << r.err;
}

TEST(Seq2SeqCli, DumpShowsEachKindWithItsShapeAndLabels) {
  ASSERT_FALSE(testing::tinyModelsDir().empty());
  const std::string texts = "--text 'the cat sat on the mat' --target 'the cat'";
  const json cross = dumpJson(texts + " --layer 1 --head 'cross L1H2'");
  EXPECT_EQ(cross["attention"], "cross");
  EXPECT_EQ(cross["mode"], "cross");
  EXPECT_FALSE(cross["causal"].get<bool>());
  const std::size_t ns = cross["source_tokens"].size(), nt = cross["target_tokens"].size();
  EXPECT_EQ(cross["query_tokens"], cross["target_tokens"]);
  EXPECT_EQ(cross["key_tokens"], cross["source_tokens"]);
  ASSERT_EQ(cross["heads"].size(), 1u);
  EXPECT_EQ(cross["heads"][0]["name"], "cross L1H2");
  ASSERT_EQ(cross["heads"][0]["weights"].size(), nt);
  EXPECT_EQ(cross["heads"][0]["weights"][0].size(), ns);
  EXPECT_EQ(cross["target_ids"][0].get<int>(), 2);  // decoder_start_token_id first

  const json dec = dumpJson(texts + " --attention decoder --layer 0 --head 1");
  EXPECT_TRUE(dec["causal"].get<bool>());
  ASSERT_EQ(dec["heads"][0]["weights"].size(), nt);
  EXPECT_EQ(dec["heads"][0]["weights"][0].size(), nt);
  EXPECT_EQ(dec["heads"][0]["weights"][0][1].get<double>(), 0.0);  // nothing above the diagonal
  const json enc = dumpJson(texts + " --attention encoder --layer 1 --head 'enc L1H0'");
  EXPECT_FALSE(enc["causal"].get<bool>());
  EXPECT_EQ(enc["heads"][0]["weights"].size(), ns);
  EXPECT_GT(enc["heads"][0]["weights"][0][ns - 1].get<double>(), 0.0);  // the first token sees the last
}

TEST(Seq2SeqCli, TheAlignmentIsEachTargetRowsMostAttendedSourceToken) {
  ASSERT_FALSE(testing::tinyModelsDir().empty());
  const json j = dumpJson("--text 'the cat sat on the mat' --target 'the cat sat' --layer 1 --head mean");
  const auto alignment = j["alignment"].get<std::vector<int>>();
  const auto& mean = j["mean"]["weights"];
  ASSERT_EQ(alignment.size(), mean.size());
  for (std::size_t i = 0; i < mean.size(); ++i) {
    const auto row = mean[i].get<std::vector<double>>();
    EXPECT_EQ(alignment[i], int(std::max_element(row.begin(), row.end()) - row.begin())) << i;
  }
  EXPECT_TRUE(dumpJson("--text 'the cat' --attention encoder --layer 0").count("alignment") == 0);  // self-attention has none
  const std::string svg = testing::tempDir() + "/align.svg";
  auto r = testing::run("render --model '" + bart() + "' --text 'the cat sat on the mat' --target 'the cat sat' --layer 1 --alignment --out '" +
                        svg + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string text = testing::slurp(svg);
  std::size_t lines = 0;
  for (std::size_t at = text.find("class=\"alignment\""); at != std::string::npos; at = text.find("class=\"alignment\"", at + 1)) ++lines;
  EXPECT_EQ(lines, alignment.size());
  expectRefused("render --model '" + bart() + "' --text 'the cat' --attention encoder --alignment --out '" + svg + "'",
                "--alignment applies to cross-attention");
}

TEST(Seq2SeqCli, GenerateAppendsARowPerTokenAndMatchesTheSession) {
  ASSERT_FALSE(testing::tinyModelsDir().empty());
  const json j = dumpJson("--text 'the cat sat on the mat' --generate 4 --next 2");
  const auto generated = j["generated_ids"].get<std::vector<int>>();
  ASSERT_FALSE(generated.empty());
  EXPECT_EQ(j["target_ids"].size(), generated.size() + 1);
  EXPECT_EQ(j["heads"][0]["weights"].size(), generated.size() + 1);  // one cross row per target token
  auto session = ModelSession::load(bart());
  session->setText("the cat sat on the mat");
  GenerateOptions greedy;
  greedy.count = 4;
  EXPECT_EQ(session->generate(greedy), generated);
  EXPECT_EQ(j["next_tokens"][0]["id"].get<int>(), session->nextTokens(1)[0].id);
}

TEST(Seq2SeqCli, HeadsTokenizeAndRenderTakeTheTarget) {
  ASSERT_FALSE(testing::tinyModelsDir().empty());
  auto r = testing::run("heads --model '" + bart() + "' --text 'the cat sat' --target 'a cat' --attention decoder --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const json heads = json::parse(r.out);
  EXPECT_EQ(heads["attention"], "decoder");
  EXPECT_EQ(heads["heads"][0]["name"], "dec L0H0");
  r = testing::run("tokenize --model '" + bart() + "' --text 'the cat' --target 'a cat'");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("# target\n0\t97\ta\n"), std::string::npos) << r.out;
  const std::string png = testing::tempDir() + "/cross.png";
  r = testing::run("render --model '" + bart() + "' --text 'the cat sat' --generate 3 --out '" + png + "'");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_GT(testing::slurp(png).size(), 1000u);
}

TEST(Seq2SeqCli, MisusesAreOneLineExitTwo) {
  ASSERT_FALSE(testing::tinyModelsDir().empty());
  const std::string m = "dump --model '" + bart() + "' --text 'the cat' ";
  expectRefused(m + "--causal", "no causal mask");
  expectRefused(m + "--attention sideways", "--attention must be");
  expectRefused(m + "--head 'enc L0H1'", "encoder attention");
  expectRefused(m + "--target 'a' --generate 2", "--target and --generate");
  expectRefused(m + "--generate 0", "--generate must be");
  expectRefused(m + "--target \"$(printf 'a%.0s' $(seq 80))\"", "64 positions");
  expectRefused("dump --model '" + testing::tinyModelsDir() + "/gpt2_plain' --text 'the cat' --target 'x'", "encoder-decoder");
  expectRefused("dump --model '" + testing::tinyModelsDir() + "/gpt2_plain' --text 'the cat' --attention cross", "decoder attention only");
  expectRefused("heads --model '" + bart() + "' --text 'the cat' --attention sideways", "--attention must be encoder, decoder, cross or all");
}

// heads --attention all: every kind's layers x heads, a kind column, and a cross row's distance and
// previous token left empty (a query and a key are not positions of one text).
TEST(Seq2SeqCli, HeadsCoverEveryKindWithAKindColumn) {
  ASSERT_FALSE(testing::tinyModelsDir().empty());
  auto r = testing::run("heads --model '" + bart() + "' --text 'the cat sat' --target 'a cat' --attention all --csv");
  ASSERT_EQ(r.code, 0) << r.err;
  auto session = ModelSession::load(bart());
  const std::size_t per_kind = std::size_t(session->numLayers() * session->numHeads());
  std::istringstream lines(r.out);
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line.rfind("kind,layer,head,kv_head,entropy_bits,mean_distance,previous_token,", 0), 0u) << line;
  std::map<std::string, std::size_t> rows;
  while (std::getline(lines, line)) {
    const std::string kind = line.substr(0, line.find(','));
    ++rows[kind];
    if (kind == "cross") EXPECT_NE(line.find(",,,"), std::string::npos) << line;  // kv_head, then two empty cells
    else EXPECT_EQ(line.find(",,"), std::string::npos) << line;
  }
  EXPECT_EQ(rows["encoder"], per_kind);
  EXPECT_EQ(rows["decoder"], per_kind);
  EXPECT_EQ(rows["cross"], per_kind);
  r = testing::run("heads --model '" + bart() + "' --text 'the cat sat' --target 'a cat' --attention cross --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["heads"][0]["kind"], "cross");
  EXPECT_EQ(j["heads"][0]["name"], "cross L0H0");
  EXPECT_TRUE(j["heads"][0]["mean_distance"].is_null());
  EXPECT_GT(j["heads"][0]["entropy_bits"].get<double>(), 0.0);
}

// T5 through the CLI: the maps dump exports are the session's biased ones (checked against NumPy in
// seq2seq_test), computed on cpu-ref with the reason auto gives; a GPU engine asked for by name is
// refused rather than showing unbiased maps; the cross-attention (no bias) runs anywhere.
TEST(Seq2SeqCli, T5MapsCarryTheirBiasAndAGpuEngineIsRefusedByName) {
  ASSERT_FALSE(testing::tinyModelsDir().empty());
  const std::string t5 = testing::tinyModelsDir() + "/t5_f32";
  const std::string texts = "--text 'The cat sat on the mat.' --target 'The dog'";
  auto r = testing::run("dump --model '" + t5 + "' " + texts + " --attention encoder --layer 1 --head 2");
  ASSERT_EQ(r.code, 0) << r.err;
  const json enc = json::parse(r.out);
  EXPECT_EQ(enc["engine"], "cpu-ref");
  EXPECT_NE(enc["engine_fallback_reason"].get<std::string>().find("score bias"), std::string::npos);
  auto session = ModelSession::load(t5);
  session->setText("The cat sat on the mat.");
  session->setTarget("The dog");
  session->setAttentionKind(AttentionKind::encoder);
  const AttentionResult want = computeReference(session->problemFor(1, 2));
  const auto& rows = enc["heads"][0]["weights"];
  ASSERT_EQ(rows.size(), std::size_t(want.nq));
  for (int i = 0; i < want.nq; ++i)
    for (int j = 0; j < want.nk; ++j) EXPECT_NEAR(rows[std::size_t(i)][std::size_t(j)].get<double>(), want.at(0, i, j), 1e-6);
  for (const char* engine : {"gpu-compute", "gpu-fragment"}) {
    expectRefused("dump --model '" + t5 + "' " + texts + " --attention decoder --engine " + engine, "score bias");
  }
  r = testing::run("dump --model '" + t5 + "' --text 'The cat sat' --generate 3 --layer 2 --head mean");
  ASSERT_EQ(r.code, 0) << r.err;
  const json cross = json::parse(r.out);
  EXPECT_EQ(cross["target_ids"][0].get<int>(), 0);  // decoder_start_token_id = <pad>
  EXPECT_EQ(cross["source_ids"].back().get<int>(), 1);  // </s> after the source
}

}  // namespace
}  // namespace attnviz::model
