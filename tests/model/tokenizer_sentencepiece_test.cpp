// SentencePiece-style BPE (Llama 2, TinyLlama, Mistral) on a small hand-made tokenizer.json:
// '▁' for spaces, byte fallback "<0x..>", the unknown token, added tokens, BOS. Every expected id
// below is derived by hand in the comment above it from the vocabulary and merge ranks.
#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "model/model_error.h"
#include "model/tokenizer_model.h"
#include "tokenizer_test_support.h"

namespace attnviz::model {
namespace {

using namespace attnviz::testing;
using Ids = std::vector<std::int32_t>;
using Json = nlohmann::json;

// ids: <unk> 0, <s> 1, </s> 2, <0x00>..<0xFF> 3..258, then the pieces below.
// merges by rank: 0 "▁ t", 1 "h e", 2 "▁t he", 3 "▁ c", 4 "a t", 5 "▁c at".
Json llama2Style() {
  Json vocab = Json::object();
  vocab["<unk>"] = 0;
  vocab["<s>"] = 1;
  vocab["</s>"] = 2;
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    vocab[name] = 3 + b;
  }
  const char* pieces[] = {"\u2581", "t", "h", "e", "\u2581t", "he", "\u2581the", "c", "a", "\u2581c", "at", "\u2581cat"};
  for (int i = 0; i < 12; ++i) vocab[pieces[i]] = 259 + i;  // ▁ 259, t 260, h 261, e 262, ▁t 263, he 264,
                                                            // ▁the 265, c 266, a 267, ▁c 268, at 269, ▁cat 270
  Json j;
  j["version"] = "1.0";
  j["added_tokens"] = Json::array({
      {{"id", 0}, {"content", "<unk>"}, {"special", true}, {"lstrip", false}, {"rstrip", false}, {"normalized", false}, {"single_word", false}},
      {{"id", 1}, {"content", "<s>"}, {"special", true}, {"lstrip", false}, {"rstrip", false}, {"normalized", false}, {"single_word", false}},
      {{"id", 2}, {"content", "</s>"}, {"special", true}, {"lstrip", false}, {"rstrip", false}, {"normalized", false}, {"single_word", false}},
      {{"id", 300}, {"content", "<|user|>"}, {"special", true}, {"lstrip", false}, {"rstrip", false}, {"normalized", false}, {"single_word", false}},
      {{"id", 301}, {"content", "<mask>"}, {"special", true}, {"lstrip", true}, {"rstrip", false}, {"normalized", false}, {"single_word", false}},
  });
  j["normalizer"] = {{"type", "Sequence"},
                     {"normalizers", Json::array({{{"type", "Prepend"}, {"prepend", "\u2581"}},
                                                  {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", "\u2581"}}})}};
  j["pre_tokenizer"] = nullptr;
  j["post_processor"] = {
      {"type", "TemplateProcessing"},
      {"single", Json::array({{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}}, {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}})},
      {"pair", Json::array()},
      {"special_tokens", {{"<s>", {{"id", "<s>"}, {"ids", {1}}, {"tokens", {"<s>"}}}}}}};
  j["model"] = {{"type", "BPE"},           {"dropout", nullptr},     {"unk_token", "<unk>"},
                {"continuing_subword_prefix", nullptr}, {"end_of_word_suffix", nullptr}, {"fuse_unk", true},
                {"byte_fallback", true},   {"vocab", vocab},
                {"merges", {"\u2581 t", "h e", "\u2581t he", "\u2581 c", "a t", "\u2581c at"}}};
  return j;
}

ModelTokenizer load(const Json& j, const std::string& config = "") { return ModelTokenizer::fromTokenizerJson(j.dump(), config); }

TEST(SentencePieceStyle, MergesByRankAfterPrependAndReplace) {
  const ModelTokenizer t = load(llama2Style());
  // "▁the▁cat": ▁+t (rank 0), h+e (1), ▁t+he (2), ▁+c (3), a+t (4), ▁c+at (5) -> ▁the ▁cat; BOS first.
  const Encoding e = t.encode("the cat");
  EXPECT_EQ(e.ids, (Ids{1, 265, 270}));
  EXPECT_EQ(e.pieces, (std::vector<std::string>{"<s>", "\u2581the", "\u2581cat"}));
  EXPECT_EQ(e.labels, (std::vector<std::string>{"<s>", "\u00B7the", "\u00B7cat"}));
  // The prepended '▁' has no input bytes; the replaced space is byte 3.
  EXPECT_EQ(e.spans[1], (std::pair<std::size_t, std::size_t>{0, 3}));
  EXPECT_EQ(e.spans[2], (std::pair<std::size_t, std::size_t>{3, 7}));
  EXPECT_EQ(t.bosId(), std::optional<std::int32_t>(1));
  EXPECT_EQ(t.vocabSize(), 302u);
}

TEST(SentencePieceStyle, ByteFallbackForCharactersOutsideTheVocabulary) {
  const ModelTokenizer t = load(llama2Style());
  // "▁the▁ü": ü is not a piece, so its UTF-8 bytes C3 BC become <0xC3> = 3 + 0xC3 = 198 and <0xBC> = 191.
  const Encoding e = t.encode("the \u00FC");
  EXPECT_EQ(e.ids, (Ids{1, 265, 259, 198, 191}));
  EXPECT_EQ(e.labels[3], "<0xC3>");
  EXPECT_EQ(t.decode({265, 259, 198, 191}), " the \u00FC");
  // Both byte tokens come from the two bytes of ü (input bytes 4..6).
  EXPECT_EQ(e.spans[3], (std::pair<std::size_t, std::size_t>{4, 5}));
  EXPECT_EQ(e.spans[4], (std::pair<std::size_t, std::size_t>{5, 6}));
}

TEST(SentencePieceStyle, UnknownTokenFusedWithoutByteFallback) {
  Json j = llama2Style();
  j["model"]["byte_fallback"] = false;
  // "▁the▁üü": ▁the, ▁ (no merge with ü), then both ü fused into one <unk>.
  EXPECT_EQ(load(j).encode("the \u00FC\u00FC").ids, (Ids{1, 265, 259, 0}));
  j["model"]["fuse_unk"] = false;
  EXPECT_EQ(load(j).encode("the \u00FC\u00FC").ids, (Ids{1, 265, 259, 0, 0}));
  j["model"]["unk_token"] = nullptr;
  EXPECT_THROW(load(j).encode("the \u00FC"), ModelError);
}

TEST(SentencePieceStyle, AddedTokensAreMatchedBeforeTheModel) {
  const ModelTokenizer t = load(llama2Style());
  // The text after an added token is normalised on its own, so it gets its own '▁' (legacy Llama 2).
  EXPECT_EQ(t.encode("<|user|>the cat").ids, (Ids{1, 300, 265, 270}));
  // "<s>" in the text is the special token, not characters.
  EXPECT_EQ(t.encode("the<s>cat").ids, (Ids{1, 265, 1, 270}));
  // lstrip: "<mask>" swallows the space before it.
  const Encoding e = t.encode("the <mask>");
  EXPECT_EQ(e.ids, (Ids{1, 265, 301}));
  EXPECT_EQ(e.spans[2], (std::pair<std::size_t, std::size_t>{3, 10}));
  EXPECT_TRUE(e.special[2]);
}

TEST(SentencePieceStyle, AddedTokenRstripAndSingleWord) {
  Json j = llama2Style();
  j["added_tokens"].push_back({{"id", 302}, {"content", "<sep>"}, {"special", true}, {"rstrip", true}});
  j["added_tokens"].push_back({{"id", 303}, {"content", "cat"}, {"special", false}, {"single_word", true}});
  const ModelTokenizer t = load(j);
  // rstrip: "<sep>" swallows the spaces after it, so "the" starts a segment of its own: ▁the.
  const Encoding e = t.encode("<sep>  the");
  EXPECT_EQ(e.ids, (Ids{1, 302, 265}));
  EXPECT_EQ(e.spans[1], (std::pair<std::size_t, std::size_t>{0, 7}));
  // single_word: "cat" alone is the added token (303); inside "cats" it is not, so the model
  // sees "▁the▁cats": ▁the ▁cat, then s is not a piece -> byte fallback <0x73> = 3 + 0x73 = 118.
  EXPECT_EQ(t.encode("the cat").ids, (Ids{1, 265, 259, 303}));
  EXPECT_EQ(t.encode("the cats").ids, (Ids{1, 265, 270, 118}));
  EXPECT_FALSE(t.encode("the cat").special[3]);
  EXPECT_EQ(t.label(303), "cat");
}

TEST(SentencePieceStyle, TokenizerConfigDecidesBosAndEos) {
  const Json j = llama2Style();
  EXPECT_EQ(load(j, R"({"add_bos_token": false})").encode("the").ids, (Ids{265}));
  EXPECT_EQ(load(j, R"({"add_bos_token": true, "add_eos_token": true, "bos_token": {"content": "<s>"}, "eos_token": "</s>"})")
                .encode("the")
                .ids,
            (Ids{1, 265, 2}));
  EXPECT_THROW(load(j, R"({"add_bos_token": true, "bos_token": "<nope>"})"), ModelError);
  Json noTemplate = j;
  noTemplate["post_processor"] = nullptr;
  EXPECT_EQ(load(noTemplate).encode("the").ids, (Ids{265}));
  EXPECT_EQ(load(noTemplate, R"({"add_bos_token": true, "bos_token": "<s>"})").encode("the").ids, (Ids{1, 265}));
}

TEST(SentencePieceStyle, MetaspacePreTokenizerPrependsOnlyAtTheStart) {
  Json j = llama2Style();
  j["normalizer"] = nullptr;
  j["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", "\u2581"}, {"prepend_scheme", "first"}, {"split", false}};
  const ModelTokenizer t = load(j);
  EXPECT_EQ(t.encode("the cat").ids, (Ids{1, 265, 270}));
  // After an added token there is no '▁': "the▁cat" -> t, he (rank 1), ▁cat (ranks 3, 4, 5).
  EXPECT_EQ(t.encode("<|user|>the cat").ids, (Ids{1, 300, 260, 264, 270}));
  j["pre_tokenizer"]["prepend_scheme"] = "always";
  EXPECT_EQ(load(j).encode("<|user|>the cat").ids, (Ids{1, 300, 265, 270}));
}

TEST(SentencePieceStyle, UnsupportedPiecesAreRefusedByName) {
  Json j = llama2Style();
  j["model"]["type"] = "WordLevel";
  try {
    load(j);
    FAIL() << "WordLevel accepted";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("WordLevel"), std::string::npos) << e.what();
  }
  j = llama2Style();
  j["normalizer"] = {{"type", "Precompiled"}, {"precompiled_charsmap", ""}};
  EXPECT_THROW(load(j), ModelError);
  j = llama2Style();
  j["pre_tokenizer"] = {{"type", "Whitespace"}};
  EXPECT_THROW(load(j), ModelError);
  j = llama2Style();
  j["model"]["merges"].push_back("x y");  // pieces not in the vocabulary
  EXPECT_THROW(load(j), ModelError);
  j = llama2Style();
  j["model"]["vocab"]["dup"] = 265;  // two pieces, one id
  EXPECT_THROW(load(j), ModelError);
  EXPECT_THROW(ModelTokenizer::fromTokenizerJson("{not json"), ModelError);
  EXPECT_THROW(ModelTokenizer::fromTokenizerJson("[]"), ModelError);
}

TEST(SentencePieceStyle, InvalidUtf8TextIsRefusedWithItsOffset) {
  const ModelTokenizer t = load(llama2Style());
  try {
    t.encode("ok \xC3 bad");
    FAIL() << "invalid UTF-8 accepted";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("byte 3"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace attnviz::model
