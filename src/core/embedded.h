// Files compiled into the binary at build time (assets/ and shaders/), looked up by the path
// relative to their folder, e.g. "lexicon/related.txt" or "attention_scores.comp".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace attnviz::embedded_assets {
std::optional<std::string_view> find(std::string_view path);
std::vector<std::string> list();
}  // namespace attnviz::embedded_assets

namespace attnviz::embedded_shaders {
std::optional<std::string_view> find(std::string_view path);
std::vector<std::string> list();
}  // namespace attnviz::embedded_shaders
