// The BPE model shared by byte-level (GPT-2, Llama 3, Qwen2, SmolLM) and SentencePiece-style
// (Llama 2, TinyLlama, Mistral) tokenizers: a vocabulary, merge ranks, and what to do with a
// character the vocabulary lacks (byte fallback "<0xE2>", an unknown token, or an error).
// Also the parsers of GPT-2's vocab.json and merges.txt; they take the file contents, not paths,
// so they can be fuzzed directly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace attnviz::model {

using Vocabulary = std::unordered_map<std::string, std::int32_t>;
using MergeList = std::vector<std::pair<std::string, std::string>>;  // in rank order, rank 0 first

// Files larger than these are refused before parsing (the largest real ones are ~10-20 MB).
constexpr std::size_t kMaxTokenizerFileBytes = 64u << 20;
constexpr std::int32_t kMaxVocabularyId = 2'000'000;  // real vocabularies stop near 260k

// vocab.json: one JSON object piece -> id. `source` names the file in errors (ModelError).
Vocabulary parseVocabJson(std::string_view json, const std::string& source);
// merges.txt: an optional "#version" line, then one "LEFT RIGHT" pair per line.
MergeList parseMergesText(std::string_view text, const std::string& source);

struct BpeSettings {
  std::optional<std::string> unk_token;
  bool byte_fallback = false;  // unknown characters become their UTF-8 bytes as "<0xNN>" tokens
  bool fuse_unk = false;       // consecutive unknown characters become one unknown token
  bool ignore_merges = false;  // a word that is itself in the vocabulary is one token (Llama 3)
};

// One token of a word: its id and the bytes [begin, end) of the word it covers.
struct WordToken {
  std::int32_t id;
  std::size_t begin, end;
};

// What a tokenizer's model does with one pre-tokenised word: BPE (below) or WordPiece
// (tokenizer_wordpiece.h).
class WordModel {
 public:
  virtual ~WordModel() = default;
  // Appends the tokens of one pre-tokenised word (valid UTF-8) to `out`.
  virtual void encodeWord(std::string_view word, std::vector<WordToken>& out) const = 0;
  virtual std::optional<std::int32_t> idOf(const std::string& piece) const = 0;
  // Vocabulary piece of an id, or nullptr when no piece has that id.
  virtual const std::string* pieceOf(std::int32_t id) const = 0;
  virtual std::int32_t idLimit() const = 0;  // largest id + 1
  virtual bool byteFallback() const { return false; }
  // WordPiece's "##" that marks a piece continuing a word; empty for BPE.
  virtual const std::string& continuingPrefix() const {
    static const std::string none;
    return none;
  }
};

class BpeModel : public WordModel {
 public:
  BpeModel() = default;
  // Throws ModelError naming `source` when a merge names a piece that is not in the vocabulary,
  // an id is negative, too large or given twice, or the unknown token is not in the vocabulary.
  BpeModel(Vocabulary vocabulary, const MergeList& merges, BpeSettings settings, const std::string& source);

  // Appends the tokens of one pre-tokenised word (valid UTF-8) to `out`. Throws ModelError when
  // a character has no token and neither byte fallback nor an unknown token is configured.
  void encodeWord(std::string_view word, std::vector<WordToken>& out) const override;

  std::optional<std::int32_t> idOf(const std::string& piece) const override;
  const std::string* pieceOf(std::int32_t id) const override;
  std::int32_t idLimit() const override { return static_cast<std::int32_t>(pieces_.size()); }
  bool byteFallback() const override { return settings_.byte_fallback; }

 private:
  struct Merge {
    std::int32_t rank;
    std::int32_t merged_id;
  };
  static std::uint64_t pairKey(std::int32_t left, std::int32_t right) {
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(left)) << 32) | static_cast<std::uint32_t>(right);
  }

  Vocabulary vocabulary_;
  std::vector<std::string> pieces_;
  std::vector<bool> has_piece_;
  std::unordered_map<std::uint64_t, Merge> merges_;
  BpeSettings settings_;
  std::optional<std::int32_t> unk_id_;
  std::vector<std::int32_t> byte_ids_ = std::vector<std::int32_t>(256, -1);  // "<0xNN>" pieces, -1 if absent
};

}  // namespace attnviz::model
