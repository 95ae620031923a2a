// attnviz [options]: the windowed app (src/ui/app_window.cpp), with flags for tests and docs.
#include <cmath>
#include <cstdio>

#include "app/cli_args.h"
#include "app/cli_input.h"
#include "app/commands.h"
#include "core/simulated_model.h"
#include "core/colormap.h"
#include "core/colour_scale.h"
#include "core/input_file.h"

#if ATTNVIZ_HAVE_UI
#include "ui/app_window.h"
#endif

namespace attnviz::app {
namespace {

const char* kWindowHelp =
    "usage: attnviz [options]\n"
    "\n"
    "Opens the attention visualizer window on a sentence (default: \"The bank by the river was steep.\").\n"
    "\n"
    "  --text TEXT            sentence (self mode) or source sentence (cross mode)\n"
    "  --text-file PATH|-     --text from a file, or from standard input with '-' (at most 16 MiB)\n"
    "  --target TEXT          target sentence (cross mode)\n"
    "  --mode self|cross      attention mode (default self; --target alone implies cross)\n"
    "  --head H               1-based head index, head name, mean or all (default mean); with --model\n"
    "                         also L5H1 (layer 5, head 1, both from 0)\n"
    "  --model PATH|NAME      a real model: a folder with config.json, safetensors and tokenizer files,\n"
    "                         tiny-gpt (trained here, ships with attnviz), or a name in the Hugging\n"
    "                         Face cache (gpt2, HuggingFaceTB/SmolLM2-135M)\n"
    "  --layer L              the model's layer shown first (0-based, default 0)\n"
    "  --view head|model|rollout   with --model: the picture shown first (default head)\n"
    "  --values weight|contribution  with --model: attention weights (default) or value-weighted\n"
    "                         contributions, rows normalised (Kobayashi et al. 2020)\n"
    "  --ablate L5H1,L6H9     with --model: heads to ablate in the Ablation tab (zero ablation)\n"
    "  --attention encoder|decoder|cross   with an encoder-decoder --model: the attention shown (default\n"
    "                         cross); --text is the source, --target the decoder's input (teacher forcing)\n"
    "  --translate N          with an encoder-decoder --model: generate up to N target tokens (greedy), one\n"
    "                         per step (with --screenshot, all of them before the picture)\n"
    "  --alignment            cross-attention: link each target token to its most attended source token\n"
    "  --temperature T        softmax temperature, 0.05..10 (default 1)\n"
    "  --causal               causal mask (a query sees only keys up to itself)\n"
    "  --select I             selected query row, 0-based (default 0)\n"
    "  --engine E             auto | gpu-compute | gpu-fragment | cpu-fast | cpu-ref (default auto)\n"
    "  --colormap NAME        cividis (default, colour-blind safe), viridis, magma, greyscale\n"
    "  --scale S              colour scale: linear (default), auto (0..max), row (per-row max) or log\n"
    "  --open PATH            show a .npy of probabilities, or a folder with q.npy + k.npy (+ tokens.txt)\n"
    "  --tab top|patterns|explain|maths|export|bench|next|measures   which info tab is open first\n"
    "                         (bench-run: the Benchmark tab, running its default suite; with\n"
    "                         --screenshot the run completes before the first frame)\n"
    "  --present              presentation mode: fullscreen, larger UI, light theme, heatmap + arcs only\n"
    "  --theme light|dark     colour theme (default dark; light with --present)\n"
    "  --deck FILE.json       play a lecture deck: PageDown / PageUp move between its steps\n"
    "  --deck-step N          the deck step shown first (1-based, default 1)\n"
    "  --width W --height H   window size in pixels (default 1280 x 800, or the last size)\n"
    "  --ui-scale S           UI scale (default: from the display DPI; env ATTNVIZ_UI_SCALE)\n"
    "  --screenshot FILE.png  render --frames N frames (default 8), save the window as PNG, exit 0\n"
    "  --frames N             frames before the screenshot\n"
    "  --bench-frames N       render N frames with arcs animating, print one JSON line of frame times\n"
    "  --bench-zoom           with --bench-frames: zoom the heatmap in and out every frame instead of recomputing\n"
    "  --bench-model layer|head|append|forward|generate|launch   with --bench-frames and --model: every 10th\n"
    "                         frame switch the layer or head, append a word, put one in front (the whole text\n"
    "                         reruns) or generate a token; or time the launch until the model's first map;\n"
    "                         reports the latency until that frame is on screen\n"
    "  --bench-idle S         leave the window alone for S seconds once its work is done and its animations\n"
    "                         have settled; print the frames drawn and the CPU used (the idle cost)\n"
    "  --continuous-redraw    draw every frame even when nothing moves (the arcs keep flowing; costs CPU idle)\n"
    "  --max-memory SIZE      memory budget, e.g. 2G (default: a quarter of physical memory)\n"
    "  --no-settings          neither read nor write ~/.config/attnviz (implied by --screenshot and the benchmarks)\n"
    "  --debug-layout         print panel rectangles to stdout (used by the end-to-end test)\n"
    "  --help                 this text\n"
    "\n"
    "In the window: click a row label or cell to select a query; arrow keys move it; mouse wheel zooms\n"
    "the heatmap, drag pans, double-click fits; drop .npy files onto the window to view your own data;\n"
    "? lists every keyboard shortcut (presentation: H panels, T/Shift+T temperature, C causal, M mode,\n"
    "A all heads, Space pause, S save a figure, F11 fullscreen, Ctrl +/-/0 UI size). Ctrl+Q quits. Settings are kept in $XDG_CONFIG_HOME/attnviz (or ~/.config/attnviz).\n";

int usage(const std::string& message) {
  std::fprintf(stderr, "attnviz: %s (try 'attnviz --help-window')\n", message.c_str());
  return 2;
}

}  // namespace

int runWindow(int argc, char** argv) {
  CliArgs args("window",
               {"text", "target", "mode", "head", "temperature", "select", "engine", "colormap", "scale", "width", "height",
                "ui-scale", "screenshot", "frames", "bench-frames", "open", "tab", "theme", "deck", "deck-step", "max-memory",
                "model", "layer", "view", "bench-model", "bench-idle", "text-file", "values", "ablate", "attention", "translate"},
               {"causal", "help", "no-settings", "debug-layout", "help-window", "bench-zoom", "present", "alignment",
                "continuous-redraw"});
#if ATTNVIZ_HAVE_UI
  ui::WindowOptions o;
  try {
    args.parse(argc, argv);
    if (args.has("help") || args.has("help-window")) {
      std::printf("%s", kWindowHelp);
      return 0;
    }
    if (!args.positional().empty()) throw UsageError("unexpected argument '" + args.positional().front() + "'");
    applyMemoryBudgetOption(args);
    readTextFileOption(args);
    if (auto v = args.get("text")) o.text = *v;
    if (auto v = args.get("target")) {
      o.target = *v;
      o.mode = "cross";
    }
    if (auto v = args.get("mode")) {
      if (*v != "self" && *v != "cross") throw UsageError("--mode must be self or cross, got '" + *v + "'");
      o.mode = *v;
    }
    if (o.mode && *o.mode == "cross" && o.text && !o.target) throw UsageError("--mode cross needs --target");
    if (auto v = args.get("head")) o.head = *v;
    if (auto t = args.getDouble("temperature")) {
      if (!(*t >= 0.05 && *t <= 10.0)) throw UsageError("--temperature must be between 0.05 and 10");
      o.temperature = float(*t);
    }
    if (auto s = args.getInt("select")) {
      if (*s < 0) throw UsageError("--select must be >= 0");
      o.select = int(*s);
    }
    if (auto e = args.get("engine")) {
      if (*e != "auto" && *e != "gpu-compute" && *e != "gpu-fragment" && *e != "cpu-fast" && *e != "cpu-ref")
        throw UsageError("unknown engine '" + *e + "' (auto, gpu-compute, gpu-fragment, cpu-fast, cpu-ref)");
      o.engine = *e;
    }
    if (auto c = args.get("colormap")) {
      Colormap cm;
      if (!parseColormap(*c, &cm)) throw UsageError("unknown colormap '" + *c + "' (cividis, viridis, magma, greyscale)");
      o.colormap = *c;
    }
    if (auto v = args.get("scale")) {
      ColourScale scale;
      if (!parseColourScale(*v, &scale)) throw UsageError("unknown colour scale '" + *v + "' (linear, auto, row, log)");
      o.colour_scale = *v;
    }
    if (auto w = args.getInt("width")) {
      if (*w < 480 || *w > 8192) throw UsageError("--width must be between 480 and 8192");
      o.width = int(*w);
    }
    if (auto h = args.getInt("height")) {
      if (*h < 360 || *h > 8192) throw UsageError("--height must be between 360 and 8192");
      o.height = int(*h);
    }
    if (auto s = args.getDouble("ui-scale")) {
      if (!(*s >= 0.5 && *s <= 4.0)) throw UsageError("--ui-scale must be between 0.5 and 4");
      o.ui_scale = float(*s);
    }
    if (auto f = args.get("screenshot")) {
      if (f->size() < 5 || f->compare(f->size() - 4, 4, ".png") != 0) throw UsageError("--screenshot needs a .png path");
      o.screenshot = *f;
    }
    if (auto n = args.getInt("frames")) {
      if (*n < 1 || *n > 100000) throw UsageError("--frames must be between 1 and 100000");
      o.frames = int(*n);
    }
    if (auto n = args.getInt("bench-frames")) {
      if (*n < 2 || *n > 1000000) throw UsageError("--bench-frames must be between 2 and 1000000");
      o.bench_frames = int(*n);
    }
    if (auto v = args.get("open")) o.open = *v;
    if (auto v = args.get("model")) {
      if (v->empty()) throw UsageError("--model needs a folder or a model name");
      if (!o.open.empty()) throw UsageError("--model and --open both choose what is shown; give one");
      o.model = *v;
    }
    if (auto l = args.getInt("layer")) {
      if (o.model.empty()) throw UsageError("--layer needs --model");
      if (*l < 0) throw UsageError("--layer must be 0 or more (layers are numbered from 0)");
      o.layer = int(*l);
    }
    if (auto v = args.get("view")) {
      if (o.model.empty()) throw UsageError("--view needs --model");
      if (*v != "head" && *v != "model" && *v != "rollout") throw UsageError("--view must be head, model or rollout");
      o.view = *v;
    }
    if (auto v = args.get("values")) {
      if (o.model.empty()) throw UsageError("--values needs --model (only a real model has value vectors)");
      if (*v != "weight" && *v != "contribution") throw UsageError("--values must be weight or contribution");
      o.contribution = *v == "contribution";
    }
    if (auto v = args.get("ablate")) {
      if (o.model.empty()) throw UsageError("--ablate needs --model");
      o.ablate = *v;
    }
    if (auto v = args.get("attention")) {
      if (o.model.empty()) throw UsageError("--attention needs --model (an encoder-decoder)");
      if (*v != "encoder" && *v != "decoder" && *v != "cross") throw UsageError("--attention must be encoder, decoder or cross, got '" + *v + "'");
      o.attention = *v;
    }
    if (auto n = args.getInt("translate")) {
      if (o.model.empty()) throw UsageError("--translate needs --model (an encoder-decoder)");
      if (*n < 1 || *n > 100000) throw UsageError("--translate must be 1 or more (tokens to generate)");
      if (o.target) throw UsageError("--translate and --target both give the target; give one");
      o.translate = int(*n);
    }
    o.alignment = args.has("alignment");
    if (auto v = args.get("tab")) {
      if (*v != "top" && *v != "patterns" && *v != "explain" && *v != "maths" && *v != "export" && *v != "bench" &&
          *v != "bench-run" && *v != "next" && *v != "measures" && *v != "ablation")
        throw UsageError("--tab must be top, patterns, explain, maths, export, bench, bench-run, next, measures or ablation");
      if ((*v == "next" || *v == "measures" || *v == "ablation") && !args.get("model")) throw UsageError("--tab " + *v + " needs --model");
      o.tab = *v;
    }
    o.present = args.has("present");
    if (auto v = args.get("theme")) {
      if (*v != "light" && *v != "dark") throw UsageError("--theme must be light or dark, got '" + *v + "'");
      o.theme = *v;
    }
    if (auto v = args.get("deck")) o.deck = *v;
    if (auto n = args.getInt("deck-step")) {
      if (*n < 1 || *n > 100000) throw UsageError("--deck-step must be 1 or more");
      if (o.deck.empty()) throw UsageError("--deck-step needs --deck FILE");
      o.deck_step = int(*n);
    }
    o.bench_zoom = args.has("bench-zoom");
    if (auto v = args.get("bench-model")) {
      if (*v != "layer" && *v != "head" && *v != "append" && *v != "forward" && *v != "generate" && *v != "launch")
        throw UsageError("--bench-model must be layer, head, append, forward, generate or launch");
      if (o.bench_frames == 0 || o.model.empty()) throw UsageError("--bench-model needs --bench-frames N and --model");
      o.bench_model = *v;
    }
    if (o.bench_zoom && o.bench_frames == 0) throw UsageError("--bench-zoom needs --bench-frames N");
    if (auto s = args.getDouble("bench-idle")) {
      if (!(*s >= 0.5 && *s <= 3600)) throw UsageError("--bench-idle must be between 0.5 and 3600 seconds");
      if (o.bench_frames > 0 || !o.screenshot.empty())
        throw UsageError("--bench-idle cannot be combined with --bench-frames or --screenshot");
      o.bench_idle_s = *s;
    }
    if (args.has("continuous-redraw")) o.continuous_redraw = true;
    o.causal = args.has("causal");
    if (o.causal && o.mode && *o.mode == "cross") throw UsageError(kCausalCrossReason);
    o.use_settings = !args.has("no-settings") && o.bench_idle_s == 0;
    o.debug_layout = args.has("debug-layout");
  } catch (const UsageError& e) {
    return usage(e.what());
  } catch (const InputError& e) {  // --text-file
    std::fprintf(stderr, "attnviz: %s\n", e.what());
    return 2;
  }
  return ui::runAppWindow(o);
#else
  (void)argc;
  (void)argv;
  std::fprintf(stderr, "attnviz: this build has no window (the ui target was not built)\n");
  return 1;
#endif
}

}  // namespace attnviz::app
