// gpu-fragment pass 1: one texel per (query, key) of the tile: S = (q . k) * scoreScale * log2(e).
// Q and K are RGBA32F textures, 4 components of d per texel (zero padded), one row per token.
#include "fragment_common.glsl"

uniform sampler2D uQ;     // width ceil(d/4), height = tile rows
uniform sampler2D uK;     // width ceil(d/4), height = tile columns
uniform int uD4;          // ceil(d/4)
uniform float uScaleLog2;

out float outScore;

void main() {
  ivec2 p = localTexel();
  float acc = 0.0;
  for (int c = 0; c < uD4; ++c) acc += dot(texelFetch(uQ, ivec2(c, p.y), 0), texelFetch(uK, ivec2(c, p.x), 0));
  outScore = acc * uScaleLog2;
}
