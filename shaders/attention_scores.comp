// Pass 1 of gpu-compute: S = (Q Kᵀ) * scoreScale * log2(e), written into P's storage (the softmax
// pass then normalises in place). A TILE x TILE workgroup computes a BLOCK x BLOCK block of S for one
// head (BLOCK = TILE * WPT): each invocation owns WPT x WPT outputs (rows ly + a*TILE, columns
// lx + b*TILE) kept in registers. Q rows and K rows of the block are staged through shared memory
// TILE components of d at a time, so each global value is read once per workgroup and every barrier
// pays for WPT*WPT*TILE multiply-adds per invocation (barriers are costly on llvmpipe).
// Masked cells are written too; the softmax pass skips them. Partial blocks at the edges load
// zeros and store nothing.
// Defines: TILE (workgroup side), WPT (outputs per invocation per side), P_IMAGE.
#include "attention_common.glsl"

layout(local_size_x = TILE, local_size_y = TILE, local_size_z = 1) in;

layout(std430, binding = 1) readonly buffer QTile { float Q[]; };  // [uTileHeads][uTileRows][uD]
layout(std430, binding = 2) readonly buffer KTile { float K[]; };  // [uTileHeads][uNk][uD]

uniform float uScaleLog2;  // scoreScale() * log2(e): softmax then uses exp2

const int BLOCK = TILE * WPT;
shared float sQ[BLOCK][TILE + 1];  // +1: no bank conflicts on the column reads
shared float sK[BLOCK][TILE + 1];

void main() {
  int lx = int(gl_LocalInvocationID.x);
  int ly = int(gl_LocalInvocationID.y);
  int col0 = int(gl_WorkGroupID.x) * BLOCK;
  int row0 = int(gl_WorkGroupID.y) * BLOCK;
  int hl = int(gl_WorkGroupID.z);

  float acc[WPT][WPT];
  for (int a = 0; a < WPT; ++a)
    for (int b = 0; b < WPT; ++b) acc[a][b] = 0.0;

  for (int c0 = 0; c0 < uD; c0 += TILE) {
    int c = c0 + lx;
    for (int a = 0; a < WPT; ++a) {
      int r = ly + a * TILE;
      int qr = row0 + r;
      int kr = col0 + r;
      sQ[r][lx] = (qr < uTileRows && c < uD) ? Q[(hl * uTileRows + qr) * uD + c] : 0.0;
      sK[r][lx] = (kr < uNk && c < uD) ? K[(hl * uNk + kr) * uD + c] : 0.0;
    }
    memoryBarrierShared();
    barrier();
    for (int t = 0; t < TILE; ++t) {
      float qv[WPT];
      float kv[WPT];
      for (int a = 0; a < WPT; ++a) qv[a] = sQ[ly + a * TILE][t];
      for (int b = 0; b < WPT; ++b) kv[b] = sK[lx + b * TILE][t];
      for (int a = 0; a < WPT; ++a)
        for (int b = 0; b < WPT; ++b) acc[a][b] += qv[a] * kv[b];
    }
    memoryBarrierShared();
    barrier();
  }
  for (int a = 0; a < WPT; ++a)
    for (int b = 0; b < WPT; ++b) {
      int il = row0 + ly + a * TILE;
      int j = col0 + lx + b * TILE;
      if (il < uTileRows && j < uNk) storeP(hl, il, j, acc[a][b] * uScaleLog2);
    }
}
