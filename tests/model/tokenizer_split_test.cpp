// Byte-level BPE with a Split pre-tokenizer (Llama 3's pattern, as Llama 3 / SmolLM-style
// tokenizer.json files carry it) on a small hand-made vocabulary, and the Split behaviours.
// Expected ids are derived by hand in the comments from the merge ranks below.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "model/model_error.h"
#include "model/tokenizer_model.h"
#include "model/tokenizer_pipeline.h"
#include "tokenizer_test_support.h"

namespace attnviz::model {
namespace {

using Ids = std::vector<std::int32_t>;
using Json = nlohmann::json;

const char* const kLlama3Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// Byte b has id b (its GPT-2 alphabet character as the piece). Merges by rank:
//  0 Ġ 1 -> Ġ1 265   1 h e -> he 256      2 l l -> ll 257    3 he ll -> hell 258
//  4 hell o -> hello 259   5 1 2 -> 12 260   6 3 4 -> 34 267   7 12 3 -> 123 261
//  8 4 5 -> 45 262   9 Ġ Ċ -> ĠĊ 263   10 ĠĊ Ċ -> ĠĊĊ 264   11 ' S -> 'S 266
// plus "$hello" 400 with no merge that makes it (reachable only through ignore_merges), and the
// added special token <|begin_of_text|> 300 that the template puts first.
Json llama3Style() {
  const ByteLevelAlphabet& a = ByteLevelAlphabet::instance();
  Json vocab = Json::object();
  for (int b = 0; b < 256; ++b) vocab[a.encode(static_cast<std::uint8_t>(b))] = b;
  const std::string space = a.encode(' '), newline = a.encode('\n');
  const std::vector<std::pair<std::string, int>> pieces = {
      {"he", 256}, {"ll", 257}, {"hell", 258}, {"hello", 259}, {"12", 260}, {"123", 261}, {"45", 262},
      {space + newline, 263}, {space + newline + newline, 264}, {space + "1", 265}, {"'S", 266}, {"34", 267}, {"$hello", 400}};
  for (const auto& [p, id] : pieces) vocab[p] = id;
  Json merges = Json::array({space + " 1", "h e", "l l", "he ll", "hell o", "1 2", "3 4", "12 3", "4 5", space + " " + newline,
                             space + newline + " " + newline, "' S"});
  Json j;
  j["added_tokens"] = Json::array({{{"id", 300}, {"content", "<|begin_of_text|>"}, {"special", true}}});
  j["normalizer"] = nullptr;
  j["pre_tokenizer"] = {{"type", "Sequence"},
                        {"pretokenizers", Json::array({{{"type", "Split"}, {"pattern", {{"Regex", kLlama3Pattern}}}, {"behavior", "Isolated"}, {"invert", false}},
                                                       {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", false}}})}};
  j["post_processor"] = {{"type", "Sequence"},
                         {"processors",
                          Json::array({{{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", false}, {"use_regex", true}},
                                       {{"type", "TemplateProcessing"},
                                        {"single", Json::array({{{"SpecialToken", {{"id", "<|begin_of_text|>"}, {"type_id", 0}}}},
                                                                {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}})},
                                        {"special_tokens", {{"<|begin_of_text|>", {{"id", "<|begin_of_text|>"}, {"ids", {300}}, {"tokens", {"<|begin_of_text|>"}}}}}}}})}};
  j["model"] = {{"type", "BPE"}, {"unk_token", nullptr}, {"byte_fallback", false}, {"ignore_merges", true}, {"vocab", vocab}, {"merges", merges}};
  return j;
}

ModelTokenizer load(const Json& j) { return ModelTokenizer::fromTokenizerJson(j.dump()); }

TEST(SplitPreTokenizer, Llama3PatternDigitsContractionsAndPrefixedWords) {
  const ModelTokenizer t = load(llama3Style());
  // Split: "$hello" " " "123" "45" " IT" "'S". "$hello" is a piece itself (ignore_merges) -> 400;
  // " " -> Ġ 32; "123" -> 12 (rank 5) then 123 (rank 7); "45" -> 262; " IT" -> Ġ I T, no merges;
  // "'S" (the contraction group is case-insensitive) -> 266.
  EXPECT_EQ(t.encode("$hello 12345 IT'S").ids, (Ids{300, 400, 32, 261, 262, 32, 73, 84, 266}));
  // "a" " \n\n" "b": whitespace before newlines stays with them -> ĠĊĊ 264.
  EXPECT_EQ(t.encode("a \n\nb").ids, (Ids{300, 97, 264, 98}));
}

TEST(SplitPreTokenizer, IgnoreMergesOffMergesTheWordInstead) {
  Json j = llama3Style();
  j["model"]["ignore_merges"] = false;
  // "$hello" -> $ h e l l o -> $ hello (ranks 1..4); no merge joins $ and hello.
  EXPECT_EQ(load(j).encode("$hello").ids, (Ids{300, 36, 259}));
}

TEST(SplitPreTokenizer, GptTwoPatternSplitsTheSameTextDifferently) {
  // The same vocabulary with ByteLevel's own (GPT-2) regex instead of the Split:
  // "$" "hello" " 12345" " IT" "'" "S"; " 12345" -> Ġ1 (rank 0), 34 (rank 6) -> Ġ1 2 34 5;
  // "a" " \n" "\n" "b" -> ĠĊ 263 then Ċ 10.
  Json j = llama3Style();
  j["pre_tokenizer"] = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}};
  const ModelTokenizer t = load(j);
  EXPECT_EQ(t.encode("$hello 12345 IT'S").ids, (Ids{300, 36, 259, 265, 50, 267, 53, 32, 73, 84, 39, 83}));
  EXPECT_EQ(t.encode("a \n\nb").ids, (Ids{300, 97, 263, 10, 98}));
  // add_prefix_space: "hello" is encoded as " hello" -> Ġ h e l l o -> Ġ hello.
  j["pre_tokenizer"]["add_prefix_space"] = true;
  EXPECT_EQ(load(j).encode("hello").ids, (Ids{300, 32, 259}));
}

TEST(SplitPreTokenizer, Qwen2PatternSplitsEveryDigit) {
  // Qwen2's pattern differs from Llama 3's by \p{N} instead of \p{N}{1,3}: "12345" becomes five
  // one-digit words, so no digit merge applies: 1 2 3 4 5 = ids 49..53.
  Json j = llama3Style();
  std::string pattern = kLlama3Pattern;
  pattern.replace(pattern.find("\\p{N}{1,3}"), std::string("\\p{N}{1,3}").size(), "\\p{N}");
  j["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = pattern;
  j["normalizer"] = {{"type", "NFC"}};
  EXPECT_EQ(load(j).encode("$hello 12345").ids, (Ids{300, 400, 32, 49, 50, 51, 52, 53}));
}

TEST(SplitPreTokenizer, SmolLmDigitsThenByteLevel) {
  // SmolLM: Digits (individual) then ByteLevel with GPT-2's regex. "$hello 12345 IT'S" ->
  // "$hello " "1" "2" "3" "4" "5" " IT'S" -> "$" "hello" " " digits " IT" "'" "S".
  Json j = llama3Style();
  j["pre_tokenizer"] = {{"type", "Sequence"},
                        {"pretokenizers", Json::array({{{"type", "Digits"}, {"individual_digits", true}},
                                                       {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}}})}};
  EXPECT_EQ(load(j).encode("$hello 12345 IT'S").ids, (Ids{300, 36, 259, 32, 49, 50, 51, 52, 53, 32, 73, 84, 39, 83}));
}

TEST(SplitPreTokenizer, SpansFollowTheInputThroughTheByteAlphabet) {
  const ModelTokenizer t = load(llama3Style());
  const Encoding e = t.encode("a \n\nb");
  EXPECT_EQ(e.spans[1], (std::pair<std::size_t, std::size_t>{0, 1}));
  EXPECT_EQ(e.spans[2], (std::pair<std::size_t, std::size_t>{1, 4}));
  EXPECT_EQ(e.labels[2], "\u00B7\u21B5\u21B5");
  EXPECT_EQ(e.spans[3], (std::pair<std::size_t, std::size_t>{4, 5}));
}

TEST(SplitPreTokenizer, InvalidRegexIsAModelErrorNamingThePreTokenizer) {
  Json j = llama3Style();
  j["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "(unclosed";
  try {
    load(j);
    FAIL() << "a broken regex was accepted";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("Split"), std::string::npos) << e.what();
  }
  j = llama3Style();
  j["pre_tokenizer"]["pretokenizers"][0]["behavior"] = "Sideways";
  EXPECT_THROW(load(j), ModelError);
}

std::vector<std::string> texts(const std::vector<AlignedText>& parts) {
  std::vector<std::string> out;
  for (const auto& p : parts) out.push_back(p.text);
  return out;
}

TEST(SplitBehaviors, EachBehaviourAsHuggingFaceDocumentsIt) {
  const AlignedText text = AlignedText::fromInput("a-b--c", 0);
  const std::vector<std::pair<std::size_t, std::size_t>> dashes = {{1, 2}, {3, 4}, {4, 5}};
  using V = std::vector<std::string>;
  EXPECT_EQ(texts(splitAtMatches(text, dashes, SplitBehavior::Removed, false)), (V{"a", "b", "c"}));
  EXPECT_EQ(texts(splitAtMatches(text, dashes, SplitBehavior::Isolated, false)), (V{"a", "-", "b", "-", "-", "c"}));
  EXPECT_EQ(texts(splitAtMatches(text, dashes, SplitBehavior::MergedWithPrevious, false)), (V{"a-", "b-", "-", "c"}));
  EXPECT_EQ(texts(splitAtMatches(text, dashes, SplitBehavior::MergedWithNext, false)), (V{"a", "-b", "-", "-c"}));
  EXPECT_EQ(texts(splitAtMatches(text, dashes, SplitBehavior::Contiguous, false)), (V{"a", "-", "b", "--", "c"}));
  EXPECT_EQ(texts(splitAtMatches(text, dashes, SplitBehavior::Removed, true)), (V{"-", "-", "-"}));
}

TEST(SplitBehaviors, DigitsPreTokenizer) {
  PipelineTraits traits;
  const auto individual = makePreTokenizer(Json{{"type", "Digits"}, {"individual_digits", true}}, "test", traits);
  std::vector<AlignedText> parts{AlignedText::fromInput("abc123def", 0)};
  individual->apply(parts);
  EXPECT_EQ(texts(parts), (std::vector<std::string>{"abc", "1", "2", "3", "def"}));
  const auto grouped = makePreTokenizer(Json{{"type", "Digits"}, {"individual_digits", false}}, "test", traits);
  parts = {AlignedText::fromInput("abc123def", 0)};
  grouped->apply(parts);
  EXPECT_EQ(texts(parts), (std::vector<std::string>{"abc", "123", "def"}));
  EXPECT_EQ(parts[1].originSpan(0, 3), (std::pair<std::size_t, std::size_t>{3, 6}));
}

TEST(NfcNormalizer, DecomposedTextEncodesAsItsComposedForm) {
  Json j = llama3Style();
  j["normalizer"] = {{"type", "NFC"}};
  const ModelTokenizer t = load(j);
  EXPECT_EQ(t.encode("hello").ids, (Ids{300, 259}));
  // e + combining acute composes to é, the Angstrom sign to Å: the same ids as the composed text.
  EXPECT_EQ(t.encode("cafe\u0301").ids, t.encode("caf\u00E9").ids);
  EXPECT_EQ(t.encode("\u212B").ids, t.encode("\u00C5").ids);
  EXPECT_NO_THROW(t.encode("\u2764\uFE0F"));  // a variation selector stays
}

TEST(UnicodeFormNormalizer, ChangedSegmentsSpanTheirInputAndTheRestKeepsItsBytes) {
  PipelineTraits traits;
  const auto nfkc = makeNormalizer(Json{{"type", "NFKC"}}, "test", traits);
  AlignedText text = AlignedText::fromInput("a\uFB01 e\u0301!", 0);  // a, the fi ligature (3 bytes), space, e+acute (3), !
  nfkc->apply(text);
  EXPECT_EQ(text.text, "afi \u00E9!");
  EXPECT_EQ(text.originSpan(0, 1), (std::pair<std::size_t, std::size_t>{0, 1}));  // a kept
  EXPECT_EQ(text.originSpan(1, 3), (std::pair<std::size_t, std::size_t>{1, 4}));  // fi <- the ligature
  EXPECT_EQ(text.originSpan(4, 6), (std::pair<std::size_t, std::size_t>{5, 8}));  // é <- e + acute
  EXPECT_EQ(text.originSpan(6, 7), (std::pair<std::size_t, std::size_t>{8, 9}));  // ! kept
  const auto nfd = makeNormalizer(Json{{"type", "NFD"}}, "test", traits);
  AlignedText decomposed = AlignedText::fromInput("\u00E9", 0);
  nfd->apply(decomposed);
  EXPECT_EQ(decomposed.text, "e\u0301");
  EXPECT_THROW(makeNormalizer(Json{{"type", "NFX"}}, "test", traits), ModelError);
}

}  // namespace
}  // namespace attnviz::model
