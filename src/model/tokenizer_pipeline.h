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

#include "model/tokenizer_text.h"

namespace attnviz::model {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  // Throws ModelError when the text cannot be normalised exactly (NFC on text it may change).
  virtual void apply(AlignedText& text) const = 0;
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  virtual void apply(std::vector<AlignedText>& splits) const = 0;
};

struct PipelineTraits {
  bool byte_level = false;       // a ByteLevel pre-tokenizer maps bytes to GPT-2's alphabet
  std::string space_marker;      // what stands for a space in pieces ("▁"), when not byte-level
};

// `json` is the "normalizer" / "pre_tokenizer" value (null gives nullptr). `where` names the file.
std::unique_ptr<Normalizer> makeNormalizer(const nlohmann::json& json, const std::string& where, PipelineTraits& traits);
std::unique_ptr<PreTokenizer> makePreTokenizer(const nlohmann::json& json, const std::string& where, PipelineTraits& traits);
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
