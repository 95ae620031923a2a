// One shown matrix's heatmap display, made on the CPU: what the window uploads as its display
// texture's levels (HeatmapRenderer::prepareHost), and what heatmap_prepare.frag and
// heatmap_maxpool.frag compute on the GL side.
//   level 0: colourScaleT of every cell, -1 where the mask hides it (keys past the query under a
//            causal mask, or before its sliding window);
//   level l: the maximum of each 2 × 2 block of level l - 1, nk >> l by nq >> l (at least 1), the
//            last row and column also taking the odd row or column left over.
// The AVX-512 path does the same arithmetic as colourScaleT except the log scale's log10, a
// polynomial within a few float ulps of std::log10 (t within 1e-6). Needs no GL context.
#pragma once

#include <vector>

#include "core/colour_scale.h"
#include "core/cpu_features.h"

namespace attnviz {

struct HeatmapDisplayInput {
  const float* p = nullptr;  // nq × nk, row-major
  int nq = 0, nk = 0;
  bool causal = false;
  int window = 0;  // sliding window in keys (0: none)
  ColourScale scale = ColourScale::Linear;
  // Row: one maximum per query; Auto: one for the matrix; ignored otherwise.
  const float* denominators = nullptr;
};

// Fills levels[0 .. level_count) (resized, their storage reused between calls). path: Scalar or
// Avx512 (Avx2 and Amx take the scalar and AVX-512 loops); an unsupported path is the caller's bug.
void buildHeatmapDisplay(SimdPath path, const HeatmapDisplayInput& in, int level_count, std::vector<std::vector<float>>* levels);

// The path the window uses: AVX-512 where the CPU has it (ATTNVIZ_SIMD=scalar|avx2 turns it off).
SimdPath heatmapDisplayPath();

}  // namespace attnviz
