// ModelTokenizer's inside, shared by tokenizer_model.cpp (encoding, decoding, labels) and
// tokenizer_files.cpp (reading tokenizer.json, vocab.json + merges.txt, vocab.txt, SentencePiece
// files). Not part of the interface: include only from those two.
#pragma once

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/input_file.h"
#include "model/model_error.h"
#include "model/model_json.h"
#include "model/tokenizer_bpe.h"
#include "model/tokenizer_model.h"
#include "model/tokenizer_pipeline.h"
#include "model/unicode_normalize.h"

namespace attnviz::model::tokenizer_detail {

// Real added tokens are under 100 bytes ("<|start_header_id|>", runs of spaces); the bound keeps
// matching them linear in the text (each position walks at most this many bytes).
constexpr std::size_t kMaxAddedTokenBytes = 256;

struct AddedToken {
  std::string content;
  std::int32_t id;
  bool special = false;
  bool lstrip = false, rstrip = false, single_word = false;
};

// One part of the input: an added token, or text for the normalizer/pre-tokenizer/model.
struct Segment {
  std::size_t begin, end;
  const AddedToken* added;
};

// Byte length of the White_Space code point starting at text[i] (0 if none).
inline std::size_t whitespaceAt(std::string_view text, std::size_t i) {
  const std::size_t n = validUtf8SequenceLength(text, i);
  return n > 0 && isUnicodeWhitespace(decodeUtf8At(text, i, n)) ? n : 0;
}
// Byte length of the White_Space code point ending just before text[end], not reaching below `floor` (0 if none).
inline std::size_t whitespaceEndingAt(std::string_view text, std::size_t end, std::size_t floor) {
  std::size_t start = end - 1;
  while (start > floor && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
  const std::size_t n = whitespaceAt(text, start);
  return n == end - start ? n : 0;
}
inline bool isWordByte(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

}  // namespace attnviz::model::tokenizer_detail

namespace attnviz::model {

using tokenizer_detail::AddedToken;
using tokenizer_detail::isWordByte;
using tokenizer_detail::whitespaceAt;
using tokenizer_detail::whitespaceEndingAt;
using tokenizer_detail::kMaxAddedTokenBytes;
using tokenizer_detail::Segment;

struct ModelTokenizer::Impl {
  std::string source;
  std::unique_ptr<WordModel> model = std::make_unique<BpeModel>();
  std::unique_ptr<WordModel> target_model;  // Marian's target.spm, when the target has its own
  bool language_codes = false;               // Marian: a leading ">>xx<<" is one token
  std::string unk_token;                     // Marian: what an unknown language code becomes
  std::unique_ptr<Normalizer> normalizer;
  std::unique_ptr<PreTokenizer> pre_tokenizer;
  PipelineTraits traits;
  std::vector<AddedToken> added;                     // longest first
  // Indices into `added` sorted by content (bytewise), equal contents in `added` order: the tokens
  // sharing a prefix form one range, so matching at a position narrows a range byte by byte (a
  // trie walk without the nodes), never comparing every token.
  std::vector<std::size_t> added_sorted;
  std::unordered_map<std::int32_t, std::size_t> added_by_id;
  std::unordered_map<std::string, std::int32_t> added_by_content;  // the first token of each content
  std::vector<std::int32_t> prefix, suffix;          // inserted around every text (BOS, EOS)
  bool suffix_unless_present = false;                // T5: no second </s> after a typed one
  bool decode_drops_first_space = false;             // a Metaspace / Strip decoder drops the dummy prefix
  std::size_t vocab_size = 0;

  void addToken(AddedToken token) {
    if (token.content.empty()) return;
    if (token.content.size() > kMaxAddedTokenBytes)
      throw ModelError(source + ": added token " + std::to_string(token.id) + " ('" + quoteForMessage(token.content, 40) + "') is " +
                       std::to_string(token.content.size()) + " bytes; at most " + std::to_string(kMaxAddedTokenBytes) +
                       " are accepted (real ones are under 100)");
    if (added_by_id.count(token.id)) return;
    added_by_id[token.id] = added.size();
    added.push_back(std::move(token));
  }

  void finishAdded() {
    std::stable_sort(added.begin(), added.end(), [](const AddedToken& a, const AddedToken& b) { return a.content.size() > b.content.size(); });
    added_by_id.clear();
    added_by_content.clear();
    added_sorted.resize(added.size());
    for (std::size_t i = 0; i < added.size(); ++i) {
      added_by_id[added[i].id] = i;
      added_by_content.emplace(added[i].content, added[i].id);
      added_sorted[i] = i;
    }
    std::stable_sort(added_sorted.begin(), added_sorted.end(),
                     [&](std::size_t a, std::size_t b) { return added[a].content < added[b].content; });
    vocab_size = static_cast<std::size_t>(model->idLimit());
    for (const auto& a : added) vocab_size = std::max(vocab_size, static_cast<std::size_t>(a.id) + 1);
  }

  const AddedToken* addedById(std::int32_t id) const {
    const auto it = added_by_id.find(id);
    return it == added_by_id.end() ? nullptr : &added[it->second];
  }

  std::optional<std::int32_t> lookup(const std::string& piece) const {
    if (const auto it = added_by_content.find(piece); it != added_by_content.end()) return it->second;
    return model->idOf(piece);
  }

  bool singleWordHolds(const AddedToken& a, std::string_view text, std::size_t i) const {
    return !a.single_word || !((i > 0 && isWordByte(text[i - 1])) ||
                               (i + a.content.size() < text.size() && isWordByte(text[i + a.content.size()])));
  }

  // The longest added token at byte i whose single_word condition holds, or nullptr. Walks the
  // sorted contents one text byte at a time: O(min(longest token, rest of text) x log tokens).
  const AddedToken* addedAt(std::string_view text, std::size_t i) const {
    const AddedToken* best = nullptr;
    std::size_t lo = 0, hi = added_sorted.size();
    for (std::size_t k = 0; lo < hi; ++k) {
      // Contents of length k in the range equal text[i, i + k) and sort first.
      for (; lo < hi && added[added_sorted[lo]].content.size() == k; ++lo) {
        const AddedToken& a = added[added_sorted[lo]];
        if ((!best || best->content.size() < k) && singleWordHolds(a, text, i)) best = &a;
      }
      if (lo == hi || i + k >= text.size()) break;
      const unsigned char c = static_cast<unsigned char>(text[i + k]);
      const auto byteAt = [&](std::size_t index) { return static_cast<unsigned char>(added[index].content[k]); };
      const auto first = added_sorted.begin() + std::ptrdiff_t(lo), last = added_sorted.begin() + std::ptrdiff_t(hi);
      const auto from = std::lower_bound(first, last, c, [&](std::size_t index, unsigned char v) { return byteAt(index) < v; });
      const auto to = std::upper_bound(from, last, c, [&](unsigned char v, std::size_t index) { return v < byteAt(index); });
      lo = std::size_t(from - added_sorted.begin());
      hi = std::size_t(to - added_sorted.begin());
    }
    return best;
  }

  // Added tokens in the raw text: at the leftmost position where any matches, the longest.
  std::vector<Segment> segments(std::string_view text) const {
    std::vector<Segment> out;
    std::size_t textStart = 0;
    for (std::size_t i = 0; i < text.size() && !added.empty();) {
      const AddedToken* hit = addedAt(text, i);
      if (!hit) {
        ++i;
        continue;
      }
      std::size_t begin = i, end = i + hit->content.size();
      // lstrip / rstrip take Rust's \s around the token: Unicode White_Space (U+3000 too).
      if (hit->lstrip)
        for (std::size_t n; begin > textStart && (n = whitespaceEndingAt(text, begin, textStart)) > 0;) begin -= n;
      if (hit->rstrip)
        for (std::size_t n; end < text.size() && (n = whitespaceAt(text, end)) > 0;) end += n;
      if (begin > textStart) out.push_back({textStart, begin, nullptr});
      out.push_back({begin, end, hit});
      textStart = i = end;
    }
    if (textStart < text.size()) out.push_back({textStart, text.size(), nullptr});
    return out;
  }

  std::string bytesOf(std::int32_t id) const {
    if (const AddedToken* a = addedById(id)) return a->content;
    const std::string* piece = model->pieceOf(id);
    if (!piece) throw ModelError("tokenizer: id " + std::to_string(id) + " is not in the vocabulary of " + source);
    if (const std::string& continuing = model->continuingPrefix(); !continuing.empty()) {
      // WordPiece: "##ing" continues a word, any other piece starts one after a space.
      if (piece->compare(0, continuing.size(), continuing) == 0) return piece->substr(continuing.size());
      return " " + *piece;
    }
    if (traits.byte_level) {
      const ByteLevelAlphabet& alphabet = ByteLevelAlphabet::instance();
      std::string bytes;
      for (std::size_t i = 0; i < piece->size();) {
        std::size_t n = validUtf8SequenceLength(*piece, i);
        if (n == 0) n = 1;
        const int b = alphabet.decode(decodeUtf8At(*piece, i, n));
        if (b >= 0)
          bytes += static_cast<char>(b);
        else
          bytes.append(*piece, i, n);
        i += n;
      }
      return bytes;
    }
    unsigned byte = 0;
    if (model->byteFallback() && piece->size() == 6 && std::sscanf(piece->c_str(), "<0x%2X>", &byte) == 1)
      return std::string(1, static_cast<char>(byte));
    std::string bytes = *piece;
    const std::string marker = traits.space_marker.empty() ? std::string("\u2581") : traits.space_marker;
    for (std::size_t at = bytes.find(marker); at != std::string::npos; at = bytes.find(marker, at + 1)) bytes.replace(at, marker.size(), " ");
    return bytes;
  }

  std::string label(std::int32_t id) const {
    if (const AddedToken* a = addedById(id); a && a->special) return a->content;
    // WordPiece's pieces are what people know from BERT ("bank", "##ing").
    if (!model->continuingPrefix().empty())
      if (const std::string* piece = model->pieceOf(id)) return readableLabel(*piece);
    return readableLabel(bytesOf(id));
  }

  void push(Encoding& e, std::int32_t id, std::pair<std::size_t, std::size_t> span, bool special) const {
    e.ids.push_back(id);
    const AddedToken* a = addedById(id);
    const std::string* piece = a ? &a->content : model->pieceOf(id);
    e.pieces.push_back(piece ? *piece : std::string());
    e.labels.push_back(label(id));
    e.spans.push_back(span);
    e.special.push_back(special);
  }
};

}  // namespace attnviz::model
