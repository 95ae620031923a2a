#include "render/png_writer.h"

#include <png.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <glad/gl.h>

namespace attnviz::render {

bool writePngRgba(const std::string& path, int w, int h, const std::vector<std::uint8_t>& pixels, bool bottom_up,
                  std::string* error) {
  if (w <= 0 || h <= 0 || pixels.size() < std::size_t(w) * std::size_t(h) * 4) {
    if (error) *error = path + ": no pixels to write";
    return false;
  }
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) {
    if (error) *error = path + ": " + std::strerror(errno);
    return false;
  }
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!png || !info) {
    png_destroy_write_struct(&png, &info);
    std::fclose(f);
    if (error) *error = path + ": libpng could not start";
    return false;
  }
  // libpng reports errors by longjmp; nothing with a destructor lives between here and the end.
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    std::fclose(f);
    if (error) *error = path + ": libpng failed while writing";
    return false;
  }
  png_init_io(png, f);
  png_set_IHDR(png, info, png_uint_32(w), png_uint_32(h), 8, PNG_COLOR_TYPE_RGB_ALPHA, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int y = 0; y < h; ++y) {
    const int src = bottom_up ? h - 1 - y : y;
    png_write_row(png, const_cast<png_bytep>(pixels.data() + std::size_t(src) * std::size_t(w) * 4));
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  if (std::fclose(f) != 0) {
    if (error) *error = path + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

std::vector<std::uint8_t> readFramebufferRgba(int x, int y, int w, int h) {
  std::vector<std::uint8_t> pixels(std::size_t(w) * std::size_t(h) * 4);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadPixels(x, y, w, h, GL_RGBA, GL_UNSIGNED_BYTE, pixels.data());
  // The window's alpha channel is not meaningful for a screenshot.
  for (std::size_t i = 3; i < pixels.size(); i += 4) pixels[i] = 255;
  return pixels;
}

}  // namespace attnviz::render
