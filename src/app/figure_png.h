// PNG figures: drawn offscreen through GL (headless EGL) at the requested size by the app's own
// panels (ui/figure_export.h), not grabbed from a window, then written with libpng.
#pragma once

#include <string>

#include "app/cli_args.h"
#include "app/cli_input.h"
#include "core/head_selection.h"
#include "core/svg_figure.h"

namespace attnviz::app {

// `in` is the loaded input (its result is what the figure shows, from the requested engine);
// `args` says whether it came from --text (then the controller rebuilds the same simulated problem
// for labels and the maths) or from files. spec gives size, view, theme, colormap, selection and
// title. False and *error set (one line) when no GL context could be made or the file can't be
// written.
bool renderFigurePng(const CliArgs& args, const AttentionInput& in, const HeadSelection& head, const FigureSpec& spec,
                     const std::string& path, std::string* error, bool* input_too_large = nullptr);

}  // namespace attnviz::app
