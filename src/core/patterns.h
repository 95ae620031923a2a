// Plain-language findings about one attention matrix ("what to look for"): previous-token,
// self (diagonal), next-token, attention sink, broad/focused, monotonic alignment. Needs no GL context.
#pragma once

#include <string>
#include <vector>

namespace attnviz {

struct PatternFinding {
  enum Kind { PreviousToken, SelfDiagonal, NextToken, AttentionSink, Broad, Focused, Monotonic } kind;
  double strength;   // 0..1: the share of rows (or of weight, or of the maximum entropy) behind it
  std::string text;  // one sentence for the UI, e.g. "88% of tokens attend most to the previous token"
};

// p is [nq][nk] row-major; fully masked rows (all zero) are ignored. key_labels (nk, may be empty)
// name the sink token. self_attention enables the positional detectors (rows and columns are the
// same sequence). visible_keys (nq, may be empty = nk each) gives each row's number of unmasked keys,
// the denominator of its normalised entropy. Strongest finding first; empty means no clear pattern.
std::vector<PatternFinding> detectPatterns(const float* p, int nq, int nk, bool self_attention,
                                           const std::vector<std::string>& key_labels = {},
                                           const std::vector<int>& visible_keys = {});

}  // namespace attnviz
