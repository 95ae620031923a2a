#include "model/tokenizer_wordpiece.h"

#include <algorithm>

#include "model/model_error.h"
#include "model/tokenizer_text.h"

namespace attnviz::model {

Vocabulary parseVocabTxt(std::string_view text, const std::string& source) {
  if (text.size() > kMaxTokenizerFileBytes)
    throw ModelError(source + ": " + std::to_string(text.size()) + " bytes, more than the " +
                     std::to_string(kMaxTokenizerFileBytes >> 20) + " MB a vocabulary may have");
  if (const auto bad = firstInvalidUtf8(text)) throw ModelError(source + ": invalid UTF-8 at byte " + std::to_string(*bad));
  Vocabulary vocabulary;
  std::int32_t id = 0;
  for (std::size_t pos = 0; pos < text.size(); ++id) {
    if (id > kMaxVocabularyId) throw ModelError(source + ": more than " + std::to_string(kMaxVocabularyId) + " lines");
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    vocabulary[std::string(text.substr(pos, end - pos))] = id;
    pos = end + 1;
  }
  if (vocabulary.empty()) throw ModelError(source + ": is empty");
  return vocabulary;
}

WordPieceModel::WordPieceModel(Vocabulary vocabulary, WordPieceSettings settings, const std::string& source)
    : vocabulary_(std::move(vocabulary)), settings_(std::move(settings)) {
  std::int32_t limit = 0;
  for (const auto& [piece, id] : vocabulary_) {
    if (id < 0 || id > kMaxVocabularyId)
      throw ModelError(source + ": the id of '" + quoteForMessage(piece, 40) + "' is " + std::to_string(id) + ", outside 0.." +
                       std::to_string(kMaxVocabularyId));
    if (piece.size() > kMaxWordPieceBytes)
      throw ModelError(source + ": the piece '" + quoteForMessage(piece, 40) + "' (id " + std::to_string(id) + ") is " +
                       std::to_string(piece.size()) + " bytes; WordPiece pieces of at most " + std::to_string(kMaxWordPieceBytes) +
                       " are accepted (real ones are under 30)");
    limit = std::max(limit, id + 1);
    longest_piece_ = std::max(longest_piece_, piece.size());
  }
  pieces_.resize(std::size_t(limit));
  has_piece_.assign(std::size_t(limit), false);
  for (const auto& [piece, id] : vocabulary_) {
    if (has_piece_[std::size_t(id)]) {
      // vocab.txt maps each line to its own id, so only the JSON form can repeat one.
      const std::string& other = pieces_[std::size_t(id)];
      throw ModelError(source + ": id " + std::to_string(id) + " is given to both '" + quoteForMessage(std::min(piece, other), 40) +
                       "' and '" + quoteForMessage(std::max(piece, other), 40) + "'");
    }
    pieces_[std::size_t(id)] = piece;
    has_piece_[std::size_t(id)] = true;
  }
  const auto unk = vocabulary_.find(settings_.unk_token);
  if (unk == vocabulary_.end())
    throw ModelError(source + ": the unknown token '" + quoteForMessage(settings_.unk_token, 40) + "' is not in the vocabulary");
  unk_id_ = unk->second;
  initial_lengths_.assign(longest_piece_ + 1, false);
  continuing_lengths_.assign(longest_piece_ + 1, false);
  const std::string& prefix = settings_.continuing_prefix;
  for (const auto& [piece, id] : vocabulary_) {
    if (!prefix.empty() && piece.compare(0, prefix.size(), prefix) == 0) continuing_lengths_[piece.size() - prefix.size()] = true;
    initial_lengths_[piece.size()] = true;  // "##a" is also a word-initial piece that begins with "##"
  }
  if (settings_.max_input_chars_per_word < 1 || settings_.max_input_chars_per_word > kMaxWordPieceWordChars)
    throw ModelError(source + ": max_input_chars_per_word must be from 1 to " + std::to_string(kMaxWordPieceWordChars) +
                     " (real ones are 100 or 200)");
}

std::optional<std::int32_t> WordPieceModel::idOf(const std::string& piece) const {
  const auto it = vocabulary_.find(piece);
  if (it == vocabulary_.end()) return std::nullopt;
  return it->second;
}

const std::string* WordPieceModel::pieceOf(std::int32_t id) const {
  if (id < 0 || std::size_t(id) >= pieces_.size() || !has_piece_[std::size_t(id)]) return nullptr;
  return &pieces_[std::size_t(id)];
}

void WordPieceModel::encodeWord(std::string_view word, std::vector<WordToken>& out) const {
  if (word.empty()) return;
  // Character boundaries of the word (valid UTF-8: the pipeline checked it).
  std::vector<std::size_t> bounds;
  for (std::size_t i = 0; i < word.size();) {
    bounds.push_back(i);
    const std::size_t n = validUtf8SequenceLength(word, i);
    i += n ? n : 1;
  }
  bounds.push_back(word.size());
  const std::size_t chars = bounds.size() - 1;
  if (chars > std::size_t(settings_.max_input_chars_per_word)) {
    out.push_back({unk_id_, 0, word.size()});
    return;
  }
  const std::size_t first = out.size();
  std::string candidate;
  for (std::size_t start = 0; start < chars;) {
    // The longest piece from `start`; a part longer than any piece cannot match, so the search
    // begins at the longest piece's length (the same pieces as trying from the word's end).
    std::size_t end = chars;
    const std::size_t prefix = start > 0 ? settings_.continuing_prefix.size() : 0;
    while (end > start && bounds[end] - bounds[start] + prefix > longest_piece_) --end;
    bool found = false;
    const std::vector<bool>& lengths = start > 0 ? continuing_lengths_ : initial_lengths_;
    for (; end > start; --end) {
      const std::size_t bytes = bounds[end] - bounds[start];
      if (bytes >= lengths.size() || !lengths[bytes]) continue;  // no piece is that long
      candidate.assign(start > 0 ? settings_.continuing_prefix : std::string());
      candidate.append(word.substr(bounds[start], bounds[end] - bounds[start]));
      if (const auto it = vocabulary_.find(candidate); it != vocabulary_.end()) {
        out.push_back({it->second, bounds[start], bounds[end]});
        found = true;
        break;
      }
    }
    if (!found) {
      out.resize(first);
      out.push_back({unk_id_, 0, word.size()});
      return;
    }
    start = end;
  }
}

}  // namespace attnviz::model
