// ModelTokenizer: the tokenizer of a real model, giving the same ids as Hugging Face's.
//
// Loaded from a model directory: tokenizer.json (model type BPE, WordPiece or Unigram) when present, else
// T5's spiece.model, else GPT-2's vocab.json + merges.txt, else Marian's source.spm (+ target.spm) +
// vocab.json, else BERT's vocab.txt; tokenizer_config.json, when present, decides whether BOS/EOS
// are added and names extra special tokens. Supported pipeline pieces:
//   normalizers     Sequence, Prepend, Replace (string or regex), NFC, NFD, NFKC, NFKD,
//                   BertNormalizer, Lowercase, StripAccents, Strip, Precompiled (SentencePiece's
//                   precompiled_charsmap, tokenizer_precompiled.h)
//   pre-tokenizers  Sequence, ByteLevel, Split (string or regex, every behaviour, invert),
//                   Metaspace, Digits, BertPreTokenizer, WhitespaceSplit
//   model           BPE (byte fallback, unknown token, fuse_unk, ignore_merges), WordPiece,
//                   Unigram (byte fallback, unk_id; tokenizer_unigram.h)
//   post-processor  TemplateProcessing (its special tokens around the text), BertProcessing,
//                   RobertaProcessing, ByteLevel, Sequence
// Anything else is refused by name (ModelError) rather than tokenised differently. Added and
// special tokens are matched in the raw text before the model (leftmost, then longest; lstrip,
// rstrip and single_word honoured); the text between them is normalised and pre-tokenised piece
// by piece, as in Hugging Face's tokenizers (so Llama 2's Prepend gives "▁" after "<s>", and
// Metaspace's prepend_scheme "first" only at the very start of the input).
// The Unicode forms come from utf8proc (unicode_normalize.h), Unicode's own data.
//
// Hostile files are bounded (issue 17): each file is read through InputFile (64 MiB), its JSON
// checked for nesting (64 levels) and size before parsing (model_json.h); added tokens are at
// most 256 bytes and matched by narrowing a sorted range byte by byte (linear in the text); the
// normalizers, Metaspace and regex work of one text are bounded as tokenizer_pipeline.h and
// tokenizer_regex.h say; special-token ids are range-checked as 64-bit integers.
//
// Needs no GL context; a loaded tokenizer is immutable and may be shared between threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace attnviz::model {

class WordModel;  // tokenizer_bpe.h

// The tokens of one text, as parallel arrays (index i is token i).
struct Encoding {
  std::vector<std::int32_t> ids;
  std::vector<std::string> pieces;  // vocabulary strings: "Ġbank", "▁bank", "<0xE2>", "<s>"
  std::vector<std::string> labels;  // readable: "·bank" (see readableLabel in tokenizer_text.h)
  // Bytes [begin, end) of the input text each token came from; empty for inserted tokens (BOS).
  std::vector<std::pair<std::size_t, std::size_t>> spans;
  std::vector<bool> special;  // added/special tokens (BOS, "<|endoftext|>", ...)
  std::size_t size() const { return ids.size(); }
};

class ModelTokenizer {
 public:
  // Picks the files in `directory` as described above; ModelError naming the file on any problem.
  static ModelTokenizer fromDirectory(const std::filesystem::path& directory);
  // From file contents (fuzzable). `tokenizerConfigJson` may be empty; `source` names the
  // tokenizer file in errors.
  static ModelTokenizer fromTokenizerJson(std::string_view tokenizerJson, std::string_view tokenizerConfigJson = {},
                                          const std::string& source = "tokenizer.json");
  static ModelTokenizer fromVocabAndMerges(std::string_view vocabJson, std::string_view mergesText,
                                           std::string_view tokenizerConfigJson = {},
                                           const std::string& source = "vocab.json + merges.txt");
  // BERT's vocab.txt with BertTokenizer's pipeline (do_lower_case, strip_accents and
  // tokenize_chinese_chars from tokenizer_config.json; [CLS] text [SEP]).
  static ModelTokenizer fromVocabTxt(std::string_view vocabTxt, std::string_view tokenizerConfigJson = {},
                                     const std::string& source = "vocab.txt");
  // Marian's source.spm (+ target.spm, may be empty) with the shared vocab.json: SentencePiece
  // pieces looked up in vocab.json (<unk> when absent), </s> after the text (MarianTokenizer).
  static ModelTokenizer fromMarianFiles(std::string_view sourceSpm, std::string_view targetSpm, std::string_view vocabJson,
                                        std::string_view tokenizerConfigJson = {}, const std::string& source = "source.spm");

  // T5's spiece.model as T5Tokenizer reads it: the model's own ids, <extra_id_N> = pieces +
  // extra_ids - 1 - N (extra_ids from tokenizer_config.json, default 100), </s> after the text
  // unless it already ends with one.
  static ModelTokenizer fromT5SentencePiece(std::string_view spiece, std::string_view tokenizerConfigJson = {},
                                            const std::string& source = "spiece.model");

  // Throws ModelError for text that is not valid UTF-8 (naming the byte offset) or whose
  // normalisation grows past the bound of tokenizer_pipeline.h.
  Encoding encode(std::string_view utf8) const;
  // An encoder-decoder's target text: with its own model (Marian's target.spm) when there is one.
  Encoding encodeTarget(std::string_view utf8) const;
  bool hasTargetModel() const;

  // Vocabulary piece of an id ("Ġbank"); ModelError for an id outside the vocabulary.
  std::string piece(std::int32_t id) const;
  // The bytes an id stands for in text (" bank"; a byte-fallback id is its single byte).
  std::string bytesOf(std::int32_t id) const;
  // readableLabel(bytesOf(id)), except special tokens, which keep their piece ("<s>").
  std::string label(std::int32_t id) const;
  // Text of a sequence of ids: their bytes concatenated (invalid UTF-8 left for the caller to
  // sanitise). A SentencePiece-style tokenizer's prepended '▁' comes back as a leading space, which
  // is what appending generated tokens to a text needs.
  std::string decode(const std::vector<std::int32_t>& ids) const;
  // Text of a whole sequence (an encoder-decoder's target): as decode, without the leading space
  // of a SentencePiece model's first word mark (its dummy prefix, which sp.decode drops too).
  std::string decodeSequence(const std::vector<std::int32_t>& ids) const;

  // Largest id + 1, counting added tokens; ids in [0, vocabSize()) may still have no piece.
  std::size_t vocabSize() const;
  std::optional<std::int32_t> idOf(const std::string& piece) const;
  std::optional<std::int32_t> bosId() const;  // the BOS this tokenizer prepends, if it does
  std::string describe() const;               // "byte-level BPE, 50257 tokens (tokenizer.json)"

  struct Impl;

 private:
  Encoding encodeWith(const WordModel& model, std::string_view utf8) const;
  explicit ModelTokenizer(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

}  // namespace attnviz::model
