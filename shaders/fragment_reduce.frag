// gpu-fragment row reduction: each output texel folds FACTOR input texels of its row into an online
// softmax state (max, sum of exp2(x - max), visible count). The first level reads scores (R32F) and
// applies the mask; later levels read states (RGBA32F). Repeated until one texel per row is left.
// Defines: FACTOR.
#include "fragment_common.glsl"

uniform sampler2D uIn;
uniform int uInWidth;    // texels per row of uIn
uniform int uFirstLevel; // 1: uIn holds scores

out vec4 outState;

void main() {
  ivec2 p = ivec2(gl_FragCoord.xy);
  int x0 = p.x * FACTOR;
  int x1 = min(x0 + FACTOR, uInWidth);
  vec3 st = vec3(kNoScore, 0.0, 0.0);
  for (int x = x0; x < x1; ++x) {
    if (uFirstLevel != 0) {
      if (!visible(ivec2(x, p.y))) continue;
      float v = texelFetch(uIn, ivec2(x, p.y), 0).r;
      st = mergeState(st, vec3(v, 1.0, 1.0));
    } else {
      st = mergeState(st, texelFetch(uIn, ivec2(x, p.y), 0).xyz);
    }
  }
  outState = vec4(st, 0.0);
}
