// GPU reduction for the stats row: column sums of one head's P (how much attention each key gets;
// its argmax is the "most attended" token). One invocation per key column walks the tile's rows
// with compensated (Kahan) summation, so the error does not grow with nq; tiles of one head are
// accumulated into the same buffer by consecutive dispatches.
// Defines: WG, P_IMAGE.
#include "attention_common.glsl"

layout(local_size_x = WG, local_size_y = 1, local_size_z = 1) in;

layout(std430, binding = 6) buffer ColumnSums {
  float columnSums[];  // [nk]; the first tile's dispatch overwrites, later ones add
};

uniform int uHeadInTile;
uniform int uAccumulate;  // 0: first tile of the head, 1: add to what is there

void main() {
  int j = int(gl_GlobalInvocationID.x);
  if (j >= uNk) return;
  precise float sum = 0.0;
  precise float comp = 0.0;
  for (int il = 0; il < uTileRows; ++il) {
    precise float y = loadP(uHeadInTile, il, j) - comp;
    precise float s = sum + y;
    comp = (s - sum) - y;
    sum = s;
  }
  columnSums[j] = (uAccumulate != 0 ? columnSums[j] : 0.0) + sum;
}
