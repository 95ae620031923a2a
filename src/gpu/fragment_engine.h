// gpu-fragment: attention probabilities with OpenGL 3.3 render-to-texture passes, for contexts
// without compute shaders (macOS stops at 4.1, older laptops and VMs). Same result and tolerance as
// gpu-compute.
//
// Needs a current GL 3.3+ core context with GL functions loaded; the engine's GL objects belong to
// it. Per head, per tile of at most maxTexture rows x maxTexture columns:
//   1. fragment_scores.frag     S = Q Kᵀ * scoreScale (Q, K as RGBA32F textures)  -> R32F
//   2. fragment_reduce.frag     row (max, sum, count) states, FACTOR columns per texel per pass,
//                               until one texel per row is left; column tiles are merged
//                               (fragment_merge.frag)                               -> RGBA32F
//   3. fragment_normalize.frag  P = exp(S - max) / sum; 0 for masked keys and fully masked rows.
// A problem with a score_bias is refused (compute() false, the reason names it).
// Where P lives ([heads][nq][nk], float32):
//   * hasTexture(): a GL_TEXTURE_2D_ARRAY R32F, width nk, height nq, a layer per head (as gpu-compute),
//     when nk, nq <= GL_MAX_TEXTURE_SIZE and heads <= GL_MAX_ARRAY_TEXTURE_LAYERS;
//   * otherwise each tile is read back as it is finished and readBack() returns the host copy.
#pragma once

#include <memory>
#include <string>

#include <glad/gl.h>

#include "core/attention.h"
#include "gpu/row_stats.h"

namespace attnviz::gpu {

class FragmentAttentionEngine {
 public:
  struct Options {
    int max_texture_size = 0;      // test hook: pretend GL_MAX_TEXTURE_SIZE is this (0 = queried)
    bool force_host_output = false;  // never make the texture array
  };

  FragmentAttentionEngine();
  explicit FragmentAttentionEngine(Options options);
  ~FragmentAttentionEngine();
  FragmentAttentionEngine(const FragmentAttentionEngine&) = delete;
  FragmentAttentionEngine& operator=(const FragmentAttentionEngine&) = delete;

  // Whether the current context can run it (GL 3.3 core); *why says what is missing.
  static bool supported(std::string* why);

  // false and *error (shader name + driver log, GL error, invalid problem) on failure.
  bool compute(const AttentionProblem& problem, std::string* error);

  bool hasResult() const;
  bool hasTexture() const;
  GLuint probabilityTexture() const;  // GL_TEXTURE_2D_ARRAY R32F, 0 when !hasTexture()
  int textureLayers() const;

  // P and the fully-masked flags on the host (blocks until the GPU is done).
  AttentionResult readBack();

  // Stats of one head reduced on the GPU (fragment_row_stats.frag, fragment_column_sums.frag);
  // only [nq] and [nk] vectors are read back. Needs hasTexture(): with host tiles the result is
  // already on the host, so error says to use computeStats on readBack() instead.
  GpuRowStats reduce(int head);

  // Time of the last compute() in ms, as GpuAttentionEngine::lastGpuMs (gpu_timer.h).
  double lastGpuMs();

  std::string layoutDescription() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace attnviz::gpu
