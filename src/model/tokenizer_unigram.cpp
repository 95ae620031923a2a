#include "model/tokenizer_unigram.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "model/model_error.h"
#include "model/tokenizer_text.h"

namespace attnviz::model {

namespace {
// Hugging Face's K_UNK_PENALTY: an unknown character scores this much below the worst piece.
constexpr double kUnknownPenalty = 10.0;
}  // namespace

UnigramModel::UnigramModel(std::vector<std::pair<std::string, double>> vocab, std::optional<std::int32_t> unk_id, bool byte_fallback,
                           const std::string& source)
    : unk_id_(unk_id), byte_fallback_(byte_fallback), source_(source) {
  if (vocab.empty()) throw ModelError(source + ": the Unigram vocab is empty (it needs at least the unknown token)");
  if (vocab.size() > std::size_t(kMaxVocabularyId) + 1)
    throw ModelError(source + ": the Unigram vocab has " + std::to_string(vocab.size()) + " pieces, more than " +
                     std::to_string(kMaxVocabularyId + 1));
  if (unk_id && (*unk_id < 0 || std::size_t(*unk_id) >= vocab.size()))
    throw ModelError(source + ": model unk_id " + std::to_string(*unk_id) + " is outside the vocab (0.." +
                     std::to_string(vocab.size() - 1) + ")");
  byte_ids_.fill(-1);
  pieces_.reserve(vocab.size());
  scores_.reserve(vocab.size());
  ids_.reserve(vocab.size());
  min_score_ = std::numeric_limits<double>::infinity();
  for (std::size_t id = 0; id < vocab.size(); ++id) {
    auto& [piece, score] = vocab[id];
    if (piece.size() > kMaxUnigramPieceBytes)
      throw ModelError(source + ": Unigram piece " + std::to_string(id) + " is " + std::to_string(piece.size()) + " bytes; at most " +
                       std::to_string(kMaxUnigramPieceBytes) + " are accepted (real ones are under 100)");
    if (!std::isfinite(score)) throw ModelError(source + ": the score of Unigram piece " + std::to_string(id) + " is not a finite number");
    // SentencePiece refuses a model whose pieces repeat, so no converted file has them.
    if (!ids_.emplace(piece, std::int32_t(id)).second)
      throw ModelError(source + ": Unigram piece " + std::to_string(id) + " ('" + quoteForMessage(piece, 40) + "') repeats piece " +
                       std::to_string(ids_[piece]));
    min_score_ = std::min(min_score_, score);
    pieces_.push_back(std::move(piece));
    scores_.push_back(score);
  }
  // Byte fallback looks up exactly "<0x%02X>" (model.rs), upper-case hex.
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    if (const auto it = ids_.find(name); it != ids_.end()) byte_ids_[std::size_t(b)] = it->second;
  }
  sorted_.resize(pieces_.size());
  for (std::size_t i = 0; i < sorted_.size(); ++i) sorted_[i] = std::int32_t(i);
  std::sort(sorted_.begin(), sorted_.end(), [&](std::int32_t a, std::int32_t b) { return pieces_[std::size_t(a)] < pieces_[std::size_t(b)]; });
}

// Hugging Face walks a byte trie; here the sorted pieces sharing the prefix read so far form one
// range, narrowed a byte at a time. Pieces equal to that prefix sort first in it, so matches come
// shortest first, the trie's order.
template <class F>
void UnigramModel::forEachPieceAt(std::string_view text, std::size_t at, F&& f) const {
  std::size_t lo = 0, hi = sorted_.size();
  for (std::size_t k = 0; lo < hi; ++k) {
    if (k > 0 && pieces_[std::size_t(sorted_[lo])].size() == k) f(k, sorted_[lo++]);
    if (lo == hi || at + k >= text.size()) break;
    const unsigned char c = static_cast<unsigned char>(text[at + k]);
    const auto byteAt = [&](std::int32_t id) { return static_cast<unsigned char>(pieces_[std::size_t(id)][k]); };
    const auto first = sorted_.begin() + std::ptrdiff_t(lo), last = sorted_.begin() + std::ptrdiff_t(hi);
    // The empty piece (k == 0) sorts before all others and is never a match.
    const auto begin = std::find_if(first, last, [&](std::int32_t id) { return pieces_[std::size_t(id)].size() > k; });
    const auto from = std::lower_bound(begin, last, c, [&](std::int32_t id, unsigned char v) { return byteAt(id) < v; });
    const auto to = std::upper_bound(from, last, c, [&](unsigned char v, std::int32_t id) { return v < byteAt(id); });
    lo = std::size_t(from - sorted_.begin());
    hi = std::size_t(to - sorted_.begin());
  }
}

void UnigramModel::encodeWord(std::string_view word, std::vector<WordToken>& out) const {
  if (word.empty()) return;
  struct Best {
    std::int32_t id = 0;
    double score = 0;
    std::size_t start = std::string_view::npos;  // npos: no path ends here yet
  };
  const double unk_score = min_score_ - kUnknownPenalty;
  std::vector<Best> best(word.size() + 1);
  for (std::size_t at = 0; at < word.size();) {
    const double here = best[at].score;
    std::size_t char_len = validUtf8SequenceLength(word, at);
    if (char_len == 0) char_len = 1;  // the pipeline's text is valid UTF-8; never loop on a stray byte
    bool single_char_piece = false;
    forEachPieceAt(word, at, [&](std::size_t length, std::int32_t id) {
      Best& target = best[at + length];
      const double candidate = scores_[std::size_t(id)] + here;
      if (target.start == std::string_view::npos || candidate > target.score) target = {id, candidate, at};
      single_char_piece = single_char_piece || length == char_len;
    });
    if (!single_char_piece) {
      Best& target = best[at + char_len];
      const double candidate = unk_score + here;
      if (target.start == std::string_view::npos || candidate > target.score) {
        if (!unk_id_)
          throw ModelError(source_ + ": the character '" + quoteForMessage(std::string(word.substr(at, char_len)), 12) +
                           "' has no piece and the Unigram model has no unk_id");
        target = {*unk_id_, candidate, at};
      }
    }
    at += char_len;
  }
  // Back from the end; runs of unknown pieces become one string, as Hugging Face's fuse_unk (always on).
  struct Span {
    std::size_t begin, end;
  };
  std::vector<Span> spans;
  std::size_t fused_begin = std::string_view::npos, fused_end = 0;
  for (std::size_t end = word.size(); end > 0;) {
    const Best& node = best[end];
    if (unk_id_ && node.id == *unk_id_) {
      if (fused_begin == std::string_view::npos) fused_end = end;
      fused_begin = node.start;
    } else {
      if (fused_begin != std::string_view::npos) spans.push_back({fused_begin, fused_end});
      fused_begin = std::string_view::npos;
      spans.push_back({node.start, end});
    }
    end = node.start;
  }
  if (fused_begin != std::string_view::npos) spans.push_back({fused_begin, fused_end});
  std::reverse(spans.begin(), spans.end());

  // Each string is looked up as a piece (Model::tokenize): a fused unknown run that is no piece
  // becomes its bytes when every "<0xNN>" exists, else the unknown token.
  for (const Span& s : spans) {
    const std::string text(word.substr(s.begin, s.end - s.begin));
    if (const auto it = ids_.find(text); it != ids_.end()) {
      out.push_back({it->second, s.begin, s.end});
      continue;
    }
    if (byte_fallback_ && std::all_of(text.begin(), text.end(), [&](char b) { return byte_ids_[static_cast<unsigned char>(b)] >= 0; })) {
      for (char b : text) out.push_back({byte_ids_[static_cast<unsigned char>(b)], s.begin, s.end});
      continue;
    }
    if (!unk_id_)
      throw ModelError(source_ + ": '" + quoteForMessage(text, 12) + "' has no piece and the Unigram model has no unk_id");
    out.push_back({*unk_id_, s.begin, s.end});
  }
}

std::optional<std::int32_t> UnigramModel::idOf(const std::string& piece) const {
  const auto it = ids_.find(piece);
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

const std::string* UnigramModel::pieceOf(std::int32_t id) const {
  if (id < 0 || std::size_t(id) >= pieces_.size()) return nullptr;
  return &pieces_[std::size_t(id)];
}

}  // namespace attnviz::model
