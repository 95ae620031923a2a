// tiny-translator, the encoder-decoder that ships with attnviz (assets/models, trained by
// scripts/train-demo-translator.py), on the committed weights: its forward against the independent
// NumPy reference, its tokenizer against python3-sentencepiece (tiny_models.py --shipped), and what
// it learned, measured by attnviz on the generator's held-out pairs (alignment_test.json: never
// trained on, each with its gold word alignment).
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../core/cli_test_support.h"
#include "core/attention.h"
#include "core/npy.h"
#include "model/model_path.h"
#include "model/model_session.h"
#include "model/seq2seq.h"
#include "model/tokenizer_model.h"
#include "tiny_models.h"

namespace attnviz::model {
namespace {

using nlohmann::json;

const std::string kName = "tiny-translator";

struct HeldOutPair {
  std::string source, target;
  std::vector<std::vector<int>> alignment;  // per target word: the source words it translates
};

std::vector<HeldOutPair> heldOutPairs() {
  const json doc = json::parse(testing::readWholeFile(testing::shippedModelDir(kName) + "/alignment_test.json"));
  std::vector<HeldOutPair> pairs;
  for (const json& p : doc["pairs"])
    pairs.push_back({p["source"].get<std::string>(), p["target"].get<std::string>(), p["alignment"].get<std::vector<std::vector<int>>>()});
  return pairs;
}

// The source words of every target word: the most attended in each layer's mean of heads, on the
// decoder row that writes the word (row t: the start token and target words before t). Words are
// single tokens of this model, so token t is word t.
struct AlignmentScore {
  std::vector<double> per_layer;  // share of target words whose argmax is one of their gold words
  double diagonal = 0;            // the same for a monotonic alignment (word t -> source t * ns / nt)
  int words = 0;
};

AlignmentScore alignmentAgreement(ModelSession& session, const std::vector<HeldOutPair>& pairs) {
  const ModelTokenizer& tok = *session.tokenizer();
  AlignmentScore score;
  session.setAttentionKind(AttentionKind::cross);
  score.per_layer.assign(std::size_t(session.numLayers()), 0.0);
  double diagonal_hits = 0;
  for (const HeldOutPair& pair : pairs) {
    const std::vector<std::int32_t> src = tok.encode(pair.source).ids;
    std::vector<std::int32_t> tgt = tok.encodeTarget(pair.target).ids;
    EXPECT_EQ(tgt.size(), pair.alignment.size() + 1) << "one token per target word, then </s>: " << pair.target;
    tgt.pop_back();
    session.setTokenIds(std::vector<int>(src.begin(), src.end()));
    session.setTargetIds(std::vector<int>(tgt.begin(), tgt.end()));
    const int ns = int(src.size()), nt = int(pair.alignment.size());
    for (int l = 0; l < session.numLayers(); ++l) {
      const AttentionResult r = computeReference(session.problemForLayer(l));
      for (int t = 0; t < nt; ++t) {
        int best = 0;
        double best_mass = -1;
        for (int j = 0; j < ns; ++j) {
          double mass = 0;
          for (int h = 0; h < r.heads; ++h) mass += r.at(h, t, j);
          if (mass > best_mass) best_mass = mass, best = j;
        }
        const auto& gold = pair.alignment[std::size_t(t)];
        score.per_layer[std::size_t(l)] += std::find(gold.begin(), gold.end(), best) != gold.end();
      }
    }
    const int words = ns - 1;  // without </s>
    for (int t = 0; t < nt; ++t) {
      const int guess = std::min(words - 1, int(std::lround((t + 0.5) * words / nt - 0.5)));
      const auto& gold = pair.alignment[std::size_t(t)];
      diagonal_hits += std::find(gold.begin(), gold.end(), guess) != gold.end();
    }
    score.words += nt;
  }
  for (double& s : score.per_layer) s /= score.words;
  score.diagonal = diagonal_hits / score.words;
  return score;
}

TEST(ShippedTinyTranslator, ResolvesByNameAndIsListedAsShipped) {
  const auto folder = resolveModelDirectory(kName);
  EXPECT_TRUE(std::filesystem::equivalent(folder, testing::shippedModelDir(kName))) << folder;
  bool listed = false;
  for (const ShippedModel& m : listShippedModels()) listed |= m.name == kName;
  EXPECT_TRUE(listed);
}

// From a folder that is not the clone, as a lecturer runs it: the greedy translation of a sentence
// the generator can make, with its cross-attention.
TEST(ShippedTinyTranslator, TheCliTranslatesByNameFromAnyFolder) {
  const std::string out = testing::tempDir() + "/translation.json", err = testing::tempDir() + "/translation.err";
  const std::string cmd = "cd / && " + std::string(ATTNVIZ_BINARY) + " dump --model " + kName +
                          " --text 'the big dog sees a cat' --generate 20 --attention cross --head mean >" + out + " 2>" + err;
  const int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << cmd << "\n" << testing::slurp(err);
  const json doc = json::parse(testing::slurp(out));
  std::string words;
  for (const json& t : doc["target_tokens"]) words += t.get<std::string>() + " ";
  // hundon grandi (the dog big) ... kato (a cat) ... vidas (sees) last.
  EXPECT_NE(words.find("hundon"), std::string::npos) << words;
  EXPECT_NE(words.find("grandi"), std::string::npos) << words;
  EXPECT_NE(words.find("vidas"), std::string::npos) << words;
}

// Tolerances as in seq2seq_test.cpp (float32 against float64 on the same F16 weights).
TEST(ShippedTinyTranslator, ForwardMatchesTheNumpyReference) {
  const std::string refs = testing::shippedModelRefsDir(kName);
  ASSERT_FALSE(refs.empty()) << "tiny_models.py --shipped could not write the references";
  const std::string dir = refs + "/shipped";
  auto session = ModelSession::load(dir, false);
  const std::vector<int> src = testing::idsFromNpy(dir + "/ref_src_ids.npy"), tgt = testing::idsFromNpy(dir + "/ref_tgt_ids.npy");
  session->setTokenIds(src);
  session->setTargetIds(std::vector<int>(tgt.begin() + 1, tgt.end()));
  for (const auto& [kind, file] : {std::pair{AttentionKind::encoder, "enc"}, {AttentionKind::decoder, "dec"}, {AttentionKind::cross, "cross"}}) {
    session->setAttentionKind(kind);
    for (int l = 0; l < session->numLayers(); ++l) {
      const NpyArray ref = readNpy(dir + "/ref_" + file + "_L" + std::to_string(l) + ".npy");
      const AttentionResult got = computeReference(session->problemForLayer(l));
      ASSERT_EQ(got.p.size(), ref.data.size()) << file << l;
      double worst = 0;
      for (std::size_t i = 0; i < ref.data.size(); ++i) worst = std::max(worst, std::abs(double(got.p[i]) - ref.data[i]));
      EXPECT_LE(worst, 2e-3) << file << " layer " << l;
      RecordProperty(std::string("worst_map_error_") + file + "_L" + std::to_string(l), std::to_string(worst));
    }
  }
  const NpyArray ref = readNpy(dir + "/ref_logits.npy");
  const int vocab = session->config().vocab_size;
  double largest = 0, worst = 0;
  for (float v : ref.data) largest = std::max(largest, double(std::abs(v)));
  for (int pos = 0; pos < int(tgt.size()); ++pos) {
    const std::vector<float> logits = session->seq2seq()->logits(pos);
    for (int t = 0; t < vocab; ++t) worst = std::max(worst, std::abs(double(logits[std::size_t(t)]) - ref.data[std::size_t(pos) * vocab + t]));
  }
  RecordProperty("worst_logit_error", std::to_string(worst) + " of " + std::to_string(largest));
  EXPECT_LE(worst, 2e-3 * largest);
}

TEST(ShippedTinyTranslator, TokenizerGivesTheIdsOfPythonSentencePiece) {
  const std::string refs = testing::shippedModelRefsDir(kName);
  ASSERT_FALSE(refs.empty());
  const ModelTokenizer tok = ModelTokenizer::fromDirectory(testing::shippedModelDir(kName));
  const json cases = json::parse(testing::readWholeFile(refs + "/shipped/ref_tokenizer.json"));
  ASSERT_GE(cases.size(), 8u);
  for (const json& c : cases) {
    const std::string text = c["text"].get<std::string>();
    if (c.contains("source_ids")) {
      EXPECT_EQ(tok.encode(text).ids, c["source_ids"].get<std::vector<std::int32_t>>()) << text;
    }
    if (c.contains("target_ids")) {
      EXPECT_EQ(tok.encodeTarget(text).ids, c["target_ids"].get<std::vector<std::int32_t>>()) << text;
    }
  }
}

// Thresholds: the minimums (90% exact, 80% alignment agreement); the trained model's own
// figures are in its card and in the properties recorded here.
TEST(ShippedTinyTranslator, GreedyTranslationReproducesTheGoldOnHeldOutSentences) {
  auto session = ModelSession::load(kName);
  const std::vector<HeldOutPair> pairs = heldOutPairs();
  ASSERT_GE(pairs.size(), 100u);
  int exact = 0;
  GenerateOptions greedy;
  greedy.count = 40;
  for (const HeldOutPair& pair : pairs) {
    session->setText(pair.source);
    const std::vector<int> out = session->generate(greedy);
    const std::vector<std::int32_t> gold = session->tokenizer()->encodeTarget(pair.target).ids;  // ends with </s>
    exact += std::vector<std::int32_t>(out.begin(), out.end()) == gold;
  }
  RecordProperty("exact_translations", std::to_string(exact) + " of " + std::to_string(pairs.size()));
  EXPECT_GE(exact, 0.9 * double(pairs.size()));
}

TEST(ShippedTinyTranslator, CrossAttentionAlignsWithTheGoldAlignmentThatIsNotMonotonic) {
  auto session = ModelSession::load(kName);
  const AlignmentScore score = alignmentAgreement(*session, heldOutPairs());
  ASSERT_GT(score.words, 500);
  const double best = *std::max_element(score.per_layer.begin(), score.per_layer.end());
  for (std::size_t l = 0; l < score.per_layer.size(); ++l)
    RecordProperty("alignment_agreement_L" + std::to_string(l), std::to_string(score.per_layer[l]));
  RecordProperty("diagonal_agreement", std::to_string(score.diagonal));
  EXPECT_GE(best, 0.8) << "alignment error rate " << 1 - best;
  // The task's word order differs from English's: a monotonic guess misses most words.
  EXPECT_LT(score.diagonal, 0.5);
}

// Ablating the cross-attention of one decoder layer (all 4 heads) breaks the translation; the
// session's target and maps are as they were afterwards.
TEST(ShippedTinyTranslator, AblatingALayersCrossAttentionChangesTheTranslationAndLeavesTheSession) {
  auto session = ModelSession::load(kName);
  session->setText("the old king sees a small dog in the garden yesterday");
  session->setTarget("hieraŭ regon");
  session->setAttentionKind(AttentionKind::cross);
  const std::vector<int> target = session->targetIds();
  const AttentionResult map = computeReference(session->problemForLayer(2));
  std::vector<KindHeadRef> heads;
  for (int h = 0; h < 4; ++h) heads.push_back({AttentionKind::cross, {2, h}});
  const TranslationAblation r = session->ablateTranslation(heads, 40);
  EXPECT_EQ(session->decodeTarget(std::vector<int>(r.before.begin(), r.before.end() - 1)), "hieraŭ regon veki gardon en hundo mali vidas");
  EXPECT_NE(r.after, r.before);
  EXPECT_GE(r.first_difference, 0);
  EXPECT_GT(r.logprob_before, -0.05);  // the model is sure of its own translation
  EXPECT_LT(r.logprob_after, r.logprob_before - 0.5);
  EXPECT_GT(r.kl_nats, 0.5);
  RecordProperty("logprob_before_after", std::to_string(r.logprob_before) + " -> " + std::to_string(r.logprob_after));
  EXPECT_EQ(session->targetIds(), target);
  const AttentionResult after = computeReference(session->problemForLayer(2));
  ASSERT_EQ(after.p.size(), map.p.size());
  for (std::size_t i = 0; i < map.p.size(); ++i) ASSERT_NEAR(after.p[i], map.p[i], 1e-6) << i;
}

TEST(ShippedTinyTranslator, TheAblateCommandComparesTranslationsAndRefusesBadInputByName) {
  const std::string base = "ablate --model tiny-translator --text 'the dog sees a cat' ";
  const testing::CliRun ok = testing::run(base + "--heads L2H0,L2H1,L2H2,L2H3 --json");
  ASSERT_EQ(ok.code, 0) << ok.err;
  const json doc = json::parse(ok.out);
  EXPECT_EQ(doc["attention"], "cross");
  EXPECT_EQ(doc["heads"][0], "cross L2H0");
  EXPECT_EQ(doc["before"]["translation"], "hundon kato vidas");
  EXPECT_LT(doc["logprob_after"].get<double>(), doc["logprob_before"].get<double>());
  const testing::CliRun encoder = testing::run(base + "--heads L0H1 --attention encoder");
  EXPECT_EQ(encoder.code, 0) << encoder.err;
  EXPECT_NE(encoder.out.find("encoder attention"), std::string::npos) << encoder.out;
  for (const auto& [args, says] : std::vector<std::pair<std::string, std::string>>{
           {"--heads L3H0", "L3H0"},
           {"--heads L0H0 --mode mean", "--mode mean"},
           {"--heads L0H0 --attention sideways", "--attention"},
           {"--heads L0H0 --generate 0", "--generate"},
           {"--heads L0H0 --target x", "--target"},
           {"--heads L0H0,L0H0", "twice"}}) {
    const testing::CliRun r = testing::run(base + args);
    EXPECT_EQ(r.code, 2) << args;
    EXPECT_NE(r.err.find(says), std::string::npos) << args << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << args << ": " << r.err;
  }
}

}  // namespace
}  // namespace attnviz::model
