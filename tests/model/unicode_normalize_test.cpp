#include "model/unicode_normalize.h"

#include <gtest/gtest.h>

#include "model/model_error.h"

using attnviz::model::normalizeUnicode;
using attnviz::model::removeNonspacingMarks;
using attnviz::model::UnicodeForm;

namespace {

// "é" as one code point (U+00E9) and as e + COMBINING ACUTE ACCENT (U+0301).
const std::string kComposed = "caf\xC3\xA9";
const std::string kDecomposed = "cafe\xCC\x81";

TEST(UnicodeNormalize, ComposedAndDecomposedFormsMeet) {
  EXPECT_EQ(normalizeUnicode(kDecomposed, UnicodeForm::nfc, "t"), kComposed);
  EXPECT_EQ(normalizeUnicode(kComposed, UnicodeForm::nfd, "t"), kDecomposed);
  EXPECT_EQ(normalizeUnicode(kComposed, UnicodeForm::nfc, "t"), kComposed);
  // Hangul syllable 한 (U+D55C) <-> its jamo U+1112 U+1161 U+11AB.
  EXPECT_EQ(normalizeUnicode("\xE1\x84\x92\xE1\x85\xA1\xE1\x86\xAB", UnicodeForm::nfc, "t"), "\xED\x95\x9C");
}

TEST(UnicodeNormalize, CompatibilityFormsFoldLigaturesAndWidths) {
  const std::string ligature = "\xEF\xAC\x81";  // U+FB01 LATIN SMALL LIGATURE FI
  EXPECT_EQ(normalizeUnicode(ligature, UnicodeForm::nfc, "t"), ligature);
  EXPECT_EQ(normalizeUnicode(ligature, UnicodeForm::nfkc, "t"), "fi");
  EXPECT_EQ(normalizeUnicode("\xEF\xBC\xA1", UnicodeForm::nfkc, "t"), "A");  // FULLWIDTH A
  EXPECT_EQ(normalizeUnicode("\xC3\xA9\xEF\xAC\x81", UnicodeForm::nfkd, "t"), "e\xCC\x81" "fi");
}

TEST(UnicodeNormalize, AccentsStripAfterDecomposition) {
  EXPECT_EQ(removeNonspacingMarks(normalizeUnicode(kComposed, UnicodeForm::nfd, "t"), "t"), "cafe");
  EXPECT_EQ(removeNonspacingMarks("plain", "t"), "plain");
}

TEST(UnicodeNormalize, InvalidUtf8IsRefusedNamingWhere) {
  try {
    normalizeUnicode("ab\xFF", UnicodeForm::nfc, "tokenizer.json normalizer");
    FAIL() << "no error";
  } catch (const attnviz::model::ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("tokenizer.json normalizer"), std::string::npos) << e.what();
  }
  EXPECT_THROW(removeNonspacingMarks("\xC3", "t"), attnviz::model::ModelError);
}

TEST(UnicodeNormalize, FormNamesRoundTrip) {
  for (const char* name : {"NFC", "NFD", "NFKC", "NFKD"}) {
    UnicodeForm form{};
    ASSERT_TRUE(attnviz::model::parseUnicodeForm(name, form));
    EXPECT_STREQ(attnviz::model::unicodeFormName(form), name);
  }
  UnicodeForm form{};
  EXPECT_FALSE(attnviz::model::parseUnicodeForm("nfc", form));
}

}  // namespace
