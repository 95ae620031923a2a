// Draws the visible part of one display layer into the heatmap's framebuffer through a colormap
// lookup texture. u_view is the visible cell rectangle (x = key, y = query, y grows downwards);
// when several cells share a pixel the max-pooled level whose texels are at least a pixel wide is
// read. Masked cells (value < 0) are hatched grey. u_blend < 1 mixes in the previous matrix for
// the ~200 ms transition.
uniform sampler2DArray u_cur;
uniform sampler2DArray u_prev;
uniform sampler2D u_lut;
uniform float u_blend;
uniform int u_layer;
uniform int u_prev_layer;
uniform vec4 u_view;
uniform vec2 u_size;
uniform ivec2 u_n;
uniform int u_levels;
uniform vec3 u_grid;
uniform vec3 u_mask_a;
uniform vec3 u_mask_b;
out vec4 o_color;

float fetchLevel(sampler2DArray t, int layer, ivec2 cell, int level) {
  ivec2 sz = max(u_n >> level, ivec2(1));
  ivec2 c = min(cell >> level, sz - 1);
  return texelFetch(t, ivec3(c, layer), level).r;
}

void main() {
  vec2 px = vec2(gl_FragCoord.x, u_size.y - gl_FragCoord.y);
  vec2 span = u_view.zw - u_view.xy;
  vec2 cellf = u_view.xy + px / u_size * span;
  if (cellf.x < 0.0 || cellf.y < 0.0 || cellf.x >= float(u_n.x) || cellf.y >= float(u_n.y)) {
    o_color = vec4(0.0);
    return;
  }
  vec2 cpp = span / u_size;  // cells per pixel
  float c = max(cpp.x, cpp.y);
  int level = 0;
  if (c > 1.0) level = min(int(ceil(log2(c) - 1e-3)), u_levels - 1);
  ivec2 cell = ivec2(floor(cellf));
  float v = fetchLevel(u_cur, u_layer, cell, level);
  vec3 col;
  if (v < 0.0) {
    float stripe = mod(gl_FragCoord.x + gl_FragCoord.y, 9.0) < 3.0 ? 1.0 : 0.0;
    col = mix(u_mask_a, u_mask_b, stripe);
  } else {
    if (u_blend < 1.0) {
      float pv = fetchLevel(u_prev, u_prev_layer, cell, level);
      if (pv >= 0.0) v = mix(pv, v, u_blend);
    }
    float t = clamp(v, 0.0, 1.0);
    col = texture(u_lut, vec2(t * (255.0 / 256.0) + 0.5 / 256.0, 0.5)).rgb;
  }
  // Thin gaps between cells once they are big enough to read as tiles.
  vec2 ppc = 1.0 / cpp;
  float m = min(ppc.x, ppc.y);
  if (m >= 9.0) {
    vec2 f = fract(cellf) * ppc;
    float gap = m >= 28.0 ? 2.0 : 1.0;
    if (f.x < gap || f.y < gap) col = mix(col, u_grid, 0.85);
  }
  o_color = vec4(col, 1.0);
}
