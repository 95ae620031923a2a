// The windowed app: an SDL2 window with an OpenGL 3.3+ core context, Dear ImGui on top, the
// heatmap renderer and the engines running in the window's own context. Owns the main loop.
#pragma once

#include <optional>
#include <string>

namespace attnviz::ui {

struct WindowOptions {
  std::optional<std::string> text, target, mode, head, engine, colormap;
  std::optional<std::string> colour_scale;  // linear | auto | row | log
  std::optional<float> temperature;
  std::optional<int> select;
  bool causal = false;
  std::string open;        // a .npy file or folder to show instead of the simulated model
  std::string model;       // a real model (folder or Hugging Face cache name) to show
  int layer = -1;          // its layer shown first (-1: 0, or as --head L5H1 says)
  std::string view;        // "head" | "model" | "rollout": the main picture with a real model
  bool contribution = false;  // --values contribution
  std::string ablate;      // --ablate: the Ablation tab's heads field
  std::string attention;   // --attention encoder|decoder|cross (an encoder-decoder's kind shown)
  int translate = 0;       // --translate N: target tokens to generate
  bool alignment = false;  // --alignment: the cross-attention's alignment links
  std::string tab;         // info tab to open first: top | patterns | explain
  std::string screenshot;  // non-empty: render `frames` frames, save the window as PNG, exit
  int frames = 8;
  int bench_frames = 0;    // > 0: render that many frames and print one JSON line of timings
  bool bench_zoom = false; // with bench_frames: zoom the heatmap in and out every frame (no recomputes)
  // With bench_frames and a model: every 10th frame switch the layer ("layer"), the head ("head"),
  // append a word to the text ("append"), put one in front ("forward": the whole text reruns) or
  // generate a token ("generate"), or time the launch until the first map ("launch", frames drawn
  // while the model works); reports event-to-displayed-frame latencies.
  std::string bench_model;
  // > 0: run the window as a person would, leave it alone for that many seconds once its work is
  // done and the animations have settled, then print the frames drawn and the CPU time spent.
  double bench_idle_s = 0;
  std::optional<bool> continuous_redraw;  // --continuous-redraw: draw every frame (default: from settings, off)
  int width = 0, height = 0;  // 0 = from settings (default 1280 x 800)
  float ui_scale = 0;         // 0 = from the display DPI
  bool use_settings = true;   // load/save settings (off for --screenshot and --bench-frames)
  bool debug_layout = false;  // print panel rectangles (for the end-to-end test) to stdout
  // Presentation and decks (issue 5).
  bool present = false;       // presentation mode: larger UI, fullscreen, heatmap + arcs only
  std::string theme;          // "light" | "dark" | "" (dark, or light in presentation mode)
  std::string deck;           // a lecture deck (JSON) to play with PageDown / PageUp
  int deck_step = 1;          // the step shown first (1-based)
};

// Returns the process exit code: 0 success, 1 when no window/GL context could be made or the
// screenshot could not be written, 2 for bad option values found late (unknown head name).
int runAppWindow(const WindowOptions& options);

}  // namespace attnviz::ui
