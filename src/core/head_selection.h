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

// A real model's head, one rule for the window, `dump` and `render`: "L5H1" (layer 5, head 1, both
// from 0 as Hugging Face numbers them), a head number from 0 ("1" is L<layer>H1), "mean" or "all".
// `layer` is the layer given apart (--layer), or -1 when none was: an "L5H1" naming another layer
// is refused rather than silently winning. The chosen layer is `layer`, or the one "L5H1" names.
// Throws std::invalid_argument with a one-line reason (out of range, layers that disagree).
struct ModelHeadChoice {
  int layer = -1;  // -1: neither --layer nor the head named one
  HeadSelection head;
};
ModelHeadChoice parseModelHead(const std::string& text, int layer, int layers, int heads);
// "L5H1" (case-insensitive, surrounding spaces allowed): layer 5, head 1.
bool parseLayerHeadName(const std::string& text, int* layer, int* head);

}  // namespace attnviz
