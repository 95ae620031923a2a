// The maps of recently shown layers, kept by the model worker for the tokens it holds, so that a
// layer switch back (or to a neighbour prepared in the background) is a swap, not a compute.
// Bounded by a byte budget; least recently used layers go first, but never the shown layer or
// its neighbours. Owned by one thread (the worker's); the entries are immutable and shared with
// the snapshots.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <vector>

#include "core/attention.h"
#include "core/matrix_summary.h"

namespace attnviz::model {

struct LayerMaps {
  std::shared_ptr<const AttentionProblem> problem;
  std::shared_ptr<const std::vector<float>> value_norms;  // [heads][n]
  std::shared_ptr<const AttentionResult> maps;            // computeFast(*problem)
  std::shared_ptr<const AttentionResult> mean;            // meanOfLayer(*maps), for the window; may be null
  // Every head's stats, maxima and patterns and their mean, for the window; null until the
  // layer is shown or prepared as a neighbour (the overview keeps its maps without).
  std::shared_ptr<const LayerSummary> summary;
  std::size_t bytes() const;
};

class LayerMapsCache {
 public:
  explicit LayerMapsCache(std::size_t budget_bytes) : budget_(budget_bytes) {}
  void setBudget(std::size_t bytes);  // a smaller one evicts the least recently used at once
  std::size_t budget() const { return budget_; }
  std::size_t bytes() const { return bytes_; }
  std::size_t room() const { return budget_ > bytes_ ? budget_ - bytes_ : 0; }  // what putIfRoom can still keep
  void clear();
  // The layer's entry (now the most recently used), or nullptr.
  const LayerMaps* find(int layer);
  bool contains(int layer) const;
  const LayerMaps* peek(int layer) const;  // the same, leaving the order as it is
  // Keeps `entry` for `layer`, evicting the least recently used layers other than `shown` and
  // its neighbours until it fits; false when it cannot fit (what the layer had stays).
  bool put(int layer, LayerMaps entry, int shown);
  // Keeps `entry` only if it fits without evicting anything (the overview's layers).
  bool putIfRoom(int layer, LayerMaps entry);
  std::vector<int> layers() const;  // most recently used first

 private:
  struct Slot {
    int layer;
    LayerMaps maps;
  };
  std::list<Slot> slots_;  // most recently used first
  std::size_t budget_, bytes_ = 0;
};

}  // namespace attnviz::model
