// gpu-fragment reduction for the stats row: one texel per query row of one head (target 1 x nq,
// RGBA32F): entropy in bits (-sum p log2 p over p > 0), the row's largest weight and its first column.
uniform sampler2DArray uP;  // the engine's output, layer = head
uniform int uLayer;
uniform int uNk;

out vec4 outStat;

void main() {
  int i = int(gl_FragCoord.y);
  float ent = 0.0;
  float mw = -1.0;
  int mc = 0;
  for (int j = 0; j < uNk; ++j) {
    float p = texelFetch(uP, ivec3(j, i, uLayer), 0).r;
    if (p > 0.0) ent -= p * log2(p);
    if (p > mw) {  // strict: the first maximum wins, as core computeStats
      mw = p;
      mc = j;
    }
  }
  outStat = vec4(max(ent, 0.0), mw, float(mc), 0.0);  // column index exact in float up to 2^24
}
