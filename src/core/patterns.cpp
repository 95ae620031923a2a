#include "core/patterns.h"

#include <algorithm>
#include <cmath>

#include "core/stats.h"

namespace attnviz {
namespace {

std::string percent(double share) { return std::to_string(int(std::lround(share * 100.0))) + "%"; }

}  // namespace

std::vector<PatternFinding> detectPatterns(const float* p, int nq, int nk, bool self_attention,
                                           const std::vector<std::string>& key_labels,
                                           const std::vector<int>& visible_keys) {
  std::vector<PatternFinding> out;
  std::vector<int> argmax;  // per live row, -1 for fully masked rows
  int live = 0;
  double normalized_entropy_sum = 0;
  int entropy_rows = 0;
  std::vector<double> column(std::size_t(nk), 0.0);
  for (int i = 0; i < nq; ++i) {
    const float* row = p + std::size_t(i) * nk;
    double sum = 0;
    int best = 0;
    for (int j = 0; j < nk; ++j) {
      sum += row[j];
      column[j] += row[j];
      if (row[j] > row[best]) best = j;
    }
    if (sum <= 0) {
      argmax.push_back(-1);
      continue;
    }
    ++live;
    argmax.push_back(best);
    const int visible = visible_keys.empty() ? nk : visible_keys[i];
    if (visible > 1) {  // rows with one possible key say nothing about breadth
      normalized_entropy_sum += rowEntropyBits(row, nk) / std::log2(double(visible));
      ++entropy_rows;
    }
  }
  if (live == 0) return out;

  if (self_attention && nq == nk && nq >= 3) {
    int prev = 0, self = 0, next = 0, prev_rows = 0, next_rows = 0;
    for (int i = 0; i < nq; ++i) {
      if (argmax[i] < 0) continue;
      if (i >= 1) ++prev_rows, prev += argmax[i] == i - 1;
      if (i + 1 < nk) ++next_rows, next += argmax[i] == i + 1;
      self += argmax[i] == i;
    }
    if (prev_rows > 0 && double(prev) / prev_rows >= 0.5)
      out.push_back({PatternFinding::PreviousToken, double(prev) / prev_rows,
                     percent(double(prev) / prev_rows) + " of tokens attend most to the previous token"});
    if (double(self) / live >= 0.5)
      out.push_back({PatternFinding::SelfDiagonal, double(self) / live,
                     "diagonal: " + percent(double(self) / live) + " of tokens attend most to themselves"});
    if (next_rows > 0 && double(next) / next_rows >= 0.5)
      out.push_back({PatternFinding::NextToken, double(next) / next_rows,
                     percent(double(next) / next_rows) + " of tokens attend most to the next token"});
  }

  // Sink: one key draws a large share of all the weight and is the favourite of most rows.
  const int top = int(std::max_element(column.begin(), column.end()) - column.begin());
  const double share = column[top] / live;
  int favourite = 0;
  for (int a : argmax) favourite += a == top;
  if (nk >= 3 && share >= 0.1 && share >= 2.0 / nk && double(favourite) / live >= 0.5) {
    const std::string name = top < int(key_labels.size()) ? "'" + key_labels[top] + "'" : "token " + std::to_string(top);
    const std::string where = top == 0 ? "the first token " + name + " (attention sink)" : name + " (attention sink)";
    out.push_back({PatternFinding::AttentionSink, share,
                   "most attention goes to " + where + ": " + percent(share) + " of all weight"});
  }

  if (entropy_rows > 0 && nk >= 3) {
    const double mean = normalized_entropy_sum / entropy_rows;
    if (mean >= 0.8)
      out.push_back({PatternFinding::Broad, mean, "broad: average entropy is " + percent(mean) + " of the maximum"});
    else if (mean <= 0.3)
      out.push_back({PatternFinding::Focused, 1.0 - mean,
                     "focused: average entropy is only " + percent(mean) + " of the maximum"});
  }

  if (!self_attention && live >= 3) {
    int steps = 0, forward = 0, previous = -1;
    for (int a : argmax) {
      if (a < 0) continue;
      if (previous >= 0) ++steps, forward += a >= previous;
      previous = a;
    }
    if (steps > 0 && double(forward) / steps >= 0.8)
      out.push_back({PatternFinding::Monotonic, double(forward) / steps,
                     "monotonic: " + percent(double(forward) / steps) + " of steps move forward through the source"});
  }

  std::stable_sort(out.begin(), out.end(), [](const PatternFinding& a, const PatternFinding& b) { return a.strength > b.strength; });
  return out;
}

}  // namespace attnviz
