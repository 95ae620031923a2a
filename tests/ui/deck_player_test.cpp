// Lecture decks played on the controller, and the keyboard shortcuts that live in the controller
// (ui/shortcuts.h): no window, no GL.
#include <gtest/gtest.h>

#include <string>

#include "core/deck.h"
#include "ui/deck_player.h"
#include "ui/shortcuts.h"

namespace attnviz::ui {
namespace {

TEST(DeckPlayer, ShippedIntroDeckPlaysEveryStep) {
  DeckPlayer player(loadDeck(std::string(ATTNVIZ_ASSET_DIR) + "/decks/intro.json"));
  ASSERT_GE(player.count(), 10);
  EXPECT_TRUE(player.problems().empty()) << player.problems().front();
  AppController app;
  EXPECT_EQ(player.index(), -1);
  for (int i = 0; i < player.count(); ++i) {
    ASSERT_TRUE(player.next(app)) << "step " << i + 1;
    ASSERT_TRUE(app.hasResult()) << "step " << i + 1 << ": " << app.error();
    const DeckStep& s = *player.current();
    EXPECT_EQ(app.selfAttention(), !s.cross) << "step " << i + 1;
    EXPECT_EQ(app.causal(), s.causal) << "step " << i + 1;
    EXPECT_FLOAT_EQ(app.temperature(), s.temperature) << "step " << i + 1;
    EXPECT_EQ(app.selectedQuery(), std::min(s.select, app.nq() - 1)) << "step " << i + 1;
    EXPECT_FALSE(s.caption.empty()) << "step " << i + 1;
  }
  EXPECT_FALSE(player.next(app));  // stays on the last step
  EXPECT_EQ(player.position(), "step " + std::to_string(player.count()) + " / " + std::to_string(player.count()));
  EXPECT_TRUE(player.problems().empty()) << player.problems().front();
}

TEST(DeckPlayer, StepsApplyHeadTemperatureAndAnimateSameShapeChanges) {
  DeckPlayer player(parseDeck(R"({"title": "t", "steps": [
      {"caption": "a", "text": "The bank by the river was steep.", "head": "Positional", "select": 1},
      {"caption": "b", "temperature": 0.3},
      {"caption": "c", "causal": true, "head": "all", "select": 5},
      {"caption": "d", "mode": "cross", "text": "The cat sat on the mat.", "target": "Le chat dort.", "head": "mean"}]})"));
  AppController app;
  ASSERT_TRUE(player.goTo(0, app));
  EXPECT_EQ(app.head().kind, HeadSelection::Single);
  EXPECT_EQ(app.headNames()[std::size_t(app.head().index)], "Positional");
  EXPECT_EQ(app.selectedQuery(), 1);
  const int version = app.displayVersion();
  ASSERT_TRUE(player.next(app));
  EXPECT_FLOAT_EQ(app.temperature(), 0.3f);
  EXPECT_EQ(app.selectedQuery(), 1);  // inherited
  EXPECT_GT(app.displayVersion(), version);
  EXPECT_TRUE(app.animateDisplayChange());  // same shape: the heatmap blends
  ASSERT_TRUE(player.next(app));
  EXPECT_TRUE(app.causal());
  EXPECT_EQ(app.head().kind, HeadSelection::All);
  EXPECT_EQ(app.selectedQuery(), 5);
  ASSERT_TRUE(player.next(app));
  EXPECT_FALSE(app.selfAttention());
  EXPECT_EQ(app.target(), "Le chat dort.");
  EXPECT_EQ(app.head().kind, HeadSelection::Mean);
  ASSERT_TRUE(player.prev(app));
  EXPECT_TRUE(app.selfAttention());
  EXPECT_EQ(player.position(), "step 3 / 4");
}

TEST(DeckPlayer, BadStepsAreListedAndTheRestPlays) {
  DeckPlayer player(parseDeck(R"({"steps": [
      {"caption": "ok", "text": "One two three."},
      {"caption": "bad", "temperature": -1},
      {"caption": "unknown head", "head": "NoSuchHead"},
      {"caption": "last", "select": 2}]})"));
  ASSERT_FALSE(player.problems().empty());
  EXPECT_NE(player.problems().front().find("step 2"), std::string::npos) << player.problems().front();
  AppController app;
  int steps = 0;
  while (player.next(app)) ++steps;
  EXPECT_EQ(steps, player.count());
  EXPECT_EQ(player.current()->caption, "last");
  EXPECT_EQ(app.selectedQuery(), 2);
  // A head the model lacks is reported once, while playing.
  bool head_problem = false;
  for (const std::string& p : player.problems()) head_problem |= p.find("NoSuchHead") != std::string::npos || p.find("head") != std::string::npos;
  EXPECT_TRUE(head_problem);
}

TEST(DeckPlayer, EmptyPlayerDoesNothing) {
  DeckPlayer player;
  AppController app;
  EXPECT_TRUE(player.empty());
  EXPECT_FALSE(player.next(app));
  EXPECT_EQ(player.current(), nullptr);
  EXPECT_EQ(player.position(), "");
}

TEST(Shortcuts, ArrowsMoveQueryAndCycleHeads) {
  AppController app;
  app.recomputeNow();
  EXPECT_TRUE(applyShortcut(app, Shortcut::QueryNext));
  EXPECT_EQ(app.selectedQuery(), 1);
  EXPECT_TRUE(applyShortcut(app, Shortcut::QueryPrev));
  EXPECT_FALSE(applyShortcut(app, Shortcut::QueryPrev));  // already the first row
  ASSERT_EQ(app.head().kind, HeadSelection::Mean);
  EXPECT_TRUE(applyShortcut(app, Shortcut::HeadNext));
  EXPECT_EQ(app.head().kind, HeadSelection::Single);
  EXPECT_EQ(app.head().index, 0);
  for (int k = 0; k < app.heads() - 1; ++k) applyShortcut(app, Shortcut::HeadNext);
  EXPECT_EQ(app.head().index, app.heads() - 1);
  applyShortcut(app, Shortcut::HeadNext);  // wraps to the mean
  EXPECT_EQ(app.head().kind, HeadSelection::Mean);
  applyShortcut(app, Shortcut::HeadPrev);  // and back to the last head
  EXPECT_EQ(app.head().index, app.heads() - 1);
}

TEST(Shortcuts, TemperatureCausalModeAndAllHeads) {
  AppController app;
  app.recomputeNow();
  EXPECT_TRUE(applyShortcut(app, Shortcut::TemperatureDown));
  EXPECT_FLOAT_EQ(app.temperature(), 0.7f);
  EXPECT_TRUE(applyShortcut(app, Shortcut::TemperatureUp));
  EXPECT_TRUE(applyShortcut(app, Shortcut::TemperatureUp));
  EXPECT_FLOAT_EQ(app.temperature(), 1.5f);
  for (int k = 0; k < 30; ++k) applyShortcut(app, Shortcut::TemperatureUp);
  EXPECT_FLOAT_EQ(app.temperature(), kMaxTemperatureUi);
  EXPECT_FALSE(applyShortcut(app, Shortcut::TemperatureUp));
  EXPECT_FLOAT_EQ(nextTemperature(0.05f, false), 0.05f);
  EXPECT_FLOAT_EQ(nextTemperature(0.8f, false), 0.7f);

  EXPECT_TRUE(applyShortcut(app, Shortcut::ToggleCausal));
  EXPECT_TRUE(app.causal());
  app.recomputeNow();
  EXPECT_TRUE(app.isMasked(0, 1));

  EXPECT_TRUE(applyShortcut(app, Shortcut::ToggleMode));
  EXPECT_FALSE(app.selfAttention());
  EXPECT_FALSE(app.target().empty());  // an example translation fills the target
  app.recomputeNow();
  ASSERT_TRUE(app.hasResult()) << app.error();
  EXPECT_TRUE(applyShortcut(app, Shortcut::ToggleMode));
  EXPECT_TRUE(app.selfAttention());

  EXPECT_TRUE(applyShortcut(app, Shortcut::ToggleAllHeads));
  EXPECT_EQ(app.head().kind, HeadSelection::All);
  EXPECT_TRUE(applyShortcut(app, Shortcut::ToggleAllHeads));
  EXPECT_EQ(app.head().kind, HeadSelection::Mean);
}

TEST(Shortcuts, HelpListsEveryKey) {
  std::string all;
  for (const ShortcutHelp& s : shortcutHelp()) all += std::string(s.keys) + "\n";
  for (const char* key : {"T / Shift+T", "C", "M", "A", "H", "Space", "S", "F11", "PageDown", "?"})
    EXPECT_NE(all.find(key), std::string::npos) << key;
}

}  // namespace
}  // namespace attnviz::ui
