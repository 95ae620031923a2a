// GPU reduction for the stats row: per query row of one head, entropy in bits (-sum p log2 p over
// p > 0), the largest weight and its column (first column on ties, as core computeStats).
// One workgroup per row of the tile; only these three numbers per row are read back.
// Defines: WG (power of two), P_IMAGE.
#include "attention_common.glsl"

layout(local_size_x = WG, local_size_y = 1, local_size_z = 1) in;

struct RowStat {
  float entropyBits;
  float maxWeight;
  int maxCol;
  int pad;
};
layout(std430, binding = 5) writeonly buffer RowStats {
  RowStat rowStats[];  // [nq], global row index
};

uniform int uHeadInTile;  // the head to reduce, as an index inside the tile

shared float sEnt[WG];
shared float sMaxW[WG];
shared int sMaxC[WG];

void main() {
  int t = int(gl_LocalInvocationID.x);
  int il = int(gl_WorkGroupID.x);
  float ent = 0.0;
  float mw = -1.0;
  int mc = 0x7fffffff;
  for (int j = t; j < uNk; j += WG) {
    float p = loadP(uHeadInTile, il, j);
    if (p > 0.0) ent -= p * log2(p);
    if (p > mw) {  // strided in increasing j: the first maximum of this invocation's share
      mw = p;
      mc = j;
    }
  }
  sEnt[t] = ent;
  sMaxW[t] = mw;
  sMaxC[t] = mc;
  memoryBarrierShared();
  barrier();
  for (int stride = WG / 2; stride > 0; stride /= 2) {
    if (t < stride) {
      sEnt[t] += sEnt[t + stride];
      float w2 = sMaxW[t + stride];
      int c2 = sMaxC[t + stride];
      if (w2 > sMaxW[t] || (w2 == sMaxW[t] && c2 < sMaxC[t])) {
        sMaxW[t] = w2;
        sMaxC[t] = c2;
      }
    }
    memoryBarrierShared();
    barrier();
  }
  if (t == 0) {
    rowStats[uRow0 + il] = RowStat(max(sEnt[0], 0.0), sMaxW[0], sMaxC[0], 0);
  }
}
