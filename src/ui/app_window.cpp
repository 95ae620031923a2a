#include "ui/app_window.h"

#include <SDL.h>
#include <glad/gl.h>
#include <imgui.h>
#include <imgui_impl_opengl3.h>
#include <imgui_impl_sdl.h>

#include <algorithm>
#include <chrono>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <vector>

#include "core/tokenizer.h"
#include "gpu/fragment_engine.h"
#include "gpu/gl_context.h"
#include "gpu/gpu_engine.h"
#include "model/model_path.h"
#include "render/heatmap_renderer.h"
#include "render/png_writer.h"
#include "core/deck.h"
#include "core/thread_pool.h"
#include "ui/app_controller.h"
#include "ui/deck_player.h"
#include "ui/figure_export.h"
#include "ui/model_holder.h"
#include "ui/model_load.h"
#include "ui/model_options.h"
#include "ui/settings.h"
#include "ui/text_bounds.h"
#include "ui/ui_context.h"
#include "ui/frame_pacing.h"
#include "ui/heatmap_sync.h"
#include "ui/window_bench.h"

namespace attnviz::ui {
namespace {

double nowSeconds() { return windowClockSeconds(); }

// The engines, run in the window's own GL context so that the heatmap samples the texture the
// GPU engine wrote (no upload). The host copy of P is read back once per recompute for the
// tooltips, arcs, stats and pattern readout; nothing is read back or uploaded per frame.
class WindowCompute {
 public:
  explicit WindowCompute(render::HeatmapRenderer* heatmap) : heatmap_(heatmap) {
    compute_ok_ = gpu::GpuAttentionEngine::supported(&compute_why_);
    fragment_ok_ = gpu::FragmentAttentionEngine::supported(&fragment_why_);
    const std::string renderer = render::HeatmapRenderer::glRenderer();
    for (const char* soft : {"llvmpipe", "softpipe", "SwiftShader", "swrast"})
      if (renderer.find(soft) != std::string::npos) software_renderer_ = renderer;
  }

  // Whether `requested` resolves to a CPU engine (safe off the UI thread).
  bool runsOnCpu(const std::string& requested) const {
    return requested == "cpu-ref" || requested == "cpu-fast" || (requested == "auto" && !software_renderer_.empty());
  }

  ComputeOutput operator()(const AttentionProblem& problem, const std::string& requested) {
    if (requested == "cpu-ref" || requested == "cpu-fast") return onCpu(problem, requested, "");
    // On a software rasteriser the "GPU" is these same CPU cores behind a slower path: auto takes
    // the CPU engine there (measured: 12 ms vs 115 ms recompute for 512 tokens on llvmpipe). On a
    // real GPU auto computes on it and the heatmap samples the engine's texture directly.
    if (requested == "auto" && !software_renderer_.empty())
      return onCpu(problem, "cpu-fast", "auto chose cpu-fast: the GL renderer is software (" + software_renderer_ + ")");
    std::string note;
    if (requested == "gpu-compute" || requested == "auto") {
      std::string error;
      if (!compute_ok_) {
        error = compute_why_;
      } else {
        if (!compute_) compute_ = std::make_unique<gpu::GpuAttentionEngine>();
        if (compute_->compute(problem, &error)) return fromEngine(*compute_, "gpu-compute", note);
      }
      if (requested == "gpu-compute") throw std::runtime_error(error);
      note = "gpu-compute unavailable (" + error + ")";
    }
    if (requested == "gpu-fragment" || requested == "auto") {
      std::string error;
      if (!fragment_ok_) {
        error = fragment_why_;
      } else {
        if (!fragment_) fragment_ = std::make_unique<gpu::FragmentAttentionEngine>();
        if (fragment_->compute(problem, &error)) return fromEngine(*fragment_, "gpu-fragment", note);
      }
      if (requested == "gpu-fragment") throw std::runtime_error(error);
      note += (note.empty() ? "" : "; ") + std::string("gpu-fragment unavailable (") + error + ")";
    }
    if (requested != "auto") throw std::invalid_argument("unknown engine '" + requested + "'");
    return onCpu(problem, "cpu-fast", note);
  }

 private:
  // CPU engines touch no GL and may run on the controller's worker thread; the main loop uploads
  // their result (once per recompute).
  static ComputeOutput onCpu(const AttentionProblem& problem, const std::string& engine, const std::string& note) {
    ComputeOutput out = computeOnCpu(problem, engine);
    out.note = note;
    return out;
  }

  template <class Engine>
  ComputeOutput fromEngine(Engine& engine, const char* name, const std::string& note) {
    ComputeOutput out;
    out.engine = name;
    out.note = note;
    const double gpu_ms = engine.lastGpuMs();
    out.result = engine.readBack();
    out.compute_ms = gpu_ms;
    std::string error;
    if (engine.hasTexture()) {
      heatmap_->setSourceTexture(engine.probabilityTexture(), out.result.heads, out.result.nq, out.result.nk);
    } else if (!heatmap_->uploadSource(out.result, &error)) {
      throw std::runtime_error(error);
    }
    return out;
  }

  render::HeatmapRenderer* heatmap_;
  std::unique_ptr<gpu::GpuAttentionEngine> compute_;
  std::unique_ptr<gpu::FragmentAttentionEngine> fragment_;
  bool compute_ok_ = false, fragment_ok_ = false;
  std::string compute_why_, fragment_why_;
  std::string software_renderer_;  // GL_RENDERER when it is a software rasteriser
};

float displayScale(SDL_Window* window, float requested) {
  if (requested > 0) return std::clamp(requested, 0.5f, 4.0f);
  if (const char* env = std::getenv("ATTNVIZ_UI_SCALE")) {
    const float v = float(std::atof(env));
    if (v > 0) return std::clamp(v, 0.5f, 4.0f);
  }
  float ddpi = 0;
  if (SDL_GetDisplayDPI(SDL_GetWindowDisplayIndex(window), &ddpi, nullptr, nullptr) != 0 || ddpi <= 0) return 1.0f;
  const float s = ddpi / 96.0f;
  if (s < 1.15f || s > 4.0f) return 1.0f;  // 96-ish, or a bogus value from a virtual display
  return std::round(s * 4.0f) / 4.0f;
}

// The launch's --model while it loads in the background.
struct LaunchLoad {
  bool loading = false;  // its options are applied when the load ends
  bool select = false;   // --select waits for the model's first result
};

}  // namespace

int runAppWindow(const WindowOptions& opt) {
  windowClockSeconds();  // its zero: the launch, for --bench-frames' time to the first frame
  // The pool's threads serve the model's worker and the overview: behind the frames (the UI
  // thread and llvmpipe's rasteriser threads) on a machine with two cores.
  sharedThreadPool().moveWorkersToBackground();
  const bool headless_run = !opt.screenshot.empty() || opt.bench_frames > 0;
  // --bench-model launch times the window as a person starts it: frames come while the model works.
  const bool launch_bench = opt.bench_model == "launch";
  const bool load_in_background = !opt.model.empty() && (!headless_run || launch_bench);
  if (load_in_background) {
    // A model that is not there at all is still one line and exit 2 before any window opens.
    try {
      model::resolveModelDirectory(opt.model);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "attnviz: Could not load: %s\n", e.what());
      return 2;
    }
  }
  // The deck first: a bad file is a one-line error before any window opens; bad steps are listed
  // (here and in the caption bar) and the rest plays.
  DeckPlayer deck_player;
  if (!opt.deck.empty()) {
    try {
      deck_player = DeckPlayer(loadDeck(opt.deck));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "attnviz: bad deck: %s\n", e.what());  // the message names the file
      return 2;
    }
    const std::vector<std::string>& problems = deck_player.deck().problems;
    if (deck_player.empty()) {  // an error: one line, naming every step's problem
      std::string why;
      for (const std::string& p : problems) why += (why.empty() ? " (" : "; ") + p;
      std::fprintf(stderr, "attnviz: deck %s: no playable steps%s\n", opt.deck.c_str(), why.empty() ? "" : (why + ")").c_str());
      return 2;
    }
    // Playable with some steps skipped: warnings, one per skipped step (the window also lists them).
    for (const std::string& p : problems) std::fprintf(stderr, "attnviz: deck %s: %s\n", opt.deck.c_str(), p.c_str());
    if (opt.deck_step < 1 || opt.deck_step > deck_player.count()) {
      std::fprintf(stderr, "attnviz: --deck-step %d is out of range: deck %s has %d playable steps (1..%d)\n", opt.deck_step,
                   opt.deck.c_str(), deck_player.count(), deck_player.count());
      return 2;
    }
  }
  // A click on an unfocused window should act, not only focus it.
  SDL_SetHint(SDL_HINT_MOUSE_FOCUS_CLICKTHROUGH, "1");
  if (SDL_Init(SDL_INIT_VIDEO) != 0) {
    std::fprintf(stderr, "attnviz: cannot open a window: %s\n", SDL_GetError());
    return 1;
  }
  SDL_GL_SetAttribute(SDL_GL_CONTEXT_FLAGS, SDL_GL_CONTEXT_FORWARD_COMPATIBLE_FLAG);
  SDL_GL_SetAttribute(SDL_GL_CONTEXT_PROFILE_MASK, SDL_GL_CONTEXT_PROFILE_CORE);
  SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 3);
  SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 3);
  SDL_GL_SetAttribute(SDL_GL_DOUBLEBUFFER, 1);
  SDL_GL_SetAttribute(SDL_GL_DEPTH_SIZE, 0);
  SDL_GL_SetAttribute(SDL_GL_STENCIL_SIZE, 0);

  // Settings first (window size), then the command line wins.
  WindowGeometry geometry;
  const std::string cfg_dir = opt.use_settings && !headless_run ? configDir() : "";
  const std::string settings_path = cfg_dir.empty() ? "" : cfg_dir + "/settings.json";
  const std::string ini_path = cfg_dir.empty() ? "" : cfg_dir + "/imgui.ini";
  // GL objects live in these two; both are reset while the context is still current.
  auto heatmap_owner = std::make_unique<render::HeatmapRenderer>();
  render::HeatmapRenderer& heatmap = *heatmap_owner;
  std::unique_ptr<WindowCompute> compute_owner;  // made once the context exists
  AppController app([&compute_owner](const AttentionProblem& p, const std::string& e) { return (*compute_owner)(p, e); });
  std::string settings_error;
  if (!settings_path.empty()) loadSettingsFile(settings_path, &app, &geometry, &settings_error);
  if (opt.width > 0) geometry.width = opt.width;
  if (opt.height > 0) geometry.height = opt.height;
  geometry.width = std::clamp(geometry.width, 480, 8192);
  geometry.height = std::clamp(geometry.height, 360, 8192);

  // ASCII on purpose: SDL 2.26 under a C locale sets WM_NAME as Latin-1 STRING from the UTF-8 bytes
  // (an em dash showed as "â€”" in window lists, seen with xprop under Xvfb).
  SDL_Window* window =
      SDL_CreateWindow("attnviz - attention visualizer", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED,
                       geometry.width, geometry.height, SDL_WINDOW_OPENGL | SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI);
  if (!window) {
    std::fprintf(stderr, "attnviz: cannot create a window: %s\n", SDL_GetError());
    SDL_Quit();
    return 1;
  }
  SDL_SetWindowMinimumSize(window, 480, 360);
  // Presentation mode fills the screen unless a size was asked for (or it is a test run).
  if (opt.present && !headless_run && opt.width == 0 && opt.height == 0)
    SDL_SetWindowFullscreen(window, SDL_WINDOW_FULLSCREEN_DESKTOP);
  SDL_GLContext gl = SDL_GL_CreateContext(window);
  if (!gl) {
    std::fprintf(stderr, "attnviz: cannot create an OpenGL 3.3 core context: %s\n", SDL_GetError());
    SDL_DestroyWindow(window);
    SDL_Quit();
    return 1;
  }
  SDL_GL_MakeCurrent(window, gl);
  gpu::keepLoadedLibrariesResident();
  if (!gladLoadGL(reinterpret_cast<GLADloadfunc>(SDL_GL_GetProcAddress))) {
    std::fprintf(stderr, "attnviz: cannot load OpenGL functions\n");
    SDL_GL_DeleteContext(gl);
    SDL_DestroyWindow(window);
    SDL_Quit();
    return 1;
  }
  SDL_GL_SetSwapInterval(headless_run ? 0 : 1);
  compute_owner = std::make_unique<WindowCompute>(&heatmap);
  app.setOffThread([&compute_owner](const std::string& e) { return compute_owner->runsOnCpu(e); });
  int exit_code = 0;
  {
    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = ini_path.empty() ? nullptr : ini_path.c_str();
    io.ConfigFlags |= ImGuiConfigFlags_NavEnableKeyboard;
    ImGui_ImplSDL2_InitForOpenGL(window, gl);
    ImGui_ImplOpenGL3_Init("#version 330 core");

    UiContext ui;
    float font_scale = 1.0f;
    std::u32string atlas_extra;  // code points added to the font atlas beyond the built-in ranges
    std::string glyph_checked_text;
    int glyph_checked_version = -1;
    ui.app = &app;
    ui.heatmap = &heatmap;
    // Exports go where the last one went, else to a folder a person looks in (not the launch folder).
    ui.exporting.folder = geometry.export_folder.empty() ? defaultExportFolder() : geometry.export_folder;
    const float base_scale = displayScale(window, opt.ui_scale) * (opt.present ? 1.25f : 1.0f);
    float density = 1.0f;
    ui.scale = base_scale;
    ui.present = opt.present;
    ui.hide_panels = opt.present;
    ui.light = opt.theme.empty() ? opt.present : opt.theme == "light";
    if (!deck_player.empty()) ui.deck = &deck_player;
    {
      // Retina-style displays report more drawable pixels than window points: rasterise the fonts
      // at the drawable density and draw them at 1/density so text stays sharp.
      int ww = 0, wh = 0, dw = 0, dh = 0;
      SDL_GetWindowSize(window, &ww, &wh);
      SDL_GL_GetDrawableSize(window, &dw, &dh);
      density = ww > 0 ? std::clamp(float(dw) / float(ww), 1.0f, 4.0f) : 1.0f;
      font_scale = ui.scale * density;
      ui.fonts = loadFonts(font_scale);
      io.FontGlobalScale = 1.0f / density;
    }
    applyTheme(ui.scale, ui.light);
    float applied_zoom = ui.zoom;

    std::string init_error;
    if (!heatmap.init(&init_error)) {
      std::fprintf(stderr, "attnviz: heatmap shaders failed: %s\n", init_error.c_str());
      exit_code = 1;
    }
    heatmap.setColormap(app.colormap());

    // Command-line overrides.
    if (opt.mode) app.setMode(*opt.mode == "cross" ? AttentionMode::Cross : AttentionMode::Self);
    if (opt.text) app.setText(*opt.text);
    if (opt.target) app.setTarget(*opt.target);
    if (opt.causal) app.setCausal(true);
    if (opt.alignment) app.setAlignment(true);
    if (opt.temperature) app.setTemperature(*opt.temperature);
    if (opt.engine) app.setEngine(*opt.engine);
    if (opt.colormap) {
      Colormap c;
      if (parseColormap(*opt.colormap, &c)) app.setColormap(c);
    }
    if (opt.colour_scale) {
      ColourScale scale;
      if (parseColourScale(*opt.colour_scale, &scale)) app.setColourScale(scale);
    }
    // A window loads its --model in the background: frames come at once, the heatmap panel shows
    // the load's progress with Cancel, and the options that need the model are applied when it is
    // in. Screenshots and benchmarks wait for it (the launch benchmark times the window's way).
    LaunchLoad launch;
    if (!opt.model.empty() && load_in_background) {
      app.startLoadingModel(opt.model);
      launch.loading = true;
      if (opt.debug_layout) {
        std::printf("loading %s\n", opt.model.c_str());
        std::fflush(stdout);
      }
    } else if (!opt.model.empty()) {
      // A model that cannot be loaded is an input error: one line, exit 2 (printed below).
      if (!app.loadModel(opt.model)) exit_code = 2;
      else exit_code = applyModelOptions(opt, app, ui);
      // Screenshots and benchmarks show the finished model view (head name, layer, overview).
      if (app.model() && exit_code == 0) app.waitForModel();
    } else {
      app.recomputeNow();
    }
    if (!opt.open.empty() && !app.loadPaths({opt.open}) && headless_run) exit_code = 2;
    ui.initial_tab = opt.tab;
    ui.headless = headless_run;
    if (!app.error().empty() && headless_run) std::fprintf(stderr, "attnviz: %s\n", app.error().c_str());
    // A screenshot or benchmark of nothing is a usage error (e.g. --text '' has no tokens).
    // (The launch benchmark's first map is still to come.)
    const bool result_to_come = launch_bench && launch.loading;
    if (headless_run && !app.hasResult() && !result_to_come && exit_code == 0) exit_code = 2;
    if (opt.head && opt.model.empty() && !setHeadOption(*opt.head, -1, app)) exit_code = 2;
    // A model's first result is still to come in a window: the selection waits for it.
    if (opt.select && !launch.loading) app.selectQuery(*opt.select);
    launch.select = launch.loading && opt.select;
    if (ui.deck) {
      // A step's model loads while the window draws, the first step's too (headless runs wait).
      ui.deck->setBackgroundLoads(!headless_run);
      ui.deck->goTo(opt.deck_step - 1, app);
    }

    const char* video_driver = SDL_GetCurrentVideoDriver();
    const bool x11 = video_driver && std::string(video_driver) == "x11";
    int shown_display_version = -1;
    HeatmapSync heatmap_sync;
    Colormap shown_colormap = heatmap.colormap();
    WindowBench bench(opt);
    IdleBench idle_bench(opt.bench_idle_s);
    ui.continuous_redraw = opt.continuous_redraw.value_or(geometry.continuous_redraw);
    double last_input_s = nowSeconds();
    bool slept = false;  // the window slept before this frame
    const int total_frames = opt.bench_frames > 0 ? opt.bench_frames : opt.frames;
    double last_frame_end = nowSeconds();
    bool running = exit_code == 0;
    int frame = 0;
    std::vector<std::string> dropped;
    while (running) {
      const double frame_start = nowSeconds();
      SDL_Event e;
      // ImGui 1.86 keeps key and button state only, so a press and its release in one frame would
      // be lost (Enter in a text box, a double-click, once the window slept and they arrive
      // together): a key's or button's second change waits for the next frame.
      std::vector<int> changed_this_frame;
      const auto key_or_button = [](const SDL_Event& ev) {
        if (ev.type == SDL_KEYDOWN || ev.type == SDL_KEYUP) return int(ev.key.keysym.scancode);
        if (ev.type == SDL_MOUSEBUTTONDOWN || ev.type == SDL_MOUSEBUTTONUP) return -1 - int(ev.button.button);
        return 0;  // SDL_SCANCODE_UNKNOWN: nothing to keep apart
      };
      SDL_PumpEvents();
      while (SDL_PeepEvents(&e, 1, SDL_PEEKEVENT, SDL_FIRSTEVENT, SDL_LASTEVENT) > 0) {
        const int changed = key_or_button(e);
        if (changed != 0 && std::find(changed_this_frame.begin(), changed_this_frame.end(), changed) != changed_this_frame.end())
          break;
        SDL_PeepEvents(&e, 1, SDL_GETEVENT, SDL_FIRSTEVENT, SDL_LASTEVENT);
        if (changed != 0) changed_this_frame.push_back(changed);
        last_input_s = nowSeconds();
        idle_bench.event();
        ImGui_ImplSDL2_ProcessEvent(&e);
        if (e.type == SDL_QUIT) running = false;
        if (e.type == SDL_KEYDOWN && e.key.keysym.sym == SDLK_q && (e.key.keysym.mod & KMOD_CTRL)) running = false;
        if (e.type == SDL_KEYDOWN) {
          const Uint16 mod = e.key.keysym.mod;
          ui.key_presses.push_back({int(e.key.keysym.scancode), (mod & KMOD_SHIFT) != 0, (mod & KMOD_CTRL) != 0,
                                    (mod & KMOD_ALT) != 0, e.key.repeat != 0});
        }
        if (e.type == SDL_WINDOWEVENT && e.window.event == SDL_WINDOWEVENT_CLOSE &&
            e.window.windowID == SDL_GetWindowID(window))
          running = false;
        if (e.type == SDL_DROPFILE && e.drop.file) {
          dropped.emplace_back(e.drop.file);
          SDL_free(e.drop.file);
        }
        if (e.type == SDL_DROPCOMPLETE && !dropped.empty()) {
          app.loadPaths(dropped);
          dropped.clear();
        }
      }
      if (!dropped.empty()) {  // drivers without DROPCOMPLETE
        app.loadPaths(dropped);
        dropped.clear();
      }
      // Virtual clock for screenshots (animations finished, reproducible); real time otherwise.
      const double now = opt.screenshot.empty() ? nowSeconds() : 10.0 + 0.25 * frame;
      ui.time_s = now;
      app.setClock(now);
      const auto working = [&] {
        return app.busy() || app.dirty() || app.modelWorking() || app.generating() || app.loadingModel() ||
               ui.exporting.requested;
      };
      if (idle_bench.workDone(now, working(), now - last_input_s)) last_input_s = -1e9;  // as if long left alone
      ui.animating = false;
      ui.flow_opacity = headless_run ? 1.0f : flowOpacity(now - last_input_s, ui.continuous_redraw);
      if (!opt.screenshot.empty() && frame == 0) app.selectQuery(app.selectedQuery());

      const double input_end = nowSeconds();
      bench.beforeFrame(frame, app, ui);
      // A screenshot is of the settled window: what the last frame's panels asked the model for
      // (the next tokens, the measures) is in before this frame draws.
      if (!opt.screenshot.empty() && frame > 0 && app.model()) app.model()->worker().waitIdle();
      const bool recomputed = app.recomputeIfDue(now);
      if (ui.deck) ui.deck->update(app);
      if (launch.loading && app.loadingModel() && app.modelLoad()->name() != opt.model) {
        launch = LaunchLoad{};  // another model picked meanwhile: the options were for this one
      } else if (launch.loading && !app.loadingModel()) {
        // The launch's model is in, or failed, or was cancelled (the simulated model then shows).
        launch.loading = false;
        if (app.model()) {
          exit_code = applyModelOptions(opt, app, ui);
        } else if (!app.error().empty()) {
          std::fprintf(stderr, "attnviz: %s\n", app.error().c_str());
          exit_code = 2;
        } else {
          launch.select = false;
        }
        if (exit_code != 0) running = false;
      }
      if (launch.select && app.modelShown() && app.hasResult()) {
        app.selectQuery(*opt.select);
        launch.select = false;
      }
      const double rc0 = nowSeconds();
      // The shown matrix into the heatmap's texture (one head per switch) and its display built.
      if (app.hasResult() && app.displayVersion() != shown_display_version) {
        const HeatmapSync::Step step = heatmap_sync.update(app, heatmap);
        if (!step.error.empty()) {
          std::fprintf(stderr, "attnviz: %s\n", step.error.c_str());
          // Beyond the GL limits: the input's fault; no heatmap prepared: the picture would lack it.
          if (headless_run) exit_code = step.upload_failed ? 2 : 1;
        }
        ui.display_changed_at = heatmap.canBlend() ? now : -10.0;
        shown_display_version = app.displayVersion();
      } else if (!recomputed && opt.screenshot.empty()) {
        // A frame with no new display: a spare display texture made now spares a head switch
        // the allocation (one per frame, two at most per shape).
        std::string warm_error;
        if (!heatmap.warmSpare(&warm_error) && !warm_error.empty()) std::fprintf(stderr, "attnviz: %s\n", warm_error.c_str());
      }
      if (recomputed) {  // input to pixels: the job (build + engine + stats) plus upload and display build
        glFinish();
        bench.recordRecompute(app.recomputeMs() + (nowSeconds() - rc0) * 1000.0);
      }
      if (app.colormap() != shown_colormap) {
        heatmap.setColormap(app.colormap());
        shown_colormap = app.colormap();
      }

      const double ui0 = nowSeconds();
      // Glyphs the texts need that the atlas lacks (CJK, rare symbols): rebuild it between frames
      // (200-300 ms here, so never for what the built-in ranges hold, such as a label's "↵").
      // (Compared piece by piece: no per-frame string building for long texts.)
      const bool texts_changed = glyph_checked_text.size() != app.text().size() + app.target().size() ||
                                 glyph_checked_text.compare(0, app.text().size(), app.text()) != 0 ||
                                 glyph_checked_text.compare(app.text().size(), std::string::npos, app.target()) != 0;
      if (app.resultVersion() != glyph_checked_version || texts_changed) {
        glyph_checked_version = app.resultVersion();
        glyph_checked_text = app.text() + app.target();
        std::u32string wanted = decodeUtf8(glyph_checked_text);
        for (const auto* labels : {&app.queryLabels(), &app.keyLabels(), &app.headNames()})
          for (const std::string& l : *labels) wanted += decodeUtf8(l);
        bool grow = false;
        for (char32_t c : wanted)
          if (c >= 0x250 && c <= 0xFFFF && !inBuiltInGlyphRanges(c) && atlas_extra.find(c) == std::u32string::npos) {
            atlas_extra += c;
            grow = true;
          }
        if (grow) {
          if (frame > 0) ImGui_ImplOpenGL3_DestroyFontsTexture();
          ui.fonts = loadFonts(font_scale, atlas_extra);
          if (frame > 0) ImGui_ImplOpenGL3_CreateFontsTexture();
        }
      }
      // Ctrl +/-/0 and the theme key: fonts re-rasterised at the new size (not a scaled bitmap).
      if (ui.zoom != applied_zoom || ui.toggle_theme) {
        if (ui.toggle_theme) ui.light = !ui.light;
        ui.toggle_theme = false;
        applied_zoom = ui.zoom;
        ui.scale = base_scale * ui.zoom;
        font_scale = ui.scale * density;
        if (frame > 0) ImGui_ImplOpenGL3_DestroyFontsTexture();
        ui.fonts = loadFonts(font_scale, atlas_extra);
        if (frame > 0) ImGui_ImplOpenGL3_CreateFontsTexture();
        applyTheme(ui.scale, ui.light);
      }
      if (ui.toggle_fullscreen) {
        ui.toggle_fullscreen = false;
        const bool full = (SDL_GetWindowFlags(window) & SDL_WINDOW_FULLSCREEN) != 0;
        SDL_SetWindowFullscreen(window, full ? 0 : SDL_WINDOW_FULLSCREEN_DESKTOP);
      }
      ImGui_ImplOpenGL3_NewFrame();
      ImGui_ImplSDL2_NewFrame();
      // Screenshots show the app as it is, not where a virtual display left its pointer.
      if (!opt.screenshot.empty()) {
        io.MousePos = ImVec2(-FLT_MAX, -FLT_MAX);
      } else if (x11) {
        // ImGui 1.86's SDL backend reads the pointer only while the window has keyboard focus; with
        // no window manager (kiosk, projector PC, Xvfb) it never gets it, so hover would go stale.
        int gx = 0, gy = 0, wx = 0, wy = 0, ww = 0, wh = 0;
        SDL_GetGlobalMouseState(&gx, &gy);
        SDL_GetWindowPosition(window, &wx, &wy);
        SDL_GetWindowSize(window, &ww, &wh);
        const int mx = gx - wx, my = gy - wy;
        if (mx >= 0 && my >= 0 && mx < ww && my < wh)
          io.MousePos = ImVec2(float(mx), float(my));
        else if (!ImGui::IsAnyMouseDown())
          io.MousePos = ImVec2(-FLT_MAX, -FLT_MAX);
      }
      ImGui::NewFrame();
      drawMainLayout(ui);
      ui.key_presses.clear();
      ImGui::Render();
      const double ui1 = nowSeconds();
      int fb_w = 0, fb_h = 0;
      SDL_GL_GetDrawableSize(window, &fb_w, &fb_h);
      glBindFramebuffer(GL_FRAMEBUFFER, 0);
      glViewport(0, 0, fb_w, fb_h);
      glDisable(GL_SCISSOR_TEST);
      // The whole frame in the panel colour (one full clear, the fast path of a software
      // rasteriser); the gaps between the panels were added to ImGui's background list in the
      // window colour by the layout. Scissored clears per panel are drawn quads on llvmpipe.
      glClearColor(kPanelColor.x, kPanelColor.y, kPanelColor.z, 1.0f);
      glClear(GL_COLOR_BUFFER_BIT);
      glDisable(GL_SCISSOR_TEST);
      ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
      const double draw_end = nowSeconds();
      ++frame;
      // Every 10th frame, and every frame after a sleep, so the state on screen is always printed.
      if (opt.debug_layout && (frame % 10 == 1 || slept)) {
        std::printf("layout heatmap=%.0f,%.0f,%.0f,%.0f rows=%.0f,%.0f,%.0f,%.0f arcs=%.0f,%.0f,%.0f,%.0f text=%.0f,%.0f,%.0f,%.0f "
                    "selected=%d nq=%d nk=%d mouse=%.0f,%.0f view=%.2f,%.2f,%.5f deck=%d overlay=%d "
                    "modelview=%.0f,%.0f,%.0f,%.0f layer=%d head=%d main=%d\n",
                    double(ui.heatmap_rect.x), double(ui.heatmap_rect.y), double(ui.heatmap_rect.z), double(ui.heatmap_rect.w),
                    double(ui.row_labels_rect.x), double(ui.row_labels_rect.y), double(ui.row_labels_rect.z),
                    double(ui.row_labels_rect.w), double(ui.arcs_rect.x), double(ui.arcs_rect.y), double(ui.arcs_rect.z),
                    double(ui.arcs_rect.w), double(ui.text_box_rect.x), double(ui.text_box_rect.y),
                    double(ui.text_box_rect.z), double(ui.text_box_rect.w), app.selectedQuery(), app.nq(), app.nk(),
                    double(io.MousePos.x), double(io.MousePos.y), double(ui.view.x0), double(ui.view.y0),
                    double(ui.view.cpp), ui.deck ? ui.deck->index() + 1 : 0, ui.show_shortcuts ? 1 : 0,
                    double(ui.model_view_rect.x), double(ui.model_view_rect.y), double(ui.model_view_rect.z),
                    double(ui.model_view_rect.w), app.layer(),
                    app.head().kind == HeadSelection::Single ? app.head().index : -1, int(ui.main_view));
        // The placed rectangles as JSON, for the layout tests (no pixels needed).
        auto rect = [](const ImVec4& r) {
          char b[96];
          std::snprintf(b, sizeof b, "[%.1f,%.1f,%.1f,%.1f]", double(r.x), double(r.y), double(r.z), double(r.w));
          return std::string(b);
        };
        std::string json = "{\"display\":[" + std::to_string(int(io.DisplaySize.x)) + "," + std::to_string(int(io.DisplaySize.y)) +
                           "],\"heatmap\":" + rect(ui.heatmap_rect) + ",\"heatmap_panel\":" + rect(ui.heatmap_panel_rect) +
                           ",\"tabs_panel\":" + rect(ui.tabs_panel_rect) + ",\"tabs\":[";
        for (std::size_t t = 0; t < ui.tab_rects.size(); ++t)
          json += (t ? "," : "") + std::string("{\"label\":\"") + ui.tab_rects[t].label + "\",\"rect\":" + rect(ui.tab_rects[t].rect) +
                  ",\"text_w\":" + std::to_string(ui.tab_rects[t].text_w) + "}";
        json += "],\"arc_labels\":[";
        for (std::size_t k = 0; k < ui.arc_label_rects.size(); ++k) json += (k ? "," : "") + rect(ui.arc_label_rects[k]);
        json += "],\"arc_chips\":[";
        for (std::size_t k = 0; k < ui.arc_chip_rects.size(); ++k)
          json += (k ? ",[" : "[") + std::to_string(ui.arc_chip_rects[k].first) + "," +
                  rect(ui.arc_chip_rects[k].second).substr(1);
        json += "],\"named\":{";
        for (std::size_t k = 0; k < ui.named_rects.size(); ++k)
          json += (k ? ",\"" : "\"") + ui.named_rects[k].first + "\":" + rect(ui.named_rects[k].second);
        json += "},\"arc_labels_dropped\":" + std::to_string(ui.arc_labels_dropped) + "}";
        std::printf("layoutjson %s\n", json.c_str());
        std::fflush(stdout);
      }
      if (!opt.screenshot.empty() && frame >= total_frames) {
        glFinish();
        const std::vector<std::uint8_t> pixels = render::readFramebufferRgba(0, 0, fb_w, fb_h);
        std::string error;
        if (!render::writePngRgba(opt.screenshot, fb_w, fb_h, pixels, true, &error)) {
          std::fprintf(stderr, "attnviz: %s\n", error.c_str());
          exit_code = 1;
        }
        running = false;
      }
      if (ui.exporting.requested) {
        // Offscreen figures in the window's context (the heatmap renderer already holds the matrix).
        performExport(ui);
        std::fprintf(stderr, "attnviz: export: %s\n", ui.exporting.status.c_str());
      }
      SDL_GL_SwapWindow(window);
      bench.afterSwap(app);
      const double frame_end = nowSeconds();
      FramePhases phases;
      const double marks[] = {last_frame_end, input_end, rc0, ui0, ui1, draw_end, frame_end};
      for (int k = 0; k < FramePhases::kCount; ++k) phases.ms[k] = (marks[k + 1] - marks[k]) * 1000.0;
      bench.recordFrame(frame, (frame_end - last_frame_end) * 1000.0, phases);
      // No vsync under a virtual display: do not spin faster than 60 Hz.
      const auto paceTo60Hz = [&] {
        const double spent = frame_end - frame_start;
        if (spent < 1.0 / 60.0) SDL_Delay(Uint32((1.0 / 60.0 - spent) * 1000.0));
      };
      if (bench.active()) {
        if (frame >= total_frames) running = false;
        paceTo60Hz();  // as the window (below): the model's worker gets the cores a person's window leaves it
      } else if (opt.screenshot.empty()) {
        if (idle_bench.afterFrame(frame_end)) running = false;
        FrameNeeds needs;
        needs.animating = ui.animating;
        needs.working = working();
        needs.text_input = ImGui::GetIO().WantTextInput;
        needs.since_input_s = frame_end - last_input_s;
        slept = false;
        if (const int wait_ms = frameWaitMs(needs, ui.continuous_redraw); wait_ms > 0) {
          SDL_WaitEventTimeout(nullptr, wait_ms);  // nothing moves: sleep until an event (or the bound)
          slept = true;
        } else {
          paceTo60Hz();
        }
      }
      last_frame_end = nowSeconds();
    }

    bench.report(app);
    idle_bench.report(ui.continuous_redraw);
    geometry.continuous_redraw = ui.continuous_redraw;
    if (!settings_path.empty() && exit_code == 0) {
      SDL_GetWindowSize(window, &geometry.width, &geometry.height);
      if (!ui.exporting.saved_folder.empty()) geometry.export_folder = ui.exporting.saved_folder;
      std::string error;
      if (!saveSettingsFile(settings_path, app, geometry, &error)) std::fprintf(stderr, "attnviz: %s\n", error.c_str());
    }
    ImGui_ImplOpenGL3_Shutdown();
    ImGui_ImplSDL2_Shutdown();
    ImGui::DestroyContext();
  }
  app.waitForPending();  // a worker may still use the compute function
  compute_owner.reset();
  heatmap_owner.reset();
  SDL_GL_DeleteContext(gl);
  SDL_DestroyWindow(window);
  SDL_Quit();
  return exit_code;
}

}  // namespace attnviz::ui
