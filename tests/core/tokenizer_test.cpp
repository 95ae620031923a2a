#include <gtest/gtest.h>

#include "core/tokenizer.h"

using attnviz::tokenize;

namespace {
std::vector<std::string> texts(const std::string& s) {
  std::vector<std::string> out;
  for (const auto& t : tokenize(s)) out.push_back(t.text);
  return out;
}
}  // namespace

TEST(Tokenizer, DefaultSentenceIsEightTokens) {
  EXPECT_EQ(texts("The bank by the river was steep."),
            (std::vector<std::string>{"The", "bank", "by", "the", "river", "was", "steep", "."}));
}

TEST(Tokenizer, KeepsInnerApostrophesAndHyphens) {
  EXPECT_EQ(texts("didn't state-of-the-art rock'n'roll"),
            (std::vector<std::string>{"didn't", "state-of-the-art", "rock'n'roll"}));
  EXPECT_EQ(texts("didn\xE2\x80\x99t"), (std::vector<std::string>{"didn\xE2\x80\x99t"}));
}

TEST(Tokenizer, LeadingAndTrailingJoinersArePunctuation) {
  EXPECT_EQ(texts("'quoted' -dash- end-"), (std::vector<std::string>{"'", "quoted", "'", "-", "dash", "-", "end", "-"}));
}

TEST(Tokenizer, PunctuationMarksAreSingleTokens) {
  EXPECT_EQ(texts("Wait...what?!"), (std::vector<std::string>{"Wait", ".", ".", ".", "what", "?", "!"}));
}

TEST(Tokenizer, NumbersKeepDecimalPoints) {
  EXPECT_EQ(texts("pi is 3.14, e 2,718."), (std::vector<std::string>{"pi", "is", "3.14", ",", "e", "2,718", "."}));
}

TEST(Tokenizer, WhitespaceIsDropped) {
  EXPECT_TRUE(tokenize("   \t\n  ").empty());
  EXPECT_TRUE(tokenize("").empty());
  EXPECT_EQ(texts("a\xC2\xA0"
                  "b\xE3\x80\x80"
                  "c"),
            (std::vector<std::string>{"a", "b", "c"}));  // no-break space, ideographic space
}

TEST(Tokenizer, ByteSpansPointIntoTheInput) {
  const std::string s = "  caf\xC3\xA9 au-lait!";
  for (const auto& t : tokenize(s)) EXPECT_EQ(s.substr(t.byte_begin, t.byte_end - t.byte_begin), t.text);
  const auto tokens = tokenize(s);
  ASSERT_EQ(tokens.size(), 3u);
  EXPECT_EQ(tokens[0].byte_begin, 2u);
  EXPECT_EQ(tokens[0].byte_end, 7u);  // "café" is 5 bytes
}

TEST(Tokenizer, AccentedAndNonLatinWords) {
  EXPECT_EQ(texts("Ça été über Москва"), (std::vector<std::string>{"Ça", "été", "über", "Москва"}));
  // Combining accent stays with its letter.
  EXPECT_EQ(texts("e\xCC\x81t\xC3\xA9"), (std::vector<std::string>{"e\xCC\x81t\xC3\xA9"}));
}

TEST(Tokenizer, CjkCharactersAreTokensOfTheirOwn) {
  EXPECT_EQ(texts("我爱你。"), (std::vector<std::string>{"我", "爱", "你", "。"}));
  EXPECT_EQ(texts("東京abc"), (std::vector<std::string>{"東", "京", "abc"}));
}

TEST(Tokenizer, InvalidBytesBecomeReplacementCharacter) {
  const std::string bad = std::string("ab\xFF") + "cd \xC3" + " \xED\xA0\x80 \xF0\x82\x82\xAC";
  const auto tokens = tokenize(bad);
  ASSERT_FALSE(tokens.empty());
  EXPECT_EQ(tokens[0].text, "ab\xEF\xBF\xBD" "cd");
  for (const auto& t : tokens) {
    // Every token is valid UTF-8: decoding and re-encoding gives the same bytes.
    std::string again;
    for (char32_t c : attnviz::decodeUtf8(t.text)) again += attnviz::encodeUtf8(c);
    EXPECT_EQ(again, t.text);
    EXPECT_LE(t.byte_end, bad.size());
  }
}

TEST(Tokenizer, TruncatedSequenceAtEndDoesNotCrash) {
  for (const char* s : {"\xE2", "\xE2\x82", "a\xF0\x9F\x98", "\xC0\x80"}) {
    const auto tokens = tokenize(s);
    ASSERT_FALSE(tokens.empty()) << s;
    EXPECT_NE(tokens.back().text.find("\xEF\xBF\xBD"), std::string::npos);
  }
}

TEST(Tokenizer, EmojiWithModifiersStaysTogether) {
  // thumbs up + skin tone modifier is one symbol token
  EXPECT_EQ(texts("ok \xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD!"), (std::vector<std::string>{"ok", "\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD", "!"}));
}

TEST(Tokenizer, LowerCase) {
  EXPECT_EQ(attnviz::lowerCase("The ÉTÉ Москва"), "the été москва");
}
