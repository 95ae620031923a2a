// The Unigram model of Hugging Face tokenizers (models/unigram/model.rs), which T5, XLM-R and some
// Marian exports carry in tokenizer.json: pieces with log-probability scores, the best path over
// them by Viterbi, unknown characters scored min_score - 10 and consecutive ones fused into one
// unknown token, and optionally byte fallback to "<0xNN>" pieces for what the vocabulary lacks.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/tokenizer_bpe.h"

namespace attnviz::model {

// Real pieces are at most 16 characters (SentencePiece's max_piece_length): under 100 bytes. The
// bound keeps the prefix search at each position of a text short.
constexpr std::size_t kMaxUnigramPieceBytes = 1024;

class UnigramModel : public WordModel {
 public:
  // `vocab`: the pieces in id order with their scores. Throws ModelError naming `source` when the
  // vocabulary is empty, a piece repeats or is too long, a score is not finite, or unk_id is
  // outside the vocabulary.
  UnigramModel(std::vector<std::pair<std::string, double>> vocab, std::optional<std::int32_t> unk_id, bool byte_fallback,
               const std::string& source);

  // The best segmentation of one pre-tokenised word, as Hugging Face's encode_optimized finds it
  // (ties keep the first path found). Throws ModelError when a character has no piece and the
  // model has no unknown token.
  void encodeWord(std::string_view word, std::vector<WordToken>& out) const override;
  std::optional<std::int32_t> idOf(const std::string& piece) const override;
  const std::string* pieceOf(std::int32_t id) const override;
  std::int32_t idLimit() const override { return std::int32_t(pieces_.size()); }
  bool byteFallback() const override { return byte_fallback_; }
  std::optional<std::int32_t> unkId() const { return unk_id_; }

 private:
  // Calls f(length, id) for every piece that is a prefix of text[at, ...), shortest first.
  template <class F>
  void forEachPieceAt(std::string_view text, std::size_t at, F&& f) const;

  std::vector<std::string> pieces_;
  std::vector<double> scores_;
  Vocabulary ids_;
  std::vector<std::int32_t> sorted_;  // ids ordered by their pieces' bytes
  double min_score_ = 0;
  std::optional<std::int32_t> unk_id_;
  bool byte_fallback_ = false;
  std::array<std::int32_t, 256> byte_ids_{};  // "<0xNN>" pieces, -1 if absent
  std::string source_;
};

}  // namespace attnviz::model
