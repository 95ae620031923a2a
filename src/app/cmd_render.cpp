// attnviz render: draws a figure of one attention matrix headlessly, as SVG (vector, from the core)
// or PNG (rendered offscreen through GL by the same renderers as the app).
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "app/cli_input.h"
#include "app/commands.h"
#include "app/figure_png.h"
#include "core/head_selection.h"
#include "core/export.h"
#include "core/svg_figure.h"
#include "core/tokenizer.h"

namespace attnviz::app {
namespace {

const char* kRenderUsage =
    "usage: attnviz render --text TEXT [--target TEXT] [options] --out FILE.png|FILE.svg\n"
    "       attnviz render --q Q.npy --k K.npy [options] --out FILE.png|FILE.svg\n"
    "       attnviz render --weights P.npy [options] --out FILE.png|FILE.svg\n"
    "       attnviz render --model DIR|NAME --text TEXT [--layer L] [--head H|L5H1|mean] [options] --out FILE.png|FILE.svg\n"
    "\n"
    "Draws a figure (heatmap, arcs from the selected query, or both) without a window.\n";
const char* kRenderOptions =
    "  --alignment          cross-attention: link each target token to its most attended source token\n"
    "                       (of the head shown, or of the mean)\n"
    "  --head H             1-based index, head name or 'mean' (default: mean); PNG also 'all';\n"
    "                       with --model: 0-based index or L5H1\n"
    "  --select I           selected query row for the arcs (0-based; default 0, with a causal mask\n"
    "                       the last token, as the window selects: row 0 there only attends to itself)\n"
    "  --view V             heatmap | arcs | both (default both)\n"
    "  --width W --height H figure size in pixels (default 1600 x 900; 64..16384)\n"
    "  --theme light|dark   default light (for projectors and paper)\n"
    "  --colormap NAME      cividis (default), viridis, magma, greyscale\n"
    "  --scale S            colour scale: linear (0..1; the default, except log for --model past 32\n"
    "                       tokens, as in the window), auto (0..max of the matrix),\n"
    "                       row (each row / its max) or log (1e-4..1); the legend names it\n"
    "  --title TEXT         heading drawn above the figure\n"
    "  --out FILE           .svg or .png\n";

// The model a figure comes from, and its layer: "gpt2 layer 5" (a folder by its last component).
std::string modelLabel(const AttentionInput& in) {
  std::string name = in.model_name;
  while (name.size() > 1 && name.back() == '/') name.pop_back();
  if (std::filesystem::is_directory(name)) name = std::filesystem::path(name).filename().string();
  return name + " layer " + std::to_string(in.layer);
}

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

int runRender(int argc, char** argv) {
  std::set<std::string> options = attentionInputOptions();
  options.insert({"head", "select", "view", "width", "height", "theme", "colormap", "scale", "title", "out"});
  CliArgs args("render", options, {"causal", "help", "alignment"});
  try {
    args.parse(argc, argv);
    if (args.has("help")) {
      std::printf("%s%s%s", kRenderUsage, attentionInputHelp(), kRenderOptions);
      return 0;
    }
    readTextFileOption(args);
    const std::string out = args.getOr("out", "");
    if (out.empty()) throw UsageError("--out FILE.png or FILE.svg is required");
    const bool svg = endsWith(out, ".svg"), png = endsWith(out, ".png");
    if (!svg && !png) throw UsageError("--out must end in .png or .svg, got '" + out + "'");
    FigureSpec spec;
    if (!parseFigureView(args.getOr("view", "both"), &spec.view)) throw UsageError("--view must be heatmap, arcs or both");
    if (!parseColormap(args.getOr("colormap", colormapName(kDefaultColormap)), &spec.colormap))
      throw UsageError("unknown colormap '" + args.getOr("colormap", "") + "' (cividis, viridis, magma, greyscale)");
    if (!parseColourScale(args.getOr("scale", "linear"), &spec.scale))
      throw UsageError("unknown colour scale '" + args.getOr("scale", "") + "' (linear, auto, row, log)");
    const std::string theme = args.getOr("theme", "light");
    if (theme != "light" && theme != "dark") throw UsageError("--theme must be light or dark");
    spec.dark = theme == "dark";
    const long width = args.getInt("width").value_or(1600), height = args.getInt("height").value_or(900);
    if (width < 64 || width > 16384 || height < 64 || height > 16384)
      throw UsageError("--width and --height must be between 64 and 16384");
    spec.width = int(width);
    spec.height = int(height);
    spec.title = sanitizeUtf8(args.getOr("title", ""));

    AttentionInput in = prepareAttentionInput(args);
    const HeadSelection sel = selectHeads(in, args.getOr("head", "mean"));
    // As the window: until a scale is asked for, a real model past a few dozen tokens gets log.
    if (!args.has("scale")) spec.scale = defaultColourScale(in.result.nq, in.session != nullptr);
    if (in.session && !args.has("title"))  // "gpt2 · L5H1", as the window's figures of a model
      spec.title = sanitizeUtf8(modelFigureTitle(in, sel));
    if (sel.kind == HeadSelection::All && svg)
      throw UsageError("an SVG figure shows one matrix: choose --head N, a head name or mean (PNG can show all)");
    runAttentionInput(in, args);
    const AttentionResult shown = sel.kind == HeadSelection::Single ? selectHead(in.result, sel.index) : meanOverHeads(in.result);
    spec.nq = shown.nq;
    spec.nk = shown.nk;
    spec.weights = shown.p;
    spec.query_labels = in.query_tokens;
    spec.key_labels = in.key_tokens;
    spec.masked = in.masked();
    spec.cross = in.mode == "cross";
    if (args.has("alignment")) {
      if (!spec.cross) throw UsageError("--alignment applies to cross-attention (target rows, source columns)");
      spec.alignment = alignmentOf(spec.weights.data(), spec.nq, spec.nk);
    }
    const long select = args.getInt("select").value_or(in.causal ? spec.nq - 1 : 0);
    if (select < 0 || select >= spec.nq)
      throw UsageError("--select " + std::to_string(select) + " is out of range (0.." + std::to_string(spec.nq - 1) + ")");
    spec.selected_query = int(select);
    {  // What the figure shows, as the window's figures say it: head, mode, temperature, mask, source, scale.
      const char* dot = " \xC2\xB7 ";
      std::string line = sel.kind == HeadSelection::Single ? in.head_names[std::size_t(sel.index)] + " head"
                                                            : "mean of " + std::to_string(in.result.heads) + " heads";
      line += dot + std::string(spec.cross ? "cross-attention" : "self-attention");
      if (!args.has("weights")) {
        char t[32];
        std::snprintf(t, sizeof t, "T = %.2f", in.temperature);
        line += dot + std::string(t);
      }
      if (in.causal) line += dot + std::string("causal mask");
      line += dot + (args.has("weights") ? args.getOr("weights", "") : args.has("q") ? args.getOr("q", "") : in.session ? modelLabel(in) : std::string("simulated model"));
      line += dot + std::string(colourScaleName(spec.scale)) + " colour scale";
      spec.subtitle = sanitizeUtf8(line);
    }

    if (svg) {
      std::ofstream file(out, std::ios::binary);
      writeSvg(spec, file);
      if (!file) {
        std::fprintf(stderr, "attnviz render: cannot write '%s'\n", out.c_str());
        return 1;
      }
      return 0;
    }
    std::string error;
    bool too_large = false;
    if (!renderFigurePng(args, in, sel, spec, out, &error, &too_large)) {
      std::fprintf(stderr, "attnviz render: %s\n", error.c_str());
      return too_large ? 2 : 1;  // a matrix beyond the texture limit is bad input, not a failure
    }
    return 0;
  } catch (...) {
    return reportInputFailure("render", args);
  }
}

}  // namespace attnviz::app
