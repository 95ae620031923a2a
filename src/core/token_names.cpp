#include "core/token_names.h"

#include <unordered_map>

namespace attnviz {

std::vector<std::string> distinctTokenNames(const std::vector<std::string>& labels) {
  std::unordered_map<std::string, int> count;
  count.reserve(labels.size());
  for (const std::string& l : labels) ++count[l];
  std::vector<std::string> out;
  out.reserve(labels.size());
  for (std::size_t i = 0; i < labels.size(); ++i)
    out.push_back(count[labels[i]] > 1 ? labels[i] + " #" + std::to_string(i) : labels[i]);
  return out;
}

std::vector<std::string> numberedLabels(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(std::to_string(i));
  return out;
}

}  // namespace attnviz
