// The model worker (src/model/model_worker.h): the newest wish wins, a forward is cancelled
// between layers and leaves the session usable, generation goes a token per published step, and
// what it publishes equals a fresh session's results. Tiny generated checkpoints (tiny_models.py).
// These run under the TSan net too (scripts/run-nets.sh).
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../model/tiny_models.h"
#include "core/attention.h"
#include "core/thread_priority.h"
#include "model/model_error.h"
#include "model/model_worker.h"

namespace attnviz::model {
namespace {

using testing::tinyModel;

std::unique_ptr<ModelWorker> workerOn(const std::string& name) {
  return std::make_unique<ModelWorker>(ModelSession::load(tinyModel(name)));
}

// The problem a fresh session builds for `text` at `layer`: what the worker must have published.
AttentionProblem freshProblem(const std::string& model, const std::string& text, int layer) {
  auto session = ModelSession::load(tinyModel(model));
  session->setText(text);
  return session->problemForLayer(layer);
}

void expectSameProblem(const AttentionProblem& a, const AttentionProblem& b) {
  ASSERT_EQ(a.heads, b.heads);
  ASSERT_EQ(a.nq, b.nq);
  ASSERT_EQ(a.nk, b.nk);
  ASSERT_EQ(a.q.size(), b.q.size());
  // The same forward on the same machine: the prefix cache may split the tokens into other
  // chunks than a fresh run, so equal within float rounding of the projections, not bit for bit.
  for (std::size_t i = 0; i < a.q.size(); ++i) ASSERT_NEAR(a.q[i], b.q[i], 1e-4f) << i;
  for (std::size_t i = 0; i < a.k.size(); ++i) ASSERT_NEAR(a.k[i], b.k[i], 1e-4f) << i;
}

TEST(ModelWorker, TheNewestTextWinsAndItsLayerIsPublished) {
  REQUIRE_TINY_MODELS();
  auto worker = workerOn("gpt2_plain");
  worker->want("the cat", 0);
  worker->want("the cat sat on the mat", 1);
  worker->want("a dog ran after the cat and the dog", 1);
  worker->waitIdle();
  const auto s = worker->latest();
  ASSERT_TRUE(s->has_forward) << s->error;
  EXPECT_EQ(s->text, "a dog ran after the cat and the dog");
  EXPECT_EQ(s->layer, 1);
  ASSERT_NE(s->problem, nullptr);
  expectSameProblem(*s->problem, freshProblem("gpt2_plain", s->text, 1));
  EXPECT_EQ(s->problem->head_names[2], worker->facts().head_names[1][2]);
  // Idle means everything asked for is there: the whole overview and its rollout.
  EXPECT_EQ(int(s->overview.size()), worker->facts().layers);
  ASSERT_NE(s->rollout, nullptr);
  EXPECT_EQ(s->rollout->size(), s->token_ids.size() * s->token_ids.size());
}

#if defined(__linux__)
// The worker's thread runs behind the window's frames (core/thread_priority.h): its progress
// observer is called on that thread.
TEST(ModelWorker, ItsThreadRunsAtTheBackgroundNice) {
  REQUIRE_TINY_MODELS();
  if (thisThreadNice() >= kBackgroundNice) GTEST_SKIP() << "the tests run at nice " << thisThreadNice() << ": nothing to lower";
  auto worker = workerOn("gpt2_plain");
  std::atomic<int> nice{-100};
  worker->setProgressObserver([&](const ModelProgress&) { nice = thisThreadNice(); });
  worker->want("the cat sat", 0);
  worker->waitIdle();
  EXPECT_EQ(nice.load(), kBackgroundNice);
  EXPECT_LT(thisThreadNice(), kBackgroundNice);  // the caller's own stays as it was
}
#endif

// A text longer than one part of tokens (512) runs through every layer once per part: the
// progress counts the layers of a part and names the part, never "layer 3 / 4" of 2 layers.
TEST(ModelWorker, ALongForwardsProgressNamesThePartAndCountsItsLayers) {
  REQUIRE_TINY_MODELS();
  namespace fs = std::filesystem;
  // The tiny Llama (rotary positions, 2 layers) with room for 2048 positions.
  const fs::path dir = fs::temp_directory_path() / ("attnviz_long_llama_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::copy(tinyModel("llama_gqa_bf16"), dir, fs::copy_options::recursive);
  nlohmann::json cfg;
  {
    std::ifstream in(dir / "config.json");
    in >> cfg;
  }
  cfg["max_position_embeddings"] = 2048;
  std::ofstream(dir / "config.json") << cfg.dump();
  auto worker = std::make_unique<ModelWorker>(ModelSession::load(dir.string()));
  std::mutex mutex;
  std::vector<ModelProgress> seen;
  worker->setProgressObserver([&](const ModelProgress& p) {
    std::lock_guard<std::mutex> lock(mutex);
    if (p.what.rfind("forward", 0) == 0) seen.push_back(p);
  });
  std::string text;
  for (int i = 0; i < 180; ++i) text += "the cat sat ";
  worker->want(text, 0);
  worker->waitIdle();
  const auto s = worker->latest();
  ASSERT_TRUE(s->has_forward) << s->error;
  ASSERT_GT(s->token_ids.size(), 512u) << "the text should need more than one part";
  worker.reset();
  fs::remove_all(dir);
  std::lock_guard<std::mutex> lock(mutex);
  std::vector<std::string> parts;
  for (const ModelProgress& p : seen) {
    if (p.total == 0) continue;
    EXPECT_EQ(p.total, 2) << p.what;
    EXPECT_LT(p.done, p.total) << p.what;
    if (parts.empty() || parts.back() != p.what) parts.push_back(p.what);
  }
  // The worker's own first line, before the forward reports a part.
  ASSERT_FALSE(parts.empty());
  EXPECT_EQ(parts.front(), "forward: layer");
  parts.erase(parts.begin());
  const int count = int((s->token_ids.size() + 511) / 512);
  ASSERT_EQ(int(parts.size()), count) << (parts.empty() ? "" : parts.front());
  for (int k = 0; k < count; ++k)
    EXPECT_EQ(parts[std::size_t(k)], "forward, part " + std::to_string(k + 1) + " of " + std::to_string(count) + ": layer");
}

TEST(ModelWorker, ACancelledForwardKeepsThePrefixAndTheNextForwardIsExact) {
  REQUIRE_TINY_MODELS();
  auto session = ModelSession::load(tinyModel("gpt2_plain"));
  session->setText("the cat sat");
  const std::vector<int> before = session->tokenIds();
  int calls = 0;
  session->setProgressCallback([&](int done, int total) {
    ++calls;
    EXPECT_LT(done, total);
    if (done == 1) throw std::runtime_error("cancelled");
  });
  EXPECT_THROW(session->setText("the cat sat on the mat and the hat"), std::runtime_error);
  EXPECT_EQ(calls, 2) << "cancelled at the second layer";
  // The kept prefix is a prefix of both texts' tokens.
  const std::vector<int>& kept = session->tokenIds();
  ASSERT_LE(kept.size(), before.size());
  for (std::size_t i = 0; i < kept.size(); ++i) EXPECT_EQ(kept[i], before[i]);
  session->setProgressCallback({});
  session->setText("the cat sat on the mat and the hat");
  expectSameProblem(session->problemForLayer(1), freshProblem("gpt2_plain", "the cat sat on the mat and the hat", 1));
}

TEST(ModelWorker, GenerationPublishesEachTokenAndEqualsGreedyDecoding) {
  REQUIRE_TINY_MODELS();
  auto worker = workerOn("gpt2_plain");
  worker->want("the cat sat", 0);
  worker->waitIdle();
  const int n0 = int(worker->latest()->token_ids.size());
  const int publishes_before = worker->publishCount();
  const int id = worker->generate(4, false, 0);
  worker->waitIdle();
  const auto s = worker->latest();
  EXPECT_EQ(s->generation, id);
  EXPECT_EQ(s->generated, 4);
  EXPECT_FALSE(s->generating);
  ASSERT_EQ(int(s->token_ids.size()), n0 + 4);
  EXPECT_GE(worker->publishCount() - publishes_before, 4) << "one snapshot per token at least";
  // Greedy decoding by a fresh session gives the same tokens.
  auto fresh = ModelSession::load(tinyModel("gpt2_plain"));
  fresh->setText("the cat sat");
  GenerateOptions options;
  options.count = 4;
  fresh->generate(options);
  EXPECT_EQ(s->token_ids, fresh->tokenIds());
  EXPECT_EQ(s->text, "the cat sat" + fresh->decode(std::vector<int>(fresh->tokenIds().begin() + n0, fresh->tokenIds().end())));
  // The session holds what was published.
  EXPECT_EQ(worker->idleSession().tokenIds(), s->token_ids);
}

TEST(ModelWorker, AnEditEndsAGenerationAndStopKeepsTheSessionConsistent) {
  REQUIRE_TINY_MODELS();
  auto worker = workerOn("gpt2_plain");
  worker->want("the cat sat", 0);
  worker->waitIdle();
  worker->generate(60, false, 0);
  worker->want("a dog", 0);  // typed meanwhile
  worker->waitIdle();
  auto s = worker->latest();
  EXPECT_EQ(s->text, "a dog");
  EXPECT_FALSE(s->generating);
  EXPECT_EQ(worker->idleSession().tokenIds(), s->token_ids);

  worker->generate(60, false, 0);
  worker->stop();
  worker->waitIdle();
  s = worker->latest();
  EXPECT_FALSE(s->generating);
  EXPECT_LE(s->generated, 60);
  EXPECT_EQ(s->text.rfind("a dog", 0), 0u);
  EXPECT_EQ(worker->idleSession().tokenIds(), s->token_ids) << "the session and what is shown disagree after Stop";
}

TEST(ModelWorker, ARefusedTextKeepsThePreviousSnapshotAndSaysWhy) {
  REQUIRE_TINY_MODELS();
  auto worker = workerOn("gpt2_plain");
  worker->want("the cat sat", 0);
  worker->waitIdle();
  const auto good = worker->latest();
  std::string huge;
  for (int i = 0; i < worker->facts().max_tokens + 10; ++i) huge += " cat";
  worker->want(huge, 0);
  worker->waitIdle();
  const auto s = worker->latest();
  EXPECT_EQ(s->text, "the cat sat");
  EXPECT_EQ(s->token_ids, good->token_ids);
  EXPECT_EQ(s->error_for, huge);
  EXPECT_NE(s->error.find("limit"), std::string::npos) << s->error;
  EXPECT_TRUE(worker->idle()) << "a refused text must not be retried forever";
}

TEST(ModelWorker, NextTokensAndFillMaskOnRequest) {
  REQUIRE_TINY_MODELS();
  auto worker = workerOn("gpt2_plain");
  worker->want("the cat sat on", 0);
  worker->wantNextTokens(5, -1);
  worker->waitIdle();
  auto s = worker->latest();
  ASSERT_EQ(s->next.size(), 5u) << s->next_error;
  auto fresh = ModelSession::load(tinyModel("gpt2_plain"));
  fresh->setText("the cat sat on");
  const auto direct = fresh->nextTokens(5);
  for (std::size_t i = 0; i < direct.size(); ++i) EXPECT_EQ(s->next[i].id, direct[i].id);

  auto bert = workerOn("bert_mlm_f32");
  EXPECT_TRUE(bert->facts().encoder);
  EXPECT_EQ(bert->facts().mask_label, "[MASK]");
  EXPECT_EQ(bert->facts().separator_label, "[SEP]");
  bert->want("the cat sat on the [MASK] .", 0);
  bert->waitIdle();
  s = bert->latest();
  ASSERT_EQ(s->mask_positions.size(), 1u);
  bert->wantNextTokens(3, s->mask_positions[0]);
  bert->generate(2, false, 0);  // an encoder has nothing to generate: refused, not a hang
  bert->waitIdle();
  s = bert->latest();
  EXPECT_EQ(s->next.size(), 3u) << s->next_error;
  EXPECT_NE(s->error.find("encoder"), std::string::npos) << s->error;
  // An encoder's thumbnails are not masked above the diagonal.
  ASSERT_FALSE(s->overview.empty());
  EXPECT_GE(s->overview[0]->thumbs[LayerOverview::kThumbSize - 1], 0.0f);
}

}  // namespace
}  // namespace attnviz::model
