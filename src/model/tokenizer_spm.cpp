#include "model/tokenizer_spm.h"

#include <sentencepiece_processor.h>

#include <algorithm>

#include "model/model_error.h"

namespace attnviz::model {

namespace {

void loadProcessor(sentencepiece::SentencePieceProcessor& processor, std::string_view spm, const std::string& source) {
  if (spm.size() > kMaxTokenizerFileBytes)
    throw ModelError(source + ": " + std::to_string(spm.size()) + " bytes, more than the " + std::to_string(kMaxTokenizerFileBytes >> 20) +
                     " MB a tokenizer file may have");
  const auto status = processor.LoadFromSerializedProto(absl::string_view(spm.data(), spm.size()));
  if (!status.ok()) throw ModelError(source + ": not a SentencePiece model (" + quoteForMessage(status.ToString(), 120) + ")");
}

}  // namespace

Vocabulary sentencePieceOwnVocabulary(std::string_view spm, const std::string& source) {
  sentencepiece::SentencePieceProcessor processor;
  loadProcessor(processor, spm, source);
  Vocabulary out;
  for (int id = 0; id < processor.GetPieceSize(); ++id) out.emplace(processor.IdToPiece(id), id);
  return out;
}

SentencePieceFileModel::SentencePieceFileModel(std::string_view spm, std::shared_ptr<const Vocabulary> vocabulary,
                                               const std::string& unk_token, const std::string& source)
    : processor_(std::make_unique<sentencepiece::SentencePieceProcessor>()), vocabulary_(std::move(vocabulary)), source_(source) {
  loadProcessor(*processor_, spm, source);
  std::int32_t limit = 0;
  for (const auto& [piece, id] : *vocabulary_) limit = std::max(limit, id + 1);
  pieces_.resize(std::size_t(limit));
  has_piece_.assign(std::size_t(limit), false);
  for (const auto& [piece, id] : *vocabulary_) {
    pieces_[std::size_t(id)] = piece;
    has_piece_[std::size_t(id)] = true;
  }
  const auto unk = vocabulary_->find(unk_token);
  if (unk == vocabulary_->end())
    throw ModelError(source + ": the unknown token '" + quoteForMessage(unk_token, 40) + "' is not in vocab.json");
  unk_id_ = unk->second;
}

SentencePieceFileModel::~SentencePieceFileModel() = default;

void SentencePieceFileModel::encodeWord(std::string_view text, std::vector<WordToken>& out) const {
  const sentencepiece::ImmutableSentencePieceText encoded = processor_->EncodeAsImmutableProto(absl::string_view(text.data(), text.size()));
  for (const auto& piece : encoded.pieces()) {
    const auto it = vocabulary_->find(piece.piece());
    const std::size_t begin = std::min<std::size_t>(piece.begin(), text.size()), end = std::min<std::size_t>(piece.end(), text.size());
    out.push_back({it == vocabulary_->end() ? unk_id_ : it->second, begin, std::max(begin, end)});
  }
}

std::optional<std::int32_t> SentencePieceFileModel::idOf(const std::string& piece) const {
  const auto it = vocabulary_->find(piece);
  if (it == vocabulary_->end()) return std::nullopt;
  return it->second;
}

const std::string* SentencePieceFileModel::pieceOf(std::int32_t id) const {
  if (id < 0 || std::size_t(id) >= pieces_.size() || !has_piece_[std::size_t(id)]) return nullptr;
  return &pieces_[std::size_t(id)];
}

}  // namespace attnviz::model
