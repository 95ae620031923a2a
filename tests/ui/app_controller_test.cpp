// The app controller without a window: the actions the panels call and the state they read.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <string>

#include "core/npy.h"
#include "ui/app_controller.h"
#include "ui/settings.h"

namespace attnviz::ui {
namespace {

float rowSum(const float* row, int n) { return std::accumulate(row, row + n, 0.0f); }

TEST(AppController, DefaultSentenceComputesFourHeads) {
  AppController app;
  EXPECT_TRUE(app.dirty());
  app.recomputeNow();
  ASSERT_TRUE(app.hasResult()) << app.error();
  EXPECT_EQ(app.text(), kDefaultSentence);
  EXPECT_EQ(app.heads(), 4);
  EXPECT_EQ(app.nq(), 8);  // The bank by the river was steep .
  EXPECT_EQ(app.nk(), 8);
  EXPECT_EQ(app.keyLabels()[1], "bank");
  EXPECT_EQ(app.headNames().size(), 4u);
  EXPECT_EQ(app.head().kind, HeadSelection::Mean);
  for (int i = 0; i < app.nq(); ++i) EXPECT_NEAR(rowSum(app.shown().row(0, i), app.nk()), 1.0f, 1e-4f) << "row " << i;
  EXPECT_GT(app.stats().avg_entropy_bits, 0.0);
  EXPECT_LE(app.stats().avg_normalized_entropy, 1.0 + 1e-9);
  EXPECT_FALSE(app.engineUsed().empty());
  EXPECT_FALSE(examples().empty());
}

TEST(AppController, ExamplesHaveDistinctTitlesAndLoad) {
  const auto& ex = examples();
  ASSERT_GE(ex.size(), 4u);
  for (std::size_t a = 0; a < ex.size(); ++a)
    for (std::size_t b = a + 1; b < ex.size(); ++b) EXPECT_NE(ex[a].title, ex[b].title);
  AppController app;
  for (int i = 0; i < int(ex.size()); ++i) {
    app.loadExample(i);
    app.recomputeNow();
    EXPECT_TRUE(app.error().empty()) << ex[std::size_t(i)].title << ": " << app.error();
    EXPECT_EQ(app.mode(), ex[std::size_t(i)].mode);
  }
}

TEST(AppController, EditsRecomputeOnlyWhenDue) {
  int calls = 0;
  std::string last_text;
  AppController app([&](const AttentionProblem& p, const std::string& e) {
    ++calls;
    last_text = p.key_labels.empty() ? "" : p.key_labels.front();
    return computeOnCpu(p, e);
  });
  app.recomputeNow();
  EXPECT_EQ(calls, 1);
  const int version = app.resultVersion();
  // Several edits within one frame: one compute, of the newest text.
  app.setText("Alpha beta");
  app.setText("Gamma delta epsilon");
  EXPECT_TRUE(app.dirty());
  // Due at once when the last compute took under 30 ms. When it took longer (the sanitizer builds on
  // a loaded machine can), the controller first waits for quiet input, at most 0.25 s
  // (SlowRecomputesWaitForQuietInput): either way, one compute of the newest text.
  bool computed = app.recomputeIfDue(1.0);
  if (!computed) {
    EXPECT_EQ(calls, 1);
    computed = app.recomputeIfDue(1.26);
  }
  EXPECT_TRUE(computed);
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(last_text, "Gamma");
  EXPECT_EQ(app.nq(), 3);
  EXPECT_EQ(app.resultVersion(), version + 1);
  EXPECT_FALSE(app.recomputeIfDue(1.5));  // nothing changed
  EXPECT_EQ(calls, 2);
  app.setText("Gamma delta epsilon");  // same text: not dirty
  EXPECT_FALSE(app.dirty());
}

TEST(AppController, HeadSwitchDoesNotRecompute) {
  int calls = 0;
  AppController app([&](const AttentionProblem& p, const std::string& e) {
    ++calls;
    return computeOnCpu(p, e);
  });
  app.recomputeNow();
  const int display = app.displayVersion();
  const int result = app.resultVersion();
  std::string error;
  ASSERT_TRUE(app.setHeadByName("2", &error)) << error;
  EXPECT_EQ(app.head().kind, HeadSelection::Single);
  EXPECT_EQ(app.head().index, 1);
  EXPECT_EQ(app.resultVersion(), result);
  EXPECT_EQ(app.displayVersion(), display + 1);
  EXPECT_TRUE(app.animateDisplayChange());
  EXPECT_FALSE(app.dirty());
  EXPECT_EQ(calls, 1);
  // The shown matrix is that head.
  EXPECT_EQ(app.shown().p[5], app.result().p[app.result().index(1, 0, 5)]);
  ASSERT_TRUE(app.setHeadByName("semantic", &error)) << error;
  EXPECT_EQ(app.head().index, 2);
  ASSERT_TRUE(app.setHeadByName("all", &error));
  EXPECT_EQ(app.displayedHeads(), (std::vector<int>{0, 1, 2, 3}));
  ASSERT_TRUE(app.setHeadByName("mean", &error));
  EXPECT_EQ(app.displayedHeads(), (std::vector<int>{-1}));
  EXPECT_FALSE(app.setHeadByName("nosuchhead", &error));
  EXPECT_NE(error.find("unknown head"), std::string::npos);
  EXPECT_FALSE(app.setHeadByName("9", &error));
}

TEST(AppController, SelectionIsClampedAndMovable) {
  AppController app;
  app.recomputeNow();
  app.setClock(3.0);
  app.selectQuery(3);
  EXPECT_EQ(app.selectedQuery(), 3);
  EXPECT_DOUBLE_EQ(app.selectionChangedAt(), 3.0);
  app.moveSelection(+1);
  EXPECT_EQ(app.selectedQuery(), 4);
  app.selectQuery(100);
  EXPECT_EQ(app.selectedQuery(), 7);
  app.moveSelection(+1);
  EXPECT_EQ(app.selectedQuery(), 7);
  app.selectQuery(-5);
  EXPECT_EQ(app.selectedQuery(), 0);
  // Shorter text: the selection stays inside.
  app.selectQuery(7);
  app.setText("Short one");
  app.recomputeNow();
  EXPECT_EQ(app.selectedQuery(), 1);
  ASSERT_NE(app.selectedRow(), nullptr);
}

TEST(AppController, TemperatureIsClampedAndSharpens) {
  AppController app;
  app.setTemperature(100.0f);
  EXPECT_FLOAT_EQ(app.temperature(), kMaxTemperatureUi);
  app.setTemperature(0.0f);
  EXPECT_FLOAT_EQ(app.temperature(), kMinTemperatureUi);
  app.recomputeNow();
  const double sharp = app.stats().avg_entropy_bits;
  app.setTemperature(10.0f);
  app.recomputeNow();
  const double flat = app.stats().avg_entropy_bits;
  EXPECT_LT(sharp, flat);
  for (float w : app.result().p) EXPECT_TRUE(std::isfinite(w));
}

TEST(AppController, TemperatureAndMaskChangesMatchAFreshBuild) {
  // The controller reuses Q/K when only the temperature or the mask changes; the result must be
  // what a fresh build gives.
  AppController app([](const AttentionProblem& p, const std::string&) {
    ComputeOutput out;
    out.result = computeReference(p);
    out.engine = "cpu-ref";
    return out;
  });
  app.recomputeNow();
  app.setTemperature(0.3f);
  app.setCausal(true);
  app.recomputeNow();
  SimulatedInput in;
  in.text = kDefaultSentence;
  in.temperature = 0.3f;
  in.causal = true;
  const AttentionResult fresh = computeReference(buildSimulatedProblem(in));
  ASSERT_EQ(fresh.p.size(), app.result().p.size());
  for (std::size_t i = 0; i < fresh.p.size(); ++i) ASSERT_FLOAT_EQ(fresh.p[i], app.result().p[i]) << i;
  // A text change rebuilds.
  app.setText("Another sentence here.");
  app.recomputeNow();
  EXPECT_EQ(app.nq(), 4);
  EXPECT_EQ(app.problem().mask, MaskKind::Causal);
  EXPECT_FLOAT_EQ(app.problem().temperature, 0.3f);
}

TEST(AppController, CrossModeHasTargetRowsAndSourceColumns) {
  AppController app;
  app.setMode(AttentionMode::Cross);  // picks the translation example
  app.recomputeNow();
  ASSERT_TRUE(app.hasResult()) << app.error();
  EXPECT_FALSE(app.selfAttention());
  EXPECT_FALSE(app.target().empty());
  EXPECT_EQ(app.queryLabels().front(), "Le");
  EXPECT_EQ(app.keyLabels().front(), "The");
  EXPECT_EQ(app.headNames(), crossHeadNames());
}

TEST(AppController, CausalMaskHidesLaterKeys) {
  AppController app;
  app.setCausal(true);
  app.recomputeNow();
  EXPECT_TRUE(app.causalMaskShown());
  EXPECT_TRUE(app.isMasked(2, 3));
  EXPECT_FALSE(app.isMasked(3, 2));
  EXPECT_EQ(app.visibleKeys()[0], 1);
  EXPECT_EQ(app.visibleKeys()[7], 8);
  EXPECT_EQ(app.shown().at(0, 0, 5), 0.0f);
  EXPECT_NEAR(app.shown().at(0, 0, 0), 1.0f, 1e-6f);
}

TEST(AppController, BadInputKeepsThePreviousView) {
  AppController app;
  app.recomputeNow();
  const int version = app.resultVersion();
  app.setText("   ");
  app.recomputeNow();
  EXPECT_FALSE(app.error().empty());
  EXPECT_EQ(app.resultVersion(), version);
  EXPECT_EQ(app.nq(), 8);
  app.setText("Back again.");
  app.recomputeNow();
  EXPECT_TRUE(app.error().empty());
  EXPECT_EQ(app.nq(), 3);
}

TEST(AppController, EngineFailureIsReportedNotThrown) {
  AppController app([](const AttentionProblem& p, const std::string& e) -> ComputeOutput {
    if (e == "gpu-compute") throw std::runtime_error("no GL 4.3 here");
    return computeOnCpu(p, e);
  });
  app.recomputeNow();
  app.setEngine("gpu-compute");
  app.recomputeNow();
  EXPECT_NE(app.error().find("no GL 4.3 here"), std::string::npos);
  EXPECT_TRUE(app.hasResult());
  app.setEngine("cpu-ref");
  app.recomputeNow();
  EXPECT_TRUE(app.error().empty());
  EXPECT_EQ(app.engineUsed(), "cpu-ref");
}

TEST(AppController, SlowRecomputesWaitForQuietInput) {
  AppController app([](const AttentionProblem& p, const std::string& e) {
    ComputeOutput out = computeOnCpu(p, e);
    // Pretend this is a long input: make the controller believe recomputes are slow.
    const auto t0 = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(40)) {
    }
    return out;
  });
  app.recomputeNow();
  ASSERT_GT(app.recomputeMs(), 30.0);
  app.setText("one two");
  EXPECT_FALSE(app.recomputeIfDue(10.0));    // just edited: wait
  app.setText("one two three");
  EXPECT_FALSE(app.recomputeIfDue(10.01));
  EXPECT_TRUE(app.recomputeIfDue(10.5));     // quiet long enough: the newest text
  EXPECT_EQ(app.nq(), 3);
}

TEST(AppController, OffThreadRecomputeKeepsTheUiFreeAndTheNewestInputWins) {
  std::atomic<int> calls{0};
  std::atomic<bool> release{false};
  AppController app([&](const AttentionProblem& p, const std::string& e) {
    ++calls;
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return computeOnCpu(p, e);
  });
  app.setOffThread([](const std::string&) { return true; });
  app.setText("one two three");
  EXPECT_FALSE(app.recomputeIfDue(1.0));  // started on the worker, nothing applied yet
  EXPECT_TRUE(app.busy());
  app.setText("four five");                // edits while it runs
  app.setText("six seven eight nine");
  EXPECT_FALSE(app.recomputeIfDue(1.1));  // still running: the UI does not wait
  release = true;
  double t = 1.2;
  while (app.busy() || app.dirty()) {
    app.recomputeIfDue(t);
    t += 0.01;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ASSERT_LT(t, 100.0) << "never finished";
  }
  // The first job (three tokens) was applied, then one more for the newest text only.
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(app.nq(), 4);
  EXPECT_EQ(app.text(), "six seven eight nine");
  EXPECT_GE(app.recomputeMs(), 0.0);
}

TEST(AppController, LoadsProbabilitiesFromNpyAndRejectsBadFiles) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("attnviz_ui_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  // Two heads, 2 queries x 3 keys.
  const std::vector<float> w = {0.2f, 0.3f, 0.5f, 1.0f, 0.0f, 0.0f, 0.1f, 0.1f, 0.8f, 0.6f, 0.4f, 0.0f};
  writeNpy((dir / "attn.npy").string(), {2, 2, 3}, w.data());
  AppController app;
  app.recomputeNow();
  ASSERT_TRUE(app.loadPaths({(dir / "attn.npy").string()})) << app.error();
  EXPECT_TRUE(app.importedData());
  EXPECT_EQ(app.heads(), 2);
  EXPECT_EQ(app.nq(), 2);
  EXPECT_EQ(app.nk(), 3);
  EXPECT_EQ(app.engineUsed(), "imported");
  EXPECT_EQ(app.selectedMaths(), nullptr);  // no scores behind imported probabilities
  {
    std::FILE* f = std::fopen((dir / "bad.npy").string().c_str(), "wb");
    std::fputs("not an npy file", f);
    std::fclose(f);
  }
  const int version = app.resultVersion();
  EXPECT_FALSE(app.loadPaths({(dir / "bad.npy").string()}));
  EXPECT_NE(app.error().find("bad.npy"), std::string::npos) << app.error();
  EXPECT_EQ(app.resultVersion(), version);
  EXPECT_EQ(app.nk(), 3);
  app.useSimulatedModel();
  app.recomputeNow();
  EXPECT_EQ(app.nk(), 8);
  fs::remove_all(dir);
}

TEST(AppController, LayersOfWeightsAndTokensBesideTheFile) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("attnviz_ui_layers_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  // [2 layers, 1 head, 3, 3]: layer 0 looks at key 0, layer 1 at key 2.
  std::vector<float> w(2 * 9, 0.0f);
  for (int i = 0; i < 3; ++i) {
    w[std::size_t(i * 3 + 0)] = 1.0f;
    w[std::size_t(9 + i * 3 + 2)] = 1.0f;
  }
  writeNpy((dir / "attn.npy").string(), {2, 1, 3, 3}, w.data());
  {
    std::FILE* f = std::fopen((dir / "tokens.txt").string().c_str(), "wb");
    std::fputs("alpha\nbeta\ngamma\n", f);
    std::fclose(f);
  }
  AppController app;
  app.recomputeNow();
  ASSERT_TRUE(app.loadPaths({(dir / "attn.npy").string()})) << app.error();
  EXPECT_EQ(app.layerCount(), 2);
  EXPECT_EQ(app.layer(), 0);
  EXPECT_EQ(app.keyLabels(), (std::vector<std::string>{"alpha", "beta", "gamma"}));  // read from beside the file
  app.selectQuery(1);
  EXPECT_EQ(app.selectedRow()[0], 1.0f);
  app.setLayer(1);
  EXPECT_EQ(app.layer(), 1);
  EXPECT_EQ(app.selectedQuery(), 1);  // the selection stays
  EXPECT_EQ(app.selectedRow()[2], 1.0f);
  EXPECT_EQ(app.keyLabels()[2], "gamma");
  app.setLayer(7);  // clamped
  EXPECT_EQ(app.layer(), 1);
  // [1, h, n, n]: one layer, no selector.
  writeNpy((dir / "one.npy").string(), {1, 1, 3, 3}, w.data());
  ASSERT_TRUE(app.loadPaths({(dir / "one.npy").string()})) << app.error();
  EXPECT_EQ(app.layerCount(), 0);
  EXPECT_EQ(app.heads(), 1);
  app.useSimulatedModel();
  EXPECT_EQ(app.layerCount(), 0);
  fs::remove_all(dir);
}

TEST(AppController, ControlsThatCannotActSayWhy) {
  AppController app;
  app.recomputeNow();
  EXPECT_TRUE(app.causalApplies());
  EXPECT_EQ(app.temperatureUnavailableReason(), "");
  // Cross mode: no causal mask, even when the checkbox state says so.
  app.setCausal(true);
  app.setMode(AttentionMode::Cross);
  app.recomputeNow();
  EXPECT_FALSE(app.causalApplies());
  EXPECT_NE(app.causalUnavailableReason().find("cross"), std::string::npos);
  EXPECT_FALSE(app.causalMaskShown());
  EXPECT_FALSE(app.isMasked(0, app.nk() - 1));
  for (int i = 0; i < app.nq(); ++i) EXPECT_NEAR(rowSum(app.shown().row(0, i), app.nk()), 1.0f, 1e-4f);
  EXPECT_GT(app.shown().at(0, 0, app.nk() - 1), 0.0f);  // the last source token is attended to from row 0
  // Imported probabilities: neither temperature nor mask can change them.
  const std::vector<float> w = {0.5f, 0.5f, 0.25f, 0.75f};
  AttentionResult r;
  r.heads = 1;
  r.nq = r.nk = 2;
  r.p = w;
  r.row_fully_masked.assign(2, 0);
  ASSERT_TRUE(app.loadWeights(r, {}, {}, "w"));
  EXPECT_NE(app.temperatureUnavailableReason().find("already"), std::string::npos);
  EXPECT_NE(app.causalUnavailableReason().find("imported"), std::string::npos);
}

TEST(AppController, ColourScaleDenominatorsFollowTheShownPanels) {
  AppController app;
  app.recomputeNow();
  EXPECT_TRUE(app.displayDenominators().empty());  // linear
  const int version = app.displayVersion();
  app.setColourScale(ColourScale::Auto);
  EXPECT_GT(app.displayVersion(), version);  // the display is rebuilt...
  EXPECT_FALSE(app.dirty());                  // ...but nothing recomputed
  ASSERT_EQ(app.displayDenominators().size(), 1u);
  EXPECT_FLOAT_EQ(app.displayDenominators()[0], app.shownMaximum());
  EXPECT_FLOAT_EQ(app.colourPosition(-1, 0, app.shownMaximum()), 1.0f);
  app.setColourScale(ColourScale::Row);
  ASSERT_EQ(int(app.displayDenominators().size()), app.nq());
  for (int i = 0; i < app.nq(); ++i) {
    const float* row = app.shown().row(0, i);
    EXPECT_FLOAT_EQ(app.displayDenominators()[std::size_t(i)], *std::max_element(row, row + app.nk())) << i;
  }
  app.setHead({HeadSelection::All, 0});
  EXPECT_EQ(int(app.displayDenominators().size()), app.heads() * app.nq());
  const float* head2_row3 = app.rowOfHead(2, 3);
  const float max23 = *std::max_element(head2_row3, head2_row3 + app.nk());
  EXPECT_FLOAT_EQ(app.displayDenominators()[std::size_t(2 * app.nq() + 3)], max23);
  EXPECT_FLOAT_EQ(app.colourPosition(2, 3, max23), 1.0f);
}

TEST(AppController, MathsOfTheSelectedQueryMatchTheRow) {
  AppController app;
  app.recomputeNow();
  std::string error;
  ASSERT_TRUE(app.setHeadByName("1", &error));
  app.selectQuery(2);
  const QueryMaths* m = app.selectedMaths();
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->query, 2);
  ASSERT_EQ(int(m->weights.size()), app.nk());
  for (int j = 0; j < app.nk(); ++j) EXPECT_NEAR(m->weights[std::size_t(j)], app.selectedRow()[j], 1e-5) << j;
}

TEST(Settings, RoundTripThroughJson) {
  AppController a;
  a.setText("Settings survive a restart.");
  a.setCausal(true);
  a.setTemperature(0.5f);
  a.setColormap(Colormap::Magma);
  a.setEngine("cpu-ref");
  std::string error;
  a.recomputeNow();
  ASSERT_TRUE(a.setHeadByName("3", &error));
  WindowGeometry g{900, 700};
  g.continuous_redraw = true;
  const nlohmann::json j = settingsToJson(a, g);
  AppController b;
  WindowGeometry h;
  applySettings(j, &b, &h);
  b.recomputeNow();
  EXPECT_EQ(b.text(), a.text());
  EXPECT_TRUE(b.causal());
  EXPECT_FLOAT_EQ(b.temperature(), 0.5f);
  EXPECT_EQ(b.colormap(), Colormap::Magma);
  EXPECT_EQ(b.engineRequested(), "cpu-ref");
  EXPECT_EQ(b.head().kind, HeadSelection::Single);
  EXPECT_EQ(b.head().index, 2);
  EXPECT_EQ(h.width, 900);
  EXPECT_EQ(h.height, 700);
  EXPECT_TRUE(h.continuous_redraw);
  // Garbage is ignored, not fatal.
  AppController c;
  applySettings(nlohmann::json::parse(R"({"temperature":"hot","mode":7,"window":{"width":"x","continuous_redraw":1}})"), &c, &h);
  EXPECT_FLOAT_EQ(c.temperature(), 1.0f);
  EXPECT_TRUE(h.continuous_redraw) << "a non-boolean is ignored, the value before stays";
}

}  // namespace
}  // namespace attnviz::ui
