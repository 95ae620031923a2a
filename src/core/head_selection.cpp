#include "core/head_selection.h"

#include <stdexcept>

#include "core/tokenizer.h"

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

}  // namespace attnviz
