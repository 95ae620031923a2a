// The WordPiece model of the BERT family: each pre-tokenised word is split greedily into the
// longest vocabulary pieces from its start, pieces after the first carrying the continuing prefix
// ("##ing"); a word with a part no piece covers, or longer than max_input_chars_per_word
// characters, becomes the one unknown token. Also the parser of BERT's vocab.txt.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/tokenizer_bpe.h"

namespace attnviz::model {

// vocab.txt: one piece per line, its id the line's index from 0 (a trailing "\r" is kept, as Hugging
// Face keeps it; a later duplicate of a piece takes the piece). `source` names the file in errors.
Vocabulary parseVocabTxt(std::string_view text, const std::string& source);

// Bounds of a WordPiece file, far above real ones (bert-base-uncased: pieces of at most 18 bytes,
// words of at most 100 characters), so a hostile file cannot make the greedy longest-match (which
// tries every piece length at every start) cost more than ~10^4 steps per byte of text.
inline constexpr std::size_t kMaxWordPieceBytes = 128;
inline constexpr int kMaxWordPieceWordChars = 1000;

struct WordPieceSettings {
  std::string unk_token = "[UNK]";
  std::string continuing_prefix = "##";
  int max_input_chars_per_word = 100;
};

class WordPieceModel : public WordModel {
 public:
  // Throws ModelError naming `source` when an id is negative, too large or given to two pieces in
  // the JSON form, or the unknown token is not in the vocabulary.
  WordPieceModel(Vocabulary vocabulary, WordPieceSettings settings, const std::string& source);

  void encodeWord(std::string_view word, std::vector<WordToken>& out) const override;
  std::optional<std::int32_t> idOf(const std::string& piece) const override;
  const std::string* pieceOf(std::int32_t id) const override;
  std::int32_t idLimit() const override { return static_cast<std::int32_t>(pieces_.size()); }
  const std::string& continuingPrefix() const override { return settings_.continuing_prefix; }

 private:
  Vocabulary vocabulary_;
  std::vector<std::string> pieces_;
  std::vector<bool> has_piece_;
  WordPieceSettings settings_;
  std::int32_t unk_id_ = 0;
  std::size_t longest_piece_ = 0;  // bytes: no longer part of a word can match
  // Which byte lengths word-initial pieces and continuing pieces (without the prefix) have: only
  // those lengths are looked up (real vocabularies have ~20).
  std::vector<bool> initial_lengths_, continuing_lengths_;
};

}  // namespace attnviz::model
