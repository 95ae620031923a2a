// Move-only RAII owners of GL object names (Buffer, Texture, Program, Shader, Framebuffer, Query,
// VertexArray): copy deleted, noexcept move, glDelete* in the destructor.
// Creating and destroying them needs the owning GL context current; destroy them before it.
#pragma once

#include <glad/gl.h>

#include <utility>

namespace attnviz::gpu {

template <class Traits>
class GlObject {
 public:
  GlObject() = default;
  // Takes ownership of an existing name.
  explicit GlObject(GLuint id) noexcept : id_(id) {}
  // Generates a new name (Traits::create).
  static GlObject create() { return GlObject(Traits::create()); }

  ~GlObject() { reset(); }
  GlObject(const GlObject&) = delete;
  GlObject& operator=(const GlObject&) = delete;
  GlObject(GlObject&& other) noexcept : id_(std::exchange(other.id_, 0u)) {}
  GlObject& operator=(GlObject&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, 0u);
    }
    return *this;
  }

  GLuint id() const noexcept { return id_; }
  explicit operator bool() const noexcept { return id_ != 0; }
  // Gives up ownership without deleting.
  GLuint release() noexcept { return std::exchange(id_, 0u); }
  void reset() noexcept {
    if (id_ != 0) Traits::destroy(id_);
    id_ = 0;
  }

 private:
  GLuint id_ = 0;
};

namespace detail {
// glDelete* is skipped when the function table is gone (objects outliving a failed context).
struct BufferTraits {
  static GLuint create() { GLuint id = 0; glGenBuffers(1, &id); return id; }
  static void destroy(GLuint id) { if (glDeleteBuffers) glDeleteBuffers(1, &id); }
};
struct TextureTraits {
  static GLuint create() { GLuint id = 0; glGenTextures(1, &id); return id; }
  static void destroy(GLuint id) { if (glDeleteTextures) glDeleteTextures(1, &id); }
};
struct FramebufferTraits {
  static GLuint create() { GLuint id = 0; glGenFramebuffers(1, &id); return id; }
  static void destroy(GLuint id) { if (glDeleteFramebuffers) glDeleteFramebuffers(1, &id); }
};
struct QueryTraits {
  static GLuint create() { GLuint id = 0; glGenQueries(1, &id); return id; }
  static void destroy(GLuint id) { if (glDeleteQueries) glDeleteQueries(1, &id); }
};
struct VertexArrayTraits {
  static GLuint create() { GLuint id = 0; glGenVertexArrays(1, &id); return id; }
  static void destroy(GLuint id) { if (glDeleteVertexArrays) glDeleteVertexArrays(1, &id); }
};
struct ProgramTraits {
  static GLuint create() { return glCreateProgram(); }
  static void destroy(GLuint id) { if (glDeleteProgram) glDeleteProgram(id); }
};
struct ShaderTraits {
  static GLuint create() = delete;  // the stage is needed: Shader(glCreateShader(type))
  static void destroy(GLuint id) { if (glDeleteShader) glDeleteShader(id); }
};
}  // namespace detail

using Buffer = GlObject<detail::BufferTraits>;
using Texture = GlObject<detail::TextureTraits>;
using Framebuffer = GlObject<detail::FramebufferTraits>;
using Query = GlObject<detail::QueryTraits>;
using VertexArray = GlObject<detail::VertexArrayTraits>;
using Program = GlObject<detail::ProgramTraits>;
using Shader = GlObject<detail::ShaderTraits>;

}  // namespace attnviz::gpu
