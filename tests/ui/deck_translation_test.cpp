// The lecture deck's translation steps on the shipped tiny-translator: the deck player translates,
// switches the kind of attention, and the alignment links its captions describe are the ones
// attnviz draws (so a retrained model that aligns otherwise fails here).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "core/deck.h"
#include "core/export.h"
#include "ui/app_controller.h"
#include "ui/deck_player.h"
#include "ui/model_holder.h"

namespace attnviz::ui {
namespace {

std::string word(const std::string& label) {
  const std::string dot = "\xc2\xb7";  // the window's mark for a SentencePiece word start
  return label.rfind(dot, 0) == 0 ? label.substr(dot.size()) : label;
}

// The source word the row writing `target_word` attends to most (mean of the shown heads).
std::string linkedSource(const AppController& app, const std::string& target_word) {
  const std::vector<int> links = alignmentOf(app.shown().p.data(), app.nq(), app.nk());
  for (int row = 0; row + 1 < app.nq(); ++row)
    if (word(app.queryLabels()[std::size_t(row + 1)]) == target_word) return word(app.keyLabels()[std::size_t(links[std::size_t(row)])]);
  return "(no row writes '" + target_word + "')";
}

TEST(TranslationDeck, PlaysOnTheShippedTranslatorAndItsLinksCrossAsTheCaptionsSay) {
  const Deck deck = loadDeck(std::string(ATTNVIZ_ASSET_DIR) + "/decks/trained-models.json");
  ASSERT_TRUE(deck.problems.empty()) << deck.problems.front();
  AppController app;
  DeckPlayer player(deck);
  int translated = 0, encoder = 0;
  for (int i = 0; i < player.count(); ++i) {
    ASSERT_TRUE(player.next(app));
    app.waitForModel();
    const DeckStep& s = *player.current();
    if (s.model != "tiny-translator") continue;
    ASSERT_TRUE(app.encoderDecoderShown()) << "step " << i + 1 << ": " << app.error();
    if (s.attention == "encoder") {
      EXPECT_EQ(app.attentionKind(), model::AttentionKind::encoder);
      EXPECT_EQ(app.nq(), app.nk());
      ++encoder;
      continue;
    }
    EXPECT_EQ(app.attentionKind(), model::AttentionKind::cross);
    EXPECT_TRUE(s.alignment);
    // The model's own translation, as the caption quotes it; the verb written last reads 'sees',
    // the time word written first reads 'yesterday', the last English word.
    EXPECT_EQ(app.target(), "hieraŭ regon veki gardon en hundo mali vidas") << "step " << i + 1;
    if (translated == 0) {
      EXPECT_NE(s.caption.find(app.target()), std::string::npos) << "step " << i + 1 << " does not quote the translation";
    }
    EXPECT_EQ(linkedSource(app, "vidas"), "sees");
    EXPECT_EQ(linkedSource(app, "hieraŭ"), "yesterday");
    ++translated;
  }
  EXPECT_GE(translated, 2);
  EXPECT_EQ(encoder, 1);
  EXPECT_TRUE(player.problems().empty()) << player.problems().front();
}

// A step's translation is made once: the next step on the same sentence (another layer) keeps it.
TEST(TranslationDeck, ATranslationIsKeptWhileTheSourceStaysAndATypedTargetReplacesIt) {
  const Deck deck = parseDeck(R"({"steps":[
    {"caption":"translate","model":"tiny-translator","text":"the dog sees a cat","translate":12,"layer":1},
    {"caption":"another layer","layer":2},
    {"caption":"typed","target":"kato"},
    {"caption":"decoder","attention":"decoder","target":"hundon kato vidas"}]})");
  ASSERT_TRUE(deck.problems.empty()) << deck.problems.front();
  AppController app;
  DeckPlayer player(deck);
  player.next(app);
  app.waitForModel();
  ASSERT_TRUE(app.encoderDecoderShown()) << app.error();
  EXPECT_EQ(app.target(), "hundon kato vidas");
  EXPECT_EQ(app.nq(), 5);  // start, three words, </s>
  player.next(app);
  EXPECT_FALSE(app.generating());  // not translated again
  app.waitForModel();
  EXPECT_EQ(app.layer(), 2);
  EXPECT_EQ(app.target(), "hundon kato vidas");
  player.next(app);
  app.waitForModel();
  EXPECT_EQ(app.target(), "kato");
  EXPECT_EQ(app.nq(), 2);
  player.next(app);
  app.waitForModel();
  EXPECT_EQ(app.attentionKind(), model::AttentionKind::decoder);
  EXPECT_EQ(app.nq(), 4);
  EXPECT_EQ(app.nk(), 4);
  EXPECT_TRUE(player.problems().empty()) << player.problems().front();
}


// In the window a step's model loads on its own thread: goTo returns at once (frames go on being
// drawn), update() plays the rest of the step once the model is in, and a later step that no
// longer wants the model cancels its load. Loads are held at their steps until released (for 5 s
// at most, so that a goTo that waits fails the test instead of hanging it).
class HeldLoads {
 public:
  explicit HeldLoads(AppController& app) {
    app.setModelLoadObserver([this](const model::ModelProgress&) {
      while (!release.load() && std::chrono::steady_clock::now() < deadline_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    });
  }
  std::atomic<bool> release{false};

 private:
  const std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::now() + std::chrono::seconds(5);
};

const char* kLoadingDeck = R"({"steps":[
    {"caption":"encoder","model":"tiny-translator","text":"the dog sees a cat","attention":"encoder","layer":1},
    {"caption":"another model","model":"tiny-gpt","text":"the dog"},
    {"caption":"simulated","model":"simulated","text":"One two three"}]})";

TEST(TranslationDeck, InTheWindowAStepsModelLoadsWhileFramesAreDrawn) {
  const Deck deck = parseDeck(kLoadingDeck);
  ASSERT_TRUE(deck.problems.empty()) << deck.problems.front();
  AppController app;
  HeldLoads held(app);
  DeckPlayer player(deck);
  player.setBackgroundLoads(true);
  ASSERT_TRUE(player.goTo(0, app));
  EXPECT_TRUE(player.waitingForModel());
  EXPECT_TRUE(app.loadingModel());
  EXPECT_FALSE(app.modelShown());
  EXPECT_FALSE(player.update(app));  // still loading: nothing played yet
  held.release = true;
  bool played = false;
  for (int i = 0; i < 30000 && !played; ++i) {
    app.recomputeIfDue(double(i) * 1e-3);
    played = player.update(app);
    if (!played) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_TRUE(played) << app.error();
  EXPECT_FALSE(player.waitingForModel());
  app.waitForModel();
  ASSERT_TRUE(app.encoderDecoderShown());
  EXPECT_EQ(app.attentionKind(), model::AttentionKind::encoder);
  EXPECT_EQ(app.layer(), 1);
  EXPECT_TRUE(player.problems().empty()) << player.problems().front();
}

TEST(TranslationDeck, AStepWithoutTheLoadingModelCancelsItsLoad) {
  const Deck deck = parseDeck(kLoadingDeck);
  AppController app;
  HeldLoads held(app);
  DeckPlayer player(deck);
  player.setBackgroundLoads(true);
  ASSERT_TRUE(player.goTo(1, app));  // tiny-gpt starts loading; nothing real was on screen
  EXPECT_TRUE(app.loadingModel());
  ASSERT_TRUE(player.goTo(2, app));  // the simulated model: the load is no longer wanted
  EXPECT_FALSE(app.loadingModel());
  EXPECT_FALSE(player.waitingForModel());
  held.release = true;  // lets the cancelled load end on its thread
  for (int i = 0; i < 50; ++i) {
    app.recomputeIfDue(double(i) * 1e-2);
    EXPECT_FALSE(player.update(app));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_FALSE(app.modelShown());
  EXPECT_TRUE(player.problems().empty()) << player.problems().front();
}
}  // namespace
}  // namespace attnviz::ui
