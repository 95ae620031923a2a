// ModelTokenizer: encoding (added tokens, normalizer, pre-tokenizer, model), decoding and labels.
// Reading the files is tokenizer_files.cpp.
#include "model/tokenizer_model.h"

#include <algorithm>

#include "model/model_error.h"
#include "model/tokenizer_model_impl.h"
#include "model/tokenizer_spm.h"
#include "model/tokenizer_unigram.h"
#include "model/tokenizer_wordpiece.h"

namespace attnviz::model {

Encoding ModelTokenizer::encode(std::string_view utf8) const { return encodeWith(*impl_->model, utf8); }

Encoding ModelTokenizer::encodeTarget(std::string_view utf8) const {
  return encodeWith(impl_->target_model ? *impl_->target_model : *impl_->model, utf8);
}

bool ModelTokenizer::hasTargetModel() const { return impl_->target_model != nullptr; }

Encoding ModelTokenizer::encodeWith(const WordModel& model, std::string_view utf8) const {
  if (const auto bad = firstInvalidUtf8(utf8)) throw ModelError("text: invalid UTF-8 at byte " + std::to_string(*bad));
  const Impl& impl = *impl_;
  Encoding e;
  TokenizerWork work(utf8.size());  // one budget for the whole text (tokenizer_pipeline.h)
  for (std::int32_t id : impl.prefix) impl.push(e, id, {0, 0}, true);
  std::vector<WordToken> words;
  std::size_t start = 0;
  if (impl.language_codes && utf8.rfind(">>", 0) == 0) {
    // MarianTokenizer's language_code_re ">>.+<<" at the start: one token (unknown when the
    // vocabulary lacks it), the rest encoded without it. `.` stops at a newline; `+<<` is greedy.
    const std::size_t line_end = std::min(utf8.find('\n'), utf8.size());
    const std::size_t close = utf8.substr(0, line_end).rfind("<<");
    if (close != std::string_view::npos && close >= 3) {
      start = close + 2;
      const std::string code(utf8.substr(0, start));
      const auto id = impl.lookup(code);
      impl.push(e, id ? *id : *impl.lookup(impl.unk_token), {0, start}, false);
    }
  }
  for (Segment seg : impl.segments(utf8.substr(start))) {
    seg.begin += start;
    seg.end += start;
    if (seg.added) {
      impl.push(e, seg.added->id, {seg.begin, seg.end}, seg.added->special);
      continue;
    }
    AlignedText text = AlignedText::fromInput(utf8.substr(seg.begin, seg.end - seg.begin), seg.begin);
    if (impl.normalizer) impl.normalizer->apply(text, work);
    // The growth bound is for the whole text: what this segment took is not left for the next.
    work.max_text_bytes -= std::min(work.max_text_bytes, text.text.size());
    std::vector<AlignedText> splits;
    if (!text.empty()) splits.push_back(std::move(text));
    if (impl.pre_tokenizer) impl.pre_tokenizer->apply(splits, work);
    for (const AlignedText& split : splits) {
      words.clear();
      model.encodeWord(split.text, words);
      for (const WordToken& w : words) impl.push(e, w.id, split.originSpan(w.begin, w.end), false);
    }
  }
  const std::size_t end = utf8.size();
  if (!(impl.suffix_unless_present && impl.suffix.size() == 1 && !e.ids.empty() && e.ids.back() == impl.suffix.front()))
    for (std::int32_t id : impl.suffix) impl.push(e, id, {end, end}, true);
  return e;
}

std::string ModelTokenizer::piece(std::int32_t id) const {
  if (const AddedToken* a = impl_->addedById(id)) return a->content;
  const std::string* p = impl_->model->pieceOf(id);
  if (!p) throw ModelError("tokenizer: id " + std::to_string(id) + " is not in the vocabulary of " + impl_->source);
  return *p;
}

std::string ModelTokenizer::bytesOf(std::int32_t id) const { return impl_->bytesOf(id); }
std::string ModelTokenizer::label(std::int32_t id) const { return impl_->label(id); }

std::string ModelTokenizer::decode(const std::vector<std::int32_t>& ids) const {
  std::string text;
  for (std::int32_t id : ids) text += impl_->bytesOf(id);
  return text;
}

std::string ModelTokenizer::decodeSequence(const std::vector<std::int32_t>& ids) const {
  std::string text = decode(ids);
  // The dummy prefix of SentencePiece models, and of Unigram tokenizer.json files whose decoder drops it.
  const bool dummyPrefix = dynamic_cast<const SentencePieceFileModel*>(impl_->model.get()) ||
                           (dynamic_cast<const UnigramModel*>(impl_->model.get()) && impl_->decode_drops_first_space);
  if (dummyPrefix && !text.empty() && text[0] == ' ') text.erase(0, 1);
  return text;
}

std::size_t ModelTokenizer::vocabSize() const { return impl_->vocab_size; }
std::optional<std::int32_t> ModelTokenizer::idOf(const std::string& piece) const { return impl_->lookup(piece); }

std::optional<std::int32_t> ModelTokenizer::bosId() const {
  if (impl_->prefix.empty()) return std::nullopt;
  return impl_->prefix.front();
}

std::string ModelTokenizer::describe() const {
  std::string kind = dynamic_cast<const SentencePieceFileModel*>(impl_->model.get())
                         ? (impl_->suffix_unless_present ? "SentencePiece (T5 spiece.model)" : "SentencePiece (Marian .spm)")
                     : dynamic_cast<const UnigramModel*>(impl_->model.get())
                         ? (impl_->model->byteFallback() ? "Unigram (byte fallback)" : "Unigram")
                     : !impl_->model->continuingPrefix().empty() ? "WordPiece"
                     : impl_->traits.byte_level          ? "byte-level BPE"
                     : impl_->model->byteFallback()      ? "SentencePiece-style BPE (byte fallback)"
                                                         : "BPE";
  return kind + ", " + std::to_string(impl_->vocab_size) + " ids, from " + impl_->source;
}

}  // namespace attnviz::model
