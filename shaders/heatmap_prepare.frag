// Builds level 0 of one display layer from the engine's probability texture.
// Source: GL_TEXTURE_2D_ARRAY R32F, texel (x = key j, y = query i, layer = head h).
// Output: the shown weight of cell (j, i), or -1 for a masked cell (the view shader hatches those,
// so a mask is never mistaken for a small weight). u_head >= 0 shows that head, -1 the mean.
uniform sampler2DArray u_source;
uniform int u_head;
uniform int u_heads;
uniform int u_causal;
out float o_value;

void main() {
  ivec2 cell = ivec2(gl_FragCoord.xy);
  if (u_causal != 0 && cell.x > cell.y) {
    o_value = -1.0;
    return;
  }
  float v = 0.0;
  if (u_head >= 0) {
    v = texelFetch(u_source, ivec3(cell, u_head), 0).r;
  } else {
    for (int h = 0; h < u_heads; ++h) v += texelFetch(u_source, ivec3(cell, h), 0).r;
    v /= float(max(u_heads, 1));
  }
  o_value = v;
}
