// gpu-compute: attention probabilities with OpenGL 4.3 compute shaders, kept on the GPU.
//
// Every call needs a current GL 4.3+ core context with GL functions loaded (GlContext, or the
// window's context after gladLoadGL); the engine's GL objects belong to that context and must be
// destroyed while it is current.
//
// Passes (each one dispatch per tile, all heads of the tile at once):
//   1. attention_scores.comp   S = Q Kᵀ * problem.scoreScale() (1/sqrt(d) if enabled, / clamped T),
//                              Q/K staged through shared memory in TILE x TILE blocks;
//   2. attention_softmax.comp  per row: online max/sum, shared-memory tree reduction (no subgroup
//                              ops), then P = exp(S - max) / sum in place; masked keys get 0; a row
//                              with no visible key is all 0 and counted as fully masked.
// A problem with a score_bias is refused (compute() false, the reason names it): no bias pass yet.
// Reductions for the stats row (reduce()): attention_row_stats.comp, attention_column_sums.comp.
//
// Where P lives (shape [heads][nq][nk], float32, the layout of core/attention.h):
//   * hasTexture(): one GL_TEXTURE_2D_ARRAY, internal format GL_R32F, width nk, height nq, one layer
//     per head: texel (x = key j, y = query i, layer h). Chosen when nk and nq <= GL_MAX_TEXTURE_SIZE
//     and heads <= GL_MAX_ARRAY_TEXTURE_LAYERS. Sample it with texelFetch (no filtering needed);
//     it is complete (1 level, GL_NEAREST). A heatmap can use it with no readback.
//   * otherwise no texture exists (probabilityTexture() == 0) and P is in storageTiles(): SSBOs,
//     each holding heads [head0, head0 + heads) x rows [row0, row0 + rows) x all nk columns, laid out
//     [head - head0][row - row0][j], each within GL_MAX_SHADER_STORAGE_BLOCK_SIZE.
// Inputs are tiled the same way, so Q, K and the output never exceed the storage block limit.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <glad/gl.h>

#include "core/attention.h"
#include "core/stats.h"
#include "gpu/row_stats.h"

namespace attnviz::gpu {

class GpuAttentionEngine {
 public:
  struct Options {
    // Test hooks: pretend the device limits are lower (0 = use the queried limit) to exercise tiling.
    long long max_storage_block_bytes = 0;
    int max_texture_size = 0;
    int max_work_group_count = 0;  // per dispatch dimension
    // Never make the texture array; P stays in storageTiles().
    bool force_storage_output = false;
  };

  struct StorageTile {
    GLuint buffer = 0;  // SSBO, floats [heads][rows][nk]
    int head0 = 0, heads = 0, row0 = 0, rows = 0;
  };

  GpuAttentionEngine();
  explicit GpuAttentionEngine(Options options);
  ~GpuAttentionEngine();
  GpuAttentionEngine(const GpuAttentionEngine&) = delete;
  GpuAttentionEngine& operator=(const GpuAttentionEngine&) = delete;

  // Whether the current context can run this engine (GL 4.3 core); *why says what is missing.
  static bool supported(std::string* why);

  // Runs both passes. false and *error (shader name + driver log, a limit that is exceeded, GL
  // out of memory, an invalid problem) on failure; the previous result is dropped either way.
  bool compute(const AttentionProblem& problem, std::string* error);

  bool hasResult() const;
  int heads() const;
  int nq() const;
  int nk() const;

  bool hasTexture() const;
  GLuint probabilityTexture() const;  // GL_TEXTURE_2D_ARRAY, R32F; 0 when !hasTexture()
  int textureLayers() const;          // = heads() when hasTexture(), else 0
  const std::vector<StorageTile>& storageTiles() const;  // empty when hasTexture()

  // Copies P and the fully-masked flags to the host (blocks until the GPU is done).
  AttentionResult readBack();

  // Stats of one head reduced on the GPU (needs a result; 0 <= head < heads()).
  GpuRowStats reduce(int head);

  // Time of the last compute() in ms: GL_TIME_ELAPSED, or the wall time until the GPU finished where
  // the driver's timer is implausible (gpu_timer.h). Waits for the GPU; call it right after compute().
  // -1 before any compute().
  double lastGpuMs();

  // Description of the last layout chosen, e.g. "texture array 1000x1000x4, 1 tile".
  std::string layoutDescription() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace attnviz::gpu
