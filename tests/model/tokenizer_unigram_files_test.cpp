// attnviz's Unigram tokenizer.json path on files made as Hugging Face makes them: SentencePiece
// Unigram models trained by python3-sentencepiece (nmt_nfkc: the real precompiled_charsmap of T5
// and XLM-R; one with byte fallback; one without a charsmap) and converted as
// convert_slow_tokenizer.py does (scripts/unigram-test-data.py). scripts/fetch-test-data.sh has
// Hugging Face's own tokenizers (its Rust library, npm `tokenizers`) and @lenml/tokenizers
// (transformers.js's) encode tests/model/real_tokenizer_cases.json + unigram_cases.json with each.
// attnviz must give Hugging Face's ids on every case, and @lenml's wherever @lenml agrees with
// Hugging Face (it approximates Precompiled by NFKC and its Metaspace ignores prepend_scheme
// without add_prefix_space). SentencePiece's own ids are counted, not required: its normaliser
// matches the longest rule over the whole text and folds whitespace, Hugging Face's goes grapheme
// by grapheme (normalizers/precompiled.rs).
#include <gtest/gtest.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "model/tokenizer_model.h"
#include "model/tokenizer_text.h"
#include "tokenizer_test_support.h"

namespace attnviz::model {
namespace {

using namespace attnviz::testing;
namespace fs = std::filesystem;
using Json = nlohmann::json;

struct UnigramFile {
  const char* name;
  const char* describes;    // what describe() says of it
  std::size_t lenml_least;  // cases on which @lenml agrees with Hugging Face, at least
  std::size_t sp_least;     // cases on which SentencePiece's ids agree, at least
};

void PrintTo(const UnigramFile& f, std::ostream* os) { *os << f.name; }

fs::path unigramDir(const std::string& name) { return gpt2TestData().parent_path() / "unigram-tokenizers" / name; }

Json cases() {
  Json all = Json::parse(readFile(fs::path(ATTNVIZ_TEST_DIR) / "model" / "real_tokenizer_cases.json"));
  for (const auto& c : Json::parse(readFile(fs::path(ATTNVIZ_TEST_DIR) / "model" / "unigram_cases.json"))) all.push_back(c);
  return all;
}

class UnigramTokenizerFiles : public ::testing::TestWithParam<UnigramFile> {};

TEST_P(UnigramTokenizerFiles, GiveHuggingFacesIdsOnEveryCase) {
  const UnigramFile& f = GetParam();
  const fs::path dir = unigramDir(f.name);
  if (!fs::exists(dir / "hf_expected.json") || !fs::exists(dir / "tokenizer.json")) {
    const std::string why = "Unigram test data missing in " + dir.string() + "; run scripts/fetch-test-data.sh (needs npm, node, python3-sentencepiece)";
    if (inCi()) FAIL() << why;
    GTEST_SKIP() << why;
  }
  const Json texts = cases();
  const Json hf = Json::parse(readFile(dir / "hf_expected.json")), lenml = Json::parse(readFile(dir / "lenml_expected.json")),
             sp = Json::parse(readFile(dir / "sp_expected.json")), decoded = Json::parse(readFile(dir / "hf_decoded.json"));
  ASSERT_EQ(hf.size(), texts.size()) << "the expected ids are stale: rerun scripts/fetch-test-data.sh";
  ASSERT_GE(texts.size(), 150u);
  const ModelTokenizer tokenizer = ModelTokenizer::fromDirectory(dir);
  EXPECT_NE(tokenizer.describe().find(f.describes), std::string::npos) << tokenizer.describe();
  std::size_t agree = 0, lenmlComparable = 0, lenmlAgree = 0, spAgree = 0, decodedAgree = 0, decodable = 0, tokens = 0;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const std::string text = texts[i].get<std::string>();
    ASSERT_EQ(hf[i]["text"].get<std::string>(), text) << "the expected ids are stale: rerun scripts/fetch-test-data.sh";
    const auto want = hf[i]["ids"].get<std::vector<std::int32_t>>();
    const Encoding got = tokenizer.encode(text);
    EXPECT_EQ(got.ids, want) << f.name << " case " << i << ": " << text;
    agree += got.ids == want;
    tokens += got.size();
    if (lenml[i]["ids"] == hf[i]["ids"]) {
      ++lenmlComparable;
      lenmlAgree += got.ids == lenml[i]["ids"].get<std::vector<std::int32_t>>();
    }
    spAgree += got.ids == sp[i]["ids"].get<std::vector<std::int32_t>>();
    // Decoding Hugging Face's ids gives its text wherever the bytes are whole UTF-8 (its
    // ByteFallback decoder writes U+FFFD for the rest).
    const std::string text_back = tokenizer.decodeSequence(want);
    if (!firstInvalidUtf8(text_back)) {
      ++decodable;
      decodedAgree += text_back == decoded[i].get<std::string>();
      EXPECT_EQ(text_back, decoded[i].get<std::string>()) << f.name << " decoding case " << i << ": " << text;
    }
  }
  std::cout << "[ " << f.name << " ] Hugging Face " << agree << "/" << texts.size() << ", @lenml " << lenmlAgree << "/" << lenmlComparable
            << " where @lenml agrees with Hugging Face, SentencePiece " << spAgree << "/" << texts.size() << ", decoded " << decodedAgree
            << "/" << decodable << "\n";
  EXPECT_EQ(agree, texts.size()) << f.name;
  EXPECT_EQ(lenmlAgree, lenmlComparable) << f.name;
  EXPECT_GE(lenmlComparable, f.lenml_least) << f.name;  // @lenml is a real second check, not a vacuous one
  EXPECT_GE(spAgree, f.sp_least) << f.name;             // the converted file is the trained model
  EXPECT_EQ(decodedAgree, decodable) << f.name;
  EXPECT_GE(decodable, texts.size() * 3 / 4) << f.name;
  EXPECT_GT(tokens, 2000u);  // the cases are not trivially short
}

INSTANTIATE_TEST_SUITE_P(TrainedAndConverted, UnigramTokenizerFiles,
                         ::testing::Values(UnigramFile{"t5", "Unigram, ", 140, 140}, UnigramFile{"xlmr", "Unigram, ", 140, 130},
                                           UnigramFile{"byte-fallback", "Unigram (byte fallback)", 120, 140},
                                           UnigramFile{"nfkc", "Unigram, ", 150, 0}),
                         [](const ::testing::TestParamInfo<UnigramFile>& p) {
                           std::string n = p.param.name;
                           for (char& c : n) c = c == '-' ? '_' : c;
                           return n;
                         });

// 3000 random strings over the characters where tokenizers part ways (scripts/unigram-test-data.py:
// combining marks, jamo, halfwidth and full-width forms, deleted controls, Unicode spaces, emoji
// parts, special tokens, byte-piece names): Hugging Face's ids on every one, with each file. (This
// check found that a control character Precompiled deletes at the text's start still counts as
// its start for Metaspace's "first" scheme.)
TEST_P(UnigramTokenizerFiles, GiveHuggingFacesIdsOnRandomStrings) {
  const UnigramFile& f = GetParam();
  const fs::path dir = unigramDir(f.name);
  if (!fs::exists(dir / "hf_random.json")) {
    if (inCi()) FAIL() << "Unigram test data missing in " << dir;
    GTEST_SKIP() << "Unigram test data missing in " << dir << "; run scripts/fetch-test-data.sh";
  }
  const Json texts = Json::parse(readFile(dir.parent_path() / "random_cases.json")), hf = Json::parse(readFile(dir / "hf_random.json"));
  ASSERT_EQ(hf.size(), texts.size());
  ASSERT_GE(texts.size(), 3000u);
  const ModelTokenizer tokenizer = ModelTokenizer::fromDirectory(dir);
  std::size_t agree = 0;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const auto got = tokenizer.encode(texts[i].get<std::string>()).ids;
    const bool same = got == hf[i].get<std::vector<std::int32_t>>();
    agree += same;
    EXPECT_TRUE(same) << f.name << " random case " << i << ": " << texts[i].dump();
    if (i + 1 - agree > 5) break;  // a few are enough to see what broke
  }
  EXPECT_EQ(agree, texts.size()) << f.name;
}

// A T5 folder holds tokenizer.json and the spiece.model it was converted from: tokenizer.json is
// read (what Hugging Face's fast T5 tokenizer uses), so a typed "</s>" is followed by the
// template's own, where T5Tokenizer over spiece.model adds none.
TEST(UnigramT5Folder, ReadsTokenizerJsonNotSpieceModel) {
  const fs::path dir = unigramDir("t5");
  if (!fs::exists(dir / "spiece.model") || !fs::exists(dir / "hf_expected.json")) {
    if (inCi()) FAIL() << "Unigram test data missing in " << dir;
    GTEST_SKIP() << "Unigram test data missing in " << dir << "; run scripts/fetch-test-data.sh";
  }
  const ModelTokenizer folder = ModelTokenizer::fromDirectory(dir);
  EXPECT_NE(folder.describe().find("tokenizer.json"), std::string::npos) << folder.describe();
  EXPECT_EQ(folder.describe().find("spiece.model"), std::string::npos) << folder.describe();
  const ModelTokenizer spiece = ModelTokenizer::fromT5SentencePiece(readFile(dir / "spiece.model"), readFile(dir / "tokenizer_config.json"));
  const auto eos = folder.idOf("</s>");
  ASSERT_TRUE(eos.has_value());
  const auto fast = folder.encode("a typed end</s>").ids, slow = spiece.encode("a typed end</s>").ids;
  ASSERT_GE(fast.size(), 3u);
  EXPECT_EQ(fast.end()[-1], *eos);
  EXPECT_EQ(fast.end()[-2], *eos);
  EXPECT_NE(slow.end()[-2], *eos);
  EXPECT_EQ(std::vector<std::int32_t>(fast.begin(), fast.end() - 1), slow);
  // The extra ids are the same tokens either way.
  EXPECT_EQ(folder.idOf("<extra_id_0>"), spiece.idOf("<extra_id_0>"));
  EXPECT_EQ(folder.vocabSize(), spiece.vocabSize());
}

}  // namespace
}  // namespace attnviz::model
