// Shared by the gpu-fragment passes (GL 3.3). A pass draws one tile: query rows
// [uRow0, uRow0 + rows) by key columns [uCol0, uCol0 + cols); "local" is the texel inside the tile.

uniform int uRow0;       // first query row of the tile
uniform int uCol0;       // first key column of the tile
uniform int uMaskKind;   // 0 none, 1 causal, 2 custom (uMask)
uniform usampler2D uMask;  // R8UI, the tile's part of the custom mask (x = key, y = query); 1 = visible
uniform ivec2 uOrigin;   // window position of the tile's (0, 0) texel in the target

const float kNoScore = -3.0e38;  // below every finite score: "nothing seen yet"

ivec2 localTexel() { return ivec2(gl_FragCoord.xy) - uOrigin; }

bool visible(ivec2 local) {
  if (uMaskKind == 1) return uCol0 + local.x <= uRow0 + local.y;
  if (uMaskKind == 2) return texelFetch(uMask, local, 0).r != 0u;
  return true;
}

// Online softmax state (max m, sum s of exp2(x - m), count c) merged with another one.
vec3 mergeState(vec3 a, vec3 b) {
  float m = max(a.x, b.x);
  return vec3(m, a.y * exp2(a.x - m) + b.y * exp2(b.x - m), a.z + b.z);
}
