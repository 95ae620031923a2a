// The Unigram model, the Precompiled normalizer and the pipeline pieces T5 / XLM-R files use, on
// small hand-made inputs. The Viterbi expectations are Hugging Face's own (the tests of
// tokenizers' models/unigram/model.rs); the charsmap ones follow precompiled.rs's rule (a grapheme
// under 6 bytes is replaced by the value of the SHORTEST key that prefixes it), each derived in the
// comment above it. The real files are tokenizer_unigram_files_test.cpp.
#include <gtest/gtest.h>

#include <functional>
#include <limits>
#include <map>
#include <set>
#include <nlohmann/json.hpp>

#include "model/model_error.h"
#include "model/tokenizer_model.h"
#include "model/tokenizer_precompiled.h"
#include "model/tokenizer_unigram.h"
#include "tokenizer_test_support.h"

namespace attnviz::model {
namespace {

using Ids = std::vector<std::int32_t>;
using Json = nlohmann::json;
using Vocab = std::vector<std::pair<std::string, double>>;

std::string errorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const ModelError& e) {
    return e.what();
  }
  return "(no error)";
}

// The pieces of `word` as strings, the way Hugging Face's Unigram::encode returns them (a run of
// byte-fallback tokens shares one span, so it shows once).
std::vector<std::string> pieces(const UnigramModel& m, std::string_view word) {
  std::vector<WordToken> out;
  m.encodeWord(word, out);
  std::vector<std::string> s;
  for (std::size_t i = 0; i < out.size(); ++i)
    if (i == 0 || out[i].begin != out[i - 1].begin) s.emplace_back(word.substr(out[i].begin, out[i].end - out[i].begin));
  return s;
}

using S = std::vector<std::string>;

TEST(UnigramModel, FindsHuggingFacesBestPaths) {
  // test_encode and the doc example of model.rs.
  const UnigramModel m({{"<unk>", 0}, {"a", 0}, {"b", 0}, {"c", 0}, {"d", 0}, {"cd", 1}, {"ab", 2}, {"abc", 5}, {"abcd", 10}}, 0, false, "t");
  EXPECT_EQ(pieces(m, "abcd"), (S{"abcd"}));
  EXPECT_EQ(pieces(m, "abcdacdxx"), (S{"abcd", "a", "cd", "xx"}));
  // test_encode2 (fuse_unk on, as Unigram::from sets it).
  const UnigramModel m2({{"<unk>", 0}, {"ab", 0}, {"cd", -0.1}, {"abc", -0.2}, {"a", -0.3}, {"b", -0.4}, {"c", -0.5}, {"ABC", -0.5},
                         {"abcdabcd", 20}, {"q", 20.5}, {"r", 20.5}, {"qr", -0.5}},
                        0, false, "t");
  EXPECT_EQ(pieces(m2, "abc"), (S{"abc"}));
  EXPECT_EQ(pieces(m2, "AB"), (S{"AB"}));
  EXPECT_EQ(pieces(m2, "abcd"), (S{"ab", "cd"}));
  EXPECT_EQ(pieces(m2, "abcc"), (S{"abc", "c"}));
  EXPECT_EQ(pieces(m2, "xabcabaabcdd"), (S{"x", "abc", "ab", "a", "ab", "cd", "d"}));
  EXPECT_EQ(pieces(m2, "xyz\u6771\u4eac"), (S{"xyz\u6771\u4eac"}));
  EXPECT_EQ(pieces(m2, "ABC"), (S{"ABC"}));
  EXPECT_EQ(pieces(m2, "abABCcd"), (S{"ab", "ABC", "cd"}));
  EXPECT_EQ(pieces(m2, "ababcdabcdcd"), (S{"ab", "abcdabcd", "cd"}));
  EXPECT_EQ(pieces(m2, "abqrcd"), (S{"ab", "q", "r", "cd"}));
  // The fused unknown run is one <unk> (id 0) with the span of the run.
  std::vector<WordToken> out;
  m2.encodeWord("xyzab", out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].id, 0);
  EXPECT_EQ(out[0].end, 3u);
  EXPECT_EQ(out[1].id, 1);
}

TEST(UnigramModel, TiesKeepTheFirstPathFound) {
  // "ab" as one piece and as "a" + "b" both score -1. From position 0, "ab" reaches position 2
  // first; from position 1, "b" offers -1 again, not strictly better, so "ab" stays.
  const UnigramModel m({{"<unk>", 0}, {"a", -0.5}, {"b", -0.5}, {"ab", -1}}, 0, false, "t");
  EXPECT_EQ(pieces(m, "ab"), (S{"ab"}));
}

TEST(UnigramModel, AnUnknownCharacterScoresTenBelowTheWorstPiece) {
  // x has no piece of its own, so at x the paths are "xy" and <unk>(x) + "y". The worst piece is z
  // (-20), so <unk> scores -30 and <unk> + y -18: "xy" at -17.5 wins, at -18.5 loses (Hugging Face's
  // tokenizers gives the same two answers).
  const auto best = [](double xy) { return pieces(UnigramModel({{"<unk>", 0}, {"z", -20}, {"y", 12}, {"xy", xy}}, 0, false, "t"), "xy"); };
  EXPECT_EQ(best(-17.5), (S{"xy"}));
  EXPECT_EQ(best(-18.5), (S{"x", "y"}));
}

TEST(UnigramModel, ByteFallbackAndTheUnknownToken) {
  // test_unigram_bytefallback: é has no piece, its bytes do; "?é" has no <0x3F>, so the fused run
  // "?é" is the unknown token.
  const UnigramModel m({{"<unk>", 0}, {"<0xC3>", -0.01}, {"<0xA9>", -0.03}}, 0, true, "t");
  std::vector<WordToken> out;
  m.encodeWord("\u00e9", out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].id, 1);
  EXPECT_EQ(out[1].id, 2);
  EXPECT_EQ(out[1].begin, 0u);
  EXPECT_EQ(out[1].end, 2u);
  out.clear();
  m.encodeWord("?\u00e9", out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].id, 0);
  // Without byte fallback the same vocabulary gives <unk>.
  const UnigramModel plain({{"<unk>", 0}, {"<0xC3>", -0.01}, {"<0xA9>", -0.03}}, 0, false, "t");
  out.clear();
  plain.encodeWord("\u00e9", out);
  EXPECT_EQ(out.size(), 1u);
  // No unk_id: an unknown character is an error naming it, a known text is fine.
  const UnigramModel noUnk({{"a", -1}}, std::nullopt, false, "tok.json");
  EXPECT_EQ(pieces(noUnk, "aa"), (S{"a", "a"}));
  EXPECT_NE(errorOf([&] { pieces(noUnk, "ab"); }).find("'b' has no piece"), std::string::npos);
}

TEST(UnigramModel, BadVocabulariesAreRefusedNamingTheProblem) {
  EXPECT_NE(errorOf([] { UnigramModel({}, 0, false, "f"); }).find("empty"), std::string::npos);
  EXPECT_NE(errorOf([] { UnigramModel({{"a", 0}}, 1, false, "f"); }).find("unk_id 1 is outside"), std::string::npos);
  EXPECT_NE(errorOf([] { UnigramModel({{"a", 0}, {"a", -1}}, 0, false, "f"); }).find("repeats piece 0"), std::string::npos);
  EXPECT_NE(errorOf([] { UnigramModel({{std::string(2000, 'a'), 0}}, 0, false, "f"); }).find("2000 bytes"), std::string::npos);
  EXPECT_NE(errorOf([] { UnigramModel({{"a", std::numeric_limits<double>::infinity()}}, 0, false, "f"); }).find("finite"),
            std::string::npos);
}

// ---- precompiled_charsmap ----

// A precompiled_charsmap laid out as SentencePiece's builder does (a Darts double array, each
// node's children at base ^ label, its value at base ^ 0 with bit 31 set), for hand-made rules.
// Hugging Face's tokenizers gives the normalisations below with the same layout built in Python.
std::string buildCharsMap(const std::map<std::string, std::string>& rules) {
  struct Node {
    std::map<unsigned char, Node> next;
    std::int64_t value = -1;
  };
  Node root;
  std::string normalized;
  for (const auto& [key, value] : rules) {
    Node* n = &root;
    for (unsigned char c : key) n = &n->next[c];
    n->value = std::int64_t(normalized.size());
    normalized += value + '\0';
  }
  std::vector<std::uint32_t> units(1, 0);
  std::vector<bool> used(1, true);
  std::set<std::size_t> bases;
  const std::function<void(const Node&, std::size_t)> place = [&](const Node& n, std::size_t at) {
    std::vector<unsigned> labels;
    if (n.value >= 0) labels.push_back(0);
    for (const auto& [c, child] : n.next) labels.push_back(c);
    if (labels.empty()) return;
    std::size_t base = 1;
    const auto freeAt = [&](std::size_t i) { return i != 0 && (i >= used.size() || !used[i]); };
    // Each base is used once, as Darts does: a child is found by base ^ label and its label alone.
    while (bases.count(base) || !std::all_of(labels.begin(), labels.end(), [&](unsigned c) { return freeAt(base ^ c); })) ++base;
    bases.insert(base);
    for (unsigned c : labels) {
      const std::size_t i = base ^ c;
      if (i >= units.size()) units.resize(i + 1, 0), used.resize(i + 1, false);
      used[i] = true;
    }
    units[at] |= std::uint32_t(at ^ base) << 10;
    if (n.value >= 0) units[at] |= 1u << 8, units[base] = (1u << 31) | std::uint32_t(n.value);
    for (const auto& [c, child] : n.next) units[base ^ c] |= c;
    for (const auto& [c, child] : n.next) place(child, base ^ c);
  };
  place(root, 0);
  std::string blob;
  const auto le32 = [&](std::uint32_t v) {
    for (int k = 0; k < 4; ++k) blob += char(v >> (8 * k) & 0xFF);
  };
  le32(std::uint32_t(units.size() * 4));
  for (std::uint32_t u : units) le32(u);
  return blob + normalized;
}

std::string base64(const std::string& bytes) {
  static const char* abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    std::uint32_t g = std::uint32_t(std::uint8_t(bytes[i])) << 16;
    if (i + 1 < bytes.size()) g |= std::uint32_t(std::uint8_t(bytes[i + 1])) << 8;
    if (i + 2 < bytes.size()) g |= std::uint8_t(bytes[i + 2]);
    out += abc[g >> 18];
    out += abc[g >> 12 & 63];
    out += i + 1 < bytes.size() ? abc[g >> 6 & 63] : '=';
    out += i + 2 < bytes.size() ? abc[g & 63] : '=';
  }
  return out;
}

const std::map<std::string, std::string> kRules = {
    {"\uff21", "A"},             // fullwidth A
    {"\uff76", "\u30ab"},        // halfwidth ka -> カ
    {"\uff76\uff9e", "\u30ac"},  // halfwidth ka + voiced mark -> ガ (6 bytes: never one grapheme's key)
    {"e\u0301", "\u00e9"},       // decomposed é -> precomposed
    {"\ufb01", "fi"},            // ligature
    {"\u0001", ""},              // a control character dropped
    {"ab", "Z"},                 // two graphemes: never applied
};

// Every piece's text the normalizer gives, through a tokenizer whose model has every character.
std::string normalizedBy(const std::string& charsmapBase64, const std::string& text) {
  Vocab vocab{{"<unk>", 0}};
  Json j;
  j["normalizer"] = {{"type", "Precompiled"}, {"precompiled_charsmap", charsmapBase64}};
  // A vocabulary of every code point of interest, each one piece, so the ids spell the text.
  const std::string all = "AZefiab\u00e9\u0301\u30ab\u30ac\uff21\uff76\uff9e\u0001xyz ";
  Json v = Json::array({Json::array({"<unk>", 0.0})});
  for (std::size_t i = 0; i < all.size();) {
    const std::size_t n = validUtf8SequenceLength(all, i);
    v.push_back(Json::array({all.substr(i, n), -1.0}));
    i += n;
  }
  j["model"] = {{"type", "Unigram"}, {"unk_id", 0}, {"vocab", v}};
  const ModelTokenizer t = ModelTokenizer::fromTokenizerJson(j.dump());
  std::string s;
  for (std::int32_t id : t.encode(text).ids) s += id == 0 ? "?" : t.piece(id);
  return s;
}

TEST(PrecompiledNormalizer, ReplacesGraphemesAsHuggingFaceDoes) {
  const std::string map = base64(buildCharsMap(kRules));
  EXPECT_EQ(normalizedBy(map, "\uff21b"), "Ab");
  EXPECT_EQ(normalizedBy(map, "e\u0301"), "\u00e9");  // one grapheme, its key
  EXPECT_EQ(normalizedBy(map, "\ufb01x"), "fix");     // expansion
  EXPECT_EQ(normalizedBy(map, "x\u0001y"), "xy");     // deletion
  EXPECT_EQ(normalizedBy(map, "ab"), "ab");           // "a" and "b" are graphemes of their own
  // ｶﾞ is one grapheme of 6 bytes: not under 6, so each code point alone: カ, then ﾞ unchanged.
  EXPECT_EQ(normalizedBy(map, "\uff76\uff9e"), "\u30ab\uff9e");
  // Ａ + U+0301 is one grapheme of 5 bytes; the shortest key prefixing it is Ａ, so all of it
  // becomes "A" (the accent goes, as in Hugging Face).
  EXPECT_EQ(normalizedBy(map, "\uff21\u0301z"), "Az");
  // With two marks it is 7 bytes: code point by code point.
  EXPECT_EQ(normalizedBy(map, "\uff21\u0301\u0301"), "A\u0301\u0301");
}

TEST(PrecompiledNormalizer, KeepsTheInputSpansOfReplacedGraphemes) {
  Json j;
  j["normalizer"] = {{"type", "Precompiled"}, {"precompiled_charsmap", base64(buildCharsMap(kRules))}};
  j["model"] = {{"type", "Unigram"}, {"unk_id", 0}, {"vocab", Json::array({Json::array({"<unk>", 0.0}), Json::array({"A", -1.0}),
                                                                          Json::array({"f", -1.0}), Json::array({"i", -1.0})})}};
  const Encoding e = ModelTokenizer::fromTokenizerJson(j.dump()).encode("\uff21\ufb01");
  EXPECT_EQ(e.ids, (Ids{1, 2, 3}));
  EXPECT_EQ(e.spans[0], (std::pair<std::size_t, std::size_t>{0, 3}));
  EXPECT_EQ(e.spans[1], (std::pair<std::size_t, std::size_t>{3, 6}));  // f and i both from ﬁ
  EXPECT_EQ(e.spans[2], (std::pair<std::size_t, std::size_t>{3, 6}));
}

TEST(PrecompiledNormalizer, DamagedCharsMapsAreRefusedWithOneLine) {
  const std::string good = buildCharsMap(kRules);
  const auto load = [](const std::string& blob64) {
    Json j;
    j["normalizer"] = {{"type", "Precompiled"}, {"precompiled_charsmap", blob64}};
    j["model"] = {{"type", "Unigram"}, {"unk_id", 0}, {"vocab", Json::array({Json::array({"<unk>", 0.0})})}};
    return ModelTokenizer::fromTokenizerJson(j.dump());
  };
  EXPECT_NE(errorOf([&] { load(""); }).find("too short"), std::string::npos);
  EXPECT_NE(errorOf([&] { load("abc"); }).find("not base64"), std::string::npos);
  EXPECT_NE(errorOf([&] { load("ab!d"); }).find("not base64"), std::string::npos);
  EXPECT_NE(errorOf([&] { load(base64(good.substr(0, 40))); }).find("says its trie is"), std::string::npos);
  EXPECT_NE(errorOf([&] { load(base64(std::string(4, '\0'))); }).find("empty trie"), std::string::npos);
  EXPECT_NE(errorOf([&] { load(base64(good + "\xff")); }).find("not UTF-8"), std::string::npos);
  // A root whose children lie past the end of the trie: refused when text reaches them.
  std::string outside = good;
  outside[4 + 1] = char(0xFF), outside[4 + 2] = char(0xFF), outside[4 + 3] = char(0x1F);
  const ModelTokenizer t = load(base64(outside));
  EXPECT_NE(errorOf([&] { t.encode("x"); }).find("points outside itself"), std::string::npos);
  EXPECT_NE(errorOf([&] { load(R"(not a string)"); }).find("not base64"), std::string::npos);
  Json j;
  j["normalizer"] = {{"type", "Precompiled"}};
  j["model"] = {{"type", "Unigram"}, {"unk_id", 0}, {"vocab", Json::array({Json::array({"<unk>", 0.0})})}};
  EXPECT_NE(errorOf([&] { ModelTokenizer::fromTokenizerJson(j.dump()); }).find("'precompiled_charsmap' is missing"), std::string::npos);
}

TEST(PrecompiledNormalizer, AValuePointingIntoACharacterIsRefused) {
  std::string blob = buildCharsMap({{"x", "\u00e9"}, {"y", "z"}});
  // The value of "x" is 0 (é at bytes 0-1); point it at byte 1, inside é.
  std::size_t units = 0;
  for (int k = 0; k < 4; ++k) units |= std::size_t(std::uint8_t(blob[std::size_t(k)])) << (8 * k);
  units /= 4;
  for (std::size_t i = 0; i < units; ++i) {
    std::uint32_t u = 0;
    for (int k = 0; k < 4; ++k) u |= std::uint32_t(std::uint8_t(blob[4 + 4 * i + k])) << (8 * k);
    if (u == (1u << 31)) blob[4 + 4 * i] = 1;  // the value unit holding offset 0
  }
  const PrecompiledCharsMap map(blob, "f");
  EXPECT_EQ(map.transform("y"), std::optional<std::string_view>("z"));
  EXPECT_NE(errorOf([&] { map.transform("x"); }).find("not the start of a replacement"), std::string::npos);
}

// ---- the pipeline pieces of T5 / XLM-R files ----

Json smallUnigram() {
  Json v = Json::array({Json::array({"<unk>", 0.0}), Json::array({"</s>", 0.0}), Json::array({"\u2581", -2.0}),
                        Json::array({"\u2581a", -1.0}), Json::array({"\u2581b", -1.0}), Json::array({"a", -3.0}),
                        Json::array({"b", -3.0}), Json::array({"\u2581ab", -1.5})});
  Json j;
  j["added_tokens"] = Json::array({{{"id", 1}, {"content", "</s>"}, {"special", true}, {"normalized", false}}});
  j["model"] = {{"type", "Unigram"}, {"unk_id", 0}, {"vocab", v}};
  return j;
}

ModelTokenizer load(const Json& j) { return ModelTokenizer::fromTokenizerJson(j.dump()); }

TEST(UnigramPipeline, WhitespaceSplitThenMetaspaceAsT5) {
  Json j = smallUnigram();
  j["pre_tokenizer"] = {{"type", "Sequence"},
                        {"pretokenizers", Json::array({{{"type", "WhitespaceSplit"}},
                                                       {{"type", "Metaspace"}, {"replacement", "\u2581"}, {"add_prefix_space", true}}})}};
  j["post_processor"] = {{"type", "TemplateProcessing"},
                         {"single", Json::array({{{"Sequence", {{"id", "A"}}}}, {{"SpecialToken", {{"id", "</s>"}}}}})},
                         {"special_tokens", {{"</s>", {{"id", "</s>"}, {"ids", {1}}}}}}};
  j["decoder"] = {{"type", "Metaspace"}, {"replacement", "\u2581"}, {"add_prefix_space", true}};
  const ModelTokenizer t = load(j);
  // Runs of whitespace (a tab, U+3000) split words and vanish; each word gets its ▁.
  EXPECT_EQ(t.encode("ab \t\u3000 b").ids, (Ids{7, 4, 1}));
  // A typed </s> is an added token, and the template still appends one.
  EXPECT_EQ(t.encode("a</s>").ids, (Ids{3, 1, 1}));
  EXPECT_EQ(t.decodeSequence(t.encode("ab b").ids), "ab b</s>");  // the decoder drops the first ▁
  j["decoder"]["add_prefix_space"] = false;
  EXPECT_EQ(load(j).decodeSequence(t.encode("ab b").ids), " ab b</s>");
  EXPECT_NE(t.describe().find("Unigram"), std::string::npos) << t.describe();
}

TEST(UnigramPipeline, MetaspaceSchemesAndSplit) {
  Json j = smallUnigram();
  j["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", "\u2581"}, {"prepend_scheme", "always"}, {"split", true}};
  EXPECT_EQ(load(j).encode("ab b").ids, (Ids{7, 4}));
  // Two spaces: "▁", then "▁b" (split before each ▁, merged with what follows).
  EXPECT_EQ(load(j).encode("a  b").ids, (Ids{3, 2, 4}));
  j["pre_tokenizer"]["prepend_scheme"] = "never";
  EXPECT_EQ(load(j).encode("ab b").ids, (Ids{5, 6, 4}));
  j["pre_tokenizer"]["prepend_scheme"] = "first";
  EXPECT_EQ(load(j).encode("</s>ab").ids, (Ids{1, 5, 6}));  // not at the input's start: no ▁
  EXPECT_EQ(load(j).encode("ab</s>").ids, (Ids{7, 1}));
  j["pre_tokenizer"]["add_prefix_space"] = false;  // contradicts "first": refused as Hugging Face does
  EXPECT_NE(errorOf([&] { load(j); }).find("does not match"), std::string::npos);
  j["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", "ab"}};
  EXPECT_NE(errorOf([&] { load(j); }).find("not one character"), std::string::npos);
}

TEST(UnigramPipeline, AnLstripTokenTakesUnicodeWhitespaceBeforeIt) {
  // XLM-R's <mask> has lstrip: Hugging Face strips Rust's \s (White_Space) before it, so the
  // ideographic space goes with it instead of becoming <unk>.
  Json j = smallUnigram();
  j["model"]["vocab"].push_back(Json::array({"<mask>", 0.0}));
  j["added_tokens"].push_back({{"id", 8}, {"content", "<mask>"}, {"special", true}, {"lstrip", true}, {"normalized", false}});
  j["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", "\u2581"}, {"prepend_scheme", "always"}, {"split", true}};
  const Encoding e = load(j).encode("ab\u3000 <mask>");
  EXPECT_EQ(e.ids, (Ids{7, 8}));
  EXPECT_EQ(e.spans[1], (std::pair<std::size_t, std::size_t>{2, 12}));
}

TEST(UnigramPipeline, StripAndReplaceNormalizers) {
  Json j = smallUnigram();
  j["normalizer"] = {{"type", "Sequence"},
                     {"normalizers", Json::array({{{"type", "Strip"}, {"strip_left", false}, {"strip_right", true}},
                                                  {{"type", "Replace"}, {"pattern", {{"Regex", " {2,}"}}}, {"content", " "}}})}};
  j["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", "\u2581"}, {"prepend_scheme", "always"}, {"split", true}};
  // Trailing spaces and a no-break space go (U+00A0 is White_Space); the run of three becomes one.
  EXPECT_EQ(load(j).encode("ab   b \u00a0 ").ids, (Ids{7, 4}));
  j["normalizer"] = {{"type", "Strip"}, {"strip_left", true}, {"strip_right", false}};
  EXPECT_EQ(load(j).encode("  ab").ids, (Ids{7}));
  EXPECT_EQ(load(j).encode("   ").ids, (Ids{}));
  j["normalizer"] = {{"type", "Strip"}, {"strip_left", true}};
  EXPECT_NE(errorOf([&] { load(j); }).find("'strip_right' is missing"), std::string::npos);
}

TEST(UnigramPipeline, BadModelsAreRefusedByName) {
  Json j = smallUnigram();
  j["model"]["vocab"] = Json::array({Json::array({"a", "high"})});
  EXPECT_NE(errorOf([&] { load(j); }).find("vocab entry 0 is not"), std::string::npos);
  j["model"]["vocab"] = Json::object();
  EXPECT_NE(errorOf([&] { load(j); }).find("no 'vocab' list"), std::string::npos);
  j = smallUnigram();
  j["model"]["unk_id"] = 99;
  EXPECT_NE(errorOf([&] { load(j); }).find("unk_id 99 is outside"), std::string::npos);
  j["model"]["unk_id"] = -1;
  EXPECT_NE(errorOf([&] { load(j); }).find("is not a token id"), std::string::npos);
  j["model"]["unk_id"] = nullptr;
  EXPECT_NE(errorOf([&] { load(j).encode("c"); }).find("has no piece"), std::string::npos);
  j["model"]["byte_fallback"] = "yes";
  EXPECT_NE(errorOf([&] { load(j); }).find("byte_fallback"), std::string::npos);
}

}  // namespace
}  // namespace attnviz::model
