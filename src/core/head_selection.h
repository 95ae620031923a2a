// Which head(s) a view or export shows: "--head N|NAME|mean|all". N is 1-based (head 1 is the
// first), NAME is matched case-insensitively against the head names. Needs no GL context.
#pragma once

#include <string>
#include <vector>

namespace attnviz {

struct HeadSelection {
  enum Kind { Single, Mean, All } kind = All;
  int index = 0;  // 0-based, for Single
};

// Throws std::invalid_argument with a one-line reason (unknown name, index out of range).
HeadSelection parseHeadSelection(const std::string& text, const std::vector<std::string>& head_names);

}  // namespace attnviz
