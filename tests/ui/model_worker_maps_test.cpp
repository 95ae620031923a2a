// The maps the model worker keeps (model/layer_maps_cache.h): a layer switch back is served from
// the kept maps and equals a fresh session's compute, the shown layer's neighbour is prepared
// ahead, and the byte budget holds. Tiny generated checkpoints; these run under the TSan net too.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>

#include "../model/tiny_models.h"
#include "core/cpu_fast.h"
#include "model/layer_maps_cache.h"
#include "model/model_worker.h"
#include "ui/app_controller.h"

namespace attnviz::model {
namespace {
using testing::tinyModel;
}  // namespace

const char* const kText = "the cat sat on the mat and the dog sat on the cat";

static AttentionResult freshMaps(const std::string& text, int layer) {
  auto session = ModelSession::load(tinyModel("gpt2_plain"));
  session->setText(text);
  return computeFast(session->problemForLayer(layer));
}

static void expectSameMaps(const AttentionResult& a, const AttentionResult& b) {
  ASSERT_EQ(a.heads, b.heads);
  ASSERT_EQ(a.nq, b.nq);
  ASSERT_EQ(a.nk, b.nk);
  // The prefix cache may chunk the forward differently from a fresh run, so q and k agree within
  // 1e-4 (model_worker_test.cpp); a weight moves by at most p * |d score| <= about that much.
  for (std::size_t i = 0; i < a.p.size(); ++i) ASSERT_NEAR(a.p[i], b.p[i], 1e-4f) << i;
}

namespace {
bool has(const std::vector<int>& v, int x) { return std::find(v.begin(), v.end(), x) != v.end(); }

LayerMaps entryOf(const ModelSnapshot& s) { return LayerMaps{s.problem, s.value_norms, s.maps, s.mean, s.summary}; }

TEST(ModelWorkerMaps, ALayerSwitchBackIsServedFromTheKeptMapsAndEqualsAFreshCompute) {
  REQUIRE_TINY_MODELS();
  auto worker = std::make_unique<ModelWorker>(ModelSession::load(tinyModel("gpt2_plain")));
  worker->want(kText, 0);
  worker->waitIdle();
  const auto first = worker->latest();
  ASSERT_NE(first->maps, nullptr) << first->error;
  expectSameMaps(*first->maps, freshMaps(kText, 0));
  worker->wantLayer(2);
  worker->waitIdle();
  const auto second = worker->latest();
  ASSERT_EQ(second->layer, 2);
  ASSERT_NE(second->maps, nullptr);
  expectSameMaps(*second->maps, freshMaps(kText, 2));
  worker->wantLayer(0);
  worker->waitIdle();
  const auto back = worker->latest();
  ASSERT_EQ(back->layer, 0);
  // The very maps computed first, not a recompute, and still those of a fresh session.
  EXPECT_EQ(back->maps.get(), first->maps.get());
  EXPECT_EQ(back->problem.get(), first->problem.get());
  // And their summary for the window (stats, maxima, patterns of every head), kept with them.
  ASSERT_NE(first->summary, nullptr);
  EXPECT_EQ(back->summary.get(), first->summary.get());
  expectSameMaps(*back->maps, freshMaps(kText, 0));
  // New tokens drop what was kept: their maps are new and theirs.
  worker->want(std::string(kText) + " again", 0);
  worker->waitIdle();
  const auto edited = worker->latest();
  ASSERT_NE(edited->maps, nullptr);
  EXPECT_NE(edited->maps.get(), first->maps.get());
  expectSameMaps(*edited->maps, freshMaps(std::string(kText) + " again", 0));
}

TEST(ModelWorkerMaps, TheNeighbourIsPreparedAheadAndTheBudgetHolds) {
  REQUIRE_TINY_MODELS();
  auto worker = std::make_unique<ModelWorker>(ModelSession::load(tinyModel("gpt2_plain")));
  worker->want(kText, 0);
  worker->waitIdle();
  const std::size_t one = entryOf(*worker->latest()).bytes();
  ASSERT_GT(one, 0u);
  // Room for two layers of three: the shown one and its neighbour, never more.
  worker->setMapsBudget(2 * one + one / 2);
  worker->want(std::string(kText) + " now", 0);
  worker->waitIdle();
  std::vector<int> kept = worker->keptLayers();
  EXPECT_TRUE(has(kept, 0) && has(kept, 1)) << kept.size();
  EXPECT_FALSE(has(kept, 2));  // the overview computed it but kept it only if it fitted
  EXPECT_LE(worker->keptBytes(), 2 * one + one / 2);
  worker->wantLayer(1);
  worker->waitIdle();
  kept = worker->keptLayers();
  EXPECT_TRUE(has(kept, 1) && (has(kept, 0) || has(kept, 2)));
  EXPECT_LE(worker->keptBytes(), 2 * one + one / 2);
  worker->wantLayer(2);
  worker->waitIdle();
  kept = worker->keptLayers();
  EXPECT_TRUE(has(kept, 2) && has(kept, 1));
  EXPECT_FALSE(has(kept, 0));  // the least recently used, and no neighbour of layer 2
  EXPECT_LE(worker->keptBytes(), 2 * one + one / 2);
  expectSameMaps(*worker->latest()->maps, freshMaps(std::string(kText) + " now", 2));
  // New tokens shown at layer 2: its neighbour 1 is prepared before the overview fills the room
  // (the overview alone would have kept layer 0, which it reaches first).
  worker->want(kText, 2);
  worker->waitIdle();
  kept = worker->keptLayers();
  EXPECT_TRUE(has(kept, 2) && has(kept, 1)) << ::testing::PrintToString(kept);
  EXPECT_FALSE(has(kept, 0)) << ::testing::PrintToString(kept);
  // No room at all: nothing is kept, the shown layer's maps are still computed and right.
  worker->setMapsBudget(0);
  worker->want(kText, 1);
  worker->waitIdle();
  EXPECT_TRUE(worker->keptLayers().empty());
  EXPECT_EQ(worker->keptBytes(), 0u);
  ASSERT_NE(worker->latest()->maps, nullptr);
  expectSameMaps(*worker->latest()->maps, freshMaps(kText, 1));
}

// What the snapshot lists as kept is what a window may switch to at once: exactly the cache's
// layers, each with maps equal to a fresh compute and its mean; the shown layer's neighbour with
// its summary too. The overview keeps the layers it computes with their means.
TEST(ModelWorkerMaps, TheSnapshotListsTheKeptLayersWithTheirMeans) {
  REQUIRE_TINY_MODELS();
  auto worker = std::make_unique<ModelWorker>(ModelSession::load(tinyModel("gpt2_plain")));
  worker->want(kText, 0);
  worker->waitIdle();
  const auto s = worker->latest();
  std::vector<int> listed;
  for (const ModelSnapshot::KeptLayer& k : s->kept) listed.push_back(k.layer);
  std::vector<int> kept = worker->keptLayers();
  std::sort(listed.begin(), listed.end());
  std::sort(kept.begin(), kept.end());
  EXPECT_EQ(listed, kept);
  ASSERT_EQ(int(listed.size()), worker->facts().layers) << "the tiny model's three layers all fit";
  for (const ModelSnapshot::KeptLayer& k : s->kept) {
    ASSERT_NE(k.maps.maps, nullptr);
    ASSERT_NE(k.maps.mean, nullptr) << "layer " << k.layer;
    expectSameMaps(*k.maps.maps, freshMaps(kText, k.layer));
    const AttentionResult mean = meanOverHeads(*k.maps.maps);
    ASSERT_EQ(k.maps.mean->p.size(), mean.p.size());
    for (std::size_t i = 0; i < mean.p.size(); ++i) ASSERT_NEAR(k.maps.mean->p[i], mean.p[i], 1e-6f) << k.layer << " " << i;
  }
  EXPECT_EQ(s->keptLayer(0)->maps.get(), s->maps.get());  // the shown layer's, shared
  ASSERT_NE(s->keptLayer(1), nullptr);
  EXPECT_NE(s->keptLayer(1)->summary, nullptr) << "the neighbour is prepared with its summary";
  EXPECT_EQ(s->keptLayer(5), nullptr);
  // New tokens: nothing listed from the old ones.
  worker->want(std::string(kText) + " again", 0);
  worker->waitIdle();
  for (const ModelSnapshot::KeptLayer& k : worker->latest()->kept)
    for (const ModelSnapshot::KeptLayer& old : s->kept) EXPECT_NE(k.maps.maps.get(), old.maps.maps.get());
}

LayerMaps entryOfSize(std::size_t floats) {
  auto r = std::make_shared<AttentionResult>();
  r->p.resize(floats);
  return LayerMaps{nullptr, nullptr, r};
}

TEST(LayerMapsCache, EvictsTheLeastRecentlyUsedButNotTheShownLayerNorItsNeighbours) {
  const std::size_t e = 100 * sizeof(float);
  LayerMapsCache cache(3 * e);
  EXPECT_TRUE(cache.put(5, entryOfSize(100), 5));
  EXPECT_TRUE(cache.put(6, entryOfSize(100), 5));
  EXPECT_TRUE(cache.put(0, entryOfSize(100), 0));
  ASSERT_NE(cache.find(5), nullptr);  // 5 is now the most recently used; 6 the least
  EXPECT_TRUE(cache.put(9, entryOfSize(100), 9));
  EXPECT_EQ(cache.layers(), (std::vector<int>{9, 5, 0}));
  // Shown 1: 0 is a neighbour and stays, 9 (least recent unpinned after 5 was touched) goes.
  ASSERT_NE(cache.find(5), nullptr);
  EXPECT_TRUE(cache.put(1, entryOfSize(100), 1));
  EXPECT_EQ(cache.layers(), (std::vector<int>{1, 5, 0}));
  EXPECT_EQ(cache.bytes(), 3 * e);
  // Too big for the budget even after every eviction allowed: refused, the pinned ones stay.
  EXPECT_FALSE(cache.put(2, entryOfSize(400), 1));
  EXPECT_TRUE(cache.contains(1) && cache.contains(0) && !cache.contains(2));
  EXPECT_LE(cache.bytes(), cache.budget());
  // putIfRoom never evicts.
  EXPECT_FALSE(cache.putIfRoom(7, entryOfSize(100)));
  EXPECT_FALSE(cache.contains(7));
  // A layer's bigger entry that cannot fit leaves its present one in place.
  const LayerMaps* before = cache.peek(1);
  ASSERT_NE(before, nullptr);
  const auto maps_before = before->maps;
  EXPECT_FALSE(cache.put(1, entryOfSize(400), 1));
  ASSERT_NE(cache.peek(1), nullptr);
  EXPECT_EQ(cache.peek(1)->maps, maps_before);
  EXPECT_EQ(cache.bytes(), 3 * e);
}

}  // namespace
}  // namespace attnviz::model

namespace attnviz::ui {
namespace {

// The controller shows the worker's maps as they are for cpu-fast at the problem's temperature,
// and computes anew when the temperature differs from the problem's.
TEST(AppControllerMaps, TheWorkersMapsAreShownOnlyWhenTheyAreWhatTheEngineWouldCompute) {
  REQUIRE_TINY_MODELS();
  AppController app;
  app.setEngine("cpu-fast");
  app.setText(model::kText);
  ASSERT_TRUE(app.loadModel(attnviz::testing::tinyModel("gpt2_plain"))) << app.error();
  app.waitForModel();
  ASSERT_TRUE(app.hasResult()) << app.error();
  model::expectSameMaps(app.result(), model::freshMaps(model::kText, 0));
  app.setTemperature(2.0f);
  app.waitForModel();
  auto session = model::ModelSession::load(attnviz::testing::tinyModel("gpt2_plain"));
  session->setText(model::kText);
  AttentionProblem hot = session->problemForLayer(0);
  hot.temperature = 2.0f;
  model::expectSameMaps(app.result(), computeFast(hot));
}

}  // namespace
}  // namespace attnviz::ui
