// The forward pass against the independent NumPy reference (tests/model/reference_forward.py) on
// tiny checkpoints of every supported layout: GPT-2 with and without the "transformer." prefix
// (and with the attn.bias buffers), Llama with GQA in BF16 sharded with an index, Qwen2 with q/k/v
// biases and an explicit head_dim in F16, Mistral in F32, Llama with Llama 3.1's rotary scaling.
//
// Tolerances. The reference runs in float64 on the same (already rounded) weights, so the only
// differences are attnviz's float32 arithmetic. A float32 dot product of length K has a relative
// error of at most gamma_K = K*u (u = 2^-24 ~ 6e-8) of the sum of |terms|; the longest here is
// K = 4*64 = 256 (MLP down-projection), so ~1.5e-5 of the magnitudes involved per matmul; a
// residual stream passes ~8 such stages per layer and at most 3 layers, and norms rescale by up
// to ~10 (weights ~1 +- 0.2, inputs of std ~1), which bounds the relative error of a query/key
// element by ~3e-3 in the worst case (typical errors are ~sqrt(K) times smaller, ~1e-5). Scores
// are q.k/sqrt(d) of size up to ~30 here, so a score error ds <= ~0.1 worst case, ~1e-4 typical;
// a softmax weight moves by at most P(1-P)*2ds <= ds/2. We hold the maps to 2e-3 absolute (the
// typical bound times 20, far under the worst case) and the logits to 2e-3 of the largest |logit|.
// A wrong convention (head order, rotate-half vs interleaved, Conv1D transpose, GQA mapping)
// moves weights by O(0.1..1) because the maps are sharp (mean row maximum ~0.8, checked below).
// Seen on the development machine: maps within 3e-5, logits within 1e-4 (recorded as test properties).
// Gemma (gemma2_*, gemma3_*) is held to the same tolerances: its soft-capping cap tanh(s / cap) has
// slope <= 1, so it moves no error up; the sqrt(hidden) embedding scale and the (1 + w) norms only
// rescale what a norm reads next (errors relative to the magnitudes, as above); its longest dot
// products (K = 48) are shorter than the 256 above.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../core/cli_test_support.h"
#include "core/attention.h"
#include "core/npy.h"
#include "model/model_error.h"
#include "model/model_session.h"
#include "model/transformer.h"
#include "tiny_models.h"

namespace attnviz::model {
namespace {

using testing::referenceIds;

constexpr double kMapTolerance = 2e-3;
constexpr double kLogitRelativeTolerance = 2e-3;

class ForwardVsNumpy : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    root_ = testing::tinyModelsDir();
    ASSERT_FALSE(root_.empty()) << "could not generate the tiny models (needs /usr/bin/python3 with numpy)";
    dir_ = root_ + "/" + GetParam();
  }
  std::string root_, dir_;
};

TEST_P(ForwardVsNumpy, EveryLayerAndHeadMapAndTheLogitsMatch) {
  auto session = ModelSession::load(dir_, false);
  const std::vector<int> ids = referenceIds(dir_);
  session->setTokenIds(ids);
  const int n = int(ids.size());
  ASSERT_EQ(session->numTokens(), n);
  double mean_row_max = 0;
  for (int l = 0; l < session->numLayers(); ++l) {
    const NpyArray ref = readNpy(dir_ + "/ref_attn_L" + std::to_string(l) + ".npy");
    ASSERT_EQ(ref.shape, (std::vector<std::size_t>{std::size_t(session->numHeads()), std::size_t(n), std::size_t(n)}));
    const AttentionResult got = computeReference(session->problemForLayer(l));
    double worst = 0;
    for (std::size_t i = 0; i < ref.data.size(); ++i) {
      ASSERT_TRUE(std::isfinite(got.p[i])) << GetParam() << " layer " << l << " index " << i;
      worst = std::max(worst, std::abs(double(got.p[i]) - ref.data[i]));
    }
    EXPECT_LE(worst, kMapTolerance) << GetParam() << " layer " << l;
    RecordProperty("worst_map_error_L" + std::to_string(l), std::to_string(worst));
    for (int h = 0; h < session->numHeads(); ++h) {
      // The one-head problem gives the same map as the layer's h-th head.
      const AttentionResult one = computeReference(session->problemFor(l, h));
      for (int i = 0; i < n * n; i += 7) ASSERT_EQ(one.p[std::size_t(i)], got.at(h, i / n, i % n));
      for (int i = 1; i < n; ++i) {
        float mx = 0;
        for (int j = 0; j < n; ++j) mx = std::max(mx, got.at(h, i, j));
        mean_row_max += mx;
      }
    }
  }
  mean_row_max /= double(session->numLayers()) * session->numHeads() * (n - 1);
  EXPECT_GT(mean_row_max, 0.5) << "maps too close to uniform to catch convention errors";

  const NpyArray ref_logits = readNpy(dir_ + "/ref_logits.npy");
  const int vocab = session->config().vocab_size;
  ASSERT_EQ(ref_logits.shape, (std::vector<std::size_t>{std::size_t(n), std::size_t(vocab)}));
  double largest = 0, worst = 0;
  for (float v : ref_logits.data) largest = std::max(largest, double(std::abs(v)));
  for (int pos = 0; pos < n; ++pos) {
    const std::vector<float> logits = session->transformer().logits(pos);
    for (int t = 0; t < vocab; ++t)
      worst = std::max(worst, std::abs(double(logits[std::size_t(t)]) - ref_logits.data[std::size_t(pos) * vocab + t]));
  }
  RecordProperty("worst_logit_error", std::to_string(worst) + " of " + std::to_string(largest));
  EXPECT_LE(worst, kLogitRelativeTolerance * largest) << GetParam() << " largest |logit| " << largest;
}

TEST_P(ForwardVsNumpy, EditingReusesThePrefixAndGivesTheSameMaps) {
  auto session = ModelSession::load(dir_, false);
  std::vector<int> ids = referenceIds(dir_);
  const std::vector<int> full = ids;
  session->setTokenIds(std::vector<int>(ids.begin(), ids.begin() + 25));
  ForwardReport r = session->setTokenIds(full);
  EXPECT_EQ(r.reused_prefix, 25);
  EXPECT_EQ(r.recomputed, int(full.size()) - 25);
  const NpyArray ref = readNpy(dir_ + "/ref_attn_L" + std::to_string(session->numLayers() - 1) + ".npy");
  const AttentionResult got = computeReference(session->problemForLayer(session->numLayers() - 1));
  for (std::size_t i = 0; i < ref.data.size(); ++i) ASSERT_NEAR(got.p[i], ref.data[i], kMapTolerance) << i;

  // Change a token in the middle: only the suffix reruns; back again gives the original maps.
  const AttentionResult before = got;
  ids[30] = (ids[30] + 1) % session->config().vocab_size;
  r = session->setTokenIds(ids);
  EXPECT_EQ(r.reused_prefix, 30);
  r = session->setTokenIds(full);
  EXPECT_EQ(r.reused_prefix, 30);
  const AttentionResult after = computeReference(session->problemForLayer(session->numLayers() - 1));
  for (std::size_t i = 0; i < before.p.size(); ++i) ASSERT_NEAR(after.p[i], before.p[i], 1e-5) << i;
  // The same ids again: nothing reruns.
  r = session->setTokenIds(full);
  EXPECT_EQ(r.recomputed, 0);
}

TEST_P(ForwardVsNumpy, NextTokensAndGreedyGenerationFollowTheLogits) {
  auto session = ModelSession::load(dir_, false);
  const std::vector<int> ids = referenceIds(dir_);
  session->setTokenIds(std::vector<int>(ids.begin(), ids.begin() + 20));
  const NpyArray ref_logits = readNpy(dir_ + "/ref_logits.npy");
  const int vocab = session->config().vocab_size;
  const auto top = session->nextTokens(5);
  ASSERT_EQ(top.size(), 5u);
  int best = 0;
  for (int t = 1; t < vocab; ++t)
    if (ref_logits.data[std::size_t(19) * vocab + t] > ref_logits.data[std::size_t(19) * vocab + best]) best = t;
  EXPECT_EQ(top[0].id, best);
  double total = 0;
  for (std::size_t i = 0; i < top.size(); ++i) {
    total += top[i].prob;
    if (i) {
      EXPECT_LE(top[i].prob, top[i - 1].prob);
    }
  }
  EXPECT_LE(total, 1.0 + 1e-9);
  EXPECT_GT(top[0].prob, 0.0);
  // Position 10 on request uses that row of logits.
  int best10 = 0;
  for (int t = 1; t < vocab; ++t)
    if (ref_logits.data[std::size_t(10) * vocab + t] > ref_logits.data[std::size_t(10) * vocab + best10]) best10 = t;
  EXPECT_EQ(session->nextTokens(1, 10)[0].id, best10);

  // Greedy generation with the KV cache equals rerunning the whole sequence each time.
  GenerateOptions greedy;
  greedy.count = 4;
  const std::vector<int> generated = session->generate(greedy);
  ASSERT_EQ(generated.size(), 4u);
  EXPECT_EQ(generated[0], best);
  EXPECT_EQ(session->lastForward().reused_prefix, 20);
  auto fresh = ModelSession::load(dir_, false);
  std::vector<int> seq(ids.begin(), ids.begin() + 20);
  for (int g : generated) {
    fresh->setTokenIds(seq);
    EXPECT_EQ(fresh->nextTokens(1)[0].id, g);
    seq.push_back(g);
  }
  // Seeded sampling is reproducible.
  GenerateOptions sample;
  sample.count = 3;
  sample.sample = true;
  sample.seed = 42;
  fresh->setTokenIds(std::vector<int>(ids.begin(), ids.begin() + 20));
  const auto a = fresh->generate(sample);
  fresh->setTokenIds(std::vector<int>(ids.begin(), ids.begin() + 20));
  EXPECT_EQ(fresh->generate(sample), a);
}

INSTANTIATE_TEST_SUITE_P(TinyModels, ForwardVsNumpy,
                         ::testing::Values("gpt2_prefixed", "gpt2_plain", "llama_gqa_bf16", "qwen2_bias_f16", "mistral_f32",
                                           "llama3_rope_f32", "qwen3_qknorm_f32",
                                           "neox_parallel_f16", "neox_sequential_f32",
                                           "opt_pre_ln_f32", "opt_post_ln_f16", "phi3_fused_f32",
                                           "gemma2_softcap_f32", "gemma3_pattern_bf16", "gemma3_layer_types_f32",
                                           "mistral_window_f32", "qwen2_window_f16"));

TEST(ForwardLimits, LongerThanThePositionsIsRefusedWithTheNumber) {
  const std::string root = testing::tinyModelsDir();
  ASSERT_FALSE(root.empty());
  auto session = ModelSession::load(root + "/gpt2_prefixed", false);
  try {
    session->setTokenIds(std::vector<int>(65, 3));
    FAIL() << "65 tokens accepted by a 64-position model";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("64"), std::string::npos) << e.what();
  }
  EXPECT_THROW(session->setTokenIds({1, 2, 99999}), ModelError);
  EXPECT_THROW(session->setTokenIds({}), ModelError);
  session->setTokenIds({1, 2, 3});
  EXPECT_THROW(session->problemFor(2, 0), ModelError);
  EXPECT_THROW(session->problemFor(0, 4), ModelError);
  EXPECT_THROW(session->problemFor(-1, 0), ModelError);
}

TEST(ForwardLimits, GqaHeadsShareTheirKeyValueHead) {
  const std::string root = testing::tinyModelsDir();
  ASSERT_FALSE(root.empty());
  auto session = ModelSession::load(root + "/llama_gqa_bf16", false);
  session->setTokenIds({5, 6, 7, 8});
  ASSERT_EQ(session->numHeads(), 6);
  ASSERT_EQ(session->numKvHeads(), 2);
  EXPECT_EQ(session->kvHeadOf(2), 0);
  EXPECT_EQ(session->kvHeadOf(3), 1);
  EXPECT_EQ(session->headName(1, 4), "L1H4 (kv 1)");
  EXPECT_EQ(session->problemFor(0, 3).k, session->problemFor(0, 5).k);
  EXPECT_NE(session->problemFor(0, 2).k, session->problemFor(0, 3).k);
}

// Local layers (as tiny_gemma.py sets them: Gemma's by its rules, every Mistral layer, Qwen2's from
// max_window_layers on) see only their last sliding_window keys: every weight further back is
// exactly 0, the global layers' are not, and the head names say which is which.
TEST(ForwardLimits, LocalLayersSeeOnlyTheirWindowAndAreNamedSo) {
  const std::string root = testing::tinyModelsDir();
  ASSERT_FALSE(root.empty());
  struct Case {
    const char* model;
    std::vector<bool> local;
    int window;
  };
  for (const Case& k : {Case{"gemma2_softcap_f32", {true, false, true}, 8}, Case{"gemma3_pattern_bf16", {true, true, false, true}, 6},
                        Case{"gemma3_layer_types_f32", {false, true}, 8}, Case{"mistral_window_f32", {true, true}, 8},
                        Case{"qwen2_window_f16", {false, true}, 6}}) {
    auto session = ModelSession::load(root + "/" + k.model, false);
    session->setTokenIds(referenceIds(root + "/" + k.model));
    const int n = session->numTokens();
    ASSERT_GT(n, 3 * k.window) << k.model;
    ASSERT_EQ(session->numLayers(), int(k.local.size())) << k.model;
    for (int l = 0; l < session->numLayers(); ++l) {
      EXPECT_EQ(session->config().windowOf(l), k.local[std::size_t(l)] ? k.window : 0) << k.model << " layer " << l;
      const std::string name = session->headName(l, 1);
      EXPECT_NE(name.find(k.local[std::size_t(l)] ? " local" : " global"), std::string::npos) << name;
      const AttentionResult r = computeReference(session->problemForLayer(l));
      double beyond = 0;
      for (int h = 0; h < r.heads; ++h)
        for (int i = 0; i < n; ++i)
          for (int j = 0; j <= i - k.window; ++j) beyond += r.at(h, i, j);
      if (k.local[std::size_t(l)])
        EXPECT_EQ(beyond, 0.0) << k.model << " layer " << l;
      else
        EXPECT_GT(beyond, 1.0) << k.model << " layer " << l;
    }
  }
}

// transformers 5 writes Gemma 3's rotary settings as rope_parameters per layer kind: the same
// model in that layout gives the same maps and logits as in rope_theta / rope_local_base_freq /
// rope_scaling (which the reference holds).
TEST(ForwardLimits, GemmaRopeParametersLayoutGivesTheSameModel) {
  namespace fs = std::filesystem;
  const std::string root = testing::tinyModelsDir();
  ASSERT_FALSE(root.empty());
  const std::string src = root + "/gemma3_pattern_bf16", dst = testing::tempDir() + "/gemma3_rope_parameters";
  fs::remove_all(dst);
  fs::copy(src, dst, fs::copy_options::recursive);
  nlohmann::json c = nlohmann::json::parse(testing::readWholeFile(src + "/config.json"));
  c["rope_parameters"] = {{"full_attention", {{"rope_type", "linear"}, {"factor", c["rope_scaling"]["factor"]}, {"rope_theta", c["rope_theta"]}}},
                          {"sliding_attention", {{"rope_type", "default"}, {"rope_theta", c["rope_local_base_freq"]}}}};
  for (const char* key : {"rope_scaling", "rope_theta", "rope_local_base_freq"}) c.erase(key);
  std::ofstream(dst + "/config.json") << c.dump();
  auto a = ModelSession::load(src, false), b = ModelSession::load(dst, false);
  const std::vector<int> ids = referenceIds(src);
  a->setTokenIds(ids);
  b->setTokenIds(ids);
  for (int l = 0; l < a->numLayers(); ++l)
    EXPECT_EQ(computeReference(a->problemForLayer(l)).p, computeReference(b->problemForLayer(l)).p) << "layer " << l;
  EXPECT_EQ(a->transformer().logits(int(ids.size()) - 1), b->transformer().logits(int(ids.size()) - 1));
  // A rope_type it does not implement, per kind, is refused by name.
  c["rope_parameters"]["sliding_attention"]["rope_type"] = "linear";
  EXPECT_THROW(
      {
        try {
          parseModelConfig(c.dump());
        } catch (const ModelError& e) {
          EXPECT_NE(std::string(e.what()).find("sliding_attention"), std::string::npos) << e.what();
          throw;
        }
      },
      ModelError);
}

}  // namespace

// One more key back costs a global layer one more key per head (q.k and p.v: 4 * head_dim FLOPs)
// and a local layer nothing once its window is full: the benchmarks' ideal time counts only the
// keys a query sees.
TEST(ForwardLimits, TheFlopCountStopsAtTheSlidingWindow) {
  const std::string root = testing::tinyModelsDir();
  ASSERT_FALSE(root.empty());
  for (const char* model : {"mistral_window_f32", "qwen2_window_f16", "gemma2_softcap_f32"}) {
    auto session = ModelSession::load(root + "/" + model, false);
    const ModelConfig& c = session->config();
    int global = 0;
    for (int l = 0; l < c.num_layers; ++l) global += c.windowOf(l) == 0;
    const Transformer& t = session->transformer();
    const int past = c.sliding_window + 3;
    EXPECT_DOUBLE_EQ(t.forwardFlops(past + 1, 1) - t.forwardFlops(past, 1), 4.0 * c.num_heads * c.head_dim * global) << model;
    // Inside the window every layer still pays for the new key.
    EXPECT_DOUBLE_EQ(t.forwardFlops(2, 1) - t.forwardFlops(1, 1), 4.0 * c.num_heads * c.head_dim * c.num_layers) << model;
  }
}
}  // namespace attnviz::model
