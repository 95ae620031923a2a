// Value-weighted contributions, head ablation and head importance against the NumPy reference
// (reference_forward.py's `edit`, written from the definitions in head_ablation.h), on every tiny
// checkpoint; and the CLI (ablate, heads --importance, dump --contribution) end to end.
//
// Tolerances (forward_test.cpp derives the forward's: maps 2e-3 absolute, logits 2e-3 of the
// largest |logit|). Ablation runs the same float32 arithmetic with some head outputs replaced by 0
// or by a mean of n <= 40 float32 values (relative error <= n*u ~ 2.4e-6, far below the rest), so
// ablated logits keep the forward's logit tolerance.
// Contributions are alpha_ij * ||v_j W_O^h||: alpha within 2e-3 (the map tolerance); v elements,
// like q/k, within ~3e-3 relative worst case (forward_test.cpp), and the norm of a product of
// length head_dim <= 16 adds gamma_16 ~ 1e-6; so |dC| <= 2e-3 * N + 3e-3 * N = 5e-3 * N, N the
// head's largest norm. Row-normalised contributions c/S (S = the row's sum): |d(c/S)| <=
// (|dc| + (c/S)|dS|) / S <= 2 * 5e-3 * N / S, taking |dS| <= 5e-3 * N as for one entry (the
// weights' errors in a row largely cancel, the weights summing to 1 in both). On rows whose
// reference sum is S >= N/2 this is <= 2e-2; only those rows are checked (the test counts them).
// The loss (mean of logsumexp(z) - z_target) moves by at most twice the largest logit error; with
// the forward's worst-case 2e-3 * largest that is several tenths of a nat here, too loose to say
// anything about importance (~0.05..1 nats). We use the typical bound instead: forward_test.cpp
// derives typical element errors ~1e-5 relative, times 20 as it does for the maps: 2e-4 of the
// largest |logit| per logit, so 4e-4 * largest for a loss and 8e-4 * largest for a difference of
// two losses (importance). Seen on the development machine: recorded as test properties.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../core/cli_test_support.h"
#include "core/attention.h"
#include "core/npy.h"
#include "model/head_ablation.h"
#include "model/model_config.h"
#include "model/model_error.h"
#include "model/model_session.h"
#include "model/safetensors.h"
#include "model/transformer.h"
#include "tiny_models.h"

namespace attnviz::model {
namespace {

using testing::referenceIds;

using nlohmann::json;

constexpr double kMapTolerance = 2e-3;
constexpr double kLogitRelativeTolerance = 2e-3;
constexpr double kContributionRelativeTolerance = 5e-3;
constexpr double kRowNormalisedTolerance = 2e-2;
constexpr double kLossRelativeTolerance = 4e-4;        // of the largest |logit|
constexpr double kImportanceRelativeTolerance = 8e-4;  // of the largest |logit|

json readJson(const std::string& path) {
  std::ifstream in(path);
  return json::parse(in);
}

Transformer loadTransformer(const std::string& dir) {
  return Transformer(loadModelConfig(dir + "/config.json"), WeightStore::openDirectory(dir));
}

double largestAbs(const NpyArray& a) {
  double m = 0;
  for (float v : a.data) m = std::max(m, double(std::abs(v)));
  return m;
}

// Worst |logit - reference| over every position of hidden states [n][D].
double worstLogitError(const Transformer& t, const std::vector<float>& hidden, const NpyArray& ref) {
  const int n = t.length(), V = t.config().vocab_size;
  const std::size_t D = std::size_t(t.config().hidden_size);
  double worst = 0;
  for (int pos = 0; pos < n; ++pos) {
    const std::vector<float> z = t.logitsOfHidden(hidden.data() + std::size_t(pos) * D);
    for (int v = 0; v < V; ++v) worst = std::max(worst, std::abs(double(z[std::size_t(v)]) - ref.data[std::size_t(pos) * V + v]));
  }
  return worst;
}

std::vector<HeadRef> referenceHeads(const json& doc) {
  std::vector<HeadRef> heads;
  for (const auto& h : doc["heads"]) heads.push_back({h[0].get<int>(), h[1].get<int>()});
  return heads;
}

class AblationVsNumpy : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const std::string root = testing::tinyModelsDir();
    ASSERT_FALSE(root.empty()) << "could not generate the tiny models (needs /usr/bin/python3 with numpy)";
    dir_ = root + "/" + GetParam();
  }
  std::string dir_;
};

TEST_P(AblationVsNumpy, ContributionsOfEveryHeadMatch) {
  auto session = ModelSession::load(dir_, false);
  session->setTokenIds(referenceIds(dir_));
  const int n = session->numTokens();
  double worst_ratio = 0;
  int rows_checked = 0;
  bool differs_from_weights = false;
  for (int l = 0; l < session->numLayers(); ++l) {
    const NpyArray ref = readNpy(dir_ + "/ref_contrib_L" + std::to_string(l) + ".npy");
    ASSERT_EQ(ref.shape, (std::vector<std::size_t>{std::size_t(session->numHeads()), std::size_t(n), std::size_t(n)}));
    for (int h = 0; h < session->numHeads(); ++h) {
      const AttentionResult p = computeReference(session->problemFor(l, h));
      const std::vector<float> norms = session->valueOutputNorms(l, h);
      const std::vector<float> raw = contributionsOfWeights(p.p.data(), n, n, norms, false);
      const std::vector<float> rows = contributionsOfWeights(p.p.data(), n, n, norms, true);
      const float* r = ref.data.data() + std::size_t(h) * n * n;
      double largest_norm = 0, worst = 0;
      for (float v : norms) largest_norm = std::max(largest_norm, double(v));
      for (int i = 0; i < n * n; ++i) {
        ASSERT_TRUE(std::isfinite(raw[std::size_t(i)])) << GetParam() << " L" << l << "H" << h;
        worst = std::max(worst, std::abs(double(raw[std::size_t(i)]) - r[i]));
      }
      EXPECT_LE(worst, kContributionRelativeTolerance * largest_norm) << GetParam() << " L" << l << "H" << h;
      worst_ratio = std::max(worst_ratio, worst / largest_norm);
      for (int i = 0; i < n; ++i) {
        double sum = 0;
        for (int j = 0; j <= i; ++j) sum += r[i * n + j];
        if (sum < largest_norm / 2) continue;
        ++rows_checked;
        double got_sum = 0;
        for (int j = 0; j < n; ++j) {
          ASSERT_NEAR(rows[std::size_t(i) * n + j], r[i * n + j] / sum, kRowNormalisedTolerance) << GetParam() << " L" << l << "H" << h;
          got_sum += rows[std::size_t(i) * n + j];
          // A contribution map is not the weight map: the value norms reorder the keys.
          if (std::abs(rows[std::size_t(i) * n + j] - p.at(0, i, j)) > 0.05) differs_from_weights = true;
        }
        EXPECT_NEAR(got_sum, 1.0, 1e-5);
      }
    }
  }
  RecordProperty("worst_contribution_error_of_largest_norm", std::to_string(worst_ratio));
  EXPECT_GT(rows_checked, n);  // the row-normalised check saw more than one head's worth of rows
  EXPECT_TRUE(differs_from_weights) << "the contributions equal the weights: the test could not catch a missing norm";
}

TEST_P(AblationVsNumpy, ZeroAndMeanAblatedLogitsMatch) {
  Transformer t = loadTransformer(dir_);
  t.setTokens(referenceIds(dir_));
  const json doc = readJson(dir_ + "/ref_ablation.json");
  const std::vector<HeadRef> heads = referenceHeads(doc);
  const AblationBase base = t.recordAblationBase();
  const NpyArray clean = readNpy(dir_ + "/ref_logits.npy");
  for (const char* mode : {"zero", "mean"}) {
    const NpyArray ref = readNpy(dir_ + "/ref_ablate_" + std::string(mode) + "_logits.npy");
    const double largest = largestAbs(ref);
    // The reference ablation moves the logits well beyond the tolerance, so a no-op would fail.
    double moved = 0;
    for (std::size_t i = 0; i < ref.data.size(); ++i) moved = std::max(moved, std::abs(double(ref.data[i]) - clean.data[i]));
    ASSERT_GT(moved, 10 * kLogitRelativeTolerance * largest) << GetParam() << " " << mode;
    const std::vector<float> hidden =
        t.ablatedFinalHidden(base, heads, std::string(mode) == "zero" ? AblationMode::Zero : AblationMode::Mean);
    const double worst = worstLogitError(t, hidden, ref);
    RecordProperty(std::string("worst_logit_error_") + mode, std::to_string(worst) + " of " + std::to_string(largest));
    EXPECT_LE(worst, kLogitRelativeTolerance * largest) << GetParam() << " " << mode;
    const double loss = t.nextTokenLoss(hidden);
    EXPECT_NEAR(loss, doc[std::string("loss_") + mode].get<double>(), kLossRelativeTolerance * largest) << GetParam() << " " << mode;
  }
  EXPECT_NEAR(t.nextTokenLoss(t.finalHidden()), doc["loss"].get<double>(), kLossRelativeTolerance * largestAbs(clean));
}

TEST_P(AblationVsNumpy, EveryHeadOfALayerZeroedIsThatLayersAttentionReducedToItsBias) {
  Transformer t = loadTransformer(dir_);
  t.setTokens(referenceIds(dir_));
  std::vector<HeadRef> all;
  for (int h = 0; h < t.config().num_heads; ++h) all.push_back({0, h});
  const AblationBase base = t.recordAblationBase();
  const NpyArray ref = readNpy(dir_ + "/ref_drop_attention_logits.npy");
  const double worst = worstLogitError(t, t.ablatedFinalHidden(base, all, AblationMode::Zero), ref);
  EXPECT_LE(worst, kLogitRelativeTolerance * largestAbs(ref)) << GetParam();
}

TEST_P(AblationVsNumpy, NothingAblatedIsTheNormalForwardBitForBit) {
  Transformer t = loadTransformer(dir_);
  t.setTokens(referenceIds(dir_));
  const std::vector<float> normal = t.finalHidden();
  std::vector<std::vector<float>> maps;
  for (int l = 0; l < t.config().num_layers; ++l) maps.push_back(t.layer(l).q[0]), maps.push_back(t.layer(l).v[0]);
  const AblationBase base = t.recordAblationBase();
  EXPECT_EQ(t.ablatedFinalHidden(base, {}, AblationMode::Zero), normal);
  // Rerunning from any layer on the recorded residual stream, with nothing ablated, changes no bit.
  for (int from = 0; from < t.config().num_layers; ++from) {
    std::vector<LayerCache> rerun;
    EXPECT_EQ(t.ablatedFinalHidden(base, {}, AblationMode::Mean, from, &rerun), normal) << GetParam() << " from " << from;
    ASSERT_EQ(int(rerun.size()), t.config().num_layers - from);
    EXPECT_EQ(rerun[0].q[0], t.layer(from).q[0]);
  }
  // An ablation leaves the cache and the final hidden states of the text as they were.
  t.ablatedFinalHidden(base, {{0, 1}}, AblationMode::Zero);
  EXPECT_EQ(t.finalHidden(), normal);
  for (int l = 0; l < t.config().num_layers; ++l) {
    EXPECT_EQ(t.layer(l).q[0], maps[std::size_t(2 * l)]);
    EXPECT_EQ(t.layer(l).v[0], maps[std::size_t(2 * l + 1)]);
  }
}

TEST_P(AblationVsNumpy, ImportanceOfEveryHeadMatches) {
  auto session = ModelSession::load(dir_, false);
  session->setTokenIds(referenceIds(dir_));
  const NpyArray ref = readNpy(dir_ + "/ref_importance.npy");
  const double tolerance = kImportanceRelativeTolerance * largestAbs(readNpy(dir_ + "/ref_logits.npy"));
  int calls = 0;
  const auto got = session->headImportance([&](int done, int total) {
    ++calls;
    EXPECT_EQ(done, calls);
    EXPECT_EQ(total, session->numLayers() * session->numHeads());
  });
  EXPECT_EQ(calls, session->numLayers() * session->numHeads());
  double worst = 0, spread = 0;
  for (int l = 0; l < session->numLayers(); ++l)
    for (int h = 0; h < session->numHeads(); ++h) {
      const double r = ref.data[std::size_t(l * session->numHeads() + h)];
      worst = std::max(worst, std::abs(got[std::size_t(l)][std::size_t(h)] - r));
      spread = std::max(spread, std::abs(r));
    }
  RecordProperty("worst_importance_error_nats", std::to_string(worst) + " (tolerance " + std::to_string(tolerance) + ")");
  EXPECT_LE(worst, tolerance) << GetParam();
  EXPECT_GT(spread, 3 * tolerance) << "the importances are too small here to test anything";
}

INSTANTIATE_TEST_SUITE_P(TinyModels, AblationVsNumpy,
                         ::testing::Values("gpt2_prefixed", "gpt2_plain", "llama_gqa_bf16", "qwen2_bias_f16", "mistral_f32",
                                           "llama3_rope_f32", "gemma2_softcap_f32", "gemma3_pattern_bf16"));

TEST(AblationApi, SessionAblateReportsTheShiftOfTheLastPosition) {
  const std::string dir = testing::tinyModelsDir() + "/gpt2_plain";
  auto session = ModelSession::load(dir, false);
  const std::vector<int> ids = referenceIds(dir);
  session->setTokenIds(ids);
  const json doc = readJson(dir + "/ref_ablation.json");
  const NpyArray clean = readNpy(dir + "/ref_logits.npy"), ablated = readNpy(dir + "/ref_ablate_zero_logits.npy");
  const int V = session->config().vocab_size, last = int(ids.size()) - 1;
  const std::vector<float> p(clean.data.begin() + std::ptrdiff_t(last) * V, clean.data.begin() + std::ptrdiff_t(last + 1) * V);
  const std::vector<float> q(ablated.data.begin() + std::ptrdiff_t(last) * V, ablated.data.begin() + std::ptrdiff_t(last + 1) * V);
  const AblationOutcome r = session->ablate(referenceHeads(doc), AblationMode::Zero, 3, 7);
  EXPECT_EQ(r.rerun_from_layer, 0);
  ASSERT_EQ(r.after.size(), 3u);
  EXPECT_EQ(r.after[0].id, int(std::max_element(q.begin(), q.end()) - q.begin()));
  EXPECT_EQ(r.before[0].id, int(std::max_element(p.begin(), p.end()) - p.begin()));
  // KL and ln p move by at most 2x the logit error of the last row (2e-4 * largest, typical bound).
  const double tol = 2 * 2e-4 * largestAbs(clean);
  EXPECT_NEAR(r.kl_nats, klDivergenceOfLogits(p, q), tol + 0.02 * klDivergenceOfLogits(p, q));
  EXPECT_GT(r.kl_nats, 0.0);
  EXPECT_NEAR(r.target_logprob_before, logProbOf(p, 7), tol);
  EXPECT_NEAR(r.target_logprob_after, logProbOf(q, 7), tol);
  EXPECT_TRUE(r.has_loss);
  EXPECT_NEAR(r.loss_after, doc["loss_zero"].get<double>(), kLossRelativeTolerance * largestAbs(clean));
  EXPECT_THROW(session->ablate({}, AblationMode::Zero, 3), ModelError);
  EXPECT_THROW(session->ablate({{0, 1}, {0, 1}}, AblationMode::Zero, 3), ModelError);
  EXPECT_THROW(session->ablate({{9, 1}}, AblationMode::Zero, 3), ModelError);
  session->setTokenIds({5});
  EXPECT_THROW(session->headImportance(), ModelError);
  EXPECT_FALSE(session->ablate({{1, 1}}, AblationMode::Mean, 2).has_loss);
}

TEST(AblationApi, HeadListsAreParsedStrictly) {
  EXPECT_EQ(parseHeadList("L5H1,l6h9", 12, 12), (std::vector<HeadRef>{{5, 1}, {6, 9}}));
  EXPECT_EQ(parseHeadList(" L0H0 , L11H11 ", 12, 12), (std::vector<HeadRef>{{0, 0}, {11, 11}}));
  auto message = [](const std::string& text) {
    try {
      parseHeadList(text, 12, 12);
    } catch (const ModelError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(message("L99H0").find("0..11"), std::string::npos) << message("L99H0");
  EXPECT_NE(message("L0H99").find("head 99"), std::string::npos) << message("L0H99");
  EXPECT_NE(message("garbage").find("'garbage'"), std::string::npos);
  EXPECT_NE(message("").find("empty"), std::string::npos);
  EXPECT_NE(message("L1H1,").find("empty item"), std::string::npos);
  EXPECT_NE(message("L1H1,l1h1").find("twice"), std::string::npos);
  EXPECT_NE(message("L1H1H2").find("not a head"), std::string::npos);
  EXPECT_NE(message("L-1H0").find("not a head"), std::string::npos);
}

// ---- CLI ----

std::string modelDir(const char* name) { return testing::tinyModelsDir() + "/" + name; }

TEST(AblationCli, AblateJsonAgreesWithTheSession) {
  ASSERT_FALSE(testing::tinyModelsDir().empty());
  const std::string dir = modelDir("llama_gqa_bf16");
  const std::string text = "the cat sat on the mat";
  for (const char* mode : {"zero", "mean"}) {
    const auto r = testing::run("ablate --model '" + dir + "' --text '" + text + "' --heads L1H4,L1H0 --mode " + mode +
                                " --target ' cat' --top 4 --json");
    ASSERT_EQ(r.code, 0) << r.err;
    const json doc = json::parse(r.out);
    EXPECT_EQ(doc["heads"], json::array({"L1H4", "L1H0"}));
    EXPECT_EQ(doc["mode"], mode);
    EXPECT_EQ(doc["rerun_from_layer"], 1);
    ASSERT_EQ(doc["before"].size(), 4u);
    auto session = ModelSession::load(dir);
    session->setText(text);
    const AblationOutcome o =
        session->ablate({{1, 4}, {1, 0}}, std::string(mode) == "zero" ? AblationMode::Zero : AblationMode::Mean, 4, doc["target"]["id"]);
    EXPECT_EQ(doc["target"]["token"], "·cat");
    EXPECT_NEAR(doc["kl_nats"].get<double>(), o.kl_nats, 1e-7 + 1e-6 * o.kl_nats);
    EXPECT_NEAR(doc["target"]["logprob_change"].get<double>(), o.target_logprob_after - o.target_logprob_before, 1e-6);
    for (int i = 0; i < 4; ++i) {
      EXPECT_EQ(doc["after"][i]["id"], o.after[std::size_t(i)].id);
      EXPECT_EQ(doc["before"][i]["id"], session->nextTokens(4)[std::size_t(i)].id);
    }
    EXPECT_NEAR(doc["loss_after"].get<double>(), o.loss_after, 1e-6);
  }
  const auto t = testing::run("ablate --model '" + dir + "' --text '" + text + "' --heads L0H1");
  ASSERT_EQ(t.code, 0) << t.err;
  EXPECT_NE(t.out.find("KL(before || after)"), std::string::npos) << t.out;
  const auto help = testing::run("ablate --help");
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("mean over the positions of this text"), std::string::npos);
}

TEST(AblationCli, BadInputIsOneLineAndExitTwo) {
  ASSERT_FALSE(testing::tinyModelsDir().empty());
  const std::string m = "--model '" + modelDir("gpt2_plain") + "' --text 'the cat sat'";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"ablate " + m + " --heads L99H0", "0..2"},
      {"ablate " + m + " --heads L0H99", "0..7"},
      {"ablate " + m + " --heads garbage", "garbage"},
      {"ablate " + m + " --heads ''", "empty"},
      {"ablate " + m + " --heads L0H1,L0H1", "twice"},
      {"ablate " + m + " --heads L0H1,", "empty item"},
      {"ablate " + m, "--heads"},
      {"ablate " + m + " --heads L0H1 --mode resample", "--mode"},
      {"ablate " + m + " --heads L0H1 --target 'the cat'", "tokens"},
      {"ablate " + m + " --heads L0H1 --target '#99999'", "vocabulary"},
      {"ablate " + m + " --heads L0H1 --top 0", "--top"},
      {"ablate --text 'x' --heads L0H1", "--model"},
      {"heads --model '" + modelDir("gpt2_plain") + "' --text 't' --importance", "at least 2 tokens"},
      {"dump " + m + " --layer 0 --contribution", "one head"},
      {"dump --text 'the cat' --contribution --head 1", "--model"},
      {"dump " + m + " --head L0H1 --normalise-rows", "--contribution"},
  };
  for (const auto& [args, needle] : cases) {
    const auto r = testing::run(args);
    EXPECT_EQ(r.code, 2) << args << "\n" << r.err;
    EXPECT_EQ(testing::lines(r.err), 1) << args << "\n" << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << args << "\n" << r.err;
    EXPECT_TRUE(r.out.empty()) << args;
  }
}

TEST(AblationCli, HeadsImportanceColumn) {
  ASSERT_FALSE(testing::tinyModelsDir().empty());
  const std::string dir = modelDir("qwen2_bias_f16");
  const std::string text = "the cat sat on the mat";
  const auto r = testing::run("heads --model '" + dir + "' --text '" + text + "' --json --importance");
  ASSERT_EQ(r.code, 0) << r.err;
  const json doc = json::parse(r.out);
  EXPECT_TRUE(doc["definitions"].contains("importance"));
  EXPECT_EQ(doc["importance_unit"], "nats");
  auto session = ModelSession::load(dir);
  session->setText(text);
  EXPECT_NEAR(doc["loss_nats"].get<double>(), session->nextTokenLoss(), 1e-5 * session->nextTokenLoss());
  const auto importance = session->headImportance();
  ASSERT_EQ(doc["heads"].size(), 8u);
  for (int i = 0; i < 8; ++i)
    EXPECT_NEAR(doc["heads"][i]["importance"].get<double>(), importance[std::size_t(i / 4)][std::size_t(i % 4)],
                1e-5 * (1 + std::abs(importance[std::size_t(i / 4)][std::size_t(i % 4)])));
  const auto c = testing::run("heads --model '" + dir + "' --text '" + text + "' --csv --importance");
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_EQ(c.out.substr(0, c.out.find('\n')),
            "kind,layer,head,kv_head,entropy_bits,mean_distance,previous_token,sink_mass,confidence,importance");
}

TEST(AblationCli, ModelBenchTimesTheImportanceOfEveryHead) {
  ASSERT_FALSE(testing::tinyModelsDir().empty());
  const auto r = testing::run("model-bench --model '" + modelDir("gpt2_plain") + "' --tokens 20 --importance");
  ASSERT_EQ(r.code, 0) << r.err;
  const json doc = json::parse(r.out);
  EXPECT_EQ(doc["importance_heads"], 24);
  EXPECT_GT(doc["importance_ms"].get<double>(), 0.0);
  EXPECT_GT(doc["largest_importance_nats"].get<double>(), 0.0);
}

TEST(AblationCli, DumpContributionIsTheWeightsTimesTheValueNorms) {
  ASSERT_FALSE(testing::tinyModelsDir().empty());
  const std::string dir = modelDir("gpt2_plain");
  const std::string base = "dump --model '" + dir + "' --text 'the cat sat' --head L1H3 --engine cpu-ref";
  const auto w = testing::run(base);
  const auto c = testing::run(base + " --contribution");
  const auto rn = testing::run(base + " --contribution --normalise-rows");
  ASSERT_EQ(w.code, 0) << w.err;
  ASSERT_EQ(c.code, 0) << c.err;
  ASSERT_EQ(rn.code, 0) << rn.err;
  const json dw = json::parse(w.out), dc = json::parse(c.out), dr = json::parse(rn.out);
  EXPECT_FALSE(dw.contains("values"));
  EXPECT_EQ(dc["values"], "contribution");
  EXPECT_EQ(dr["values"], "contribution_row_normalised");
  auto session = ModelSession::load(dir);
  session->setText("the cat sat");
  const std::vector<float> norms = session->valueOutputNorms(1, 3);
  const int n = session->numTokens();
  for (int i = 0; i < n; ++i) {
    double sum = 0;
    for (int j = 0; j < n; ++j) {
      const double weight = dw["heads"][0]["weights"][i][j].get<double>();
      EXPECT_FLOAT_EQ(dc["heads"][0]["weights"][i][j].get<float>(), float(weight) * norms[std::size_t(j)]);
      sum += dr["heads"][0]["weights"][i][j].get<double>();
    }
    EXPECT_NEAR(sum, 1.0, 1e-5);
  }
  // The stats describe the row-normalised matrix in both forms.
  EXPECT_EQ(dc["heads"][0]["stats"], dr["heads"][0]["stats"]);
}

}  // namespace
}  // namespace attnviz::model
