#include "render/rgba_image.h"

namespace attnviz::render {

bool RgbaImage::resize(int w, int h, std::string* error) {
  if (w == w_ && h == h_ && texture_) return true;
  GLint max_size = 0;
  glGetIntegerv(GL_MAX_TEXTURE_SIZE, &max_size);
  if (w <= 0 || h <= 0 || w > max_size || h > max_size) {
    if (error) *error = "image of " + std::to_string(w) + " x " + std::to_string(h) + " pixels exceeds GL_MAX_TEXTURE_SIZE " +
                        std::to_string(max_size);
    return false;
  }
  if (!texture_) texture_ = gpu::Texture::create();
  glBindTexture(GL_TEXTURE_2D, texture_.id());
  const std::vector<std::uint8_t> clear(std::size_t(w) * std::size_t(h) * 4, 0);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
  glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, w, h, 0, GL_RGBA, GL_UNSIGNED_BYTE, clear.data());
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  glBindTexture(GL_TEXTURE_2D, 0);
  w_ = w;
  h_ = h;
  return true;
}

void RgbaImage::update(int x, int y, int w, int h, const std::uint8_t* rgba) {
  if (!texture_ || x < 0 || y < 0 || w <= 0 || h <= 0 || x + w > w_ || y + h > h_) return;
  glBindTexture(GL_TEXTURE_2D, texture_.id());
  glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
  glTexSubImage2D(GL_TEXTURE_2D, 0, x, y, w, h, GL_RGBA, GL_UNSIGNED_BYTE, rgba);
  glBindTexture(GL_TEXTURE_2D, 0);
}

}  // namespace attnviz::render
