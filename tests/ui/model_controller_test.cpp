// The window's controller with a real (tiny, generated) model: loading, layer and head switching,
// next tokens, generate, the overview behind the model view, and load errors that keep what was
// shown. The checkpoints come from tests/model/tiny_models.py (random weights, byte-level BPE).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <chrono>

#include <nlohmann/json.hpp>

#include "../core/cli_test_support.h"
#include "../model/tiny_models.h"
#include "core/attention.h"
#include "model/head_measures.h"
#include "ui/app_controller.h"
#include "ui/figure_export.h"
#include "model/model_session.h"
#include "ui/model_holder.h"
#include "ui/settings.h"
#include "ui/shortcuts.h"

namespace attnviz::ui {
namespace {

// cpu-fast (what the controller runs) against cpu-ref on the same problem: the engines' own
// agreement bound for rows this short (tests/core/cpu_fast_test.cpp derives 1e-5-scale bounds
// for n <= 64); 2e-5 leaves room for the float Q/K copies being rounded identically.
constexpr float kEngineTolerance = 2e-5f;

using testing::tinyModel;

// The window's model runs on a worker: loading returns at once and the maps come when its
// forward is done. The tests wait for it, as screenshots and the CLI do.
bool loadAndWait(AppController& app, const std::string& path) {
  if (!app.loadModel(path)) return false;
  app.waitForModel();
  return true;
}

// Next tokens are computed by the worker on request: ask, wait, read.
std::vector<model::NextToken> nextTokensNow(AppController& app, int k, int position) {
  app.model()->nextTokens(k, position);
  app.waitForModel();
  return app.model()->nextTokens(k, position);
}

float maxDifference(const float* a, const float* b, std::size_t n) {
  float d = 0;
  for (std::size_t i = 0; i < n; ++i) d = std::max(d, std::fabs(a[i] - b[i]));
  return d;
}

TEST(ModelController, LoadsATinyGpt2AndShowsLayerZeroCausal) {
  REQUIRE_TINY_MODELS();
  AppController app;
  app.setText("the cat sat on the mat");
  ASSERT_TRUE(loadAndWait(app, tinyModel("gpt2_plain"))) << app.error();
  ASSERT_TRUE(app.hasResult()) << app.error();
  ASSERT_NE(app.model(), nullptr);
  EXPECT_TRUE(app.modelShown());
  EXPECT_FALSE(app.importedData());
  EXPECT_EQ(app.layer(), 0);
  EXPECT_EQ(app.heads(), app.model()->heads());
  EXPECT_EQ(app.nq(), app.model()->idleSession().numTokens());
  EXPECT_EQ(app.nq(), app.nk());
  EXPECT_TRUE(app.causalMaskShown());
  EXPECT_EQ(app.headNames()[1], "L0H1");
  EXPECT_EQ(app.queryLabels(), app.model()->idleSession().tokenLabels());
  // The next-token view looks at the last token unless told otherwise.
  EXPECT_EQ(app.selectedQuery(), app.nq() - 1);
  // Causal: nothing above the diagonal.
  for (int i = 0; i < app.nq(); ++i)
    for (int j = i + 1; j < app.nk(); ++j) ASSERT_EQ(app.result().row(0, i)[j], 0.0f) << i << "," << j;
  // The causal checkbox and the mode cannot contradict the model.
  app.setCausal(false);
  app.setMode(AttentionMode::Cross);
  EXPECT_TRUE(app.causal());
  EXPECT_TRUE(app.selfAttention());
}

TEST(ModelController, AnEncoderShowsBothDirectionsAndFillsTheMask) {
  REQUIRE_TINY_MODELS();
  AppController app;
  app.setText("The cat sat on the [MASK]. [SEP] It was unbelievable");
  ASSERT_TRUE(loadAndWait(app, tinyModel("bert_mlm_f32"))) << app.error();
  ASSERT_TRUE(app.hasResult()) << app.error();
  const model::ModelSession& s = app.model()->idleSession();
  ASSERT_TRUE(s.isEncoder());
  EXPECT_FALSE(app.causalMaskShown());
  EXPECT_NE(app.causalUnavailableReason().find("encoder"), std::string::npos) << app.causalUnavailableReason();
  app.setCausal(true);  // the checkbox cannot put a mask on what was trained without one
  EXPECT_FALSE(app.causalMaskShown());
  EXPECT_EQ(app.queryLabels().front(), "[CLS]");
  // Every row spreads weight both ways: the first token attends to later ones.
  double above = 0;
  for (int h = 0; h < app.heads(); ++h)
    for (int j = 1; j < app.nk(); ++j) above += app.result().row(h, 0)[j];
  EXPECT_GT(above / app.heads(), 0.05);
  // Fill mask at the [MASK]: the top fillers from the masked-LM head.
  const std::vector<int> masks = s.maskPositions();
  ASSERT_EQ(masks.size(), 1u);
  EXPECT_EQ(app.queryLabels()[std::size_t(masks[0])], "[MASK]");
  const auto& fill = nextTokensNow(app, 5, masks[0]);
  ASSERT_EQ(fill.size(), 5u);
  EXPECT_GT(fill[0].prob, 0.0);
  EXPECT_FALSE(app.generate(1, false, 0)) << "an encoder generated text";
  EXPECT_FALSE(app.error().empty());
}

TEST(ModelController, LayerSwitchShowsThatLayersMapsAndHeadSwitchDoesNotRecompute) {
  REQUIRE_TINY_MODELS();
  AppController app;
  app.setText("the cat sat on the mat, the cat ate");
  ASSERT_TRUE(loadAndWait(app, tinyModel("gpt2_prefixed"))) << app.error();
  ASSERT_TRUE(app.hasResult());
  const AttentionResult layer0 = app.result();
  app.setLayer(1);
  EXPECT_TRUE(app.dirty());
  app.recomputeNow();
  ASSERT_TRUE(app.hasResult()) << app.error();
  EXPECT_EQ(app.layer(), 1);
  EXPECT_EQ(app.headNames()[2], "L1H2");
  const model::ModelSession& s = app.model()->idleSession();
  for (int h = 0; h < app.heads(); ++h) {
    const AttentionResult ref = computeReference(s.problemFor(1, h));
    const std::size_t n = std::size_t(app.nq()) * std::size_t(app.nk());
    EXPECT_LE(maxDifference(app.result().row(h, 0), ref.row(0, 0), n), kEngineTolerance) << "head " << h;
  }
  // The maps of layer 1 are not those of layer 0 (random weights make them far apart).
  EXPECT_GT(maxDifference(app.result().p.data(), layer0.p.data(), app.result().p.size()), 0.05f);
  // [ and ] step through the layers, stopping at the ends.
  EXPECT_TRUE(applyShortcut(app, Shortcut::LayerPrev));
  EXPECT_EQ(app.layer(), 0);
  EXPECT_FALSE(applyShortcut(app, Shortcut::LayerPrev));
  EXPECT_TRUE(applyShortcut(app, Shortcut::LayerNext));
  EXPECT_EQ(app.layer(), 1);
  // Clamped at both ends.
  app.setLayer(99);
  EXPECT_EQ(app.layer(), app.model()->layers() - 1);
  app.recomputeNow();

  const int version = app.resultVersion();
  app.setHead({HeadSelection::Single, 3});
  EXPECT_FALSE(app.dirty());
  EXPECT_EQ(app.resultVersion(), version);
  EXPECT_EQ(maxDifference(app.shown().row(0, 0), app.result().row(3, 0), std::size_t(app.nq() * app.nk())), 0.0f);
  EXPECT_EQ(app.headLabel(), "L1H3");
  // Up/Down walk the heads of this layer.
  EXPECT_TRUE(applyShortcut(app, Shortcut::HeadNext));
  EXPECT_EQ(app.head().kind, HeadSelection::Mean);  // after the last head: the layer's mean
  EXPECT_TRUE(applyShortcut(app, Shortcut::HeadNext));
  EXPECT_EQ(app.head().kind, HeadSelection::Single);
  EXPECT_EQ(app.head().index, 0);
}

TEST(ModelController, LayerHeadNamesInTheHuggingFaceForm) {
  REQUIRE_TINY_MODELS();
  AppController app;
  std::string error;
  EXPECT_FALSE(app.setHeadByName("L0H1", &error));  // no model yet
  EXPECT_NE(error.find("--model"), std::string::npos) << error;
  app.setText("the cat");
  ASSERT_TRUE(loadAndWait(app, tinyModel("gpt2_plain"))) << app.error();
  ASSERT_TRUE(app.setHeadByName("L1H2", &error)) << error;
  app.recomputeNow();
  EXPECT_EQ(app.layer(), 1);
  EXPECT_EQ(app.head().kind, HeadSelection::Single);
  EXPECT_EQ(app.head().index, 2);
  error.clear();
  const int layers = app.model()->layers();
  EXPECT_FALSE(app.setHeadByName("L" + std::to_string(layers) + "H0", &error));  // one past the last layer
  EXPECT_NE(error.find("layers 0.." + std::to_string(layers - 1)), std::string::npos) << error;
  EXPECT_FALSE(app.setHeadByName("L0H" + std::to_string(app.model()->heads()), &error));
  EXPECT_EQ(app.layer(), 1);
}

// Issue 23: the window's --head 12 showed L0H11 (1-based, clamped) and --layer 3 --head L5H1 showed
// L5H1, while dump refused both. One rule now: each case is accepted or refused by the window's
// controller exactly when `attnviz dump` accepts or refuses it, and an accepted one shows the same
// layer and head.
TEST(ModelController, WindowAndDumpFollowOneRuleForHeadAndLayer) {
  REQUIRE_TINY_MODELS();
  const std::string model = tinyModel("gpt2_plain");  // 3 layers x 8 heads
  struct Case {
    const char* head;
    int layer;  // --layer, -1 = not given
    bool accepted;
  };
  const Case cases[] = {{"7", -1, true},     {"8", -1, false},      {"12", -1, false},  {"L1H2", -1, true},
                        {"L1H2", 1, true},   {"L1H2", 2, false},    {"L3H0", -1, false}, {"l2h7", -1, true},
                        {"mean", 2, true},   {"Positional", -1, false}, {"3", 2, true}};
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string("--head ") + c.head + " --layer " + std::to_string(c.layer));
    AppController app;
    app.setText("the cat sat");
    ASSERT_TRUE(loadAndWait(app, model)) << app.error();
    if (c.layer >= 0) app.setLayer(c.layer);  // as the window applies --layer before --head
    std::string error;
    const bool window_ok = app.setHeadByName(c.head, &error, c.layer);
    app.recomputeNow();
    const testing::CliRun dump = testing::run("dump --engine cpu-ref --model '" + model + "' --text 'the cat sat' --head '" +
                                              c.head + "'" + (c.layer >= 0 ? " --layer " + std::to_string(c.layer) : ""));
    EXPECT_EQ(window_ok, c.accepted) << error;
    EXPECT_EQ(dump.code, c.accepted ? 0 : 2) << dump.err;
    if (!c.accepted) {
      EXPECT_FALSE(error.empty());
      EXPECT_EQ(testing::lines(dump.err), 1) << dump.err;
      continue;
    }
    const nlohmann::json doc = nlohmann::json::parse(dump.out);
    EXPECT_EQ(doc.at("layer").get<int>(), app.layer());
    if (app.head().kind == HeadSelection::Single) {
      ASSERT_EQ(doc.at("heads").size(), 1u);
      EXPECT_EQ(doc.at("heads")[0].at("name").get<std::string>(), app.headNames()[std::size_t(app.head().index)]);
    } else {
      EXPECT_EQ(app.head().kind, HeadSelection::Mean);
    }
  }
}

TEST(ModelController, GroupedQueryHeadsAreLabelledWithTheirKeyValueGroup) {
  REQUIRE_TINY_MODELS();
  AppController app;
  app.setText("the cat sat");
  ASSERT_TRUE(loadAndWait(app, tinyModel("llama_gqa_bf16"))) << app.error();
  ASSERT_TRUE(app.hasResult()) << app.error();
  const ModelHolder& m = *app.model();
  ASSERT_LT(m.kvHeads(), m.heads());
  for (int h = 0; h < app.heads(); ++h) {
    const std::string& name = app.headNames()[std::size_t(h)];
    EXPECT_EQ(name.rfind("L0H" + std::to_string(h), 0), 0u) << name;
    EXPECT_NE(name.find("kv " + std::to_string(h / (m.heads() / m.kvHeads()))), std::string::npos) << name;
  }
}

TEST(ModelController, NextTokensAreTheSessionsSortedAndFollowTheSelection) {
  REQUIRE_TINY_MODELS();
  AppController app;
  app.setText("the cat sat on");
  ASSERT_TRUE(loadAndWait(app, tinyModel("gpt2_plain"))) << app.error();
  ModelHolder& m = *app.model();
  const auto last = nextTokensNow(app, 5, app.selectedQuery());
  ASSERT_EQ(last.size(), 5u);
  const auto direct = m.idleSession().nextTokens(5);
  for (std::size_t i = 0; i < last.size(); ++i) {
    EXPECT_EQ(last[i].id, direct[i].id);
    if (i > 0) {
      EXPECT_GE(last[i - 1].prob, last[i].prob);
    }
  }
  double sum = 0;
  for (const auto& t : last) sum += t.prob;
  EXPECT_LE(sum, 1.0 + 1e-9);
  EXPECT_GT(last[0].prob, 0.0);
  // Another position gives that position's distribution.
  const auto first = nextTokensNow(app, 5, 0);
  const auto direct0 = m.idleSession().nextTokens(5, 0);
  EXPECT_EQ(first[0].id, direct0[0].id);
}

TEST(ModelController, GenerateAppendsThroughTheCacheAndTheViewGrows) {
  REQUIRE_TINY_MODELS();
  AppController app;
  app.setText("the cat sat");
  ASSERT_TRUE(loadAndWait(app, tinyModel("gpt2_plain"))) << app.error();
  const int n0 = app.nq();
  const int top = nextTokensNow(app, 1, -1)[0].id;
  const std::string before = app.text();
  ASSERT_TRUE(app.generate(1)) << app.error();
  EXPECT_EQ(app.model()->idleSession().tokenIds().back(), top);  // greedy: the top next token
  EXPECT_EQ(app.model()->idleSession().lastForward().reused_prefix, n0) << "generate must reuse the cached prefix";
  app.waitForModel();
  ASSERT_TRUE(app.generate(2)) << app.error();
  app.waitForModel();
  EXPECT_GT(app.text().size(), before.size());
  EXPECT_EQ(app.text().compare(0, before.size(), before), 0);
  app.recomputeNow();
  ASSERT_TRUE(app.hasResult()) << app.error();
  EXPECT_EQ(app.nq(), n0 + 3);
  EXPECT_EQ(app.selectedQuery(), app.nq() - 1);  // the selection followed the end
  // The text the window now holds gives the same view without rerunning anything.
  EXPECT_EQ(app.model()->idleSession().numTokens(), n0 + 3);

  // Seeded sampling is reproducible.
  AppController a, b;
  a.setText("the cat");
  b.setText("the cat");
  ASSERT_TRUE(loadAndWait(a, tinyModel("gpt2_plain")));
  ASSERT_TRUE(loadAndWait(b, tinyModel("gpt2_plain")));
  ASSERT_TRUE(a.generate(4, true, 7));
  ASSERT_TRUE(b.generate(4, true, 7));
  a.waitForModel();
  b.waitForModel();
  EXPECT_EQ(a.nq(), b.nq());
  EXPECT_EQ(a.text(), b.text());
  EXPECT_EQ(a.model()->idleSession().tokenIds(), b.model()->idleSession().tokenIds());
}

// Issue 23: Generate set the selection to a placeholder (1 << 30) until the longer result arrived,
// and the arcs panel indexed the token names with it in the frames between (SIGSEGV). The
// selection must be a row of the result on screen at every moment, and move to the new last token
// only once that token's result is shown.
TEST(ModelController, SelectionIsARowOfTheShownResultWhileGenerating) {
  REQUIRE_TINY_MODELS();
  // Declared before the controller: the worker's observer reads them until it is joined.
  std::atomic<bool> pacing{false};
  std::atomic<int> tokens_shown{0};
  AppController app;
  app.setText("the cat sat");
  ASSERT_TRUE(loadAndWait(app, tinyModel("gpt2_plain"))) << app.error();
  const int n0 = app.nq();
  ASSERT_EQ(app.selectedQuery(), n0 - 1);
  auto selection_valid = [&app] {
    return app.hasResult() && app.selectedQuery() >= 0 && app.selectedQuery() < app.nq() &&
           app.selectedQuery() < int(app.queryNames().size()) && app.selectedRow() != nullptr;
  };
  ASSERT_TRUE(app.generate(1)) << app.error();
  EXPECT_EQ(app.nq(), n0) << "the result on screen is the old one until the recompute";
  EXPECT_TRUE(selection_valid()) << "selected " << app.selectedQuery() << " of " << app.nq();
  app.recomputeNow();
  EXPECT_EQ(app.nq(), n0 + 1);
  EXPECT_EQ(app.selectedQuery(), n0) << "the selection follows the end once the new token is shown";

  // As the window runs it: Generate 10 once, the model's worker appending a token per step and
  // the engine on the controller's worker, each frame drawing whatever result is current.
  app.setOffThread([](const std::string&) { return true; });
  // A tiny model makes ten tokens faster than frames come, so the worker waits before token k+1
  // until the view shows token k (a real model's step is far slower than a frame); bounded so
  // that a failure cannot hang.
  app.waitForModel();
  const int shown_before = app.nq();
  app.model()->worker().setProgressObserver([&](const model::ModelProgress& p) {
    if (p.what != "generate: token" || !pacing) return;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (tokens_shown < p.done && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::microseconds(100));
  });
  pacing = true;
  ASSERT_TRUE(app.generate(10)) << app.error();
  EXPECT_TRUE(app.generating());
  int frames = 0, sizes_seen = 0, last_nq = app.nq();
  double now = 0;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);  // a loaded machine is slow
  while ((app.generating() || app.dirty() || app.busy() || app.modelWorking()) && std::chrono::steady_clock::now() < give_up) {
    ASSERT_TRUE(selection_valid()) << "frame " << frames << ": selected " << app.selectedQuery() << " of " << app.nq();
    app.recomputeIfDue(now += 0.016);
    ASSERT_TRUE(selection_valid()) << "frame " << frames << ": selected " << app.selectedQuery() << " of " << app.nq();
    if (app.nq() != last_nq) ++sizes_seen;
    last_nq = app.nq();
    tokens_shown = app.nq() - shown_before;
    ++frames;
    std::this_thread::sleep_for(std::chrono::microseconds(200));  // frames take time; the worker runs meanwhile
  }
  pacing = false;
  EXPECT_GE(sizes_seen, 2) << "the view grew in one jump: tokens were not shown as they came";
  EXPECT_EQ(app.nq(), n0 + 11);
  EXPECT_EQ(app.selectedQuery(), app.nq() - 1);

  // A token chosen by hand stays chosen while the text grows.
  app.selectQuery(1);
  ASSERT_TRUE(app.generate(1)) << app.error();
  EXPECT_TRUE(selection_valid());
  app.recomputeNow();
  EXPECT_EQ(app.selectedQuery(), 1);
}

// Issue 23: linear made a real model's 200-token causal map a featureless dark triangle. Until a
// person picks a scale, a real model past kLogDefaultTokens tokens is shown on the log scale and
// the legend's note says why; a chosen scale is kept (and is what the settings save).
TEST(ModelController, DefaultColourScaleIsLogForLongRealModelMaps) {
  REQUIRE_TINY_MODELS();
  EXPECT_EQ(defaultColourScale(kLogDefaultTokens, true), ColourScale::Linear);
  EXPECT_EQ(defaultColourScale(kLogDefaultTokens + 1, true), ColourScale::Log);
  EXPECT_EQ(defaultColourScale(1000, false), ColourScale::Linear);  // simulated or imported

  AppController app;
  app.setText("the cat sat");
  ASSERT_TRUE(loadAndWait(app, tinyModel("llama3_rope_f32"))) << app.error();  // 256 positions
  ASSERT_LE(app.nq(), kLogDefaultTokens);
  EXPECT_EQ(app.colourScale(), ColourScale::Linear);
  EXPECT_EQ(app.colourScaleNote(), "");
  std::string longer;
  for (int i = 0; i < 8; ++i) longer += "the cat sat on the mat ";
  app.setText(longer);
  app.recomputeNow();
  ASSERT_GT(app.nq(), kLogDefaultTokens) << app.error();
  EXPECT_EQ(app.colourScale(), ColourScale::Log);
  EXPECT_EQ(app.colourScaleNote(), "chosen for " + std::to_string(app.nq()) + " tokens");
  EXPECT_FALSE(settingsToJson(app, WindowGeometry{}).contains("colour_scale")) << "a rule's choice is not saved";
  // Back to the simulated model: linear again.
  app.useSimulatedModel();
  app.recomputeNow();
  EXPECT_EQ(app.colourScale(), ColourScale::Linear);

  // A person's choice wins over the rule, and is saved.
  AppController chosen;
  chosen.setColourScale(ColourScale::Linear);
  chosen.setText(longer);
  ASSERT_TRUE(loadAndWait(chosen, tinyModel("llama3_rope_f32"))) << chosen.error();
  ASSERT_GT(chosen.nq(), kLogDefaultTokens);
  EXPECT_EQ(chosen.colourScale(), ColourScale::Linear);
  EXPECT_EQ(chosen.colourScaleNote(), "");
  EXPECT_EQ(settingsToJson(chosen, WindowGeometry{}).value("colour_scale", ""), "linear");
}

// Row 0 of a causal map has one key (weight 1): the stats report the largest weight of the other
// rows instead of the trivial "1.000 The -> The".
TEST(ModelController, MaximumPastTheFirstRowOfACausalMap) {
  REQUIRE_TINY_MODELS();
  AppController app;
  app.setText("the cat sat on the mat");
  ASSERT_TRUE(loadAndWait(app, tinyModel("gpt2_plain"))) << app.error();
  ASSERT_TRUE(app.setHeadByName("L0H3", nullptr));
  ASSERT_EQ(app.shown().row(0, 0)[0], 1.0f);
  float best = -1;
  for (int i = 1; i < app.nq(); ++i)
    for (int j = 0; j <= i; ++j) best = std::max(best, app.result().row(3, i)[j]);
  const AppController::CellMax& m = app.maxPastFirstRow();
  EXPECT_GE(m.row, 1);
  EXPECT_LE(m.col, m.row);
  EXPECT_EQ(m.w, best);
  EXPECT_EQ(app.result().row(3, m.row)[m.col], best);
  // Without a causal mask there is nothing to skip.
  app.useSimulatedModel();
  app.recomputeNow();
  EXPECT_LT(app.maxPastFirstRow().w, 0.0f);
}

TEST(ModelController, TypingAtTheEndReusesTheCachedPrefix) {
  REQUIRE_TINY_MODELS();
  AppController app;
  app.setText("the cat sat on the mat");
  ASSERT_TRUE(loadAndWait(app, tinyModel("gpt2_plain"))) << app.error();
  const int n0 = app.nq();
  app.setText("the cat sat on the mat and the cat");
  app.recomputeNow();
  ASSERT_TRUE(app.hasResult()) << app.error();
  const model::ForwardReport& f = app.model()->lastForward();
  EXPECT_GE(f.reused_prefix, n0 - 1);  // the last token may merge with what follows
  EXPECT_EQ(f.reused_prefix + f.recomputed, app.nq());
}

TEST(ModelController, LoadErrorsKeepWhatWasShown) {
  REQUIRE_TINY_MODELS();
  namespace fs = std::filesystem;
  AppController app;
  app.recomputeNow();
  ASSERT_TRUE(app.hasResult());
  const int simulated_nq = app.nq();
  // From the simulated model: a missing folder.
  EXPECT_FALSE(loadAndWait(app, "/nonexistent/attnviz-model"));
  EXPECT_NE(app.error().find("/nonexistent/attnviz-model"), std::string::npos) << app.error();
  EXPECT_FALSE(app.modelShown());
  EXPECT_TRUE(app.hasResult());
  EXPECT_EQ(app.nq(), simulated_nq);

  // From a real model: an unsupported architecture and a damaged weights file.
  app.setText("the cat sat");
  ASSERT_TRUE(loadAndWait(app, tinyModel("gpt2_plain"))) << app.error();
  const int nq = app.nq();
  const std::string bad = ::testing::TempDir() + "attnviz_bad_model";
  fs::remove_all(bad);
  fs::create_directories(bad);
  for (const auto& e : fs::directory_iterator(tinyModel("gpt2_plain"))) fs::copy(e.path(), bad + "/" + e.path().filename().string());
  std::ofstream(bad + "/config.json") << R"({"model_type": "bert", "vocab_size": 10})";
  EXPECT_FALSE(loadAndWait(app, bad));
  EXPECT_NE(app.error().find("bert"), std::string::npos) << app.error();
  ASSERT_TRUE(app.modelShown());
  EXPECT_EQ(app.model()->name(), tinyModel("gpt2_plain"));
  EXPECT_EQ(app.nq(), nq);
  EXPECT_TRUE(app.hasResult());

  fs::copy_file(tinyModel("gpt2_plain") + "/config.json", bad + "/config.json", fs::copy_options::overwrite_existing);
  {
    const auto size = fs::file_size(bad + "/model.safetensors");
    fs::resize_file(bad + "/model.safetensors", size / 2);  // truncated
  }
  EXPECT_FALSE(loadAndWait(app, bad));
  EXPECT_NE(app.error().find("model.safetensors"), std::string::npos) << app.error();
  EXPECT_EQ(app.model()->name(), tinyModel("gpt2_plain"));
  // A folder that is not a model says what a model folder needs; a damaged pytorch_model.bin what it is.
  const std::string empty = ::testing::TempDir() + "attnviz_not_a_model";
  fs::remove_all(empty);
  fs::create_directories(empty);
  EXPECT_FALSE(loadAndWait(app, empty));
  for (const char* needed : {"no config.json", "model.safetensors", "tokenizer.json"})
    EXPECT_NE(app.error().find(needed), std::string::npos) << needed << " in: " << app.error();
  std::ofstream(empty + "/pytorch_model.bin") << "not read";
  fs::copy_file(tinyModel("gpt2_plain") + "/config.json", empty + "/config.json");
  EXPECT_FALSE(loadAndWait(app, empty));
  for (const char* needed : {"pytorch_model.bin", "not a zip archive"})
    EXPECT_NE(app.error().find(needed), std::string::npos) << needed << " in: " << app.error();
  EXPECT_EQ(app.error().find('\n'), std::string::npos) << "one line";
  EXPECT_EQ(app.model()->name(), tinyModel("gpt2_plain"));
  fs::remove_all(empty);
  // The error does not stick once the next action succeeds.
  app.setLayer(1);
  app.recomputeNow();
  EXPECT_TRUE(app.error().empty()) << app.error();
  fs::remove_all(bad);
}

TEST(ModelController, TextLongerThanTheModelIsRefusedWithItsLimit) {
  REQUIRE_TINY_MODELS();
  AppController app;
  app.setText("the cat");
  ASSERT_TRUE(loadAndWait(app, tinyModel("gpt2_plain"))) << app.error();  // n_positions 64
  const int nq = app.nq();
  std::string long_text;
  for (int i = 0; i < 100; ++i) long_text += " x";
  app.setText(long_text);
  app.recomputeNow();
  EXPECT_NE(app.error().find("64"), std::string::npos) << app.error();
  EXPECT_TRUE(app.hasResult());
  EXPECT_EQ(app.nq(), nq);  // the previous result stays

  // Opened on a text it refuses: no result, and the head names are the model's, not the
  // simulated model's "Positional, Syntactic, ..." shown before (issue 23).
  AppController fresh;
  fresh.recomputeNow();
  ASSERT_EQ(fresh.headNames().front(), selfHeadNames().front());
  fresh.setText(long_text);
  ASSERT_TRUE(loadAndWait(fresh, tinyModel("gpt2_plain"))) << fresh.error();
  EXPECT_FALSE(fresh.hasResult());
  EXPECT_NE(fresh.error().find("64"), std::string::npos) << fresh.error();
  ASSERT_EQ(int(fresh.headNames().size()), fresh.model()->heads());
  EXPECT_EQ(fresh.headNames()[1], "L0H1");
  EXPECT_TRUE(fresh.queryLabels().empty());
  EXPECT_EQ(fresh.selectedQuery(), 0);
}

TEST(ModelController, OverviewHoldsEveryHeadsMeasuresThumbnailAndTheRollout) {
  REQUIRE_TINY_MODELS();
  AppController app;
  app.setText("the cat sat on the mat and the cat sat on the hat");
  ASSERT_TRUE(loadAndWait(app, tinyModel("qwen2_bias_f16"))) << app.error();
  ModelHolder& m = *app.model();
  m.finishOverview();
  ASSERT_TRUE(m.overviewComplete());
  const int n = m.idleSession().numTokens();
  for (int l = 0; l < m.layers(); ++l) {
    const LayerOverview* o = m.overview(l);
    ASSERT_NE(o, nullptr) << l;
    ASSERT_EQ(int(o->measures.size()), m.heads());
    ASSERT_EQ(o->thumbs.size(), std::size_t(m.heads()) * ModelHolder::kThumbSize * ModelHolder::kThumbSize);
    for (int h = 0; h < m.heads(); ++h) {
      const AttentionResult ref = computeReference(m.idleSession().problemFor(l, h));
      const model::HeadMeasures want = model::measureMap(ref.row(0, 0), n, n, true);
      const model::HeadMeasures& got = o->measures[std::size_t(h)];
      EXPECT_EQ(got.layer, l);
      EXPECT_EQ(got.head, h);
      EXPECT_NEAR(got.entropy_bits, want.entropy_bits, 1e-3) << l << "," << h;
      EXPECT_NEAR(got.previous_token, want.previous_token, 1e-4);
      EXPECT_NEAR(got.sink_mass, want.sink_mass, 1e-4);
      // Thumbnail: the top-left cell holds token 0's weight on itself (1), the top-right is masked.
      const float* thumb = o->thumbs.data() + std::size_t(h) * ModelHolder::kThumbSize * ModelHolder::kThumbSize;
      EXPECT_NEAR(thumb[0], 1.0f, 1e-5f);
      EXPECT_EQ(thumb[ModelHolder::kThumbSize - 1], -1.0f);
    }
  }
  const std::vector<float>& r = m.rollout();
  ASSERT_EQ(int(r.size()), n * n);
  const std::vector<float> direct = m.idleSession().rollout();
  EXPECT_LE(maxDifference(r.data(), direct.data(), r.size()), 1e-4f);
  for (int i = 0; i < n; ++i) {
    float sum = 0;
    for (int j = 0; j < n; ++j) sum += r[std::size_t(i * n + j)];
    EXPECT_NEAR(sum, 1.0f, 1e-4f) << "rollout row " << i;
  }
  // New tokens start the overview again: what is shown is of the new tokens only.
  const int version_before = m.tokensVersion();
  const float old_sink = m.overview(0)->measures[0].sink_mass;
  app.setText(app.text() + " again");
  app.recomputeNow();
  EXPECT_NE(m.tokensVersion(), version_before);
  EXPECT_EQ(m.numTokens(), app.nq());
  m.finishOverview();
  const LayerOverview* o0 = m.overview(0);
  ASSERT_NE(o0, nullptr);
  const AttentionResult ref0 = computeReference(m.idleSession().problemFor(0, 0));
  const float new_sink = model::measureMap(ref0.row(0, 0), app.nq(), app.nq(), true).sink_mass;
  ASSERT_GT(std::fabs(new_sink - old_sink), 1e-4f) << "the text change should move head 0's sink mass";
  EXPECT_NEAR(o0->measures[0].sink_mass, new_sink, 1e-4);
}

TEST(ModelController, BackToTheSimulatedModelReleasesTheModel) {
  REQUIRE_TINY_MODELS();
  AppController app;
  app.setCausal(false);
  app.setText("the cat");
  ASSERT_TRUE(loadAndWait(app, tinyModel("gpt2_plain"))) << app.error();
  EXPECT_TRUE(app.causal());
  app.useSimulatedModel();
  app.recomputeNow();
  EXPECT_EQ(app.model(), nullptr);
  EXPECT_FALSE(app.modelShown());
  EXPECT_FALSE(app.causal());
  EXPECT_EQ(app.layer(), 0);
  ASSERT_TRUE(app.hasResult());
  EXPECT_EQ(app.heads(), 4);  // the simulated heads
}

}  // namespace
}  // namespace attnviz::ui

namespace attnviz::ui {
namespace {

TEST(ModelController, ExportedDocumentsNameTheModelLayerAndHead) {
  REQUIRE_TINY_MODELS();
  AppController app;
  app.setText("the cat sat on the mat");
  ASSERT_TRUE(loadAndWait(app, tinyModel("gpt2_plain"))) << app.error();
  std::string error;
  ASSERT_TRUE(app.setHeadByName("L1H2", &error)) << error;
  app.recomputeNow();
  const DumpDocument doc = dumpDocumentFor(app);
  EXPECT_EQ(doc.model, tinyModel("gpt2_plain"));
  EXPECT_EQ(doc.layer, 1);
  EXPECT_EQ(doc.token_ids, app.model()->idleSession().tokenIds());
  ASSERT_EQ(doc.heads.size(), 1u);
  EXPECT_EQ(doc.heads[0].name, "L1H2");
  const std::string json = toJson(doc);
  EXPECT_NE(json.find("\"layer\":1"), std::string::npos);
  EXPECT_NE(json.find("\"L1H2\""), std::string::npos);
  // The mean of the layer says which layer it is.
  app.setHead({HeadSelection::Mean, 0});
  EXPECT_EQ(app.headLabel().rfind("L1 mean of", 0), 0u) << app.headLabel();
}

}  // namespace
}  // namespace attnviz::ui

#include "core/deck.h"
#include "ui/deck_player.h"

namespace attnviz::ui {
namespace {

TEST(ModelDeck, StepsNameAModelLayerAndHead) {
  REQUIRE_TINY_MODELS();
  const std::string model = tinyModel("gpt2_plain");
  const std::string json = R"({"steps": [
    {"caption": "simulated", "text": "The bank by the river"},
    {"caption": "real", "model": ")" + model + R"(", "text": "the cat sat on the mat", "head": "L1H2"},
    {"caption": "its layer 2 mean", "layer": 2, "head": "mean"},
    {"caption": "bad head", "head": "Positional"},
    {"caption": "cross with a model", "mode": "cross", "target": "x"},
    {"caption": "layer without a model", "model": "", "layer": 1},
    {"caption": "a missing model", "model": "/nonexistent/attnviz-deck-model"},
    {"caption": "back", "model": "simulated", "text": "The bank by the river", "head": "mean"}
  ]})";
  const Deck deck = parseDeck(json, "test deck");
  ASSERT_EQ(deck.problems.size(), 3u);
  EXPECT_NE(deck.problems[0].find("step 4"), std::string::npos) << deck.problems[0];
  EXPECT_NE(deck.problems[0].find("L5H1"), std::string::npos) << deck.problems[0];
  EXPECT_NE(deck.problems[1].find("cross"), std::string::npos) << deck.problems[1];
  EXPECT_NE(deck.problems[2].find("'layer' needs a real model"), std::string::npos) << deck.problems[2];
  ASSERT_EQ(deck.steps.size(), 5u);

  AppController app;
  DeckPlayer player(deck);
  player.goTo(0, app);
  EXPECT_FALSE(app.modelShown());
  player.goTo(1, app);
  ASSERT_TRUE(app.modelShown()) << app.error();
  EXPECT_EQ(app.layer(), 1);
  EXPECT_EQ(app.head().kind, HeadSelection::Single);
  EXPECT_EQ(app.head().index, 2);
  const ModelHolder* loaded = app.model();
  player.goTo(2, app);
  EXPECT_EQ(app.model(), loaded);  // the same model is not loaded again
  EXPECT_EQ(app.layer(), 2);
  EXPECT_EQ(app.head().kind, HeadSelection::Mean);
  player.goTo(3, app);  // the missing model: says so, keeps the loaded one
  EXPECT_EQ(app.model(), loaded);
  bool reported = false;
  for (const std::string& p : player.problems()) reported |= p.find("/nonexistent/attnviz-deck-model") != std::string::npos;
  EXPECT_TRUE(reported);
  player.goTo(4, app);
  EXPECT_FALSE(app.modelShown());
  EXPECT_EQ(app.heads(), 4);
}

}  // namespace
}  // namespace attnviz::ui

namespace attnviz::ui {
namespace {

// The lecture deck on the shipped tiny-gpt: every step plays on the shipped model, and the heads
// its captions call the previous-token, induction and sink heads are the ones attnviz's own
// measures pick on the step's text (so a retrained model with other heads fails here).
TEST(ModelDeck, TinyGptDeckPlaysAndShowsTheHeadsItsCaptionsName) {
  const Deck deck = loadDeck(std::string(ATTNVIZ_ASSET_DIR) + "/decks/trained-models.json");
  ASSERT_TRUE(deck.problems.empty()) << deck.problems.front();
  ASSERT_GE(deck.steps.size(), 5u);
  auto session = model::ModelSession::load("tiny-gpt");
  auto bestBy = [](const std::vector<std::vector<double>>& score) {
    int best_layer = 0, best_head = 0;
    for (std::size_t l = 0; l < score.size(); ++l)
      for (std::size_t h = 0; h < score[l].size(); ++h)
        if (score[l][h] > score[std::size_t(best_layer)][std::size_t(best_head)]) best_layer = int(l), best_head = int(h);
    return "L" + std::to_string(best_layer) + "H" + std::to_string(best_head);
  };
  auto measured = [&](const std::string& text, double model::HeadMeasures::*field) {
    session->setText(text);
    std::vector<std::vector<double>> score(std::size_t(session->numLayers()), std::vector<double>(std::size_t(session->numHeads())));
    for (const model::HeadMeasures& m : session->measures()) score[std::size_t(m.layer)][std::size_t(m.head)] = m.*field;
    return bestBy(score);
  };
  int checked = 0;
  AppController app;
  DeckPlayer player(deck);
  for (int i = 0; i < player.count(); ++i) {
    ASSERT_TRUE(player.next(app)) << "step " << i + 1;
    app.waitForModel();
    ASSERT_TRUE(app.modelShown()) << "step " << i + 1 << ": " << app.error();
    const DeckStep& s = *player.current();
    EXPECT_NE(s.caption.find_first_of("0123456789"), std::string::npos) << "step " << i + 1 << " quotes no number";
    if (s.model != "tiny-gpt") continue;  // tiny-translator's steps: deck_translation_test.cpp
    if (s.caption.find("previous-token head") != std::string::npos) {
      EXPECT_EQ(s.head, measured(s.text, &model::HeadMeasures::previous_token)) << "step " << i + 1;
      ++checked;
    } else if (s.caption.find("induction head") != std::string::npos) {
      EXPECT_EQ(s.head, bestBy(session->inductionScores(50, 1))) << "step " << i + 1;
      ++checked;
    } else if (s.caption.find("sink") != std::string::npos && s.head != "mean" && s.head != "all") {
      EXPECT_EQ(s.head, measured(s.text, &model::HeadMeasures::sink_mass)) << "step " << i + 1;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 3);
  EXPECT_TRUE(player.problems().empty()) << player.problems().front();
}

}  // namespace
}  // namespace attnviz::ui
