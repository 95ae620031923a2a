// Writing RGBA8 images as PNG (libpng): window screenshots and figures. Needs no GL context.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace attnviz::render {

// pixels: w*h*4 bytes, rows top to bottom unless bottom_up (as glReadPixels returns them).
// False and *error (one line naming the file) on failure.
bool writePngRgba(const std::string& path, int w, int h, const std::vector<std::uint8_t>& pixels, bool bottom_up,
                  std::string* error);

// Reads the currently bound read framebuffer (x, y, w, h) as RGBA8 bottom-up. Needs a GL context.
std::vector<std::uint8_t> readFramebufferRgba(int x, int y, int w, int h);

}  // namespace attnviz::render
