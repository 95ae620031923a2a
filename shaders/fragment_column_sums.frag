// gpu-fragment reduction for the stats row: one texel per key column of one head (target nk x 1,
// R32F): the column sum over all query rows. Summed in blocks of 64 rows (GLSL 3.30 has no
// `precise`, so compensated summation could be optimised away): error <= (64 + nq/64) u |sum|.
uniform sampler2DArray uP;
uniform int uLayer;
uniform int uNq;

out float outSum;

void main() {
  int j = int(gl_FragCoord.x);
  float total = 0.0;
  for (int i0 = 0; i0 < uNq; i0 += 64) {
    float block = 0.0;
    int i1 = min(i0 + 64, uNq);
    for (int i = i0; i < i1; ++i) block += texelFetch(uP, ivec3(j, i, uLayer), 0).r;
    total += block;
  }
  outSum = total;
}
