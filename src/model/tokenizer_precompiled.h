// Hugging Face's Precompiled normalizer (normalizers/precompiled.rs over the spm_precompiled
// crate): SentencePiece's own normalisation rules (T5's and XLM-R's nmt_nfkc: NFKC plus
// whitespace and control-character rules), carried in tokenizer.json as the model's
// precompiled_charsmap, base64. The blob is [u32 trie size in bytes][the trie: Darts double-array
// units, u32 little-endian][replacement strings, each ended by a NUL]; the trie maps a UTF-8 key to
// the offset of its replacement.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/tokenizer_pipeline.h"

namespace attnviz::model {

// Standard base64 with padding, as Rust's BASE64_STANDARD decodes it; ModelError naming `where` otherwise.
std::string decodeBase64(std::string_view text, const std::string& where);

class PrecompiledCharsMap {
 public:
  // ModelError naming `where` when the blob is shorter than its trie says, has no trie, or its
  // replacements are not UTF-8 (spm_precompiled's ParseError / NormalizedInvalidUtf8).
  PrecompiledCharsMap(std::string_view blob, const std::string& where);
  // spm_precompiled's transform: the replacement of the SHORTEST key that is a prefix of `chunk`
  // (its common_prefix_search stops at a NUL byte), or nullopt. A trie that points outside itself
  // is a ModelError (Hugging Face's code would panic).
  std::optional<std::string_view> transform(std::string_view chunk) const;
  std::size_t trieUnits() const { return units_.size(); }

 private:
  std::uint32_t unit(std::uint64_t index) const;
  std::vector<std::uint32_t> units_;
  std::string normalized_;
  std::string where_;
};

// The normalizer of {"type": "Precompiled", "precompiled_charsmap": "<base64>"}: each extended
// grapheme cluster shorter than 6 bytes with a replacement becomes it; every other code point is
// replaced on its own when it has one (Hugging Face's rule, which its authors held to XNLI with
// XLM-R, mBART and Marian).
std::unique_ptr<Normalizer> makePrecompiledNormalizer(const nlohmann::json& j, const std::string& where);

}  // namespace attnviz::model
