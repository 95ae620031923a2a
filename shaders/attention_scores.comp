// Pass 1 of gpu-compute: S = (Q Kᵀ) * scoreScale * log2(e), written into P's storage (the softmax
// pass then normalises in place). Each TILE x TILE workgroup computes a block of S for one head,
// staging TILE-wide slices of Q rows and K rows in shared memory so each global value is read once
// per workgroup. Masked cells are written too; the softmax pass skips them. Partial tiles at the
// edges load zeros and store nothing.
// Defines: TILE (workgroup side), P_IMAGE.
#include "attention_common.glsl"

layout(local_size_x = TILE, local_size_y = TILE, local_size_z = 1) in;

layout(std430, binding = 1) readonly buffer QTile { float Q[]; };  // [uTileHeads][uTileRows][uD]
layout(std430, binding = 2) readonly buffer KTile { float K[]; };  // [uTileHeads][uNk][uD]

uniform float uScaleLog2;  // scoreScale() * log2(e): softmax then uses exp2

shared float sQ[TILE][TILE + 1];  // +1: no bank conflicts on the transposed read
shared float sK[TILE][TILE + 1];

void main() {
  int lx = int(gl_LocalInvocationID.x);
  int ly = int(gl_LocalInvocationID.y);
  int col0 = int(gl_WorkGroupID.x) * TILE;
  int row0 = int(gl_WorkGroupID.y) * TILE;
  int hl = int(gl_WorkGroupID.z);
  int j = col0 + lx;  // key column this invocation writes
  int il = row0 + ly; // tile row this invocation writes

  float acc = 0.0;
  for (int c0 = 0; c0 < uD; c0 += TILE) {
    int c = c0 + lx;
    int qr = row0 + ly;
    int kr = col0 + ly;
    sQ[ly][lx] = (qr < uTileRows && c < uD) ? Q[(hl * uTileRows + qr) * uD + c] : 0.0;
    sK[ly][lx] = (kr < uNk && c < uD) ? K[(hl * uNk + kr) * uD + c] : 0.0;
    memoryBarrierShared();
    barrier();
    for (int t = 0; t < TILE; ++t) acc += sQ[ly][t] * sK[lx][t];
    memoryBarrierShared();
    barrier();
  }
  if (il < uTileRows && j < uNk) storeP(hl, il, j, acc * uScaleLog2);
}
