// A SentencePiece model file (Marian's source.spm / target.spm, T5's spiece.model) as a tokenizer's model, through
// Debian's libsentencepiece (the library made for these files: the protobuf is never parsed by
// hand). The pieces it gives are looked up in the model's own vocabulary (Marian's vocab.json),
// as Hugging Face's MarianTokenizer does: a piece missing there is the unknown token.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model/tokenizer_bpe.h"

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace attnviz::model {

// The pieces of a SentencePiece model file with their own ids (T5's spiece.model: id = the
// model's, as T5Tokenizer's piece_to_id). ModelError naming `source` when it is not such a file.
Vocabulary sentencePieceOwnVocabulary(std::string_view spm, const std::string& source);

class SentencePieceFileModel : public WordModel {
 public:
  // `spm` holds the file's bytes; `vocabulary` the ids (shared by the source and the target model
  // of a Marian folder). Throws ModelError naming `source` when the file is not a SentencePiece
  // model, or the unknown token is not in the vocabulary.
  SentencePieceFileModel(std::string_view spm, std::shared_ptr<const Vocabulary> vocabulary, const std::string& unk_token,
                         const std::string& source);
  ~SentencePieceFileModel() override;

  // The whole text segment at once (SentencePiece normalises and splits it itself); each piece
  // keeps the input bytes it came from.
  void encodeWord(std::string_view text, std::vector<WordToken>& out) const override;
  std::optional<std::int32_t> idOf(const std::string& piece) const override;
  const std::string* pieceOf(std::int32_t id) const override;
  std::int32_t idLimit() const override { return std::int32_t(pieces_.size()); }

 private:
  std::unique_ptr<sentencepiece::SentencePieceProcessor> processor_;
  std::shared_ptr<const Vocabulary> vocabulary_;
  std::vector<std::string> pieces_;
  std::vector<bool> has_piece_;
  std::int32_t unk_id_ = 0;
  std::string source_;
};

}  // namespace attnviz::model
