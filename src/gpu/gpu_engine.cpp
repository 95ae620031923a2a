#include "gpu/gpu_engine.h"

#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <stdexcept>

#include "gpu/gl_context.h"
#include "gpu/gl_objects.h"
#include "gpu/gpu_timer.h"
#include "gpu/shader_loader.h"

namespace attnviz::gpu {

namespace {

// attention_scores.comp: 16x16 invocations, each 4x4 outputs: 64x64 blocks of S, 2 x 64 x 17 floats
// (8.5 KiB) of shared memory, within GL 4.3's guaranteed 32 KiB and 1024 invocations.
constexpr int kTile = 16;
constexpr int kOutputsPerInvocation = 4;
constexpr int kBlock = kTile * kOutputsPerInvocation;
constexpr int kColumnGroup = 64;   // attention_column_sums.comp invocations per workgroup

struct Tile {
  int head0 = 0, heads = 0, row0 = 0, rows = 0;
  Buffer p;  // SSBO output only
};

void setInt(GLuint program, const char* name, int value) { glUniform1i(glGetUniformLocation(program, name), value); }
void setFloat(GLuint program, const char* name, float value) {
  glUniform1f(glGetUniformLocation(program, name), value);
}

int ceilDiv(long long a, long long b) { return int((a + b - 1) / b); }

std::string mib(long long bytes) {
  char buf[64];
  if (bytes < 1024 * 1024) std::snprintf(buf, sizeof buf, "%lld bytes", bytes);
  else std::snprintf(buf, sizeof buf, "%.1f MiB", double(bytes) / (1024.0 * 1024.0));
  return buf;
}

}  // namespace

struct GpuAttentionEngine::Impl {
  Options options;
  GlInfo info;
  bool have_info = false;

  // Programs per output kind: [0] = SSBO tiles, [1] = texture image.
  Program scores[2], softmax[2], row_stats[2], column_sums[2];
  int softmax_wg = 0;

  // Result
  bool has_result = false;
  int heads = 0, nq = 0, nk = 0, d = 0;
  MaskKind mask = MaskKind::None;
  bool use_texture = false;
  Texture texture;
  std::vector<Tile> tiles;
  std::vector<StorageTile> tile_view;
  Buffer q_buf, k_buf, mask_buf, row_info, row_stats_buf, column_sums_buf;
  GpuTimer timer;
  std::string layout;

  void drop() {
    has_result = false;
    texture.reset();
    tiles.clear();
    tile_view.clear();
    timer.reset();
    layout.clear();
  }

  bool ensurePrograms(bool image, std::string* error) {
    const int v = image ? 1 : 0;
    if (scores[v] && softmax[v] && row_stats[v] && column_sums[v]) return true;
    if (softmax_wg == 0) {
      // Power of two, within the invocation limit and the shared memory (3 arrays of 4 bytes).
      softmax_wg = 256;
      while (softmax_wg > 1 && (softmax_wg > info.max_compute_work_group_invocations ||
                                softmax_wg > info.max_compute_work_group_size[0] ||
                                softmax_wg * 12 > info.max_compute_shared_memory_size))
        softmax_wg /= 2;
    }
    const ShaderDefines base = {{"P_IMAGE", image ? "1" : "0"}};
    auto build = [&](Program& out, const char* name, ShaderDefines defines) {
      defines.insert(defines.begin(), base.begin(), base.end());
      ProgramBuild b = buildComputeProgram(name, defines);
      if (!b.ok()) {
        *error = b.error->message();
        return false;
      }
      out = std::move(b.program);
      return true;
    };
    return build(scores[v], "attention_scores.comp",
                 {{"TILE", std::to_string(kTile)}, {"WPT", std::to_string(kOutputsPerInvocation)}}) &&
           build(softmax[v], "attention_softmax.comp", {{"WG", std::to_string(softmax_wg)}}) &&
           build(row_stats[v], "attention_row_stats.comp", {{"WG", std::to_string(softmax_wg)}}) &&
           build(column_sums[v], "attention_column_sums.comp", {{"WG", std::to_string(kColumnGroup)}});
  }

  void setTileUniforms(GLuint prog, const Tile& t) const {
    glUseProgram(prog);
    setInt(prog, "uNq", nq);
    setInt(prog, "uNk", nk);
    setInt(prog, "uD", d);
    setInt(prog, "uHead0", t.head0);
    setInt(prog, "uTileHeads", t.heads);
    setInt(prog, "uRow0", t.row0);
    setInt(prog, "uTileRows", t.rows);
    setInt(prog, "uMaskKind", mask == MaskKind::None ? 0 : mask == MaskKind::Causal ? 1 : 2);
  }

  void bindOutput(const Tile& t) const {
    if (use_texture)
      glBindImageTexture(0, texture.id(), 0, GL_TRUE, 0, GL_READ_WRITE, GL_R32F);
    else
      glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 0, t.p.id());
  }
};

GpuAttentionEngine::GpuAttentionEngine() : GpuAttentionEngine(Options{}) {}
GpuAttentionEngine::GpuAttentionEngine(Options options) : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
}
GpuAttentionEngine::~GpuAttentionEngine() = default;

bool GpuAttentionEngine::supported(std::string* why) { return currentContextAtLeast(4, 3, "gpu-compute (compute shaders)", why); }

bool GpuAttentionEngine::compute(const AttentionProblem& problem, std::string* error) {
  Impl& m = *impl_;
  std::string local_error;
  if (!error) error = &local_error;
  m.drop();
  if (std::string why = problem.validate(); !why.empty()) {
    *error = "invalid problem: " + why;
    return false;
  }
  if (problem.hasScoreBias()) {  // not in the shaders: refused, never drawn without it
    *error = "gpu-compute does not implement an additive score bias (T5's relative positions, Gemma 2's soft-capping); cpu-ref and cpu-fast do";
    return false;
  }
  if (std::string why = problem.checkFloatRange(); !why.empty()) {
    *error = why;
    return false;
  }
  if (!supported(error)) return false;
  if (!m.have_info) {
    m.info = queryGlInfo();
    m.have_info = true;
  }
  takeGlErrors();

  const long long max_block = m.options.max_storage_block_bytes > 0
                                  ? std::min(m.options.max_storage_block_bytes, m.info.max_shader_storage_block_size)
                                  : m.info.max_shader_storage_block_size;
  const int max_tex = m.options.max_texture_size > 0 ? std::min(m.options.max_texture_size, m.info.max_texture_size)
                                                      : m.info.max_texture_size;
  m.heads = problem.heads;
  m.nq = problem.nq;
  m.nk = problem.nk;
  m.d = problem.d;
  m.mask = problem.mask;
  m.use_texture = !m.options.force_storage_output && problem.nk <= max_tex && problem.nq <= max_tex &&
                  problem.heads <= m.info.max_array_texture_layers;

  if (!m.ensurePrograms(m.use_texture, error)) return false;

  // ---- tile plan: every SSBO binding (Q tile, K tile, P tile) within max_block -----------------
  const long long f = sizeof(float);
  const long long k_head = (long long)problem.nk * problem.d * f;
  const long long q_row = (long long)problem.d * f;
  const long long p_row = m.use_texture ? 0 : (long long)problem.nk * f;
  if (k_head > max_block) {
    *error = "K of one head (" + std::to_string(problem.nk) + " x " + std::to_string(problem.d) + " floats, " +
             mib(k_head) + ") exceeds GL_MAX_SHADER_STORAGE_BLOCK_SIZE (" + mib(max_block) + ")";
    return false;
  }
  auto fits = [&](long long hp, long long rp) {
    return hp * k_head <= max_block && hp * rp * q_row <= max_block && hp * rp * p_row <= max_block;
  };
  int heads_per_tile = 0, rows_per_tile = problem.nq;
  for (int hp = problem.heads; hp >= 1; --hp)
    if (fits(hp, problem.nq)) {
      heads_per_tile = hp;
      break;
    }
  if (heads_per_tile == 0) {
    heads_per_tile = 1;
    rows_per_tile = int(std::min<long long>(problem.nq, max_block / std::max(q_row, p_row)));
  }
  // Dispatch limits: softmax runs (rows, heads, 1) groups, scores (nk/BLOCK, rows/BLOCK, heads).
  int group_limit[3] = {m.info.max_compute_work_group_count[0], m.info.max_compute_work_group_count[1],
                        m.info.max_compute_work_group_count[2]};
  if (m.options.max_work_group_count > 0)
    for (int& g : group_limit) g = std::min(g, m.options.max_work_group_count);
  rows_per_tile = std::min(rows_per_tile, group_limit[0]);
  heads_per_tile = std::min({heads_per_tile, group_limit[1], group_limit[2]});
  // Q is uploaded as one contiguous block per tile, which spans several heads only when the tile
  // holds every row of each of them.
  if (rows_per_tile < problem.nq) heads_per_tile = 1;
  if (rows_per_tile < 1 || heads_per_tile < 1 || ceilDiv(problem.nk, kBlock) > group_limit[0]) {
    *error = "problem exceeds the device's storage block or work group count limits";
    return false;
  }
  for (int h0 = 0; h0 < problem.heads; h0 += heads_per_tile)
    for (int r0 = 0; r0 < problem.nq; r0 += rows_per_tile) {
      Tile t;
      t.head0 = h0;
      t.heads = std::min(heads_per_tile, problem.heads - h0);
      t.row0 = r0;
      t.rows = std::min(rows_per_tile, problem.nq - r0);
      m.tiles.push_back(std::move(t));
    }

  // ---- storage -----------------------------------------------------------------------------------
  if (m.use_texture) {
    m.texture = Texture::create();
    glBindTexture(GL_TEXTURE_2D_ARRAY, m.texture.id());
    glTexStorage3D(GL_TEXTURE_2D_ARRAY, 1, GL_R32F, problem.nk, problem.nq, problem.heads);
    glTexParameteri(GL_TEXTURE_2D_ARRAY, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D_ARRAY, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D_ARRAY, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D_ARRAY, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    glBindTexture(GL_TEXTURE_2D_ARRAY, 0);
  } else {
    for (Tile& t : m.tiles) {
      t.p = Buffer::create();
      glBindBuffer(GL_SHADER_STORAGE_BUFFER, t.p.id());
      glBufferData(GL_SHADER_STORAGE_BUFFER, GLsizeiptr(t.heads) * t.rows * problem.nk * f, nullptr, GL_DYNAMIC_COPY);
    }
  }
  if (!m.q_buf) m.q_buf = Buffer::create();
  if (!m.k_buf) m.k_buf = Buffer::create();
  if (!m.mask_buf) m.mask_buf = Buffer::create();
  if (!m.row_info) m.row_info = Buffer::create();
  glBindBuffer(GL_SHADER_STORAGE_BUFFER, m.row_info.id());
  glBufferData(GL_SHADER_STORAGE_BUFFER, GLsizeiptr(problem.heads) * problem.nq * sizeof(std::uint32_t), nullptr,
               GL_DYNAMIC_COPY);

  // Custom mask as bits (nq*nk/8 bytes: 32 MiB at 16384^2); a 4-byte dummy keeps binding 3 valid.
  std::vector<std::uint32_t> bits(1, 0u);
  if (problem.mask == MaskKind::Custom) {
    const std::size_t cells = std::size_t(problem.nq) * problem.nk;
    if ((long long)((cells + 31) / 32 * 4) > max_block) {
      *error = "custom mask bits exceed GL_MAX_SHADER_STORAGE_BLOCK_SIZE";
      m.drop();
      return false;
    }
    bits.assign((cells + 31) / 32, 0u);
    for (std::size_t c = 0; c < cells; ++c)
      if (problem.custom_mask[c]) bits[c >> 5] |= 1u << (c & 31);
  }
  glBindBuffer(GL_SHADER_STORAGE_BUFFER, m.mask_buf.id());
  glBufferData(GL_SHADER_STORAGE_BUFFER, GLsizeiptr(bits.size() * 4), bits.data(), GL_STATIC_DRAW);
  glBindBuffer(GL_SHADER_STORAGE_BUFFER, 0);
  if (std::string gl = takeGlErrors(); !gl.empty() && m.use_texture && gl.find("GL_OUT_OF_MEMORY") != std::string::npos) {
    // Some drivers cap one texture's bytes below what the side and layer limits allow (llvmpipe):
    // fall back to storage-buffer tiles, which are allocated per tile.
    m.drop();
    const bool saved = m.options.force_storage_output;
    m.options.force_storage_output = true;
    const bool ok = compute(problem, error);
    m.options.force_storage_output = saved;
    if (ok) m.layout += " (the texture array did not fit: " + gl + ")";
    return ok;
  } else if (!gl.empty()) {
    *error = "allocating GPU storage for P (" + mib((long long)problem.heads * problem.nq * problem.nk * f) +
             ") failed: " + gl;
    m.drop();
    return false;
  }

  // ---- passes ------------------------------------------------------------------------------------
  m.timer.begin();
  const float scale_log2 = float(problem.scoreScale() * 1.4426950408889634);  // exp(x) = exp2(x * log2 e)
  const int v = m.use_texture ? 1 : 0;
  glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 3, m.mask_buf.id());
  glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 4, m.row_info.id());
  for (const Tile& t : m.tiles) {
    // Inputs of this tile are contiguous in the host arrays: tiles span whole heads, or one head.
    const std::size_t q_off = problem.qIndex(t.head0, t.row0, 0);
    const std::size_t q_len = std::size_t(t.heads) * t.rows * problem.d;
    const std::size_t k_off = problem.kIndex(t.head0, 0, 0);
    const std::size_t k_len = std::size_t(t.heads) * problem.nk * problem.d;
    glBindBuffer(GL_SHADER_STORAGE_BUFFER, m.q_buf.id());
    glBufferData(GL_SHADER_STORAGE_BUFFER, GLsizeiptr(q_len * f), problem.q.data() + q_off, GL_STREAM_DRAW);
    glBindBuffer(GL_SHADER_STORAGE_BUFFER, m.k_buf.id());
    glBufferData(GL_SHADER_STORAGE_BUFFER, GLsizeiptr(k_len * f), problem.k.data() + k_off, GL_STREAM_DRAW);
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 1, m.q_buf.id());
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 2, m.k_buf.id());
    m.bindOutput(t);

    const GLuint sp = m.scores[v].id();
    m.setTileUniforms(sp, t);
    setFloat(sp, "uScaleLog2", scale_log2);
    glDispatchCompute(GLuint(ceilDiv(problem.nk, kBlock)), GLuint(ceilDiv(t.rows, kBlock)), GLuint(t.heads));
    glMemoryBarrier(GL_SHADER_IMAGE_ACCESS_BARRIER_BIT | GL_SHADER_STORAGE_BARRIER_BIT);

    const GLuint mp = m.softmax[v].id();
    m.setTileUniforms(mp, t);
    glDispatchCompute(GLuint(t.rows), GLuint(t.heads), 1);
    glMemoryBarrier(GL_SHADER_IMAGE_ACCESS_BARRIER_BIT | GL_SHADER_STORAGE_BARRIER_BIT);
  }
  m.timer.end();
  // Later readers: texture sampling (heatmap), glGetTexImage / glGetBufferSubData (readBack).
  glMemoryBarrier(GL_TEXTURE_FETCH_BARRIER_BIT | GL_TEXTURE_UPDATE_BARRIER_BIT | GL_BUFFER_UPDATE_BARRIER_BIT);
  glUseProgram(0);
  if (std::string gl = takeGlErrors(); !gl.empty()) {
    *error = "gpu-compute passes failed: " + gl;
    m.drop();
    return false;
  }
  for (const Tile& t : m.tiles) m.tile_view.push_back({t.p.id(), t.head0, t.heads, t.row0, t.rows});
  if (m.use_texture) m.tile_view.clear();
  m.layout = (m.use_texture ? "texture array " + std::to_string(m.nk) + "x" + std::to_string(m.nq) + "x" +
                                  std::to_string(m.heads)
                            : std::string("storage buffers")) +
             ", " + std::to_string(m.tiles.size()) + (m.tiles.size() == 1 ? " tile" : " tiles");
  m.has_result = true;
  return true;
}

bool GpuAttentionEngine::hasResult() const { return impl_->has_result; }
int GpuAttentionEngine::heads() const { return impl_->has_result ? impl_->heads : 0; }
int GpuAttentionEngine::nq() const { return impl_->has_result ? impl_->nq : 0; }
int GpuAttentionEngine::nk() const { return impl_->has_result ? impl_->nk : 0; }
bool GpuAttentionEngine::hasTexture() const { return impl_->has_result && impl_->use_texture; }
GLuint GpuAttentionEngine::probabilityTexture() const { return hasTexture() ? impl_->texture.id() : 0; }
int GpuAttentionEngine::textureLayers() const { return hasTexture() ? impl_->heads : 0; }
const std::vector<GpuAttentionEngine::StorageTile>& GpuAttentionEngine::storageTiles() const {
  return impl_->tile_view;
}
std::string GpuAttentionEngine::layoutDescription() const { return impl_->layout; }

AttentionResult GpuAttentionEngine::readBack() {
  Impl& m = *impl_;
  if (!m.has_result) throw std::logic_error("GpuAttentionEngine::readBack before a successful compute()");
  AttentionResult r;
  r.heads = m.heads;
  r.nq = m.nq;
  r.nk = m.nk;
  r.p.assign(std::size_t(m.heads) * m.nq * m.nk, 0.0f);
  glPixelStorei(GL_PACK_ALIGNMENT, 4);
  glPixelStorei(GL_PACK_ROW_LENGTH, 0);
  glPixelStorei(GL_PACK_SKIP_ROWS, 0);
  glPixelStorei(GL_PACK_SKIP_PIXELS, 0);
  glBindBuffer(GL_PIXEL_PACK_BUFFER, 0);
  if (m.use_texture) {
    // The texture array's memory order (x fastest, then y, then layer) is exactly [h][i][j].
    glBindTexture(GL_TEXTURE_2D_ARRAY, m.texture.id());
    glGetTexImage(GL_TEXTURE_2D_ARRAY, 0, GL_RED, GL_FLOAT, r.p.data());
    glBindTexture(GL_TEXTURE_2D_ARRAY, 0);
  } else {
    for (const Tile& t : m.tiles) {
      glBindBuffer(GL_SHADER_STORAGE_BUFFER, t.p.id());
      const std::size_t head_bytes = std::size_t(t.rows) * m.nk * sizeof(float);
      for (int hl = 0; hl < t.heads; ++hl)
        glGetBufferSubData(GL_SHADER_STORAGE_BUFFER, GLintptr(hl * head_bytes), GLsizeiptr(head_bytes),
                           r.p.data() + r.index(t.head0 + hl, t.row0, 0));
    }
  }
  std::vector<std::uint32_t> visible(std::size_t(m.heads) * m.nq, 0u);
  glBindBuffer(GL_SHADER_STORAGE_BUFFER, m.row_info.id());
  glGetBufferSubData(GL_SHADER_STORAGE_BUFFER, 0, GLsizeiptr(visible.size() * 4), visible.data());
  glBindBuffer(GL_SHADER_STORAGE_BUFFER, 0);
  r.row_fully_masked.resize(visible.size());
  for (std::size_t e = 0; e < visible.size(); ++e) r.row_fully_masked[e] = visible[e] == 0 ? 1 : 0;
  if (std::string gl = takeGlErrors(); !gl.empty()) throw std::runtime_error("gpu-compute readback failed: " + gl);
  return r;
}

GpuRowStats GpuAttentionEngine::reduce(int head) {
  Impl& m = *impl_;
  GpuRowStats s;
  s.head = head;
  if (!m.has_result) {
    s.error = "no result to reduce";
    return s;
  }
  if (head < 0 || head >= m.heads) {
    s.error = "head " + std::to_string(head) + " out of range";
    return s;
  }
  s.nq = m.nq;
  s.nk = m.nk;
  const int v = m.use_texture ? 1 : 0;
  if (!m.row_stats_buf) m.row_stats_buf = Buffer::create();
  if (!m.column_sums_buf) m.column_sums_buf = Buffer::create();
  glBindBuffer(GL_SHADER_STORAGE_BUFFER, m.row_stats_buf.id());
  glBufferData(GL_SHADER_STORAGE_BUFFER, GLsizeiptr(m.nq) * 16, nullptr, GL_DYNAMIC_READ);
  glBindBuffer(GL_SHADER_STORAGE_BUFFER, m.column_sums_buf.id());
  glBufferData(GL_SHADER_STORAGE_BUFFER, GLsizeiptr(m.nk) * 4, nullptr, GL_DYNAMIC_READ);
  glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 3, m.mask_buf.id());
  glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 5, m.row_stats_buf.id());
  glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 6, m.column_sums_buf.id());
  bool first = true;
  for (const Tile& t : m.tiles) {
    if (head < t.head0 || head >= t.head0 + t.heads) continue;
    m.bindOutput(t);
    const GLuint rp = m.row_stats[v].id();
    m.setTileUniforms(rp, t);
    setInt(rp, "uHeadInTile", head - t.head0);
    glDispatchCompute(GLuint(t.rows), 1, 1);
    const GLuint cp = m.column_sums[v].id();
    m.setTileUniforms(cp, t);
    setInt(cp, "uHeadInTile", head - t.head0);
    setInt(cp, "uAccumulate", first ? 0 : 1);
    glDispatchCompute(GLuint(ceilDiv(m.nk, kColumnGroup)), 1, 1);
    glMemoryBarrier(GL_SHADER_STORAGE_BARRIER_BIT);
    first = false;
  }
  glUseProgram(0);
  glMemoryBarrier(GL_BUFFER_UPDATE_BARRIER_BIT);

  struct RowStat {
    float entropy;
    float max_weight;
    std::int32_t max_col;
    std::int32_t pad;
  };
  std::vector<RowStat> rows(std::size_t(m.nq));
  std::vector<float> cols(std::size_t(m.nk));
  std::vector<std::uint32_t> visible(std::size_t(m.nq));
  glBindBuffer(GL_SHADER_STORAGE_BUFFER, m.row_stats_buf.id());
  glGetBufferSubData(GL_SHADER_STORAGE_BUFFER, 0, GLsizeiptr(rows.size() * sizeof(RowStat)), rows.data());
  glBindBuffer(GL_SHADER_STORAGE_BUFFER, m.column_sums_buf.id());
  glGetBufferSubData(GL_SHADER_STORAGE_BUFFER, 0, GLsizeiptr(cols.size() * 4), cols.data());
  glBindBuffer(GL_SHADER_STORAGE_BUFFER, m.row_info.id());
  glGetBufferSubData(GL_SHADER_STORAGE_BUFFER, GLintptr(std::size_t(head) * m.nq * 4), GLsizeiptr(visible.size() * 4),
                     visible.data());
  glBindBuffer(GL_SHADER_STORAGE_BUFFER, 0);
  if (std::string gl = takeGlErrors(); !gl.empty()) {
    s.error = "gpu reduction failed: " + gl;
    return s;
  }
  s.row_entropy_bits.resize(rows.size());
  s.row_max_weight.resize(rows.size());
  s.row_max_col.resize(rows.size());
  s.visible_keys.resize(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    s.row_entropy_bits[i] = rows[i].entropy;
    s.row_max_weight[i] = rows[i].max_weight;
    s.row_max_col[i] = rows[i].max_col;
    s.visible_keys[i] = int(visible[i]);
    if (i == 0 || rows[i].max_weight > s.max_weight) {  // strict: first row wins ties (row-major order)
      s.max_weight = rows[i].max_weight;
      s.max_row = int(i);
      s.max_col = rows[i].max_col;
    }
  }
  s.column_sums.assign(cols.begin(), cols.end());
  return s;
}

double GpuAttentionEngine::lastGpuMs() {
  return impl_->timer.ms();
}

}  // namespace attnviz::gpu
