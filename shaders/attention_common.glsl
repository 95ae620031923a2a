// Shared by the attention compute shaders: problem uniforms, the mask, and where P lives.
//
// A dispatch works on one tile: heads [uHead0, uHead0 + uTileHeads) and query rows
// [uRow0, uRow0 + uTileRows), every key column. Shader-local indices are "hl" (head in tile) and
// "il" (row in tile); global ones are uHead0 + hl and uRow0 + il.
//
// P_IMAGE 1: P is a GL_TEXTURE_2D_ARRAY R32F image, texel (x = key j, y = query i, layer = head).
// P_IMAGE 0: P is an SSBO holding the tile only, [hl][il][j] floats.

uniform int uNq;         // query rows of the whole problem
uniform int uNk;         // key columns
uniform int uD;          // query/key width
uniform int uHead0;      // first head of this tile
uniform int uTileHeads;  // heads in this tile
uniform int uRow0;       // first query row of this tile
uniform int uTileRows;   // query rows in this tile
uniform int uMaskKind;   // 0 none, 1 causal, 2 custom (bits in MaskBits)

layout(std430, binding = 3) readonly buffer MaskBits {
  uint maskBits[];  // bit (i * nk + j) set = key j visible to query i; only read when uMaskKind == 2
};

bool visible(int i, int j) {
  if (uMaskKind == 1) return j <= i;
  if (uMaskKind == 2) {
    uint bit = uint(i) * uint(uNk) + uint(j);
    return ((maskBits[bit >> 5u] >> (bit & 31u)) & 1u) != 0u;
  }
  return true;
}

#if P_IMAGE
layout(r32f, binding = 0) uniform coherent image2DArray uP;
float loadP(int hl, int il, int j) { return imageLoad(uP, ivec3(j, uRow0 + il, uHead0 + hl)).r; }
void storeP(int hl, int il, int j, float v) { imageStore(uP, ivec3(j, uRow0 + il, uHead0 + hl), vec4(v, 0.0, 0.0, 0.0)); }
#else
layout(std430, binding = 0) coherent buffer PTile {
  float P[];  // [uTileHeads][uTileRows][uNk]
};
float loadP(int hl, int il, int j) { return P[(hl * uTileRows + il) * uNk + j]; }
void storeP(int hl, int il, int j, float v) { P[(hl * uTileRows + il) * uNk + j] = v; }
#endif
