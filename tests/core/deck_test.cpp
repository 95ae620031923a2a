#include <gtest/gtest.h>

#include "core/deck.h"
#include "core/embedded.h"

using namespace attnviz;

TEST(Deck, StepsInheritFromThePreviousStep) {
  const Deck d = parseDeck(R"({"title":"t","steps":[
    {"caption":"a","text":"one two three","head":"Semantic","temperature":0.5},
    {"caption":"b","causal":true,"select":2},
    {"mode":"cross","target":"un deux trois","head":2}]})");
  EXPECT_TRUE(d.problems.empty());
  ASSERT_EQ(d.steps.size(), 3u);
  EXPECT_EQ(d.title, "t");
  EXPECT_EQ(d.steps[1].text, "one two three");
  EXPECT_EQ(d.steps[1].temperature, 0.5f);
  EXPECT_TRUE(d.steps[1].causal);
  EXPECT_EQ(d.steps[1].head, "Semantic");
  EXPECT_EQ(d.steps[2].caption, "");  // captions are not inherited
  EXPECT_TRUE(d.steps[2].cross);
  EXPECT_EQ(d.steps[2].head, "2");
  EXPECT_EQ(d.steps[2].select, 2);
}

TEST(Deck, BadStepsAreReportedWithIndexAndFieldAndSkipped) {
  const Deck d = parseDeck(R"({"steps":[
    {"caption":"ok"},
    {"temperature":-1},
    {"mode":"sideways"},
    {"select":"three"},
    {"colour":"red"},
    {"mode":"cross"},
    {"caption":"still plays"}]})");
  ASSERT_EQ(d.steps.size(), 2u);
  EXPECT_EQ(d.steps[1].caption, "still plays");
  ASSERT_EQ(d.problems.size(), 5u);
  EXPECT_EQ(d.problems[0], "step 2: 'temperature' must be a number > 0");
  EXPECT_NE(d.problems[1].find("step 3: 'mode'"), std::string::npos);
  EXPECT_NE(d.problems[2].find("step 4: 'select'"), std::string::npos);
  EXPECT_NE(d.problems[3].find("step 5: unknown field 'colour'"), std::string::npos);
  EXPECT_NE(d.problems[4].find("step 6: cross mode needs a 'target'"), std::string::npos);
}

TEST(Deck, NotJsonOrNoStepsThrows) {
  EXPECT_THROW(parseDeck("{"), std::runtime_error);
  EXPECT_THROW(parseDeck("{\"title\":\"x\"}"), std::runtime_error);
  EXPECT_THROW(loadDeck("/nonexistent/deck.json"), std::runtime_error);
}

TEST(Deck, ShippedIntroDeckIsValid) {
  const Deck d = loadDeck(std::string(ATTNVIZ_ASSET_DIR) + "/decks/intro.json");
  EXPECT_TRUE(d.problems.empty()) << d.problems.front();
  EXPECT_GE(d.steps.size(), 10u);
  bool has_cross = false, has_causal = false;
  for (const auto& s : d.steps) {
    has_cross |= s.cross;
    has_causal |= s.causal;
    EXPECT_FALSE(s.caption.empty()) << "step " << s.source_index + 1;
  }
  EXPECT_TRUE(has_cross);
  EXPECT_TRUE(has_causal);
}

TEST(Deck, ViewIsInheritedNeedsAModelAndIsOneOfThree) {
  const Deck d = parseDeck(R"({"steps":[
    {"caption":"a","model":"tiny-gpt","head":"L0H1","view":"rollout"},
    {"caption":"inherited"},
    {"caption":"bad","view":"grid"},
    {"caption":"model view","view":"model"},
    {"caption":"another model drops it","model":"other"},
    {"caption":"no model","model":"simulated","view":"head"}]})");
  ASSERT_EQ(d.steps.size(), 4u);
  EXPECT_EQ(d.steps[0].view, "rollout");
  EXPECT_EQ(d.steps[1].view, "rollout");
  EXPECT_EQ(d.steps[2].view, "model");
  EXPECT_EQ(d.steps[3].view, "");
  ASSERT_EQ(d.problems.size(), 2u);
  EXPECT_NE(d.problems[0].find("step 3: 'view' must be"), std::string::npos) << d.problems[0];
  EXPECT_NE(d.problems[1].find("step 6: 'view' needs a real model"), std::string::npos) << d.problems[1];
}

TEST(Deck, HeadsAreCheckedAgainstTheStepsModeAtLoad) {
  const Deck d = parseDeck(R"({"steps":[
    {"caption":"no head: the mean","text":"one two three"},
    {"head":"Semantik"},
    {"head":"Syntactic"},
    {"head":9},
    {"mode":"cross","target":"un deux trois"},
    {"head":"Semantic"},
    {"head":"Lexical"}]})");
  ASSERT_EQ(d.problems.size(), 3u);
  EXPECT_NE(d.problems[0].find("step 2: 'head': unknown head 'Semantik'"), std::string::npos) << d.problems[0];
  EXPECT_NE(d.problems[0].find("Positional, Syntactic, Semantic, Global"), std::string::npos) << d.problems[0];
  EXPECT_NE(d.problems[1].find("step 4: 'head'"), std::string::npos) << d.problems[1];
  EXPECT_NE(d.problems[1].find("out of range (1..4)"), std::string::npos) << d.problems[1];
  // A self-mode name in a cross step is unknown there.
  EXPECT_NE(d.problems[2].find("step 6: 'head': unknown head 'Semantic'"), std::string::npos) << d.problems[2];
  EXPECT_NE(d.problems[2].find("cross mode"), std::string::npos) << d.problems[2];
  ASSERT_EQ(d.steps.size(), 4u);
  EXPECT_EQ(d.steps[0].head, "mean");       // the window's default, not "all"
  EXPECT_EQ(d.steps[1].head, "Syntactic");
  EXPECT_EQ(d.steps[2].head, "mean");       // switching mode without a head: the mean
  EXPECT_EQ(d.steps[3].head, "Lexical");
}

TEST(Deck, CausalMaskIsNotCarriedIntoCrossMode) {
  const Deck d = parseDeck(R"({"steps":[
    {"text":"one two three","causal":true},
    {"mode":"cross","target":"un deux trois"},
    {"causal":true}]})");
  ASSERT_EQ(d.steps.size(), 2u);
  EXPECT_TRUE(d.steps[0].causal);
  EXPECT_FALSE(d.steps[1].causal);  // inherited mask dropped: cross-attention has none
  ASSERT_EQ(d.problems.size(), 1u);
  EXPECT_NE(d.problems[0].find("step 3: 'causal' does not apply in cross mode"), std::string::npos) << d.problems[0];
}

// An encoder-decoder's steps: the kind of attention, a translation or a typed target, alignment links.
TEST(Deck, EncoderDecoderStepsNameTheirAttentionTranslationAndAlignment) {
  const Deck d = parseDeck(R"({"steps":[
    {"model":"tiny-translator","text":"the dog sees a cat","translate":20,"alignment":true},
    {"attention":"encoder","head":"L1H0"},
    {"target":"hundon vidas"},
    {"model":"tiny-gpt","text":"In the beginning"},
    {"attention":"sideways"},
    {"model":"tiny-translator","translate":5,"target":"x"},
    {"translate":-1},
    {"alignment":"yes"},
    {"model":"","text":"The bank","attention":"cross"},
    {"model":"","text":"The bank","translate":3}]})");
  ASSERT_EQ(d.steps.size(), 4u);
  EXPECT_EQ(d.steps[0].translate, 20);
  EXPECT_TRUE(d.steps[0].alignment);
  EXPECT_EQ(d.steps[0].attention, "");  // cross, as the window opens an encoder-decoder
  EXPECT_EQ(d.steps[1].attention, "encoder");
  EXPECT_EQ(d.steps[1].translate, 20);  // inherited: the same translation, another kind of attention
  EXPECT_EQ(d.steps[2].translate, 0);   // a typed target replaces it
  EXPECT_EQ(d.steps[2].target, "hundon vidas");
  EXPECT_EQ(d.steps[3].attention, "");  // another model: its own default
  ASSERT_EQ(d.problems.size(), 6u);
  EXPECT_NE(d.problems[0].find("step 5: 'attention' must be"), std::string::npos) << d.problems[0];
  EXPECT_NE(d.problems[1].find("step 6: 'translate' and 'target' go separately"), std::string::npos) << d.problems[1];
  EXPECT_NE(d.problems[2].find("step 7: 'translate' must be"), std::string::npos) << d.problems[2];
  EXPECT_NE(d.problems[3].find("step 8: 'alignment' must be true or false"), std::string::npos) << d.problems[3];
  EXPECT_NE(d.problems[4].find("step 9: 'attention' needs a real encoder-decoder"), std::string::npos) << d.problems[4];
  EXPECT_NE(d.problems[5].find("step 10: 'translate' needs a real encoder-decoder"), std::string::npos) << d.problems[5];
}
