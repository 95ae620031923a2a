// Pass 2 of gpu-compute: per row, a numerically stable softmax of the scores written by pass 1,
// in place. One workgroup per (row, head). Each invocation keeps an online (max, sum) pair over its
// strided share of the row; the pairs are merged by a shared-memory tree reduction (no subgroup
// operations: llvmpipe has none). A row with no visible key becomes zeros and reports 0 visible
// keys, never NaN.
// Defines: WG (invocations per workgroup, a power of two), P_IMAGE.
#include "attention_common.glsl"

layout(local_size_x = WG, local_size_y = 1, local_size_z = 1) in;

layout(std430, binding = 4) writeonly buffer RowInfo {
  uint visibleKeys[];  // [heads][nq], global indices
};

const float kNoScore = -3.0e38;  // below every finite score: "nothing seen yet"

shared float sMax[WG];
shared float sSum[WG];
shared uint sCount[WG];

void main() {
  int t = int(gl_LocalInvocationID.x);
  int il = int(gl_WorkGroupID.x);
  int hl = int(gl_WorkGroupID.y);
  int i = uRow0 + il;

  float m = kNoScore;
  float s = 0.0;
  uint count = 0u;
  for (int j = t; j < uNk; j += WG) {
    if (!visible(i, j)) continue;
    float x = loadP(hl, il, j);
    if (x > m) {
      s = s * exp2(m - x) + 1.0;
      m = x;
    } else {
      s += exp2(x - m);
    }
    ++count;
  }
  sMax[t] = m;
  sSum[t] = s;
  sCount[t] = count;
  memoryBarrierShared();
  barrier();
  for (int stride = WG / 2; stride > 0; stride /= 2) {
    if (t < stride) {
      float m2 = sMax[t + stride];
      float s2 = sSum[t + stride];
      float m1 = sMax[t];
      float mm = max(m1, m2);
      sSum[t] = sSum[t] * exp2(m1 - mm) + s2 * exp2(m2 - mm);
      sMax[t] = mm;
      sCount[t] += sCount[t + stride];
    }
    memoryBarrierShared();
    barrier();
  }
  float rowMax = sMax[0];
  float rowSum = sSum[0];
  uint visibleCount = sCount[0];
  if (t == 0) visibleKeys[(uHead0 + hl) * uNq + i] = visibleCount;

  for (int j = t; j < uNk; j += WG) {
    float p = 0.0;
    if (visibleCount > 0u && visible(i, j)) p = exp2(loadP(hl, il, j) - rowMax) / rowSum;
    storeP(hl, il, j, p);
  }
}
