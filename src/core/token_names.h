// Names that tell repeated tokens apart: "much" occurring at positions 3 and 12 becomes "much #3"
// and "much #12" (0-based positions, as the heatmap's rows and --select count); tokens that occur
// once keep their text. Used wherever a token is named away from its row or column (lists, arc
// titles, tooltips).
#pragma once

#include <string>
#include <vector>

namespace attnviz {

std::vector<std::string> distinctTokenNames(const std::vector<std::string>& labels);

// "0", "1", ... "n-1": the labels of rows or columns whose data has none.
std::vector<std::string> numberedLabels(int n);

}  // namespace attnviz
