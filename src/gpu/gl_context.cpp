#include "gpu/gl_context.h"

#include <glad/egl.h>
#include <glad/gl.h>
#include <SDL.h>

#include <dlfcn.h>
#include <link.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <vector>

namespace attnviz::gpu {

namespace {

// EGL displays are per-process singletons: two contexts on one display must not eglTerminate it
// under each other, so the displays we initialised are reference counted.
std::mutex g_display_mutex;
std::map<EGLDisplay, int>& displayRefs() {
  static std::map<EGLDisplay, int> refs;
  return refs;
}

void retainDisplay(EGLDisplay dpy) {
  std::lock_guard<std::mutex> lock(g_display_mutex);
  ++displayRefs()[dpy];
}
void releaseDisplay(EGLDisplay dpy) {
  std::lock_guard<std::mutex> lock(g_display_mutex);
  auto it = displayRefs().find(dpy);
  if (it == displayRefs().end()) return;
  if (--it->second == 0) {
    displayRefs().erase(it);
    eglTerminate(dpy);
  }
}

GLADapiproc eglProc(const char* name) { return reinterpret_cast<GLADapiproc>(eglGetProcAddress(name)); }
GLADapiproc sdlProc(const char* name) { return reinterpret_cast<GLADapiproc>(SDL_GL_GetProcAddress(name)); }

std::string envOr(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : std::string(fallback);
}

bool hasExtension(const char* list, const char* ext) {
  if (!list) return false;
  const std::size_t n = std::strlen(ext);
  for (const char* p = list; (p = std::strstr(p, ext)) != nullptr; p += n)
    if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0')) return true;
  return false;
}

std::string eglErrorName(EGLint e) {
  switch (e) {
    case EGL_SUCCESS: return "EGL_SUCCESS";
    case EGL_NOT_INITIALIZED: return "EGL_NOT_INITIALIZED";
    case EGL_BAD_ACCESS: return "EGL_BAD_ACCESS";
    case EGL_BAD_ALLOC: return "EGL_BAD_ALLOC";
    case EGL_BAD_ATTRIBUTE: return "EGL_BAD_ATTRIBUTE";
    case EGL_BAD_CONFIG: return "EGL_BAD_CONFIG";
    case EGL_BAD_CONTEXT: return "EGL_BAD_CONTEXT";
    case EGL_BAD_DISPLAY: return "EGL_BAD_DISPLAY";
    case EGL_BAD_MATCH: return "EGL_BAD_MATCH";
    case EGL_BAD_PARAMETER: return "EGL_BAD_PARAMETER";
    default: return "EGL error 0x" + std::to_string(e);
  }
}

// Versions tried from the newest down; drivers refuse versions they lack, and a core context of a
// lower requested version is usually the newest anyway.
const std::vector<GlVersion>& candidateVersions() {
  static const std::vector<GlVersion> v = {{4, 6}, {4, 5}, {4, 3}, {4, 1}, {3, 3}};
  return v;
}

bool debugWanted(const ContextOptions& o) { return o.debug || envOr("ATTNVIZ_GL_DEBUG", "0") == "1"; }

std::mutex g_debug_mutex;
std::string& debugLog() {
  static std::string log;
  return log;
}

void GLAD_API_PTR onGlDebug(GLenum, GLenum type, GLuint, GLenum severity, GLsizei length, const GLchar* message,
                            const void*) {
  if (severity == GL_DEBUG_SEVERITY_NOTIFICATION || severity == GL_DEBUG_SEVERITY_LOW) return;
  std::lock_guard<std::mutex> lock(g_debug_mutex);
  std::string& log = debugLog();
  if (log.size() > 16384) return;  // a runaway driver must not eat memory
  log += type == GL_DEBUG_TYPE_ERROR ? "error: " : "warning: ";
  log.append(message, length >= 0 ? std::size_t(length) : std::strlen(message));
  log += '\n';
}

GlVersion currentGlVersion() {
  GlVersion v;
  glGetIntegerv(GL_MAJOR_VERSION, &v.major);
  glGetIntegerv(GL_MINOR_VERSION, &v.minor);
  return v;
}

void installDebugCallback() {
  if (glDebugMessageCallback == nullptr) return;
  glEnable(GL_DEBUG_OUTPUT);
  glEnable(GL_DEBUG_OUTPUT_SYNCHRONOUS);
  glDebugMessageCallback(onGlDebug, nullptr);
}

}  // namespace

struct GlContext::Impl {
  // EGL path
  EGLDisplay display = EGL_NO_DISPLAY;
  EGLContext context = EGL_NO_CONTEXT;
  // SDL path
  SDL_Window* window = nullptr;
  SDL_GLContext sdl_context = nullptr;
  bool sdl_inited = false;

  ~Impl() {
    if (context != EGL_NO_CONTEXT) {
      eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
      eglDestroyContext(display, context);
    }
    if (display != EGL_NO_DISPLAY) releaseDisplay(display);
    if (sdl_context) {
      SDL_GL_MakeCurrent(window, nullptr);
      SDL_GL_DeleteContext(sdl_context);
    }
    if (window) SDL_DestroyWindow(window);
    if (sdl_inited) SDL_QuitSubSystem(SDL_INIT_VIDEO);
  }
};

namespace {

// Makes a core context on an initialised display; on success impl owns display and context.
bool createEglContextOn(EGLDisplay dpy, const ContextOptions& options, GlContext::Impl& impl, GlVersion* got,
                        std::string* why) {
  EGLint major = 0, minor = 0;
  if (!eglInitialize(dpy, &major, &minor)) {
    *why = "eglInitialize failed (" + eglErrorName(eglGetError()) + ")";
    return false;
  }
  retainDisplay(dpy);
  gladLoaderLoadEGL(dpy);  // display extensions
  auto fail = [&](const std::string& reason) {
    *why = reason;
    releaseDisplay(dpy);
    return false;
  };
  if (!eglBindAPI(EGL_OPENGL_API)) return fail("display has no desktop OpenGL (eglBindAPI failed)");
  const char* display_ext = eglQueryString(dpy, EGL_EXTENSIONS);
  const bool surfaceless = hasExtension(display_ext, "EGL_KHR_surfaceless_context");
  if (!surfaceless) return fail("display lacks EGL_KHR_surfaceless_context");

  EGLConfig config = nullptr;
  EGLint n = 0;
  const EGLint config_attribs[] = {EGL_RENDERABLE_TYPE, EGL_OPENGL_BIT, EGL_SURFACE_TYPE, 0, EGL_NONE};
  if (!eglChooseConfig(dpy, config_attribs, &config, 1, &n) || n < 1) {
    if (!hasExtension(display_ext, "EGL_KHR_no_config_context")) return fail("no EGL config renders desktop OpenGL");
    config = EGL_NO_CONFIG_KHR;
  }
  const bool debug = debugWanted(options);
  std::string last_error;
  for (const GlVersion& v : candidateVersions()) {
    if (!v.atLeast(options.min_major, options.min_minor)) break;
    std::vector<EGLint> attribs = {EGL_CONTEXT_MAJOR_VERSION, v.major, EGL_CONTEXT_MINOR_VERSION, v.minor,
                                   EGL_CONTEXT_OPENGL_PROFILE_MASK, EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT};
    if (debug) attribs.insert(attribs.end(), {EGL_CONTEXT_OPENGL_DEBUG, EGL_TRUE});
    attribs.push_back(EGL_NONE);
    EGLContext ctx = eglCreateContext(dpy, config, EGL_NO_CONTEXT, attribs.data());
    if (ctx == EGL_NO_CONTEXT) {
      last_error = eglErrorName(eglGetError());
      continue;
    }
    if (!eglMakeCurrent(dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, ctx)) {
      last_error = "eglMakeCurrent: " + eglErrorName(eglGetError());
      eglDestroyContext(dpy, ctx);
      continue;
    }
    if (!gladLoadGL(eglProc)) {
      eglMakeCurrent(dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
      eglDestroyContext(dpy, ctx);
      return fail("could not load GL functions through eglGetProcAddress");
    }
    *got = currentGlVersion();
    if (!got->atLeast(options.min_major, options.min_minor)) {
      last_error = "driver gave GL " + std::to_string(got->major) + "." + std::to_string(got->minor);
      eglMakeCurrent(dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
      eglDestroyContext(dpy, ctx);
      continue;
    }
    impl.display = dpy;
    impl.context = ctx;
    if (debug) installDebugCallback();
    keepLoadedLibrariesResident();
    return true;
  }
  return fail("no OpenGL " + std::to_string(options.min_major) + "." + std::to_string(options.min_minor) +
              " core context (" + (last_error.empty() ? "not offered" : last_error) + ")");
}

struct EglCandidate {
  std::string label;
  EGLDisplay display;
};

std::vector<EglCandidate> eglCandidates(const std::string& only, std::string* notes) {
  std::vector<EglCandidate> hardware, software, out;
  if (!gladLoaderLoadEGL(EGL_NO_DISPLAY)) {
    *notes += "libEGL not found; ";
    return out;
  }
  const char* client_ext = eglQueryString(EGL_NO_DISPLAY, EGL_EXTENSIONS);
  const bool platform_base = eglGetPlatformDisplayEXT != nullptr || eglGetPlatformDisplay != nullptr;
  auto platformDisplay = [&](EGLenum platform, void* native) -> EGLDisplay {
    if (eglGetPlatformDisplay) return eglGetPlatformDisplay(platform, native, nullptr);
    if (eglGetPlatformDisplayEXT) return eglGetPlatformDisplayEXT(platform, native, nullptr);
    return EGL_NO_DISPLAY;
  };
  if (platform_base && hasExtension(client_ext, "EGL_EXT_platform_device") && eglQueryDevicesEXT) {
    EGLDeviceEXT devices[16];
    EGLint count = 0;
    if (eglQueryDevicesEXT(16, devices, &count)) {
      for (EGLint i = 0; i < count; ++i) {
        const char* dev_ext = eglQueryDeviceStringEXT ? eglQueryDeviceStringEXT(devices[i], EGL_EXTENSIONS) : nullptr;
        const bool is_software = hasExtension(dev_ext, "EGL_MESA_device_software");
        std::string label = is_software ? "egl-software-device" : "egl-device";
        if (!is_software && eglQueryDeviceStringEXT && hasExtension(dev_ext, "EGL_EXT_device_drm")) {
          if (const char* file = eglQueryDeviceStringEXT(devices[i], EGL_DRM_DEVICE_FILE_EXT)) label += std::string(" ") + file;
        }
        EGLDisplay dpy = platformDisplay(EGL_PLATFORM_DEVICE_EXT, devices[i]);
        if (dpy == EGL_NO_DISPLAY) continue;
        (is_software ? software : hardware).push_back({label, dpy});
      }
    }
  }
  std::vector<EglCandidate> surfaceless;
  if (platform_base && hasExtension(client_ext, "EGL_MESA_platform_surfaceless")) {
    EGLDisplay dpy = platformDisplay(EGL_PLATFORM_SURFACELESS_MESA, nullptr);
    if (dpy != EGL_NO_DISPLAY) surfaceless.push_back({"egl-surfaceless", dpy});
  }
  auto take = [&](const std::vector<EglCandidate>& from, const char* kind) {
    if (only.empty() || only == kind)
      out.insert(out.end(), from.begin(), from.end());
  };
  take(hardware, "egl-device");
  take(surfaceless, "egl-surfaceless");
  take(software, "egl-device");
  if (only.empty() || only == "egl-default") {
    EGLDisplay dpy = eglGetDisplay(EGL_DEFAULT_DISPLAY);
    if (dpy != EGL_NO_DISPLAY) out.push_back({"egl-default", dpy});
  }
  return out;
}

bool createSdlContext(const ContextOptions& options, GlContext::Impl& impl, GlVersion* got, std::string* why) {
  if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0) {
    *why = std::string("SDL video: ") + SDL_GetError();
    return false;
  }
  impl.sdl_inited = true;
  const bool debug = debugWanted(options);
  for (const GlVersion& v : candidateVersions()) {
    if (!v.atLeast(options.min_major, options.min_minor)) break;
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_PROFILE_MASK, SDL_GL_CONTEXT_PROFILE_CORE);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, v.major);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, v.minor);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_FLAGS, debug ? SDL_GL_CONTEXT_DEBUG_FLAG : 0);
    if (!impl.window)
      impl.window = SDL_CreateWindow("attnviz-offscreen", SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, 16, 16,
                                     SDL_WINDOW_OPENGL | SDL_WINDOW_HIDDEN);
    if (!impl.window) {
      *why = std::string("SDL hidden window: ") + SDL_GetError();
      return false;
    }
    impl.sdl_context = SDL_GL_CreateContext(impl.window);
    if (!impl.sdl_context) {
      *why = std::string("SDL GL context: ") + SDL_GetError();
      continue;
    }
    if (!gladLoadGL(sdlProc)) {
      *why = "could not load GL functions through SDL";
      return false;
    }
    *got = currentGlVersion();
    if (got->atLeast(options.min_major, options.min_minor)) {
      if (debug) installDebugCallback();
      keepLoadedLibrariesResident();
      return true;
    }
    SDL_GL_DeleteContext(impl.sdl_context);
    impl.sdl_context = nullptr;
  }
  if (why->empty()) *why = "no suitable SDL GL context";
  return false;
}

}  // namespace

void keepLoadedLibrariesResident() {
  std::vector<std::string> names;
  dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void* out) {
        if (info->dlpi_name && info->dlpi_name[0] == '/') static_cast<std::vector<std::string>*>(out)->push_back(info->dlpi_name);
        return 0;
      },
      &names);
  // The handles are kept on purpose: with RTLD_NODELETE a dlclose could not unload them anyway.
  for (const std::string& name : names) dlopen(name.c_str(), RTLD_LAZY | RTLD_NOLOAD | RTLD_NODELETE);
}

GlContext::GlContext(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GlContext::~GlContext() = default;

std::unique_ptr<GlContext> GlContext::createHeadless(const ContextOptions& options, std::string* error) {
  const std::string forced = envOr("ATTNVIZ_GL_BACKEND", "");
  if (!forced.empty() && forced != "egl-device" && forced != "egl-surfaceless" && forced != "egl-default" &&
      forced != "sdl") {
    if (error) *error = "ATTNVIZ_GL_BACKEND='" + forced + "' is not one of egl-device, egl-surfaceless, egl-default, sdl";
    return nullptr;
  }
  std::string reasons;
  if (forced != "sdl") {
    for (const EglCandidate& c : eglCandidates(forced, &reasons)) {
      auto impl = std::make_unique<Impl>();
      GlVersion got;
      std::string why;
      if (createEglContextOn(c.display, options, *impl, &got, &why)) {
        std::unique_ptr<GlContext> ctx(new GlContext(std::move(impl)));
        ctx->backend_ = c.label;
        ctx->version_ = got;
        return ctx;
      }
      reasons += c.label + ": " + why + "; ";
    }
    if (reasons.empty()) reasons = "no EGL display; ";
  }
  if (options.allow_sdl_fallback && (forced.empty() || forced == "sdl")) {
    auto impl = std::make_unique<Impl>();
    GlVersion got;
    std::string why;
    if (createSdlContext(options, *impl, &got, &why)) {
      std::unique_ptr<GlContext> ctx(new GlContext(std::move(impl)));
      ctx->backend_ = "sdl-hidden-window";
      ctx->version_ = got;
      return ctx;
    }
    reasons += "sdl: " + why + "; ";
  }
  if (reasons.size() >= 2) reasons.resize(reasons.size() - 2);
  if (error) *error = "no OpenGL " + std::to_string(options.min_major) + "." + std::to_string(options.min_minor) +
                      " core context: " + reasons;
  return nullptr;
}

bool GlContext::makeCurrent() {
  if (impl_->context != EGL_NO_CONTEXT)
    return eglMakeCurrent(impl_->display, EGL_NO_SURFACE, EGL_NO_SURFACE, impl_->context) == EGL_TRUE;
  return SDL_GL_MakeCurrent(impl_->window, impl_->sdl_context) == 0;
}

void GlContext::doneCurrent() {
  if (impl_->context != EGL_NO_CONTEXT)
    eglMakeCurrent(impl_->display, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
  else if (impl_->window)
    SDL_GL_MakeCurrent(impl_->window, nullptr);
}

GlInfo queryGlInfo() {
  GlInfo info;
  auto str = [](GLenum e) {
    const GLubyte* s = glGetString(e);
    return s ? std::string(reinterpret_cast<const char*>(s)) : std::string();
  };
  info.vendor = str(GL_VENDOR);
  info.renderer = str(GL_RENDERER);
  info.version = str(GL_VERSION);
  info.glsl_version = str(GL_SHADING_LANGUAGE_VERSION);
  info.gl = currentGlVersion();
  info.has_compute = info.gl.atLeast(4, 3);
  info.has_subgroup = GLAD_GL_KHR_shader_subgroup != 0;
  info.has_debug_output = info.gl.atLeast(4, 3) || GLAD_GL_KHR_debug;
  glGetIntegerv(GL_MAX_TEXTURE_SIZE, &info.max_texture_size);
  glGetIntegerv(GL_MAX_ARRAY_TEXTURE_LAYERS, &info.max_array_texture_layers);
  glGetIntegerv(GL_MAX_RENDERBUFFER_SIZE, &info.max_renderbuffer_size);
  glGetIntegerv(GL_MAX_VIEWPORT_DIMS, info.max_viewport_dims);
  if (info.has_compute) {
    glGetIntegerv(GL_MAX_COMPUTE_WORK_GROUP_INVOCATIONS, &info.max_compute_work_group_invocations);
    for (GLuint i = 0; i < 3; ++i) {
      glGetIntegeri_v(GL_MAX_COMPUTE_WORK_GROUP_SIZE, i, &info.max_compute_work_group_size[i]);
      glGetIntegeri_v(GL_MAX_COMPUTE_WORK_GROUP_COUNT, i, &info.max_compute_work_group_count[i]);
    }
    glGetIntegerv(GL_MAX_COMPUTE_SHARED_MEMORY_SIZE, &info.max_compute_shared_memory_size);
    GLint64 block = 0;
    glGetInteger64v(GL_MAX_SHADER_STORAGE_BLOCK_SIZE, &block);
    info.max_shader_storage_block_size = block;
    glGetIntegerv(GL_SHADER_STORAGE_BUFFER_OFFSET_ALIGNMENT, &info.shader_storage_buffer_offset_alignment);
    glGetIntegerv(GL_MAX_SHADER_STORAGE_BUFFER_BINDINGS, &info.max_shader_storage_buffer_bindings);
    glGetIntegerv(GL_MAX_IMAGE_UNITS, &info.max_image_units);
  }
  takeGlErrors();  // a query a driver does not know must not leak into the caller's error checks
  return info;
}

std::string takeGlErrors() {
  std::string out;
  for (int guard = 0; guard < 32; ++guard) {
    const GLenum e = glGetError();
    if (e == GL_NO_ERROR) break;
    std::string name;
    switch (e) {
      case GL_INVALID_ENUM: name = "GL_INVALID_ENUM"; break;
      case GL_INVALID_VALUE: name = "GL_INVALID_VALUE"; break;
      case GL_INVALID_OPERATION: name = "GL_INVALID_OPERATION"; break;
      case GL_INVALID_FRAMEBUFFER_OPERATION: name = "GL_INVALID_FRAMEBUFFER_OPERATION"; break;
      case GL_OUT_OF_MEMORY: name = "GL_OUT_OF_MEMORY"; break;
      default: name = "GL error 0x" + std::to_string(e);
    }
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

std::string takeGlDebugMessages() {
  std::lock_guard<std::mutex> lock(g_debug_mutex);
  std::string out;
  out.swap(debugLog());
  return out;
}

bool currentContextAtLeast(int major, int minor, const std::string& what, std::string* why) {
  if (glGetString == nullptr) {
    if (why) *why = "no GL context (GL functions not loaded)";
    return false;
  }
  GLint have_major = 0, have_minor = 0;
  glGetIntegerv(GL_MAJOR_VERSION, &have_major);
  glGetIntegerv(GL_MINOR_VERSION, &have_minor);
  if (GlVersion{have_major, have_minor}.atLeast(major, minor)) return true;
  if (why)
    *why = what + " needs OpenGL " + std::to_string(major) + "." + std::to_string(minor) + "; the context is " +
           std::to_string(have_major) + "." + std::to_string(have_minor);
  return false;
}

}  // namespace attnviz::gpu
