// The heatmap: draws attention probabilities from a GPU texture through a colormap lookup into a
// framebuffer texture that the UI shows (ImGui::Image). Needs a current GL 3.3+ core context with
// glad loaded for every call; destroy it while that context is current.
//
// Data path (one direction, nothing uploaded per frame):
//   source   GL_TEXTURE_2D_ARRAY R32F [heads] x nq x nk: either the engine's probability texture
//            (setSourceTexture, not owned) or one uploaded here (uploadSource): the window uploads
//            only the matrix it shows (a head, the mean), every head only to show them all;
//   display  prepare() turns the source into the shown layers (a head, or the mean over heads;
//            masked cells = -1) plus a max-pooled mip pyramid (heatmap_prepare/maxpool.frag). It
//            keeps the previous display so a change of the same shape can blend over ~200 ms;
//   view     render() draws a cell rectangle of one layer at a target size (heatmap_view.frag).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <glad/gl.h>

#include "core/attention.h"
#include "core/colormap.h"
#include "core/colour_scale.h"
#include "gpu/gl_objects.h"

namespace attnviz::render {

// How prepare() maps weights onto the colormap (core/colour_scale.h; the prepare shader mirrors
// colourScaleT). denominators: Auto one maximum per display layer; Row nq row maxima per display
// layer, layer after layer; empty for Linear and Log.
struct DisplayScaling {
  ColourScale scale = ColourScale::Linear;
  std::vector<float> denominators;
};

struct HeatmapView {
  // Visible cell rectangle: x in keys [0, nk], y in queries [0, nq] (y grows downwards).
  float x0 = 0, y0 = 0, x1 = 1, y1 = 1;
  int layer = 0;         // display layer (see prepare)
  float blend = 1.0f;    // 0 = previous matrix, 1 = current
  float grid[3] = {0.10f, 0.11f, 0.13f};    // colour of the gaps between large cells
  float mask_a[3] = {0.22f, 0.23f, 0.25f};  // hatching of masked cells
  float mask_b[3] = {0.36f, 0.37f, 0.40f};
};

class HeatmapRenderer {
 public:
  HeatmapRenderer() = default;
  ~HeatmapRenderer();
  HeatmapRenderer(const HeatmapRenderer&) = delete;
  HeatmapRenderer& operator=(const HeatmapRenderer&) = delete;

  // Compiles the shaders; false and *error ("heatmap_view.frag: <driver log>") on failure.
  bool init(std::string* error);

  // Uses an existing texture array (e.g. GpuAttentionEngine::probabilityTexture()); not owned,
  // must stay alive until the next prepare().
  void setSourceTexture(GLuint texture_array, int heads, int nq, int nk);
  // Uploads P once (for CPU engines). False and *error when it is larger than the GL limits.
  bool uploadSource(const AttentionResult& result, std::string* error);
  // The same for `heads` matrices of nq x nk at p (e.g. only the head shown); the texture's
  // storage is reused when the shape is unchanged.
  bool uploadSource(const float* p, int heads, int nq, int nk, std::string* error);
  // Uploads so far and the matrices (layers) the last one held: what tests count.
  int uploadCount() const { return upload_count_; }
  // One-layer display textures created by prepareHost and warmSpare (the rest were reused).
  int textureAllocations() const { return texture_allocations_; }
  int lastUploadHeads() const { return last_upload_heads_; }
  // Why a [heads][nq][nk] matrix cannot be a texture on this context ("" when it can). Needs a
  // current GL context.
  static std::string textureLimitProblem(int nq, int nk, int heads);

  // Rebuilds the display layers: each entry of `heads_per_layer` is a head index or -1 (mean),
  // holding the colormap position of each cell under `scaling` (masked cells -1).
  // With animate and an unchanged shape the previous display is kept for blending.
  // False and *error on GL failure (out of memory) or denominators of the wrong size; the
  // previous display stays.
  // window > 0 masks the keys before a sliding window (query i sees keys i - window + 1 .. i).
  bool prepare(const std::vector<int>& heads_per_layer, bool causal, bool animate, std::string* error,
               const DisplayScaling& scaling = {}, int window = 0);

  // The same for one matrix on the host (a head, the mean), prepared on the CPU and uploaded as
  // the display with its pyramid: what heatmap_prepare.frag and heatmap_maxpool.frag compute, at a
  // fraction of their cost on a software rasteriser (llvmpipe: 22-33 ms for 1000 x 1000, here
  // a few). The source texture is left out (set or upload it again before prepare()).
  bool prepareHost(const float* p, int nq, int nk, bool causal, int window, bool animate, std::string* error,
                   const DisplayScaling& scaling = {});

  // Makes a spare texture of the shown host display's shape a step at a time (llvmpipe pays for a
  // new texture's pages on their first write: 20-40 ms at 1000 x 1000 here, so each step writes
  // as many cells as kWarmRowsPerStep rows of level 0), so that the next head switches only
  // overwrite. For a frame with nothing else to do; false when there was nothing to warm (no
  // host display, or enough spares of its shape).
  bool warmSpare(std::string* error = nullptr);
  static constexpr int kWarmRowsPerStep = 256;

  bool hasDisplay() const { return display_layers_ > 0; }
  bool canBlend() const { return prev_valid_; }
  int nq() const { return nq_; }
  int nk() const { return nk_; }
  int levels() const { return levels_; }

  void setColormap(Colormap c);
  Colormap colormap() const { return colormap_; }

  // Renders into framebuffer slot `slot` (created/resized as needed) of w x h pixels and returns
  // its colour texture (GL_TEXTURE_2D RGBA8; row 0 is the bottom, so show it with v flipped).
  // Transparent outside the matrix.
  GLuint render(int slot, int w, int h, const HeatmapView& view);

  // The GL renderer string, for reports.
  static std::string glRenderer();

 private:
  // Makes `next` (of `layers` layers, nq_ x nk_) the display, keeping the old one to blend from.
  void showDisplay(gpu::Texture next, int layers, bool animate);
  struct Target {
    gpu::Texture color;
    gpu::Framebuffer fbo;
    int w = 0, h = 0;
    // What it holds, so an unchanged view is not drawn again (most frames on a still heatmap).
    HeatmapView drawn{};
    unsigned generation = 0;
  };
  unsigned generation_ = 1;  // bumped by prepare() and setColormap()
  bool buildDisplay(gpu::Texture* tex, const std::vector<int>& heads_per_layer, bool causal, int window, const DisplayScaling& scaling,
                    std::string* error);

  gpu::Program prepare_prog_, pool_prog_, view_prog_;
  gpu::VertexArray vao_;
  gpu::Framebuffer scratch_fbo_;
  gpu::Texture lut_;
  gpu::Texture denominators_;  // R32F, width 1 (auto) or nq (row), one row per display layer
  gpu::Texture own_source_;
  int own_heads_ = 0, own_nq_ = 0, own_nk_ = 0;  // own_source_'s storage
  int upload_count_ = 0, last_upload_heads_ = 0;
  GLuint source_ = 0;
  int heads_ = 0, nq_ = 0, nk_ = 0;
  gpu::Texture display_, prev_display_;
  // One-layer displays no longer shown (or warmed ahead), each nq x nk: prepareHost overwrites one
  // of the right shape rather than allocate. Two are in use at a time (the shown one and the one
  // blended from), so two spares make every head switch a copy.
  struct Spare {
    gpu::Texture texture;
    int nq = 0, nk = 0;
  };
  static constexpr std::size_t kMaxSpares = 2;
  std::vector<Spare> spares_;
  int texture_allocations_ = 0;  // one-layer display textures created (tests count them)
  // The spare being warmed: its shape, and the level and row its next step writes.
  Spare warming_;
  int warm_level_ = 0, warm_row_ = 0;
  void keepSpare(gpu::Texture texture, int nq, int nk);
  // host_levels_ into `texture` (overwrite: its storage already has that shape).
  void uploadHostLevels(GLuint texture, int nq, int nk, int levels, bool overwrite) const;
  int display_layers_ = 0, prev_layers_ = 0, prev_nq_ = 0, prev_nk_ = 0;
  bool prev_valid_ = false;
  int levels_ = 1;
  Colormap colormap_ = kDefaultColormap;
  std::vector<Target> targets_;
  std::vector<std::vector<float>> host_levels_;  // prepareHost's pyramid (kept: no allocation per switch)
};

// Number of max-pool levels for an nk x nq matrix (level k is ceil-free: max(1, n >> k)).
int heatmapLevelCount(int nk, int nq);

}  // namespace attnviz::render
