// The steps of a Hugging Face tokenizer.json pipeline before the model: normalizers (one text in,
// one text out) and pre-tokenizers (splits in, finer splits out), each keeping every byte's
// origin in the input. Built from the tokenizer.json objects; unsupported types are refused by
// name with a ModelError, never skipped.
#pragma once

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <utility>
#include <vector>

#include "model/tokenizer_regex.h"
#include "model/tokenizer_text.h"

namespace attnviz::model {

// Bounds of a tokenizer file's pipeline, so a small file cannot make encoding a text take unbounded
// memory or time:
// - a normalizer's output is at most kNormalizerGrowth x its input + kNormalizerSlackBytes bytes
//   (the real ones grow a text by at most 3x: ' ' -> '▁' plus a prepended '▁'); 40 chained
//   Replace "a" -> "aa" otherwise doubled the text 40 times;
// - Prepend, Replace contents and Metaspace replacements are at most kMaxInsertedBytes (real
//   ones are '▁' or a space);
// - Sequences nest at most kMaxPipelineDepth levels (real ones: one);
// - the regex work of one text is a RegexBudget (tokenizer_regex.h).
inline constexpr std::size_t kNormalizerGrowth = 8;
inline constexpr std::size_t kNormalizerSlackBytes = 4096;
inline constexpr std::size_t kMaxInsertedBytes = 256;
inline constexpr int kMaxPipelineDepth = 8;

// What encoding one text may still spend; made per segment of text by the tokenizer.
struct TokenizerWork {
  // A normalizer refuses to make a text longer than this.
  std::size_t max_text_bytes;
  RegexBudget regex;
  // For a text of `bytes` bytes (regex budget and growth bound both from its length).
  explicit TokenizerWork(std::size_t bytes) : max_text_bytes(kNormalizerGrowth * bytes + kNormalizerSlackBytes), regex(bytes) {}
};

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  // Throws ModelError when the text would grow past work.max_text_bytes or the regex budget runs out.
  virtual void apply(AlignedText& text, TokenizerWork& work) const = 0;
  void apply(AlignedText& text) const {
    TokenizerWork work(text.text.size());
    apply(text, work);
  }
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Throws ModelError when the regex budget runs out.
  virtual void apply(std::vector<AlignedText>& splits, TokenizerWork& work) const = 0;
  void apply(std::vector<AlignedText>& splits) const {
    std::size_t bytes = 0;
    for (const auto& s : splits) bytes += s.text.size();
    TokenizerWork work(bytes);
    apply(splits, work);
  }
};

struct PipelineTraits {
  bool byte_level = false;       // a ByteLevel pre-tokenizer maps bytes to GPT-2's alphabet
  std::string space_marker;      // what stands for a space in pieces ("▁"), when not byte-level
};

// `json` is the "normalizer" / "pre_tokenizer" value (null gives nullptr). `where` names the file.
// Sequences nested deeper than kMaxPipelineDepth are refused (ModelError), so the recursion over
// the tree is bounded.
std::unique_ptr<Normalizer> makeNormalizer(const nlohmann::json& json, const std::string& where, PipelineTraits& traits);
std::unique_ptr<PreTokenizer> makePreTokenizer(const nlohmann::json& json, const std::string& where, PipelineTraits& traits);
// BERT's vocab.txt pipeline (BertTokenizer's defaults): clean text, CJK ideographs spaced, accents
// stripped when asked, lowercase when asked; whitespace and punctuation splits.
std::unique_ptr<Normalizer> makeBertNormalizer(bool lowercase, bool strip_accents, bool chinese_chars);
std::unique_ptr<PreTokenizer> makeBertPreTokenizer();
// GPT-2's pre-tokenisation alone: ByteLevel without a prefix space, with its regex.
std::unique_ptr<PreTokenizer> makeGpt2PreTokenizer(PipelineTraits& traits);

// How a Split keeps the matches of its pattern (Hugging Face's SplitDelimiterBehavior).
enum class SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };
// Splits `text` at the byte spans `matches` (sorted, non-overlapping); `invert` swaps which
// parts count as matches. Empty parts are dropped.
std::vector<AlignedText> splitAtMatches(const AlignedText& text, const std::vector<std::pair<std::size_t, std::size_t>>& matches,
                                        SplitBehavior behavior, bool invert);

// GPT-2's pre-tokenisation pattern, as in Hugging Face's ByteLevel pre-tokenizer.
extern const char* const kGpt2Pattern;

}  // namespace attnviz::model
