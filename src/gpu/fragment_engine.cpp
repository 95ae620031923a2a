#include "gpu/fragment_engine.h"

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "gpu/gl_context.h"
#include "gpu/gl_objects.h"
#include "gpu/gpu_timer.h"
#include "gpu/shader_loader.h"

namespace attnviz::gpu {

namespace {

constexpr int kFactor = 16;  // columns folded per texel per reduction pass: 16384 -> 1024 -> 64 -> 4 -> 1

// Texture units, fixed per sampler so that no two sampler types ever share a unit.
enum Unit : int { kUnitQ = 0, kUnitK = 1, kUnitMask = 2, kUnitIn = 3, kUnitRow = 4, kUnitA = 5 };

Texture makeTexture(GLenum internal, GLenum format, GLenum type, int w, int h, const void* data = nullptr) {
  Texture t = Texture::create();
  glBindTexture(GL_TEXTURE_2D, t.id());
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAX_LEVEL, 0);
  glTexImage2D(GL_TEXTURE_2D, 0, GLint(internal), w, h, 0, format, type, data);
  return t;
}

void bindUnit(int unit, GLuint texture) {
  glActiveTexture(GLenum(GL_TEXTURE0 + unit));
  glBindTexture(GL_TEXTURE_2D, texture);
}

void setInt(GLuint p, const char* name, int v) { glUniform1i(glGetUniformLocation(p, name), v); }

}  // namespace

struct FragmentAttentionEngine::Impl {
  Options options;
  Program scores, reduce, merge, normalize, row_stats, column_sums;
  VertexArray vao;
  Framebuffer fbo;
  Texture dummy_mask;
  GpuTimer timer;

  bool has_result = false;
  bool use_texture = false;
  int heads = 0, nq = 0, nk = 0;
  Texture output;               // texture array when use_texture
  std::vector<float> host_p;    // when !use_texture
  std::vector<std::uint8_t> fully_masked;
  std::vector<int> visible_keys;  // [nq], from the mask (the same for every head)
  std::string layout;

  bool ensurePrograms(std::string* error) {
    if (scores && reduce && merge && normalize) return true;
    auto build = [&](Program& out, const char* frag, const ShaderDefines& defines) {
      ProgramBuild b = buildRenderProgram("fullscreen.vert", frag, defines, "330 core");
      if (!b.ok()) {
        *error = b.error->message();
        return false;
      }
      out = std::move(b.program);
      const GLuint p = out.id();
      glUseProgram(p);
      setInt(p, "uQ", kUnitQ);
      setInt(p, "uK", kUnitK);
      setInt(p, "uMask", kUnitMask);
      setInt(p, "uIn", kUnitIn);
      setInt(p, "uS", kUnitIn);
      setInt(p, "uRow", kUnitRow);
      setInt(p, "uB", kUnitRow);
      setInt(p, "uA", kUnitA);
      setInt(p, "uP", kUnitIn);
      glUseProgram(0);
      return true;
    };
    return build(scores, "fragment_scores.frag", {}) &&
           build(reduce, "fragment_reduce.frag", {{"FACTOR", std::to_string(kFactor)}}) &&
           build(merge, "fragment_merge.frag", {}) && build(normalize, "fragment_normalize.frag", {}) &&
           build(row_stats, "fragment_row_stats.frag", {}) && build(column_sums, "fragment_column_sums.frag", {});
  }

  // Attaches a 2D texture (layer < 0) or a layer of the output array, checks completeness.
  bool target(GLuint texture, int layer, std::string* error) {
    glBindFramebuffer(GL_FRAMEBUFFER, fbo.id());
    if (layer < 0) glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, texture, 0);
    else glFramebufferTextureLayer(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, texture, 0, layer);
    const GLenum status = glCheckFramebufferStatus(GL_FRAMEBUFFER);
    if (status != GL_FRAMEBUFFER_COMPLETE) {
      *error = "gpu-fragment: render target incomplete (status 0x" + std::to_string(status) +
               "); float render targets unsupported?";
      return false;
    }
    return true;
  }

  void drawPass(GLuint program, int x, int y, int w, int h) {
    glUseProgram(program);
    glViewport(x, y, w, h);
    glDrawArrays(GL_TRIANGLES, 0, 3);
  }
};

FragmentAttentionEngine::FragmentAttentionEngine() : FragmentAttentionEngine(Options{}) {}
FragmentAttentionEngine::FragmentAttentionEngine(Options options) : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
}
FragmentAttentionEngine::~FragmentAttentionEngine() = default;

bool FragmentAttentionEngine::supported(std::string* why) { return currentContextAtLeast(3, 3, "gpu-fragment", why); }

bool FragmentAttentionEngine::compute(const AttentionProblem& problem, std::string* error) {
  Impl& m = *impl_;
  std::string local_error;
  if (!error) error = &local_error;
  m.has_result = false;
  m.output.reset();
  m.host_p.clear();
  m.timer.reset();
  if (std::string why = problem.validate(); !why.empty()) {
    *error = "invalid problem: " + why;
    return false;
  }
  if (problem.hasScoreBias()) {  // not in the shaders: refused, never drawn without it
    *error = "gpu-fragment does not implement an additive score bias (T5's relative positions, Gemma 2's soft-capping); cpu-ref and cpu-fast do";
    return false;
  }
  if (std::string why = problem.checkFloatRange(); !why.empty()) {
    *error = why;
    return false;
  }
  if (!supported(error)) return false;
  takeGlErrors();
  if (!m.ensurePrograms(error)) return false;
  const GlInfo info = queryGlInfo();
  int max_side = std::min({info.max_texture_size, info.max_viewport_dims[0], info.max_viewport_dims[1]});
  if (m.options.max_texture_size > 0) max_side = std::min(max_side, m.options.max_texture_size);
  if (max_side < 1) {
    *error = "gpu-fragment: GL reports no usable texture size";
    return false;
  }

  m.heads = problem.heads;
  m.nq = problem.nq;
  m.nk = problem.nk;
  m.use_texture = !m.options.force_host_output && problem.nk <= max_side && problem.nq <= max_side &&
                  problem.heads <= info.max_array_texture_layers;
  // A row has no visible key only under a custom mask (causal always shows key 0): decided by the
  // mask alone, so the flags need no readback.
  m.fully_masked.assign(std::size_t(problem.heads) * problem.nq, 0);
  m.visible_keys.assign(std::size_t(problem.nq), problem.nk);
  for (int i = 0; i < problem.nq; ++i) {
    if (problem.mask == MaskKind::Causal) m.visible_keys[std::size_t(i)] = std::min(i + 1, problem.nk);
    if (problem.mask != MaskKind::Custom) continue;
    const auto* row = problem.custom_mask.data() + std::size_t(i) * problem.nk;
    m.visible_keys[std::size_t(i)] = int(std::count_if(row, row + problem.nk, [](std::uint8_t b) { return b != 0; }));
    if (m.visible_keys[std::size_t(i)] == 0)
      for (int h = 0; h < problem.heads; ++h) m.fully_masked[std::size_t(h) * problem.nq + i] = 1;
  }

  GLint saved_viewport[4] = {0, 0, 0, 0};
  GLint saved_fbo = 0;
  glGetIntegerv(GL_VIEWPORT, saved_viewport);
  glGetIntegerv(GL_DRAW_FRAMEBUFFER_BINDING, &saved_fbo);
  if (!m.vao) m.vao = VertexArray::create();
  if (!m.fbo) m.fbo = Framebuffer::create();
  if (!m.dummy_mask) {
    const std::uint8_t one = 1;
    glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    m.dummy_mask = makeTexture(GL_R8UI, GL_RED_INTEGER, GL_UNSIGNED_BYTE, 1, 1, &one);
  }

  if (m.use_texture) {
    m.output = Texture::create();
    glBindTexture(GL_TEXTURE_2D_ARRAY, m.output.id());
    glTexParameteri(GL_TEXTURE_2D_ARRAY, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D_ARRAY, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D_ARRAY, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D_ARRAY, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D_ARRAY, GL_TEXTURE_MAX_LEVEL, 0);
    glTexImage3D(GL_TEXTURE_2D_ARRAY, 0, GL_R32F, problem.nk, problem.nq, problem.heads, 0, GL_RED, GL_FLOAT, nullptr);
    glBindTexture(GL_TEXTURE_2D_ARRAY, 0);
  } else {
    m.host_p.assign(std::size_t(problem.heads) * problem.nq * problem.nk, 0.0f);
  }
  if (std::string gl = takeGlErrors(); !gl.empty()) {
    *error = "gpu-fragment: allocating the output failed: " + gl;
    return false;
  }

  // Q and K repacked with d padded to a multiple of 4: one RGBA32F texel holds 4 components.
  const int d4 = (problem.d + 3) / 4;
  auto packRows = [&](const std::vector<float>& src, int h, int rows_total, int first, int count) {
    std::vector<float> out(std::size_t(count) * d4 * 4, 0.0f);
    for (int r = 0; r < count; ++r) {
      const float* s = src.data() + (std::size_t(h) * rows_total + first + r) * problem.d;
      std::copy(s, s + problem.d, out.begin() + std::ptrdiff_t(std::size_t(r) * d4 * 4));
    }
    return out;
  };

  glDisable(GL_BLEND);
  glDisable(GL_DEPTH_TEST);
  glDisable(GL_STENCIL_TEST);
  glDisable(GL_SCISSOR_TEST);
  glDisable(GL_CULL_FACE);
  glColorMask(GL_TRUE, GL_TRUE, GL_TRUE, GL_TRUE);
  glBindVertexArray(m.vao.id());
  glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
  glPixelStorei(GL_PACK_ALIGNMENT, 4);
  const float scale_log2 = float(problem.scoreScale() * 1.4426950408889634);
  const int mask_kind = problem.mask == MaskKind::None ? 0 : problem.mask == MaskKind::Causal ? 1 : 2;
  for (GLuint p : {m.scores.id(), m.reduce.id(), m.merge.id(), m.normalize.id()}) {
    glUseProgram(p);
    setInt(p, "uMaskKind", mask_kind);
    setInt(p, "uD4", d4);
    glUniform1f(glGetUniformLocation(p, "uScaleLog2"), scale_log2);
  }

  m.timer.begin();
  bool ok = true;
  int tiles_drawn = 0;
  const int col_tiles = (problem.nk + max_side - 1) / max_side;
  for (int r0 = 0; ok && r0 < problem.nq; r0 += max_side) {
    const int rows = std::min(max_side, problem.nq - r0);
    const std::size_t n_col = std::size_t(col_tiles);
    std::vector<Texture> scores(n_col), finals(n_col), masks(n_col), k_tex(n_col);
    std::vector<Texture> levels;  // shared by the column tiles: widths C/16, C/256, ...
    for (int c = 0; c < col_tiles; ++c) {
      const int c0 = c * max_side, cols = std::min(max_side, problem.nk - c0);
      scores[c] = makeTexture(GL_R32F, GL_RED, GL_FLOAT, cols, rows);
      finals[c] = makeTexture(GL_RGBA32F, GL_RGBA, GL_FLOAT, 1, rows);
      k_tex[c] = makeTexture(GL_RGBA32F, GL_RGBA, GL_FLOAT, d4, cols);
      if (mask_kind == 2) {
        glPixelStorei(GL_UNPACK_ROW_LENGTH, problem.nk);
        glPixelStorei(GL_UNPACK_SKIP_PIXELS, c0);
        glPixelStorei(GL_UNPACK_SKIP_ROWS, r0);
        masks[c] = makeTexture(GL_R8UI, GL_RED_INTEGER, GL_UNSIGNED_BYTE, cols, rows, problem.custom_mask.data());
        glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
        glPixelStorei(GL_UNPACK_SKIP_PIXELS, 0);
        glPixelStorei(GL_UNPACK_SKIP_ROWS, 0);
      }
    }
    for (int w = (std::min(max_side, problem.nk) + kFactor - 1) / kFactor; w > 1; w = (w + kFactor - 1) / kFactor)
      levels.push_back(makeTexture(GL_RGBA32F, GL_RGBA, GL_FLOAT, w, rows));
    Texture acc[2] = {makeTexture(GL_RGBA32F, GL_RGBA, GL_FLOAT, 1, rows),
                      makeTexture(GL_RGBA32F, GL_RGBA, GL_FLOAT, 1, rows)};
    Texture host_tile;
    if (!m.use_texture) host_tile = makeTexture(GL_R32F, GL_RED, GL_FLOAT, std::min(max_side, problem.nk), rows);
    Texture q_tex = makeTexture(GL_RGBA32F, GL_RGBA, GL_FLOAT, d4, rows);
    if (std::string gl = takeGlErrors(); !gl.empty()) {
      *error = "gpu-fragment: allocating tile textures failed: " + gl;
      ok = false;
      break;
    }

    for (int h = 0; ok && h < problem.heads; ++h) {
      std::vector<float> q4 = packRows(problem.q, h, problem.nq, r0, rows);
      glBindTexture(GL_TEXTURE_2D, q_tex.id());
      glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, d4, rows, GL_RGBA, GL_FLOAT, q4.data());
      for (int c = 0; ok && c < col_tiles; ++c) {
        const int c0 = c * max_side, cols = std::min(max_side, problem.nk - c0);
        std::vector<float> k4 = packRows(problem.k, h, problem.nk, c0, cols);
        glBindTexture(GL_TEXTURE_2D, k_tex[c].id());
        glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, d4, cols, GL_RGBA, GL_FLOAT, k4.data());
        bindUnit(kUnitQ, q_tex.id());
        bindUnit(kUnitK, k_tex[c].id());
        bindUnit(kUnitMask, mask_kind == 2 ? masks[c].id() : m.dummy_mask.id());
        for (GLuint p : {m.scores.id(), m.reduce.id(), m.normalize.id()}) {
          glUseProgram(p);
          setInt(p, "uRow0", r0);
          setInt(p, "uCol0", c0);
          glUniform2i(glGetUniformLocation(p, "uOrigin"), 0, 0);
        }
        // 1. scores
        if (!(ok = m.target(scores[c].id(), -1, error))) break;
        m.drawPass(m.scores.id(), 0, 0, cols, rows);
        // 2. reduction chain; the last level lands in finals[c]
        GLuint in = scores[c].id();
        int in_w = cols;
        bool first = true;
        std::size_t level = 0;
        do {
          const int out_w = (in_w + kFactor - 1) / kFactor;
          const GLuint out = out_w == 1 ? finals[c].id() : levels[level++].id();
          if (!(ok = m.target(out, -1, error))) break;
          bindUnit(kUnitIn, in);
          glUseProgram(m.reduce.id());
          setInt(m.reduce.id(), "uInWidth", in_w);
          setInt(m.reduce.id(), "uFirstLevel", first ? 1 : 0);
          m.drawPass(m.reduce.id(), 0, 0, out_w, rows);
          in = out;
          in_w = out_w;
          first = false;
        } while (in_w > 1);
      }
      if (!ok) break;
      // Merge the column tiles' row states.
      GLuint row_state = finals[0].id();
      for (int c = 1; ok && c < col_tiles; ++c) {
        const GLuint out = acc[c % 2].id();
        if (!(ok = m.target(out, -1, error))) break;
        bindUnit(kUnitA, row_state);
        bindUnit(kUnitRow, finals[c].id());
        m.drawPass(m.merge.id(), 0, 0, 1, rows);
        row_state = out;
      }
      // 3. normalise
      for (int c = 0; ok && c < col_tiles; ++c) {
        const int c0 = c * max_side, cols = std::min(max_side, problem.nk - c0);
        bindUnit(kUnitIn, scores[c].id());
        bindUnit(kUnitRow, row_state);
        bindUnit(kUnitMask, mask_kind == 2 ? masks[c].id() : m.dummy_mask.id());
        const GLuint np = m.normalize.id();
        glUseProgram(np);
        setInt(np, "uRow0", r0);
        setInt(np, "uCol0", c0);
        if (m.use_texture) {
          if (!(ok = m.target(m.output.id(), h, error))) break;
          glUniform2i(glGetUniformLocation(np, "uOrigin"), c0, r0);
          m.drawPass(np, c0, r0, cols, rows);
        } else {
          if (!(ok = m.target(host_tile.id(), -1, error))) break;
          glUniform2i(glGetUniformLocation(np, "uOrigin"), 0, 0);
          m.drawPass(np, 0, 0, cols, rows);
          glPixelStorei(GL_PACK_ROW_LENGTH, problem.nk);
          glReadBuffer(GL_COLOR_ATTACHMENT0);
          glReadPixels(0, 0, cols, rows, GL_RED, GL_FLOAT,
                       m.host_p.data() + (std::size_t(h) * problem.nq + r0) * problem.nk + c0);
          glPixelStorei(GL_PACK_ROW_LENGTH, 0);
        }
        ++tiles_drawn;
      }
    }
  }
  m.timer.end();
  for (int u = 0; u <= kUnitA; ++u) bindUnit(u, 0);
  glActiveTexture(GL_TEXTURE0);
  glBindVertexArray(0);
  glUseProgram(0);
  glBindFramebuffer(GL_FRAMEBUFFER, GLuint(saved_fbo));
  glViewport(saved_viewport[0], saved_viewport[1], saved_viewport[2], saved_viewport[3]);
  if (!ok) return false;
  if (std::string gl = takeGlErrors(); !gl.empty()) {
    *error = "gpu-fragment passes failed: " + gl;
    return false;
  }
  const int row_tiles = (problem.nq + max_side - 1) / max_side;
  m.layout = std::string(m.use_texture ? "texture array" : "host tiles") + ", " + std::to_string(row_tiles) + "x" +
             std::to_string(col_tiles) + " tiles of at most " + std::to_string(max_side) + " texels, " +
             std::to_string(tiles_drawn) + " tile passes";
  m.has_result = true;
  return true;
}

bool FragmentAttentionEngine::hasResult() const { return impl_->has_result; }
bool FragmentAttentionEngine::hasTexture() const { return impl_->has_result && impl_->use_texture; }
GLuint FragmentAttentionEngine::probabilityTexture() const { return hasTexture() ? impl_->output.id() : 0; }
int FragmentAttentionEngine::textureLayers() const { return hasTexture() ? impl_->heads : 0; }
std::string FragmentAttentionEngine::layoutDescription() const { return impl_->layout; }

AttentionResult FragmentAttentionEngine::readBack() {
  Impl& m = *impl_;
  if (!m.has_result) throw std::logic_error("FragmentAttentionEngine::readBack before a successful compute()");
  AttentionResult r;
  r.heads = m.heads;
  r.nq = m.nq;
  r.nk = m.nk;
  r.row_fully_masked = m.fully_masked;
  if (m.use_texture) {
    r.p.assign(std::size_t(m.heads) * m.nq * m.nk, 0.0f);
    glPixelStorei(GL_PACK_ALIGNMENT, 4);
    glPixelStorei(GL_PACK_ROW_LENGTH, 0);
    glBindTexture(GL_TEXTURE_2D_ARRAY, m.output.id());
    glGetTexImage(GL_TEXTURE_2D_ARRAY, 0, GL_RED, GL_FLOAT, r.p.data());
    glBindTexture(GL_TEXTURE_2D_ARRAY, 0);
    if (std::string gl = takeGlErrors(); !gl.empty()) throw std::runtime_error("gpu-fragment readback failed: " + gl);
  } else {
    r.p = m.host_p;
  }
  return r;
}

GpuRowStats FragmentAttentionEngine::reduce(int head) {
  Impl& m = *impl_;
  GpuRowStats s;
  s.head = head;
  if (!m.has_result) {
    s.error = "no result to reduce";
    return s;
  }
  if (!m.use_texture) {
    s.error = "gpu-fragment result is in host tiles (no texture): use computeStats on readBack()";
    return s;
  }
  if (head < 0 || head >= m.heads) {
    s.error = "head " + std::to_string(head) + " out of range";
    return s;
  }
  s.nq = m.nq;
  s.nk = m.nk;
  GLint saved_viewport[4] = {0, 0, 0, 0};
  GLint saved_fbo = 0;
  glGetIntegerv(GL_VIEWPORT, saved_viewport);
  glGetIntegerv(GL_DRAW_FRAMEBUFFER_BINDING, &saved_fbo);
  Texture rows_tex = makeTexture(GL_RGBA32F, GL_RGBA, GL_FLOAT, 1, m.nq);
  Texture cols_tex = makeTexture(GL_R32F, GL_RED, GL_FLOAT, m.nk, 1);
  glDisable(GL_BLEND);
  glDisable(GL_DEPTH_TEST);
  glDisable(GL_SCISSOR_TEST);
  glBindVertexArray(m.vao.id());
  glActiveTexture(GLenum(GL_TEXTURE0 + kUnitIn));
  glBindTexture(GL_TEXTURE_2D_ARRAY, m.output.id());
  std::vector<float> rows(std::size_t(m.nq) * 4), cols(std::size_t(m.nk));
  std::string error;
  glPixelStorei(GL_PACK_ALIGNMENT, 4);
  glPixelStorei(GL_PACK_ROW_LENGTH, 0);
  if (m.target(rows_tex.id(), -1, &error)) {
    glUseProgram(m.row_stats.id());
    setInt(m.row_stats.id(), "uLayer", head);
    setInt(m.row_stats.id(), "uNk", m.nk);
    m.drawPass(m.row_stats.id(), 0, 0, 1, m.nq);
    glReadPixels(0, 0, 1, m.nq, GL_RGBA, GL_FLOAT, rows.data());
  }
  if (error.empty() && m.target(cols_tex.id(), -1, &error)) {
    glUseProgram(m.column_sums.id());
    setInt(m.column_sums.id(), "uLayer", head);
    setInt(m.column_sums.id(), "uNq", m.nq);
    m.drawPass(m.column_sums.id(), 0, 0, m.nk, 1);
    glReadPixels(0, 0, m.nk, 1, GL_RED, GL_FLOAT, cols.data());
  }
  glBindTexture(GL_TEXTURE_2D_ARRAY, 0);
  glActiveTexture(GL_TEXTURE0);
  glBindVertexArray(0);
  glUseProgram(0);
  glBindFramebuffer(GL_FRAMEBUFFER, GLuint(saved_fbo));
  glViewport(saved_viewport[0], saved_viewport[1], saved_viewport[2], saved_viewport[3]);
  if (std::string gl = takeGlErrors(); error.empty() && !gl.empty()) error = "gpu-fragment reduction failed: " + gl;
  if (!error.empty()) {
    s.error = error;
    return s;
  }
  s.row_entropy_bits.resize(std::size_t(m.nq));
  s.row_max_weight.resize(std::size_t(m.nq));
  s.row_max_col.resize(std::size_t(m.nq));
  s.visible_keys = m.visible_keys;
  for (std::size_t i = 0; i < std::size_t(m.nq); ++i) {
    s.row_entropy_bits[i] = rows[i * 4 + 0];
    s.row_max_weight[i] = rows[i * 4 + 1];
    s.row_max_col[i] = int(rows[i * 4 + 2]);
    if (i == 0 || s.row_max_weight[i] > s.max_weight) {  // strict: first row wins ties
      s.max_weight = s.row_max_weight[i];
      s.max_row = int(i);
      s.max_col = s.row_max_col[i];
    }
  }
  s.column_sums.assign(cols.begin(), cols.end());
  return s;
}

double FragmentAttentionEngine::lastGpuMs() {
  return impl_->timer.ms();
}

}  // namespace attnviz::gpu
