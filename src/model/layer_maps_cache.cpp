#include "model/layer_maps_cache.h"

#include <algorithm>
#include <cstdlib>

namespace attnviz::model {

std::size_t LayerMaps::bytes() const {
  std::size_t n = 0;
  if (problem) n += (problem->q.size() + problem->k.size() + problem->v.size()) * sizeof(float);
  if (value_norms) n += value_norms->size() * sizeof(float);
  if (maps) n += maps->p.size() * sizeof(float);
  if (summary) n += summary->bytes();
  if (mean && !(summary && summary->mean == mean)) n += mean->p.size() * sizeof(float);
  return n;
}

void LayerMapsCache::setBudget(std::size_t bytes) {
  budget_ = bytes;
  while (bytes_ > budget_ && !slots_.empty()) {
    bytes_ -= slots_.back().maps.bytes();
    slots_.pop_back();
  }
}

void LayerMapsCache::clear() {
  slots_.clear();
  bytes_ = 0;
}

const LayerMaps* LayerMapsCache::find(int layer) {
  for (auto it = slots_.begin(); it != slots_.end(); ++it)
    if (it->layer == layer) {
      slots_.splice(slots_.begin(), slots_, it);
      return &slots_.front().maps;
    }
  return nullptr;
}

bool LayerMapsCache::contains(int layer) const {
  return std::any_of(slots_.begin(), slots_.end(), [&](const Slot& s) { return s.layer == layer; });
}

const LayerMaps* LayerMapsCache::peek(int layer) const {
  for (const Slot& s : slots_)
    if (s.layer == layer) return &s.maps;
  return nullptr;
}

bool LayerMapsCache::putIfRoom(int layer, LayerMaps entry) {
  if (contains(layer) || bytes_ + entry.bytes() > budget_) return false;
  bytes_ += entry.bytes();
  slots_.push_back(Slot{layer, std::move(entry)});  // least recently used: it was not shown
  return true;
}

bool LayerMapsCache::put(int layer, LayerMaps entry, int shown) {
  const std::size_t need = entry.bytes();
  const auto pinned = [&](int l) { return std::abs(l - shown) <= 1; };
  std::size_t pinned_bytes = 0;  // the layer's own entry not counted: the new one replaces it
  for (const Slot& s : slots_)
    if (pinned(s.layer) && s.layer != layer) pinned_bytes += s.maps.bytes();
  if (pinned_bytes + need > budget_) return false;  // evicting would not make room: keep what is there
  for (auto it = slots_.begin(); it != slots_.end(); ++it)
    if (it->layer == layer) {
      bytes_ -= it->maps.bytes();
      slots_.erase(it);
      break;
    }
  // Evict from the least recently used end, skipping the pinned layers.
  for (auto it = slots_.end(); bytes_ + need > budget_ && it != slots_.begin();) {
    --it;
    if (pinned(it->layer)) continue;
    bytes_ -= it->maps.bytes();
    it = slots_.erase(it);
  }
  if (bytes_ + need > budget_) return false;
  bytes_ += need;
  slots_.push_front(Slot{layer, std::move(entry)});
  return true;
}

std::vector<int> LayerMapsCache::layers() const {
  std::vector<int> out;
  for (const Slot& s : slots_) out.push_back(s.layer);
  return out;
}

}  // namespace attnviz::model
