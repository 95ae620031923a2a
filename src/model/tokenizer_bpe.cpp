#include "model/tokenizer_bpe.h"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <queue>

#include "model/model_error.h"
#include "model/model_json.h"
#include "model/tokenizer_text.h"

namespace attnviz::model {

namespace {

std::string shortened(const std::string& s) {
  return s.size() <= 40 ? s : s.substr(0, 37) + "...";
}

}  // namespace

Vocabulary parseVocabJson(std::string_view json, const std::string& source) {
  if (json.size() > kMaxTokenizerFileBytes)
    throw ModelError(source + ": " + std::to_string(json.size()) + " bytes, more than the " +
                     std::to_string(kMaxTokenizerFileBytes >> 20) + " MB a vocabulary may have");
  checkJsonLimits(json, source, kMaxVocabularyId + 1u);  // one value per piece; before any object is made
  nlohmann::json parsed = nlohmann::json::parse(json.begin(), json.end(), nullptr, false);
  if (parsed.is_discarded()) throw ModelError(source + ": not valid JSON");
  if (!parsed.is_object()) throw ModelError(source + ": expected a JSON object of piece -> id");
  Vocabulary vocabulary;
  vocabulary.reserve(parsed.size());
  for (auto it = parsed.begin(); it != parsed.end(); ++it) {
    if (!it.value().is_number_integer())
      throw ModelError(source + ": the id of '" + shortened(it.key()) + "' is not an integer");
    const auto id = it.value().get<std::int64_t>();
    if (id < 0 || id > kMaxVocabularyId)
      throw ModelError(source + ": the id of '" + shortened(it.key()) + "' is " + std::to_string(id) +
                       ", outside 0.." + std::to_string(kMaxVocabularyId));
    vocabulary.emplace(it.key(), static_cast<std::int32_t>(id));
  }
  return vocabulary;
}

MergeList parseMergesText(std::string_view text, const std::string& source) {
  if (text.size() > kMaxTokenizerFileBytes)
    throw ModelError(source + ": " + std::to_string(text.size()) + " bytes, more than the " +
                     std::to_string(kMaxTokenizerFileBytes >> 20) + " MB a merges file may have");
  MergeList merges;
  std::size_t lineNumber = 0;
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++lineNumber;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (lineNumber == 1 && line.rfind("#version", 0) == 0) continue;
    const std::size_t space = line.find(' ');
    if (space == std::string_view::npos || space == 0 || space + 1 == line.size() ||
        line.find(' ', space + 1) != std::string_view::npos)
      throw ModelError(source + ": line " + std::to_string(lineNumber) + " is not two pieces separated by one space");
    merges.emplace_back(std::string(line.substr(0, space)), std::string(line.substr(space + 1)));
  }
  return merges;
}

BpeModel::BpeModel(Vocabulary vocabulary, const MergeList& merges, BpeSettings settings, const std::string& source)
    : vocabulary_(std::move(vocabulary)), settings_(std::move(settings)) {
  std::int32_t largest = -1;
  for (const auto& [piece, id] : vocabulary_) {
    if (id < 0 || id > kMaxVocabularyId)
      throw ModelError(source + ": the id of '" + shortened(piece) + "' is " + std::to_string(id) + ", outside 0.." +
                       std::to_string(kMaxVocabularyId));
    largest = std::max(largest, id);
  }
  pieces_.assign(static_cast<std::size_t>(largest + 1), std::string());
  has_piece_.assign(pieces_.size(), false);
  for (const auto& [piece, id] : vocabulary_) {
    if (has_piece_[id])
      throw ModelError(source + ": id " + std::to_string(id) + " is given to both '" + shortened(pieces_[id]) +
                       "' and '" + shortened(piece) + "'");
    pieces_[id] = piece;
    has_piece_[id] = true;
  }
  merges_.reserve(merges.size());
  for (std::size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& [left, right] = merges[rank];
    const auto l = vocabulary_.find(left), r = vocabulary_.find(right), m = vocabulary_.find(left + right);
    const char* missing = l == vocabulary_.end() ? "its left piece" : r == vocabulary_.end() ? "its right piece"
                          : m == vocabulary_.end()                   ? "the merged piece"
                                                                     : nullptr;
    if (missing)
      throw ModelError(source + ": merge " + std::to_string(rank) + " ('" + shortened(left) + "' '" +
                       shortened(right) + "'): " + missing + " is not in the vocabulary");
    // The first rule for a pair wins, as in Hugging Face's tokenizers.
    merges_.emplace(pairKey(l->second, r->second), Merge{static_cast<std::int32_t>(rank), m->second});
  }
  if (settings_.unk_token) {
    const auto unk = vocabulary_.find(*settings_.unk_token);
    if (unk == vocabulary_.end())
      throw ModelError(source + ": the unknown token '" + shortened(*settings_.unk_token) + "' is not in the vocabulary");
    unk_id_ = unk->second;
  }
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    const auto it = vocabulary_.find(name);
    if (it != vocabulary_.end()) byte_ids_[b] = it->second;
  }
}

std::optional<std::int32_t> BpeModel::idOf(const std::string& piece) const {
  const auto it = vocabulary_.find(piece);
  if (it == vocabulary_.end()) return std::nullopt;
  return it->second;
}

const std::string* BpeModel::pieceOf(std::int32_t id) const {
  if (id < 0 || id >= idLimit() || !has_piece_[id]) return nullptr;
  return &pieces_[id];
}

void BpeModel::encodeWord(std::string_view word, std::vector<WordToken>& out) const {
  if (word.empty()) return;
  if (settings_.ignore_merges) {
    const auto whole = vocabulary_.find(std::string(word));
    if (whole != vocabulary_.end()) {
      out.push_back({whole->second, 0, word.size()});
      return;
    }
  }

  // Symbols form a doubly linked list so merging is O(1); a merged-away symbol gets id -1.
  struct Symbol {
    std::int32_t id;
    std::size_t begin, end;
    int prev, next;
  };
  std::vector<Symbol> symbols;
  symbols.reserve(word.size());
  bool previousUnknown = false;
  for (std::size_t i = 0; i < word.size();) {
    std::size_t n = validUtf8SequenceLength(word, i);
    if (n == 0) n = 1;  // callers pass valid UTF-8; stay safe anyway
    const std::string character(word.substr(i, n));
    const auto found = vocabulary_.find(character);
    if (found != vocabulary_.end()) {
      symbols.push_back({found->second, i, i + n, 0, 0});
      previousUnknown = false;
    } else {
      bool allBytes = settings_.byte_fallback;
      for (std::size_t k = 0; allBytes && k < n; ++k) allBytes = byte_ids_[static_cast<unsigned char>(word[i + k])] >= 0;
      if (allBytes) {
        for (std::size_t k = 0; k < n; ++k)
          symbols.push_back({byte_ids_[static_cast<unsigned char>(word[i + k])], i + k, i + k + 1, 0, 0});
        previousUnknown = false;
      } else if (unk_id_) {
        if (settings_.fuse_unk && previousUnknown)
          symbols.back().end = i + n;
        else
          symbols.push_back({*unk_id_, i, i + n, 0, 0});
        previousUnknown = true;
      } else {
        throw ModelError("tokenizer: no token for the character '" + character +
                         "' (the vocabulary has neither byte fallback nor an unknown token)");
      }
    }
    i += n;
  }
  const int count = static_cast<int>(symbols.size());
  for (int s = 0; s < count; ++s) {
    symbols[s].prev = s - 1;
    symbols[s].next = s + 1 < count ? s + 1 : -1;
  }

  // Lowest rank first, leftmost first among equal ranks (Hugging Face's order). Entries made stale
  // by an earlier merge are recognised by the ids they expected and skipped.
  struct Candidate {
    std::int32_t rank;
    int left;
    std::int32_t left_id, right_id, merged_id;
    bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : left > o.left; }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> queue;
  const auto consider = [&](int left) {
    if (left < 0) return;
    const int right = symbols[left].next;
    if (right < 0) return;
    const auto merge = merges_.find(pairKey(symbols[left].id, symbols[right].id));
    if (merge == merges_.end()) return;
    queue.push({merge->second.rank, left, symbols[left].id, symbols[right].id, merge->second.merged_id});
  };
  for (int s = 0; s < count; ++s) consider(s);
  while (!queue.empty()) {
    const Candidate c = queue.top();
    queue.pop();
    Symbol& left = symbols[c.left];
    if (left.id != c.left_id || left.next < 0) continue;
    Symbol& right = symbols[left.next];
    if (right.id != c.right_id) continue;
    left.id = c.merged_id;
    left.end = right.end;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = c.left;
    right.id = -1;
    consider(left.prev);
    consider(c.left);
  }
  for (int s = 0; s >= 0 && s < count; s = symbols[s].next) out.push_back({symbols[s].id, symbols[s].begin, symbols[s].end});
}

}  // namespace attnviz::model
