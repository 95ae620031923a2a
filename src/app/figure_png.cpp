#include "app/figure_png.h"

namespace attnviz::app {

bool renderFigurePng(const FigureSpec&, const std::string&, std::string* error) {
  *error = "PNG figures are not available in this build yet; use --out FILE.svg";
  return false;
}

}  // namespace attnviz::app
