// ModelWorker: one layer of the overview (thumbnails, measures, contributions, rollout) from its maps.
#include <algorithm>

#include "model/model_worker.h"
#include "model/transformer.h"

namespace attnviz::model {

LayerOverview ModelWorker::overviewOf(const AttentionProblem& problem, const AttentionResult& maps, int layer,
                                      const std::vector<float>* value_norms, Rollout* rollout) {
  LayerOverview r;
  const int nq = maps.nq, nk = maps.nk, heads = maps.heads;
  const int t = LayerOverview::kThumbSize;
  const bool causal = problem.mask == MaskKind::Causal;
  // The measures (previous token, distance, sink...) are of self-attention: square maps.
  const bool square = nq == nk;
  r.thumbs.assign(std::size_t(heads) * t * t, 0.0f);
  if (value_norms) r.contribution_thumbs.assign(std::size_t(heads) * t * t, 0.0f);
  const std::vector<std::uint8_t> masked_block = maskedBlocks(problem, t);
  // Each thumbnail cell the largest value of its block of the map; -1 where masked_block says.
  const auto thumbnail = [&](const float* p, float* thumb) {
    for (int ty = 0; ty < t; ++ty) {
      const int r0 = int(std::int64_t(ty) * nq / t), r1 = std::max(r0 + 1, int(std::int64_t(ty + 1) * nq / t));
      for (int tx = 0; tx < t; ++tx) {
        const int c0 = int(std::int64_t(tx) * nk / t), c1 = std::max(c0 + 1, int(std::int64_t(tx + 1) * nk / t));
        if (masked_block[std::size_t(ty) * t + tx]) {
          thumb[ty * t + tx] = -1.0f;
          continue;
        }
        float best = 0.0f;
        for (int i = r0; i < std::min(r1, nq); ++i) {
          const float* row = p + std::size_t(i) * std::size_t(nk);
          for (int j = c0; j < std::min(causal ? std::min(c1, i + 1) : c1, nk); ++j) best = std::max(best, row[j]);
        }
        thumb[ty * t + tx] = best;
      }
    }
  };
  std::vector<float> mean(rollout ? std::size_t(nq) * std::size_t(nk) : 0, 0.0f);
  for (int h = 0; h < heads; ++h) {
    const float* p = maps.row(h, 0);
    if (square) {
      HeadMeasures m = measureMap(p, nq, nk, problem.mask != MaskKind::None);
      m.layer = layer;
      m.head = h;
      r.measures.push_back(m);
    }
    thumbnail(p, r.thumbs.data() + std::size_t(h) * t * t);
    if (value_norms) {
      const std::vector<float> norms(value_norms->begin() + std::ptrdiff_t(h) * nk, value_norms->begin() + std::ptrdiff_t(h + 1) * nk);
      const std::vector<float> c = contributionsOfWeights(p, nq, nk, norms, true);
      if (square) {
        HeadMeasures cm = measureMap(c.data(), nq, nk, problem.mask != MaskKind::None);
        cm.layer = layer;
        cm.head = h;
        r.contribution_measures.push_back(cm);
      }
      thumbnail(c.data(), r.contribution_thumbs.data() + std::size_t(h) * t * t);
    }
    const float inv = 1.0f / float(heads);
    for (std::size_t i = 0; i < mean.size(); ++i) mean[i] += p[i] * inv;
  }
  if (rollout) rollout->add(mean);
  return r;
}

}  // namespace attnviz::model
