// gpu-fragment: merges the per-row softmax states of two column tiles (both 1 texel wide).
#include "fragment_common.glsl"

uniform sampler2D uA;
uniform sampler2D uB;

out vec4 outState;

void main() {
  int y = int(gl_FragCoord.y);
  outState = vec4(mergeState(texelFetch(uA, ivec2(0, y), 0).xyz, texelFetch(uB, ivec2(0, y), 0).xyz), 0.0);
}
