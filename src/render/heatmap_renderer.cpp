#include "render/heatmap_renderer.h"

#include <cstdio>

#include <algorithm>
#include <utility>

#include "core/heatmap_display.h"
#include "gpu/gl_context.h"
#include "gpu/shader_loader.h"

namespace attnviz::render {
namespace {

GLint loc(const gpu::Program& p, const char* name) { return glGetUniformLocation(p.id(), name); }

// Every pass sets the state it needs (the ImGui backend does the same for its own pass).
void plainState() {
  glDisable(GL_BLEND);
  glDisable(GL_DEPTH_TEST);
  glDisable(GL_SCISSOR_TEST);
  glDisable(GL_CULL_FACE);
  glDisable(GL_STENCIL_TEST);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
}

}  // namespace

int heatmapLevelCount(int nk, int nq) {
  int levels = 1;
  int n = std::max(nk, nq);
  // Below 4 cells a pyramid buys nothing, and Mesa (llvmpipe 22.3) reports
  // GL_FRAMEBUFFER_UNSUPPORTED for layers of a two-level R32F array (2x2 and 3x3 with 4 layers).
  if (n < 4) return 1;
  while (n > 1) {
    n >>= 1;
    ++levels;
  }
  return levels;
}

HeatmapRenderer::~HeatmapRenderer() = default;

bool HeatmapRenderer::init(std::string* error) {
  auto build = [&](const char* frag, gpu::Program* out) {
    gpu::ProgramBuild b = gpu::buildRenderProgram("fullscreen.vert", frag);
    if (!b.ok()) {
      if (error) *error = b.error ? b.error->message() : std::string(frag) + ": link failed";
      return false;
    }
    *out = std::move(b.program);
    return true;
  };
  if (!build("heatmap_prepare.frag", &prepare_prog_) || !build("heatmap_maxpool.frag", &pool_prog_) ||
      !build("heatmap_view.frag", &view_prog_))
    return false;
  vao_ = gpu::VertexArray::create();
  scratch_fbo_ = gpu::Framebuffer::create();
  setColormap(colormap_);
  return true;
}

void HeatmapRenderer::setColormap(Colormap c) {
  colormap_ = c;
  ++generation_;
  if (!lut_) lut_ = gpu::Texture::create();
  const std::vector<std::uint8_t> table = colormapTable(c, 256);
  glBindTexture(GL_TEXTURE_2D, lut_.id());
  glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
  glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, 256, 1, 0, GL_RGBA, GL_UNSIGNED_BYTE, table.data());
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  glBindTexture(GL_TEXTURE_2D, 0);
}

void HeatmapRenderer::setSourceTexture(GLuint texture_array, int heads, int nq, int nk) {
  source_ = texture_array;
  heads_ = heads;
  nq_ = nq;
  nk_ = nk;
}

std::string HeatmapRenderer::textureLimitProblem(int nq, int nk, int heads) {
  GLint max_size = 0, max_layers = 0;
  glGetIntegerv(GL_MAX_TEXTURE_SIZE, &max_size);
  glGetIntegerv(GL_MAX_ARRAY_TEXTURE_LAYERS, &max_layers);
  if (nk > max_size || nq > max_size || heads > max_layers || heads <= 0 || nq <= 0 || nk <= 0)
    return "matrix " + std::to_string(nq) + "x" + std::to_string(nk) + "x" + std::to_string(heads) +
           " exceeds this GPU's texture limit (" + std::to_string(max_size) + " per side, " + std::to_string(max_layers) +
           " layers)";
  return {};
}

bool HeatmapRenderer::uploadSource(const AttentionResult& r, std::string* error) {
  return uploadSource(r.p.data(), r.heads, r.nq, r.nk, error);
}

bool HeatmapRenderer::uploadSource(const float* p, int heads, int nq, int nk, std::string* error) {
  if (std::string why = textureLimitProblem(nq, nk, heads); !why.empty()) {
    if (error) *error = why;
    return false;
  }
  ++upload_count_;
  last_upload_heads_ = heads;
  if (!own_source_) own_source_ = gpu::Texture::create();
  glBindTexture(GL_TEXTURE_2D_ARRAY, own_source_.id());
  glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
  if (own_heads_ == heads && own_nq_ == nq && own_nk_ == nk) {
    glTexSubImage3D(GL_TEXTURE_2D_ARRAY, 0, 0, 0, 0, nk, nq, heads, GL_RED, GL_FLOAT, p);
  } else {
    glTexImage3D(GL_TEXTURE_2D_ARRAY, 0, GL_R32F, nk, nq, heads, 0, GL_RED, GL_FLOAT, p);
    glTexParameteri(GL_TEXTURE_2D_ARRAY, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D_ARRAY, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D_ARRAY, GL_TEXTURE_MAX_LEVEL, 0);
  }
  glBindTexture(GL_TEXTURE_2D_ARRAY, 0);
  const std::string gl_errors = gpu::takeGlErrors();
  if (!gl_errors.empty()) {
    own_heads_ = own_nq_ = own_nk_ = 0;
    if (error) *error = "uploading the matrix failed: " + gl_errors;
    return false;
  }
  own_heads_ = heads;
  own_nq_ = nq;
  own_nk_ = nk;
  setSourceTexture(own_source_.id(), heads, nq, nk);
  return true;
}

bool HeatmapRenderer::buildDisplay(gpu::Texture* tex, const std::vector<int>& heads_per_layer, bool causal, int window,
                                   const DisplayScaling& scaling, std::string* error) {
  const int layers = int(heads_per_layer.size());
  const bool per_row = scaling.scale == ColourScale::Row;
  const bool uses_denominators = per_row || scaling.scale == ColourScale::Auto;
  const int den_width = per_row ? nq_ : 1;
  if (uses_denominators && scaling.denominators.size() != std::size_t(den_width) * std::size_t(layers)) {
    if (error)
      *error = std::string("colour scale ") + colourScaleName(scaling.scale) + " needs " +
               std::to_string(std::size_t(den_width) * std::size_t(layers)) + " maxima, got " +
               std::to_string(scaling.denominators.size());
    return false;
  }
  if (!denominators_) denominators_ = gpu::Texture::create();
  {
    const float zero = 0.0f;
    glBindTexture(GL_TEXTURE_2D, denominators_.id());
    glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
    if (uses_denominators)
      glTexImage2D(GL_TEXTURE_2D, 0, GL_R32F, den_width, layers, 0, GL_RED, GL_FLOAT, scaling.denominators.data());
    else
      glTexImage2D(GL_TEXTURE_2D, 0, GL_R32F, 1, 1, 0, GL_RED, GL_FLOAT, &zero);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glBindTexture(GL_TEXTURE_2D, 0);
  }
  levels_ = heatmapLevelCount(nk_, nq_);
  *tex = gpu::Texture::create();
  glBindTexture(GL_TEXTURE_2D_ARRAY, tex->id());
  for (int l = 0; l < levels_; ++l)
    glTexImage3D(GL_TEXTURE_2D_ARRAY, l, GL_R32F, std::max(1, nk_ >> l), std::max(1, nq_ >> l), layers, 0, GL_RED,
                 GL_FLOAT, nullptr);
  glTexParameteri(GL_TEXTURE_2D_ARRAY, GL_TEXTURE_MIN_FILTER, GL_NEAREST_MIPMAP_NEAREST);
  glTexParameteri(GL_TEXTURE_2D_ARRAY, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
  glTexParameteri(GL_TEXTURE_2D_ARRAY, GL_TEXTURE_BASE_LEVEL, 0);
  glTexParameteri(GL_TEXTURE_2D_ARRAY, GL_TEXTURE_MAX_LEVEL, levels_ - 1);

  plainState();
  glBindVertexArray(vao_.id());
  glBindFramebuffer(GL_FRAMEBUFFER, scratch_fbo_.id());

  // Level 0 of every layer from the source.
  glUseProgram(prepare_prog_.id());
  glActiveTexture(GL_TEXTURE0);
  glBindTexture(GL_TEXTURE_2D_ARRAY, source_);
  glUniform1i(loc(prepare_prog_, "u_source"), 0);
  glUniform1i(loc(prepare_prog_, "u_heads"), heads_);
  glUniform1i(loc(prepare_prog_, "u_causal"), causal ? 1 : 0);
  glUniform1i(loc(prepare_prog_, "u_window"), window);
  glActiveTexture(GL_TEXTURE1);
  glBindTexture(GL_TEXTURE_2D, denominators_.id());
  glActiveTexture(GL_TEXTURE0);
  glUniform1i(loc(prepare_prog_, "u_denominators"), 1);
  glUniform1i(loc(prepare_prog_, "u_scale"), int(scaling.scale));
  glUniform1f(loc(prepare_prog_, "u_log_floor"), kLogScaleFloor);
  glUniform1f(loc(prepare_prog_, "u_log_decades"), kLogScaleDecades);
  glViewport(0, 0, nk_, nq_);
  for (int l = 0; l < layers; ++l) {
    glFramebufferTextureLayer(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, tex->id(), 0, l);
    if (const GLenum status = glCheckFramebufferStatus(GL_FRAMEBUFFER); status != GL_FRAMEBUFFER_COMPLETE) {
      char buf[96];
      std::snprintf(buf, sizeof buf, "the display framebuffer is incomplete (status 0x%x) for %d x %d x %d layers", status, nk_,
                    nq_, layers);
      if (error) *error = buf;
      glBindFramebuffer(GL_FRAMEBUFFER, 0);
      glBindTexture(GL_TEXTURE_2D_ARRAY, 0);
      glBindVertexArray(0);
      gpu::takeGlErrors();
      return false;
    }
    glUniform1i(loc(prepare_prog_, "u_head"), heads_per_layer[std::size_t(l)]);
    glUniform1i(loc(prepare_prog_, "u_display_layer"), l);
    glDrawArrays(GL_TRIANGLES, 0, 3);
  }

  glActiveTexture(GL_TEXTURE1);
  glBindTexture(GL_TEXTURE_2D, 0);
  glActiveTexture(GL_TEXTURE0);

  // Max-pooled levels: read level-1 as the base level, write level (no feedback loop).
  glUseProgram(pool_prog_.id());
  glBindTexture(GL_TEXTURE_2D_ARRAY, tex->id());
  glUniform1i(loc(pool_prog_, "u_src"), 0);
  for (int level = 1; level < levels_; ++level) {
    const int sw = std::max(1, nk_ >> (level - 1)), sh = std::max(1, nq_ >> (level - 1));
    const int dw = std::max(1, nk_ >> level), dh = std::max(1, nq_ >> level);
    glTexParameteri(GL_TEXTURE_2D_ARRAY, GL_TEXTURE_BASE_LEVEL, level - 1);
    glTexParameteri(GL_TEXTURE_2D_ARRAY, GL_TEXTURE_MAX_LEVEL, level - 1);
    glUniform2i(loc(pool_prog_, "u_src_size"), sw, sh);
    glUniform2i(loc(pool_prog_, "u_dst_size"), dw, dh);
    glViewport(0, 0, dw, dh);
    for (int l = 0; l < layers; ++l) {
      glFramebufferTextureLayer(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, tex->id(), level, l);
      glUniform1i(loc(pool_prog_, "u_layer"), l);
      glDrawArrays(GL_TRIANGLES, 0, 3);
    }
  }
  glTexParameteri(GL_TEXTURE_2D_ARRAY, GL_TEXTURE_BASE_LEVEL, 0);
  glTexParameteri(GL_TEXTURE_2D_ARRAY, GL_TEXTURE_MAX_LEVEL, levels_ - 1);
  glFramebufferTextureLayer(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, 0, 0, 0);
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
  glBindTexture(GL_TEXTURE_2D_ARRAY, 0);
  glBindVertexArray(0);
  const std::string gl_errors = gpu::takeGlErrors();
  if (!gl_errors.empty()) {
    if (error) *error = "building the heatmap display failed: " + gl_errors;
    return false;
  }
  return true;
}

bool HeatmapRenderer::prepare(const std::vector<int>& heads_per_layer, bool causal, bool animate,
                              std::string* error, const DisplayScaling& scaling, int window) {
  if (!source_ || heads_per_layer.empty()) return false;
  gpu::Texture next;
  if (!buildDisplay(&next, heads_per_layer, causal, window, scaling, error)) return false;
  showDisplay(std::move(next), int(heads_per_layer.size()), animate);
  return true;
}

void HeatmapRenderer::showDisplay(gpu::Texture next, int layers, bool animate) {
  // The old display is kept to blend from when the new one has the same shape.
  const bool same_shape = display_layers_ == layers && prev_nq_ == nq_ && prev_nk_ == nk_;
  if (animate && same_shape && display_) {
    // The display blended from until now is free again: one layer of this shape is the next
    // host display's storage (a new texture each switch cost llvmpipe up to ~20 ms of fresh
    // pages; overwriting one is a copy).
    if (prev_display_ && prev_layers_ == 1) keepSpare(std::move(prev_display_), prev_nq_, prev_nk_);
    prev_display_ = std::move(display_);
    prev_layers_ = display_layers_;
    prev_valid_ = true;
  } else {
    prev_display_.reset();
    prev_valid_ = false;
  }
  display_ = std::move(next);
  ++generation_;
  display_layers_ = layers;
  prev_nq_ = nq_;
  prev_nk_ = nk_;
}

bool HeatmapRenderer::prepareHost(const float* p, int nq, int nk, bool causal, int window, bool animate, std::string* error,
                                  const DisplayScaling& scaling) {
  if (std::string why = textureLimitProblem(nq, nk, 1); !why.empty()) {
    if (error) *error = why;
    return false;
  }
  const bool per_row = scaling.scale == ColourScale::Row;
  const bool uses_denominators = per_row || scaling.scale == ColourScale::Auto;
  if (uses_denominators && scaling.denominators.size() != std::size_t(per_row ? nq : 1)) {
    if (error)
      *error = std::string("colour scale ") + colourScaleName(scaling.scale) + " needs " + std::to_string(per_row ? nq : 1) +
               " maxima, got " + std::to_string(scaling.denominators.size());
    return false;
  }
  // Level 0 and its max-pooled levels, as heatmap_prepare.frag and heatmap_maxpool.frag make them.
  const int levels = heatmapLevelCount(nk, nq);
  HeatmapDisplayInput in;
  in.p = p;
  in.nq = nq;
  in.nk = nk;
  in.causal = causal;
  in.window = window;
  in.scale = scaling.scale;
  in.denominators = scaling.denominators.data();
  buildHeatmapDisplay(heatmapDisplayPath(), in, levels, &host_levels_);
  ++upload_count_;
  last_upload_heads_ = 1;
  const auto spare = std::find_if(spares_.begin(), spares_.end(), [&](const Spare& s) { return s.nq == nq && s.nk == nk; });
  const bool reuse = spare != spares_.end();
  gpu::Texture next;
  if (reuse) {
    next = std::move(spare->texture);
    spares_.erase(spare);
  } else {
    next = gpu::Texture::create();
    ++texture_allocations_;
  }
  uploadHostLevels(next.id(), nq, nk, levels, reuse);
  glBindTexture(GL_TEXTURE_2D_ARRAY, next.id());
  glTexParameteri(GL_TEXTURE_2D_ARRAY, GL_TEXTURE_MIN_FILTER, GL_NEAREST_MIPMAP_NEAREST);
  glTexParameteri(GL_TEXTURE_2D_ARRAY, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
  glTexParameteri(GL_TEXTURE_2D_ARRAY, GL_TEXTURE_BASE_LEVEL, 0);
  glTexParameteri(GL_TEXTURE_2D_ARRAY, GL_TEXTURE_MAX_LEVEL, levels - 1);
  glBindTexture(GL_TEXTURE_2D_ARRAY, 0);
  if (const std::string gl_errors = gpu::takeGlErrors(); !gl_errors.empty()) {
    if (error) *error = "uploading the heatmap display failed: " + gl_errors;
    return false;
  }
  // The source is no longer what the display was built from.
  source_ = 0;
  heads_ = 1;
  nq_ = nq;
  nk_ = nk;
  levels_ = levels;
  showDisplay(std::move(next), 1, animate);
  return true;
}

void HeatmapRenderer::uploadHostLevels(GLuint texture, int nq, int nk, int levels, bool overwrite) const {
  glBindTexture(GL_TEXTURE_2D_ARRAY, texture);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
  for (int l = 0; l < levels; ++l) {
    const int w = std::max(1, nk >> l), h = std::max(1, nq >> l);
    if (overwrite)
      glTexSubImage3D(GL_TEXTURE_2D_ARRAY, l, 0, 0, 0, w, h, 1, GL_RED, GL_FLOAT, host_levels_[std::size_t(l)].data());
    else
      glTexImage3D(GL_TEXTURE_2D_ARRAY, l, GL_R32F, w, h, 1, 0, GL_RED, GL_FLOAT, host_levels_[std::size_t(l)].data());
  }
  glBindTexture(GL_TEXTURE_2D_ARRAY, 0);
}

void HeatmapRenderer::keepSpare(gpu::Texture texture, int nq, int nk) {
  // Spares of another shape are of no use to the next switches.
  spares_.erase(std::remove_if(spares_.begin(), spares_.end(), [&](const Spare& s) { return s.nq != nq || s.nk != nk; }),
                spares_.end());
  if (spares_.size() < kMaxSpares) spares_.push_back({std::move(texture), nq, nk});
}

bool HeatmapRenderer::warmSpare(std::string* error) {
  // Only a host display (prepareHost's: one layer, its pyramid still in host_levels_).
  if (display_layers_ != 1 || source_ != 0 || levels_ <= 0 || int(host_levels_.size()) < levels_) return false;
  if (warming_.texture && (warming_.nq != nq_ || warming_.nk != nk_)) warming_ = Spare{};  // the shape moved on
  if (!warming_.texture) {
    const std::size_t of_shape = std::size_t(
        std::count_if(spares_.begin(), spares_.end(), [&](const Spare& s) { return s.nq == nq_ && s.nk == nk_; }));
    if (of_shape >= kMaxSpares) return false;
    // Storage only: its pages are touched by the steps below, a band of rows at a time.
    warming_ = {gpu::Texture::create(), nq_, nk_};
    ++texture_allocations_;
    glBindTexture(GL_TEXTURE_2D_ARRAY, warming_.texture.id());
    for (int l = 0; l < levels_; ++l)
      glTexImage3D(GL_TEXTURE_2D_ARRAY, l, GL_R32F, std::max(1, nk_ >> l), std::max(1, nq_ >> l), 1, 0, GL_RED, GL_FLOAT, nullptr);
    warm_level_ = warm_row_ = 0;
  }
  // Bands of rows, kWarmRowsPerStep rows of level 0's width in all, on through the smaller levels
  // (what they hold does not matter: a reuse overwrites it all).
  glBindTexture(GL_TEXTURE_2D_ARRAY, warming_.texture.id());
  glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
  std::size_t budget = std::size_t(kWarmRowsPerStep) * std::size_t(nk_);
  while (budget > 0 && warm_level_ < levels_) {
    const int w = std::max(1, nk_ >> warm_level_), h = std::max(1, nq_ >> warm_level_);
    const int rows = int(std::min<std::size_t>(std::size_t(h - warm_row_), std::max<std::size_t>(1, budget / std::size_t(w))));
    glTexSubImage3D(GL_TEXTURE_2D_ARRAY, warm_level_, 0, warm_row_, 0, w, rows, 1, GL_RED, GL_FLOAT,
                    host_levels_[std::size_t(warm_level_)].data() + std::size_t(warm_row_) * std::size_t(w));
    budget -= std::min(budget, std::size_t(rows) * std::size_t(w));
    warm_row_ += rows;
    if (warm_row_ >= h) {
      warm_row_ = 0;
      ++warm_level_;
    }
  }
  glBindTexture(GL_TEXTURE_2D_ARRAY, 0);
  if (const std::string gl_errors = gpu::takeGlErrors(); !gl_errors.empty()) {
    if (error) *error = "warming a heatmap display failed: " + gl_errors;
    warming_ = Spare{};
    return false;
  }
  if (warm_level_ >= levels_) {
    keepSpare(std::move(warming_.texture), warming_.nq, warming_.nk);
    warming_ = Spare{};
  }
  return true;
}

GLuint HeatmapRenderer::render(int slot, int w, int h, const HeatmapView& view) {
  if (!display_ || w <= 0 || h <= 0) return 0;
  if (int(targets_.size()) <= slot) targets_.resize(std::size_t(slot) + 1);
  Target& t = targets_[std::size_t(slot)];
  if (!t.fbo || t.w != w || t.h != h) {
    t.color = gpu::Texture::create();
    glBindTexture(GL_TEXTURE_2D, t.color.id());
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, w, h, 0, GL_RGBA, GL_UNSIGNED_BYTE, nullptr);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    t.fbo = gpu::Framebuffer::create();
    glBindFramebuffer(GL_FRAMEBUFFER, t.fbo.id());
    glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, t.color.id(), 0);
    t.w = w;
    t.h = h;
    t.generation = 0;
  }
  const bool same_view = t.drawn.x0 == view.x0 && t.drawn.y0 == view.y0 && t.drawn.x1 == view.x1 &&
                         t.drawn.y1 == view.y1 && t.drawn.layer == view.layer && t.drawn.blend == view.blend &&
                         std::equal(view.grid, view.grid + 3, t.drawn.grid) &&
                         std::equal(view.mask_a, view.mask_a + 3, t.drawn.mask_a) &&
                         std::equal(view.mask_b, view.mask_b + 3, t.drawn.mask_b);
  if (t.generation == generation_ && same_view) return t.color.id();
  t.drawn = view;
  t.generation = generation_;
  plainState();
  glBindFramebuffer(GL_FRAMEBUFFER, t.fbo.id());
  glViewport(0, 0, w, h);
  glClearColor(0, 0, 0, 0);
  glClear(GL_COLOR_BUFFER_BIT);
  glBindVertexArray(vao_.id());
  glUseProgram(view_prog_.id());
  const int layer = std::clamp(view.layer, 0, display_layers_ - 1);
  const bool blend = prev_valid_ && view.blend < 1.0f && layer < prev_layers_;
  glActiveTexture(GL_TEXTURE0);
  glBindTexture(GL_TEXTURE_2D_ARRAY, display_.id());
  glActiveTexture(GL_TEXTURE1);
  glBindTexture(GL_TEXTURE_2D_ARRAY, blend ? prev_display_.id() : display_.id());
  glActiveTexture(GL_TEXTURE2);
  glBindTexture(GL_TEXTURE_2D, lut_.id());
  glUniform1i(loc(view_prog_, "u_cur"), 0);
  glUniform1i(loc(view_prog_, "u_prev"), 1);
  glUniform1i(loc(view_prog_, "u_lut"), 2);
  glUniform1f(loc(view_prog_, "u_blend"), blend ? std::clamp(view.blend, 0.0f, 1.0f) : 1.0f);
  glUniform1i(loc(view_prog_, "u_layer"), layer);
  glUniform1i(loc(view_prog_, "u_prev_layer"), layer);
  glUniform4f(loc(view_prog_, "u_view"), view.x0, view.y0, view.x1, view.y1);
  glUniform2f(loc(view_prog_, "u_size"), float(w), float(h));
  glUniform2i(loc(view_prog_, "u_n"), nk_, nq_);
  glUniform1i(loc(view_prog_, "u_levels"), levels_);
  glUniform3fv(loc(view_prog_, "u_grid"), 1, view.grid);
  glUniform3fv(loc(view_prog_, "u_mask_a"), 1, view.mask_a);
  glUniform3fv(loc(view_prog_, "u_mask_b"), 1, view.mask_b);
  glDrawArrays(GL_TRIANGLES, 0, 3);
  glBindVertexArray(0);
  glActiveTexture(GL_TEXTURE2);
  glBindTexture(GL_TEXTURE_2D, 0);
  glActiveTexture(GL_TEXTURE1);
  glBindTexture(GL_TEXTURE_2D_ARRAY, 0);
  glActiveTexture(GL_TEXTURE0);
  glBindTexture(GL_TEXTURE_2D_ARRAY, 0);
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
  return t.color.id();
}

std::string HeatmapRenderer::glRenderer() {
  const GLubyte* s = glGetString(GL_RENDERER);
  return s ? reinterpret_cast<const char*>(s) : "unknown";
}

}  // namespace attnviz::render
