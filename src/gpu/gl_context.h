// Headless OpenGL contexts and the facts about the current context that the engines depend on.
//
// GlContext::createHeadless() makes an OpenGL *core* context without a window or a display:
//   1. EGL device platform (EGL_EXT_platform_device), hardware devices first: headless NVIDIA;
//   2. EGL surfaceless platform (EGL_MESA_platform_surfaceless): Mesa, llvmpipe in CI;
//   3. EGL device platform, software devices (Mesa's llvmpipe device);
//   4. EGL default display;
//   5. a hidden SDL window (only when every EGL path failed, e.g. no libEGL).
// The environment variable ATTNVIZ_GL_BACKEND=egl-device|egl-surfaceless|egl-default|sdl forces one.
// On failure it returns nullptr and a reason in words; it never aborts the process.
//
// GL functions are loaded through glad (one global function table), so at most one kind of driver
// is in use per process; that is the case for every path above.
#pragma once

#include <memory>
#include <string>

namespace attnviz::gpu {

struct GlVersion {
  int major = 0;
  int minor = 0;
  bool atLeast(int want_major, int want_minor) const {
    return major > want_major || (major == want_major && minor >= want_minor);
  }
};

struct ContextOptions {
  // The lowest core version accepted: 4.3 for gpu-compute, 3.3 for gpu-fragment.
  int min_major = 3;
  int min_minor = 3;
  // Ask for a debug context and install glDebugMessageCallback (also on with ATTNVIZ_GL_DEBUG=1);
  // messages of high/medium severity are collected, see takeGlDebugMessages().
  bool debug = false;
  // Try a hidden SDL window when EGL cannot make a context.
  bool allow_sdl_fallback = true;
};

// Whether the *current* context is at least major.minor; false and *why (naming `what`, e.g.
// "gpu-compute", and the version found) when it is older or no GL functions are loaded.
bool currentContextAtLeast(int major, int minor, const std::string& what, std::string* why);

// Marks every shared library loaded so far as never to be unloaded (glibc's RTLD_NODELETE,
// promoted with RTLD_NOLOAD). Called once a context exists: the GL driver that context loaded then
// stays mapped until exit, so a leak report of the driver's names its library (and the leak
// suppressions in tests/lsan.supp can match it) instead of an "<unknown module>" that was unloaded.
// Costs nothing at run time; the libraries would stay loaded while the context lives anyway.
void keepLoadedLibrariesResident();

// RAII owner of a headless GL context. Created current on the calling thread; the destructor
// releases and destroys it. Destroy every GL object made in it (gl_objects.h) before the context.
class GlContext {
 public:
  // nullptr and *error (if given) set to why no context could be made.
  static std::unique_ptr<GlContext> createHeadless(const ContextOptions& options = {}, std::string* error = nullptr);

  ~GlContext();
  GlContext(const GlContext&) = delete;
  GlContext& operator=(const GlContext&) = delete;

  bool makeCurrent();
  void doneCurrent();
  // Which path made it: "egl-device", "egl-surfaceless", "egl-software-device", "egl-default",
  // "sdl-hidden-window"; with the EGL device name where known.
  const std::string& backend() const { return backend_; }
  GlVersion version() const { return version_; }

  struct Impl;

 private:
  explicit GlContext(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::string backend_;
  GlVersion version_;
};

// Facts about the current context (needs a current context with GL functions loaded).
// Limits are queried, never assumed; a limit the context lacks (no compute in 3.3) is 0.
struct GlInfo {
  std::string vendor, renderer, version, glsl_version;
  GlVersion gl;
  bool has_compute = false;          // GL 4.3 (compute shaders + SSBOs + image load/store)
  bool has_subgroup = false;         // GL_KHR_shader_subgroup (not on llvmpipe; engines do not need it)
  bool has_debug_output = false;     // GL_KHR_debug or GL 4.3
  int max_texture_size = 0;          // GL_MAX_TEXTURE_SIZE: texels per side
  int max_array_texture_layers = 0;  // GL_MAX_ARRAY_TEXTURE_LAYERS
  int max_renderbuffer_size = 0;
  int max_viewport_dims[2] = {0, 0};
  int max_compute_work_group_invocations = 0;
  int max_compute_work_group_size[3] = {0, 0, 0};
  int max_compute_work_group_count[3] = {0, 0, 0};
  int max_compute_shared_memory_size = 0;       // bytes
  long long max_shader_storage_block_size = 0;  // bytes
  int shader_storage_buffer_offset_alignment = 0;
  int max_shader_storage_buffer_bindings = 0;
  int max_image_units = 0;
};
GlInfo queryGlInfo();

// Pending glGetError codes as text ("GL_OUT_OF_MEMORY, ..."); empty when none. Clears them.
std::string takeGlErrors();

// Debug-output messages (high/medium severity) collected since the last call, one per line.
std::string takeGlDebugMessages();

}  // namespace attnviz::gpu
