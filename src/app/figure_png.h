// PNG figures: drawn offscreen through GL (headless EGL) at the requested size, not grabbed from
// a window, then written with libpng.
#pragma once

#include <string>

#include "core/svg_figure.h"

namespace attnviz::app {

// False and *error set (one line) when no GL context could be made or the file can't be written.
bool renderFigurePng(const FigureSpec& spec, const std::string& path, std::string* error);

}  // namespace attnviz::app
