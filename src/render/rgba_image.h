// A small RGBA8 image on the GPU that panels draw with ImGui::Image (the model view's grid of
// thumbnails, the rollout map): resized on demand, updated a rectangle at a time. Needs a current
// GL 3.3+ context with glad loaded for every call; destroy it while that context is current.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gpu/gl_objects.h"

namespace attnviz::render {

class RgbaImage {
 public:
  // (Re)allocates w x h pixels (cleared to transparent) when the size differs. False and *error
  // when the size is beyond GL_MAX_TEXTURE_SIZE.
  bool resize(int w, int h, std::string* error);
  // Writes a w x h block of RGBA8 pixels (row 0 at the top) at x, y; it must lie inside the image.
  void update(int x, int y, int w, int h, const std::uint8_t* rgba);
  // The GL texture name, for ImGui::Image (0 before the first resize). Nearest filtering: each
  // pixel is one pooled block of a map, and blurring them would invent weights.
  unsigned texture() const { return texture_.id(); }
  int width() const { return w_; }
  int height() const { return h_; }

 private:
  gpu::Texture texture_;
  int w_ = 0, h_ = 0;
};

}  // namespace attnviz::render
