#include <gtest/gtest.h>

#include <cmath>

#include "core/attention.h"
#include "core/simulated_model.h"
#include "core/stats.h"

using namespace attnviz;

namespace {

struct Computed {
  AttentionProblem problem;
  AttentionResult result;
  int head(const std::string& name) const {
    for (int h = 0; h < problem.heads; ++h)
      if (problem.head_names[h] == name) return h;
    ADD_FAILURE() << "no head " << name;
    return 0;
  }
  int query(const std::string& label, int occurrence = 0) const {
    for (int i = 0; i < problem.nq; ++i)
      if (problem.query_labels[i] == label && occurrence-- == 0) return i;
    ADD_FAILURE() << "no query " << label;
    return 0;
  }
  int key(const std::string& label, int occurrence = 0) const {
    for (int j = 0; j < problem.nk; ++j)
      if (problem.key_labels[j] == label && occurrence-- == 0) return j;
    ADD_FAILURE() << "no key " << label;
    return 0;
  }
  int argmax(int h, int i) const {
    int best = 0;
    for (int j = 1; j < problem.nk; ++j)
      if (result.at(h, i, j) > result.at(h, i, best)) best = j;
    return best;
  }
  std::string topKeyOf(const std::string& head_name, const std::string& q, int occurrence = 0) const {
    return problem.key_labels[argmax(head(head_name), query(q, occurrence))];
  }
};

Computed selfAttention(const std::string& text) {
  SimulatedInput in;
  in.text = text;
  Computed c{buildSimulatedProblem(in), {}};
  c.result = computeReference(c.problem);
  return c;
}

Computed crossAttention(const std::string& source, const std::string& target) {
  SimulatedInput in;
  in.text = source;
  in.target = target;
  in.mode = AttentionMode::Cross;
  Computed c{buildSimulatedProblem(in), {}};
  c.result = computeReference(c.problem);
  return c;
}

const char* kBank = "The bank by the river was steep.";
const char* kTired = "The animal didn't cross the street because it was too tired.";
const char* kWide = "The animal didn't cross the street because it was too wide.";
const char* kParagraph =
    "Attention lets every token look at every other token in a single step. The weights come from a softmax over "
    "scaled dot products between queries and keys, so each row of the heatmap sums to one. Some heads track the "
    "previous word, others link a pronoun to the noun it refers to, and many spread their weight broadly.";

}  // namespace

TEST(SimulatedModel, ShapesLabelsAndNames) {
  const Computed c = selfAttention(kBank);
  EXPECT_EQ(c.problem.heads, 4);
  EXPECT_EQ(c.problem.d, 64);
  EXPECT_EQ(c.problem.dv, 64);
  EXPECT_EQ(c.problem.nq, 8);
  EXPECT_EQ(c.problem.nk, 8);
  EXPECT_EQ(c.problem.head_names, selfHeadNames());
  EXPECT_EQ(c.problem.query_labels.front(), "The");
  EXPECT_EQ(c.problem.key_labels.back(), ".");
  EXPECT_TRUE(c.problem.validate().empty());
}

TEST(SimulatedModel, IsDeterministic) {
  const Computed a = selfAttention(kBank), b = selfAttention(kBank);
  EXPECT_EQ(a.problem.q, b.problem.q);
  EXPECT_EQ(a.problem.k, b.problem.k);
}

TEST(SimulatedModel, PositionalHeadAttendsToPreviousToken) {
  for (const char* text : {kBank, kTired, kParagraph}) {
    const Computed c = selfAttention(text);
    const int h = c.head("Positional");
    for (int i = 1; i < c.problem.nq; ++i) EXPECT_EQ(c.argmax(h, i), i - 1) << text << " row " << i;
  }
}

TEST(SimulatedModel, SyntacticHeadLinksFunctionWordsAndSubjects) {
  const Computed c = selfAttention(kBank);
  EXPECT_EQ(c.topKeyOf("Syntactic", "The"), "bank");
  EXPECT_EQ(c.topKeyOf("Syntactic", "the"), "river");
  EXPECT_EQ(c.topKeyOf("Syntactic", "by"), "river");
  EXPECT_EQ(c.topKeyOf("Syntactic", "was"), "bank");  // across the prepositional phrase
  const Computed t = selfAttention(kTired);
  EXPECT_EQ(t.topKeyOf("Syntactic", "didn't"), "animal");
  EXPECT_EQ(t.topKeyOf("Syntactic", "cross"), "animal");
  EXPECT_EQ(t.topKeyOf("Syntactic", "was"), "it");
}

TEST(SimulatedModel, SemanticHeadFindsRelatedWords) {
  const Computed c = selfAttention(kBank);
  EXPECT_EQ(c.topKeyOf("Semantic", "bank"), "river");
  EXPECT_EQ(c.topKeyOf("Semantic", "river"), "bank");
  EXPECT_EQ(selfAttention(kTired).topKeyOf("Semantic", "it"), "animal");
  EXPECT_EQ(selfAttention(kWide).topKeyOf("Semantic", "it"), "street");
}

TEST(SimulatedModel, GlobalHeadIsBroadWithFirstTokenLargest) {
  for (const char* text : {kBank, kTired, kParagraph}) {
    const Computed c = selfAttention(text);
    const int h = c.head("Global");
    for (int i = 0; i < c.problem.nq; ++i) {
      EXPECT_EQ(c.argmax(h, i), 0) << text << " row " << i;
      const double normalized = rowEntropyBits(c.result.row(h, i), c.problem.nk) / std::log2(double(c.problem.nk));
      EXPECT_GE(normalized, 0.8) << text << " row " << i;
    }
  }
}

TEST(SimulatedModel, CrossAttentionRowsAreTargetColumnsAreSource) {
  const Computed c = crossAttention("The cat sat on the mat.", "Le chat était assis sur le tapis.");
  EXPECT_EQ(c.problem.nq, 8);  // target tokens
  EXPECT_EQ(c.problem.nk, 7);  // source tokens
  EXPECT_EQ(c.problem.query_labels.front(), "Le");
  EXPECT_EQ(c.problem.key_labels.front(), "The");
  EXPECT_EQ(c.problem.head_names, crossHeadNames());
}

TEST(SimulatedModel, CrossLexicalHeadTranslates) {
  const Computed c = crossAttention("The cat sat on the mat.", "Le chat était assis sur le tapis.");
  EXPECT_EQ(c.topKeyOf("Lexical", "chat"), "cat");
  EXPECT_EQ(c.topKeyOf("Lexical", "tapis"), "mat");
  EXPECT_EQ(c.topKeyOf("Lexical", "sur"), "on");
  EXPECT_EQ(c.topKeyOf("Lexical", "assis"), "sat");
  const Computed g = crossAttention("The dog is in the house.", "Der Hund ist in dem Haus.");
  EXPECT_EQ(g.topKeyOf("Lexical", "Hund"), "dog");
  EXPECT_EQ(g.topKeyOf("Lexical", "Haus"), "house");
  // Identical strings: numbers and names.
  const Computed n = crossAttention("Paris has 3 museums.", "Paris a 3 musées.");
  EXPECT_EQ(n.topKeyOf("Lexical", "Paris"), "Paris");
  EXPECT_EQ(n.topKeyOf("Lexical", "3"), "3");
}

TEST(SimulatedModel, CrossAlignmentHeadIsMonotonic) {
  const Computed c = crossAttention("one two three four five six seven eight", "un deux trois quatre");
  const int h = c.head("Alignment");
  int previous = -1;
  for (int i = 0; i < c.problem.nq; ++i) {
    const int j = c.argmax(h, i);
    EXPECT_GT(j, previous) << "row " << i;
    previous = j;
  }
  EXPECT_EQ(c.argmax(h, 0), 0);
  EXPECT_EQ(c.argmax(h, c.problem.nq - 1), c.problem.nk - 1);
}

TEST(SimulatedModel, CausalMaskAndTemperaturePassThrough) {
  SimulatedInput in;
  in.text = kBank;
  in.causal = true;
  in.temperature = 0.5f;
  const AttentionProblem p = buildSimulatedProblem(in);
  EXPECT_EQ(p.mask, MaskKind::Causal);
  EXPECT_EQ(p.temperature, 0.5f);
}

TEST(SimulatedModel, EmptyInputIsAnError) {
  SimulatedInput in;
  in.text = "   ";
  EXPECT_THROW(buildSimulatedProblem(in), std::invalid_argument);
  in.text = "hello";
  in.mode = AttentionMode::Cross;
  EXPECT_THROW(buildSimulatedProblem(in), std::invalid_argument);
}

TEST(SimulatedModel, AnyUtf8InputWorks) {
  for (const char* text : {"\xFF\xFE garbage \xC3", "我爱你。", "😀 emoji 👍🏽 !", "a"}) {
    SimulatedInput in;
    in.text = text;
    const AttentionProblem p = buildSimulatedProblem(in);
    const AttentionResult r = computeReference(p);
    for (float w : r.p) ASSERT_TRUE(std::isfinite(w)) << text;
  }
}
