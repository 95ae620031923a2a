#include "model/tokenizer_spm.h"

#include <sentencepiece_processor.h>

#include <algorithm>
#include <cstdint>
#include <string_view>

#include "model/model_error.h"

namespace attnviz::model {

namespace {

// Protobuf wire format, just enough to find ModelProto.pieces[i].piece (field 1 of field 1).
bool readVarint(std::string_view b, std::size_t& i, std::uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64 && i < b.size(); shift += 7) {
    const auto c = static_cast<unsigned char>(b[i++]);
    v |= std::uint64_t(c & 0x7f) << shift;
    if (c < 0x80) return true;
  }
  return false;
}

// Calls on_field(field, wire type, bytes of a length-delimited field) for each field of one
// message; false when the bytes are not a well-formed message.
template <class OnField>
bool forEachField(std::string_view b, OnField on_field) {
  std::size_t i = 0;
  while (i < b.size()) {
    std::uint64_t key = 0, value = 0;
    if (!readVarint(b, i, key)) return false;
    const int type = int(key & 7);
    std::string_view bytes;
    if (type == 0) {
      if (!readVarint(b, i, value)) return false;
    } else if (type == 1 || type == 5) {
      const std::size_t width = type == 1 ? 8 : 4;
      if (b.size() - i < width) return false;
      i += width;
    } else if (type == 2) {
      if (!readVarint(b, i, value) || value > b.size() - i) return false;
      bytes = b.substr(i, std::size_t(value));
      i += std::size_t(value);
    } else {
      return false;
    }
    on_field(key >> 3, type, bytes);
  }
  return true;
}

// libsentencepiece builds its piece trie with Darts, whose exception on an empty piece or one
// holding a NUL byte ends the process (std::terminate) instead of reaching the caller. Real
// models never have such pieces: refuse them first. A malformed file is left to the library.
void refusePiecesTheLibraryCannotTake(std::string_view spm, const std::string& source) {
  int index = 0;
  std::string problem;
  forEachField(spm, [&](std::uint64_t field, int type, std::string_view message) {
    if (field != 1 || type != 2 || !problem.empty()) return;
    bool has_text = false;
    forEachField(message, [&](std::uint64_t f, int t, std::string_view piece) {
      if (f != 1 || t != 2) return;
      has_text = true;
      if (piece.empty()) problem = "piece " + std::to_string(index) + " is empty";
      else if (piece.find('\0') != std::string_view::npos) problem = "piece " + std::to_string(index) + " holds a NUL byte";
    });
    if (!has_text && problem.empty()) problem = "piece " + std::to_string(index) + " has no text";
    ++index;
  });
  if (!problem.empty()) throw ModelError(source + ": not a usable SentencePiece model (" + problem + ")");
}

void loadProcessor(sentencepiece::SentencePieceProcessor& processor, std::string_view spm, const std::string& source) {
  if (spm.size() > kMaxTokenizerFileBytes)
    throw ModelError(source + ": " + std::to_string(spm.size()) + " bytes, more than the " + std::to_string(kMaxTokenizerFileBytes >> 20) +
                     " MB a tokenizer file may have");
  refusePiecesTheLibraryCannotTake(spm, source);
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
