// ModelWorker: a layer's problem, value norms, maps, their mean and summary, kept in the maps cache
// (model/layer_maps_cache.h) and prepared ahead for the shown layer's neighbours.
#include <algorithm>

#include "core/cpu_fast.h"
#include "core/thread_pool.h"
#include "model/model_worker.h"

namespace attnviz::model {

std::shared_ptr<const std::vector<float>> ModelWorker::valueNorms(int layer) const {
  auto norms = std::make_shared<std::vector<float>>();
  norms->reserve(std::size_t(facts_.heads) * std::size_t(session_->numTokens()));
  for (int h = 0; h < facts_.heads; ++h) {
    const std::vector<float> v = session_->valueOutputNorms(layer, h);
    norms->insert(norms->end(), v.begin(), v.end());
  }
  return norms;
}

std::shared_ptr<const LayerSummary> ModelWorker::summaryOf(const AttentionProblem& problem, const AttentionResult& maps,
                                                           std::shared_ptr<const AttentionResult> mean) const {
  SummaryInputs in;
  in.visible_keys = visibleKeysOf(problem);
  in.causal = problem.mask != MaskKind::None;
  in.self_attention = session_kind_ != AttentionKind::cross && problem.nq == problem.nk;
  in.key_labels = problem.key_labels;
  return std::make_shared<const LayerSummary>(summarizeLayer(maps, std::move(in), &sharedThreadPool(), std::move(mean)));
}

LayerMaps ModelWorker::layerMaps(int layer, int shown, bool summarise) {
  maps_cache_.setBudget(maps_budget_.load());
  LayerMaps m;
  if (const LayerMaps* kept = maps_cache_.find(layer)) {
    if (kept->mean && (kept->summary || !summarise)) return *kept;
    m = *kept;  // kept by the overview (or shown before its summary): the mean or summary is still to make
  } else {
    m.problem = std::make_shared<const AttentionProblem>(layerProblem(layer));
    m.value_norms = valueNorms(layer);
    m.maps = std::make_shared<const AttentionResult>(computeFast(*m.problem));
  }
  // Here, off the UI thread, once per layer: a head switch then rescans nothing, and the mean
  // view of a layer shown before its summary needs no pass over the heads there either.
  if (!m.mean) m.mean = meanOfLayer(*m.maps, &sharedThreadPool());
  if (summarise) m.summary = summaryOf(*m.problem, *m.maps, m.mean);
  maps_cache_.put(layer, m, shown);
  return m;
}

void ModelWorker::prepareLayer(ModelSnapshot& s, int layer) {
  // The maps go out first (the window shows them, scanning as before); their summary follows.
  const LayerMaps m = layerMaps(layer, layer, false);
  s.layer = layer;
  s.problem = m.problem;
  s.value_norms = m.value_norms;
  s.maps = m.maps;
  s.mean = m.mean;
  s.summary = m.summary;
  listKept(s);
}

void ModelWorker::listKept(ModelSnapshot& s) const {
  s.kept.clear();
  for (int l : maps_cache_.layers())
    if (const LayerMaps* m = maps_cache_.peek(l); m && m->mean) s.kept.push_back({l, *m});
}

void ModelWorker::summariseShown(ModelSnapshot& s) {
  s.summary = summaryOf(*s.problem, *s.maps, s.mean);
  if (const LayerMaps* kept = maps_cache_.peek(s.layer); kept && kept->maps == s.maps) {
    LayerMaps m = *kept;
    m.summary = s.summary;
    maps_cache_.put(s.layer, std::move(m), s.layer);
  }
}

bool ModelWorker::prepareNeighbour(const Wish& wish) {
  const int layers = facts_.of(wish.kind).layers;
  // First both neighbours' maps and mean (what a switch shows at once), then their summaries.
  // Each stage once per layer and tokens: one that does not fit the budget is not tried again.
  for (const bool summarise : {false, true})
    for (int l : {wish.layer + 1, wish.layer - 1}) {
      if (l < 0 || l >= layers) continue;
      const LayerMaps* kept = maps_cache_.peek(l);
      if (kept && kept->mean && (kept->summary || !summarise)) continue;
      const int stage = 2 * l + (summarise ? 1 : 0);
      if (std::find(neighbours_tried_.begin(), neighbours_tried_.end(), stage) != neighbours_tried_.end()) continue;
      neighbours_tried_.push_back(stage);
      setProgress(summarise ? "summary ahead: layer" : "maps ahead: layer", l, layers);
      layerMaps(l, wish.layer, summarise);
      return true;
    }
  return false;
}

std::vector<int> ModelWorker::keptLayers() const {
  waitIdle();  // the cache is the worker thread's: read it only while that waits
  return maps_cache_.layers();
}

std::size_t ModelWorker::keptBytes() const {
  waitIdle();
  return maps_cache_.bytes();
}

AttentionProblem ModelWorker::layerProblem(int layer) const {
  AttentionProblem p = session_->problemForLayer(layer);
  const auto& names = facts_.of(session_->attentionKind()).head_names[std::size_t(layer)];
  for (int h = 0; h < p.heads && h < int(p.head_names.size()) && h < int(names.size()); ++h)
    p.head_names[std::size_t(h)] = names[std::size_t(h)];
  return p;
}

}  // namespace attnviz::model
