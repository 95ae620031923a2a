// Builds level 0 of one display layer from the engine's probability texture.
// Source: GL_TEXTURE_2D_ARRAY R32F, texel (x = key j, y = query i, layer = head h).
// Output: the colormap position of cell (j, i) under the colour scale, or -1 for a masked cell
// (the view shader hatches those, so a mask is never mistaken for a small weight). u_head >= 0
// shows that head, -1 the mean. The scale mirrors colourScaleT in core/colour_scale.cpp:
// 0 linear, 1 auto (divide by the layer's maximum), 2 row (by the row's maximum), 3 log.
uniform sampler2DArray u_source;
uniform sampler2D u_denominators;  // auto: texel (0, layer); row: texel (query, layer)
uniform int u_head;
uniform int u_heads;
uniform int u_causal;
uniform int u_window;  // > 0: a sliding window, key j masked for query i when j <= i - u_window
uniform int u_scale;
uniform int u_display_layer;
uniform float u_log_floor;
uniform float u_log_decades;
out float o_value;

void main() {
  ivec2 cell = ivec2(gl_FragCoord.xy);
  if ((u_causal != 0 && cell.x > cell.y) || (u_window > 0 && cell.x <= cell.y - u_window)) {
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
  if (!(v > 0.0)) {
    o_value = 0.0;
    return;
  }
  if (u_scale == 1 || u_scale == 2) {
    float d = texelFetch(u_denominators, ivec2(u_scale == 2 ? cell.y : 0, u_display_layer), 0).r;
    v = d > 0.0 ? v / d : 0.0;
  } else if (u_scale == 3) {
    v = (log(max(v, u_log_floor)) / log(10.0) + u_log_decades) / u_log_decades;
  }
  o_value = clamp(v, 0.0, 1.0);
}
