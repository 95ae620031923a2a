// gpu-fragment last pass: P = exp2(S - rowMax) / rowSum for visible keys, 0 for masked keys and for
// rows with no visible key (never NaN).
#include "fragment_common.glsl"

uniform sampler2D uS;    // the tile's scores
uniform sampler2D uRow;  // final row states, 1 x tile rows: (max, sum, count)

out float outP;

void main() {
  ivec2 p = localTexel();
  vec4 r = texelFetch(uRow, ivec2(0, p.y), 0);
  float v = 0.0;
  if (r.z > 0.5 && visible(p)) v = exp2(texelFetch(uS, p, 0).r - r.x) / r.y;
  outP = v;
}
