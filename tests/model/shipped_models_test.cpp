// The models that ship with attnviz (assets/models, trained by scripts/train-demo-models.py), on
// the committed weights: the forward against the independent NumPy reference; the tokenizer
// against an independent byte-level BPE (tiny_models.py --shipped); `--model tiny-gpt` found from
// any working directory.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../core/cli_test_support.h"
#include "core/attention.h"
#include "core/npy.h"
#include "model/head_ablation.h"
#include "model/model_path.h"
#include "model/model_session.h"
#include "model/tokenizer_model.h"
#include "model/transformer.h"
#include "tiny_models.h"

namespace attnviz::model {
namespace {

using nlohmann::json;

// Found by name from a folder that is not the clone, as `attnviz --model tiny-gpt` is.
TEST(ShippedTinyGpt, TheCliFindsItByNameFromAnyFolder) {
  const std::string out = testing::tempDir() + "/tokens.txt", err = testing::tempDir() + "/tokens.err";
  const std::string cmd = "cd / && " + std::string(ATTNVIZ_BINARY) + " tokenize --model tiny-gpt --text 'In the beginning' >" + out + " 2>" + err;
  const int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << cmd << "\n" << testing::slurp(err);
  EXPECT_NE(testing::slurp(out).find("begin"), std::string::npos) << testing::slurp(out);
}

TEST(ShippedTinyGpt, ResolvesByNameToTheShippedFolder) {
  const auto folder = resolveModelDirectory("tiny-gpt");
  EXPECT_TRUE(std::filesystem::equivalent(folder, testing::shippedModelDir("tiny-gpt"))) << folder;
  bool listed = false;
  for (const ShippedModel& m : listShippedModels()) listed |= m.name == "tiny-gpt";
  EXPECT_TRUE(listed);
}

// Tolerances as in forward_test.cpp (float32 against float64 on the same F16 weights).
TEST(ShippedTinyGpt, ForwardMatchesTheNumpyReference) {
  const std::string refs = testing::shippedModelRefsDir("tiny-gpt");
  ASSERT_FALSE(refs.empty());
  const std::string dir = refs + "/shipped";
  auto session = ModelSession::load(dir, false);
  const std::vector<int> ids = testing::referenceIds(dir);
  session->setTokenIds(ids);
  const int n = int(ids.size());
  for (int l = 0; l < session->numLayers(); ++l) {
    const NpyArray ref = readNpy(dir + "/ref_attn_L" + std::to_string(l) + ".npy");
    const AttentionResult got = computeReference(session->problemForLayer(l));
    ASSERT_EQ(got.p.size(), ref.data.size());
    double worst = 0;
    for (std::size_t i = 0; i < ref.data.size(); ++i) worst = std::max(worst, std::abs(double(got.p[i]) - ref.data[i]));
    EXPECT_LE(worst, 2e-3) << "layer " << l;
    RecordProperty("worst_map_error_L" + std::to_string(l), std::to_string(worst));
  }
  const NpyArray ref_logits = readNpy(dir + "/ref_logits.npy");
  const int vocab = session->config().vocab_size;
  double largest = 0, worst = 0;
  for (float v : ref_logits.data) largest = std::max(largest, double(std::abs(v)));
  for (int pos = 0; pos < n; ++pos) {
    const std::vector<float> logits = session->transformer().logits(pos);
    for (int t = 0; t < vocab; ++t)
      worst = std::max(worst, std::abs(double(logits[std::size_t(t)]) - ref_logits.data[std::size_t(pos) * vocab + t]));
  }
  RecordProperty("worst_logit_error", std::to_string(worst) + " of " + std::to_string(largest));
  EXPECT_LE(worst, 2e-3 * largest);
}

TEST(ShippedTinyGpt, TokenizerGivesTheIdsOfAnIndependentBpe) {
  const std::string refs = testing::shippedModelRefsDir("tiny-gpt");
  ASSERT_FALSE(refs.empty());
  const ModelTokenizer tok = ModelTokenizer::fromDirectory(testing::shippedModelDir("tiny-gpt"));
  const json cases = json::parse(testing::readWholeFile(refs + "/shipped/ref_tokenizer.json"));
  ASSERT_GE(cases.size(), 3u);
  for (const json& c : cases) {
    const std::string text = c["text"];
    const Encoding e = tok.encode(text);
    EXPECT_EQ(std::vector<int>(e.ids.begin(), e.ids.end()), c["ids"].get<std::vector<int>>()) << text;
  }
}

// Learned heads, measured as a user would (`attnviz heads --induction --json`), on the committed
// weights. The thresholds sit well below what the trained model shows (its card lists the
// scores) and far above what an untrained model of the same shape shows.
struct BestHeads {
  double previous = -1, induction = -1;
  int previous_layer = -1, induction_layer = -1;
};

BestHeads measuredBestHeads(const std::string& model) {
  const testing::CliRun r = testing::run("heads --model '" + model +
                                         "' --text 'The LORD is my shepherd; I shall not want. He maketh me to lie down in green pastures.'"
                                         " --induction --json");
  EXPECT_EQ(r.code, 0) << r.err;
  BestHeads best;
  if (r.code != 0) return best;
  const json doc = json::parse(r.out);
  for (const json& h : doc["heads"]) {
    if (h["previous_token"].get<double>() > best.previous) {
      best.previous = h["previous_token"];
      best.previous_layer = h["layer"];
    }
    if (h["induction"].get<double>() > best.induction) {
      best.induction = h["induction"];
      best.induction_layer = h["layer"];
    }
  }
  return best;
}

constexpr double kPreviousTokenHead = 0.6, kInductionHead = 0.5;

TEST(ShippedTinyGpt, HasLearnedAPreviousTokenHeadAndALaterInductionHead) {
  const BestHeads best = measuredBestHeads(testing::shippedModelDir("tiny-gpt"));
  RecordProperty("best_previous_token", std::to_string(best.previous));
  RecordProperty("best_induction", std::to_string(best.induction));
  EXPECT_GE(best.previous, kPreviousTokenHead);
  EXPECT_GE(best.induction, kInductionHead);
  EXPECT_GT(best.induction_layer, best.previous_layer) << "an induction head reads what a previous-token head wrote below it";
}

TEST(ShippedTinyGpt, AnUntrainedModelOfTheSameShapeHasNeitherHead) {
  const std::string refs = testing::shippedModelRefsDir("tiny-gpt");
  ASSERT_FALSE(refs.empty());
  for (const char* twin : {"untrained", "random"}) {
    const BestHeads best = measuredBestHeads(refs + "/" + twin);
    EXPECT_LT(best.previous, kPreviousTokenHead) << twin;
    EXPECT_LT(best.induction, kInductionHead) << twin;
    EXPECT_GE(best.previous, 0) << twin << ": not measured";
  }
}

// What the heads do, not where they look (head importance, Michel et al. 2019, zero ablation): on
// 30 random words said twice the second copy is predictable only through the induction circuit.
// Its first half, the previous-token head L0H1, is the one head the loss cannot do without; its
// second half is layer 1's four induction heads, redundant one by one (each alone adds < 0.15
// nats here) but not together. Measured on the committed weights: L0H1 +2.13 nats, next head
// +0.38; layer 1's four heads together +2.78, layer 0's other three +0.49. Thresholds with margin.
TEST(ShippedTinyGpt, ItsInductionCircuitIsWhatTheLossOnARepeatedPhraseNeeds) {
  const std::string phrase = "lantern orchard silver wheel candle falcon garden orchard stone falcon apple garden copper silver lantern "
                             "market garden silver silver garden harbor wheel lantern wheel mirror harbor apple stone seven orchard";
  auto session = ModelSession::load("tiny-gpt");
  session->setText(phrase + ". " + phrase + ".");
  const std::vector<std::vector<double>> importance = session->headImportance();
  double second = 0;
  for (int l = 0; l < 2; ++l)
    for (int h = 0; h < 4; ++h)
      if (!(l == 0 && h == 1)) second = std::max(second, importance[std::size_t(l)][std::size_t(h)]);
  RecordProperty("importance_L0H1", std::to_string(importance[0][1]));
  RecordProperty("importance_next", std::to_string(second));
  EXPECT_GT(importance[0][1], 3 * second);
  const AblationOutcome induction = session->ablate({{1, 0}, {1, 1}, {1, 2}, {1, 3}}, AblationMode::Zero, 1);
  const AblationOutcome others = session->ablate({{0, 0}, {0, 2}, {0, 3}}, AblationMode::Zero, 1);
  const double rise = induction.loss_after - induction.loss_before, other_rise = others.loss_after - others.loss_before;
  RecordProperty("layer1_rise", std::to_string(rise));
  RecordProperty("layer0_others_rise", std::to_string(other_rise));
  EXPECT_GT(rise, 1.5);
  EXPECT_GT(rise, 3 * other_rise);
}

}  // namespace
}  // namespace attnviz::model
