// `attnviz tokenize` end to end: output forms, and every kind of bad input gives exit 2 with one
// line on stderr naming what was wrong.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tokenizer_test_support.h"

namespace attnviz::model {
namespace {

using namespace attnviz::testing;
namespace fs = std::filesystem;

// A tiny byte-level tokenizer.json: bytes 'a' 'b' ' ' as pieces, merge "a b".
const char* const kTinyTokenizer = R"({
  "added_tokens": [{"id": 9, "content": "<|end|>", "special": true}],
  "normalizer": null,
  "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
  "post_processor": null,
  "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "\u0120": 2, "ab": 3, "\u0120ab": 4},
            "merges": ["a b", "\u0120 ab"]}
})";

fs::path tinyModel(const std::string& name, const std::string& tokenizerJson = kTinyTokenizer) {
  const auto dir = scratchDir(name);
  writeFile(dir / "tokenizer.json", tokenizerJson);
  return dir;
}

void expectUsageError(const CliResult& r, const std::string& needle) {
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_EQ(lineCount(r.err), 1) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << "stderr lacks '" << needle << "': " << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST(TokenizeCli, JsonAndPlainForms) {
  const auto dir = tinyModel("cli-ok");
  auto r = runAttnviz("tokenize --model '" + dir.string() + "' --text 'ab ab<|end|>' --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["model"], dir.string());
  EXPECT_EQ(doc["ids"], nlohmann::json({3, 4, 9}));
  EXPECT_EQ(doc["tokens"], nlohmann::json({"ab", "\u0120ab", "<|end|>"}));
  EXPECT_EQ(doc["labels"], nlohmann::json({"ab", "\u00B7ab", "<|end|>"}));
  EXPECT_EQ(doc["offsets"], nlohmann::json({{0, 2}, {2, 5}, {5, 12}}));
  r = runAttnviz("tokenize --model '" + dir.string() + "' --text 'ab ab'");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "0\t3\tab\n1\t4\t\u00B7ab\n");
  r = runAttnviz("tokenize --help");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("--model"), std::string::npos);
}

TEST(TokenizeCli, UsageErrors) {
  const auto dir = tinyModel("cli-usage");
  expectUsageError(runAttnviz("tokenize --text hi"), "--model");
  expectUsageError(runAttnviz("tokenize --model '" + dir.string() + "'"), "--text");
  expectUsageError(runAttnviz("tokenize --model '" + dir.string() + "' --text hi --bogus"), "bogus");
  expectUsageError(runAttnviz("tokenize --model '" + dir.string() + "' --text \"$(printf '\\377\\376')\""), "invalid UTF-8 at byte 0");
}

TEST(TokenizeCli, MissingModelsAndUnknownNames) {
  const auto hub = scratchDir("cli-hub");
  expectUsageError(runAttnviz("tokenize --model /no/such/model --text hi"), "/no/such/model");
  expectUsageError(runAttnviz("tokenize --model org/not-downloaded --text hi", "HF_HUB_CACHE='" + hub.string() + "'"),
                   (hub / "models--org--not-downloaded").string());
  const auto empty = scratchDir("cli-empty-model");
  expectUsageError(runAttnviz("tokenize --model '" + empty.string() + "' --text hi"), "no tokenizer.json");
  const auto spOnly = scratchDir("cli-sp-only");
  writeFile(spOnly / "tokenizer.model", "protobuf");
  expectUsageError(runAttnviz("tokenize --model '" + spOnly.string() + "' --text hi"), "tokenizer.model");
}

TEST(TokenizeCli, DamagedTokenizerFilesNameTheFile) {
  expectUsageError(runAttnviz("tokenize --model '" + tinyModel("cli-trunc", std::string(kTinyTokenizer).substr(0, 120)).string() +
                              "' --text hi"),
                   "tokenizer.json: not valid JSON");
  expectUsageError(runAttnviz("tokenize --model '" + tinyModel("cli-nomodel", R"({"added_tokens": []})").string() + "' --text hi"),
                   "tokenizer.json: has no 'model'");
  std::string wordLevel = kTinyTokenizer;
  wordLevel.replace(wordLevel.find("\"BPE\""), 5, "\"WordLevel\"");
  expectUsageError(runAttnviz("tokenize --model '" + tinyModel("cli-wordlevel", wordLevel).string() + "' --text hi"), "WordLevel");
  // A Unigram model whose vocab is BPE's object rather than [piece, score] pairs.
  std::string unigram = kTinyTokenizer;
  unigram.replace(unigram.find("\"BPE\""), 5, "\"Unigram\"");
  expectUsageError(runAttnviz("tokenize --model '" + tinyModel("cli-unigram", unigram).string() + "' --text hi"),
                   "Unigram model has no 'vocab' list");
  // A WordPiece vocabulary without its unknown token.
  std::string wordPiece = kTinyTokenizer;
  wordPiece.replace(wordPiece.find("\"BPE\""), 5, "\"WordPiece\"");
  expectUsageError(runAttnviz("tokenize --model '" + tinyModel("cli-wordpiece", wordPiece).string() + "' --text hi"),
                   "unknown token '[UNK]' is not in the vocabulary");
  std::string badMerge = kTinyTokenizer;
  badMerge.replace(badMerge.find("\"a b\""), 5, "\"a z\"");
  expectUsageError(runAttnviz("tokenize --model '" + tinyModel("cli-badmerge", badMerge).string() + "' --text hi"),
                   "merge 0 ('a' 'z')");

  // vocab.json + merges.txt
  const auto gpt2 = scratchDir("cli-vocab");
  writeFile(gpt2 / "vocab.json", R"({"a": 0, "b": 1, "ab": 2})");
  writeFile(gpt2 / "merges.txt", "#version: 0.2\na b\n");
  EXPECT_EQ(runAttnviz("tokenize --model '" + gpt2.string() + "' --text ab").out, "0\t2\tab\n");
  writeFile(gpt2 / "merges.txt", "#version: 0.2\na b c\n");
  expectUsageError(runAttnviz("tokenize --model '" + gpt2.string() + "' --text ab"), "merges.txt: line 2");
  writeFile(gpt2 / "merges.txt", "a b\n");
  writeFile(gpt2 / "vocab.json", R"({"a": 0, "b": "one"})");
  expectUsageError(runAttnviz("tokenize --model '" + gpt2.string() + "' --text ab"), "vocab.json");
  writeFile(gpt2 / "vocab.json", R"({"a": 0, "b": 1, "ab": 2})");
  writeFile(gpt2 / "tokenizer_config.json", "{broken");
  expectUsageError(runAttnviz("tokenize --model '" + gpt2.string() + "' --text ab"), "tokenizer_config.json");
  // A character the vocabulary cannot encode, with no byte fallback and no unknown token.
  fs::remove(gpt2 / "tokenizer_config.json");
  expectUsageError(runAttnviz("tokenize --model '" + gpt2.string() + "' --text abc"), "no token for the character");
}

// Damaged Unigram files (T5, XLM-R): a charsmap whose root points past its one-unit trie, one
// shorter than it says, a repeated piece, an unk_id of 2^40, no unknown token for an unknown
// character: each exit 2 with one line naming the problem, never a crash.
TEST(TokenizeCli, DamagedUnigramFilesAreOneLineErrors) {
  using Json = nlohmann::json;
  const auto unigram = [](Json vocab) {
    Json u;
    u["model"] = {{"type", "Unigram"}, {"unk_id", 0}, {"vocab", std::move(vocab)}};
    return u;
  };
  const auto tokenize = [](const std::string& name, const Json& j, const std::string& text) {
    return runAttnviz("tokenize --model '" + tinyModel(name, j.dump()).string() + "' --text '" + text + "'");
  };
  const Json pieces = Json::array({Json::array({"<unk>", 0.0}), Json::array({"a", -1.0})});
  Json j = unigram(pieces);
  j["normalizer"] = {{"type", "Precompiled"}, {"precompiled_charsmap", "BAAAAAD8/38="}};  // root offset 2^21 - 1, one unit
  expectUsageError(tokenize("ug-outside", j, "a"), "precompiled_charsmap's trie points outside itself");
  j["normalizer"]["precompiled_charsmap"] = "kAEAAA==";  // says 400 bytes of trie, has none
  expectUsageError(tokenize("ug-short", j, "a"), "says its trie is 100 units but holds 0");
  j = unigram(Json::array({Json::array({"<unk>", 0.0}), Json::array({"a\nattnviz: fake", -1.0}), Json::array({"a\nattnviz: fake", -2.0})}));
  expectUsageError(tokenize("ug-repeated", j, "a"), "('a\\nattnviz: fake') repeats piece 1");
  j = unigram(pieces);
  j["model"]["unk_id"] = 1ll << 40;
  expectUsageError(tokenize("ug-unk-2-40", j, "a"), "unk_id 1099511627776 is not a token id");
  j["model"]["unk_id"] = nullptr;
  expectUsageError(tokenize("ug-no-unk", j, "ab"), "'b' has no piece and the Unigram model has no unk_id");
  EXPECT_EQ(tokenize("ug-ok", j, "aa").out, "0\t1\ta\n1\t1\ta\n");
}

}  // namespace
}  // namespace attnviz::model
