#include "core/head_selection.h"

#include <regex>
#include <stdexcept>

#include "core/tokenizer.h"

#include <algorithm>

namespace attnviz {

HeadSelection parseHeadSelection(const std::string& text, const std::vector<std::string>& head_names) {
  const std::string lower = lowerCase(text);
  if (lower == "all") return {HeadSelection::All, 0};
  if (lower == "mean") return {HeadSelection::Mean, 0};
  const int count = int(head_names.size());
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos) {
    const std::string digits = text.substr(std::min(text.find_first_not_of('0'), text.size()));
    const long n = digits.empty() ? 0 : digits.size() > 6 ? -1 : std::stol(digits);
    if (n < 1 || n > count)
      throw std::invalid_argument("head " + text + " is out of range (1.." + std::to_string(count) + ")");
    return {HeadSelection::Single, int(n - 1)};
  }
  std::string known;
  for (int h = 0; h < count; ++h) {
    if (lowerCase(head_names[h]) == lower) return {HeadSelection::Single, h};
    known += (h ? ", " : "") + head_names[h];
  }
  throw std::invalid_argument("unknown head '" + text + "' (heads: " + known + ", mean, all)");
}

bool parseLayerHeadName(const std::string& text, int* layer, int* head) {
  static const std::regex pattern(R"(\s*[lL]([0-9]{1,6})[hH]([0-9]{1,6})\s*)");
  std::smatch m;
  if (!std::regex_match(text, m, pattern)) return false;
  *layer = std::stoi(m[1].str());
  *head = std::stoi(m[2].str());
  return true;
}

ModelHeadChoice parseModelHead(const std::string& text, int layer, int layers, int heads) {
  ModelHeadChoice out;
  out.layer = layer;
  const std::string lower = lowerCase(text);
  if (lower == "all" || lower == "mean") {
    out.head = {lower == "all" ? HeadSelection::All : HeadSelection::Mean, 0};
  } else {
    int named_layer = -1, head = -1;
    if (parseLayerHeadName(text, &named_layer, &head)) {
      if (layer >= 0 && named_layer != layer)
        throw std::invalid_argument("--head " + text + " names layer " + std::to_string(named_layer) + " but --layer is " +
                                    std::to_string(layer));
      out.layer = named_layer;
    } else if (!text.empty() && text.size() <= 6 && text.find_first_not_of("0123456789") == std::string::npos) {
      head = std::stoi(text);
    } else {
      const std::string l = std::to_string(std::max(layer, 0));
      throw std::invalid_argument("--head must be a head number (from 0), L" + l + "H<n>, mean or all; got '" + text + "'");
    }
    if (head < 0 || head >= heads)
      throw std::invalid_argument("head " + std::to_string(head) + " is out of range (0.." + std::to_string(heads - 1) + ")");
    out.head = {HeadSelection::Single, head};
  }
  if (out.layer >= layers)
    throw std::invalid_argument("layer " + std::to_string(out.layer) + " is out of range (this model has layers 0.." +
                                std::to_string(layers - 1) + ")");
  return out;
}

}  // namespace attnviz
