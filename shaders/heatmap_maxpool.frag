// One level of the heatmap's level-of-detail pyramid: each texel is the MAX of the 2x2 source
// texels it covers (the last row/column also takes the odd leftover), so a single bright cell
// stays visible when thousands of cells share a pixel; averaging would wash it out.
// The source level is the texture's base level during this pass (no feedback loop).
uniform sampler2DArray u_src;
uniform int u_layer;
uniform ivec2 u_src_size;
uniform ivec2 u_dst_size;
out float o_value;

void main() {
  ivec2 d = ivec2(gl_FragCoord.xy);
  ivec2 s0 = d * 2;
  ivec2 s1 = s0 + 1;
  if (d.x == u_dst_size.x - 1) s1.x = u_src_size.x - 1;
  if (d.y == u_dst_size.y - 1) s1.y = u_src_size.y - 1;
  s1 = min(s1, u_src_size - 1);
  float m = -1.0;
  for (int y = s0.y; y <= s1.y; ++y)
    for (int x = s0.x; x <= s1.x; ++x) m = max(m, texelFetch(u_src, ivec3(x, y, u_layer), 0).r);
  o_value = m;
}
