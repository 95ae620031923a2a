#!/usr/bin/python3
"""Pixel checks for the end-to-end tests (stdlib only). Reads raw RGB made by
`convert FILE.png -depth 8 rgb:FILE.rgb` and prints one line per check; exit 1 on a failed check.

usage: image_check.py RAW W H CHECK ARGS...
  colormap X0 Y0 X1 Y1 MIN_FRACTION       share of pixels near the cividis colormap >= MIN_FRACTION,
                                          and both dark (t < 0.2) and lighter (t > 0.3) entries present
  accent X0 Y0 X1 Y1 MIN_PIXELS           at least MIN_PIXELS of the selection accent colour
  no-accent X0 Y0 X1 Y1 MAX_PIXELS        at most MAX_PIXELS of it
  ink X0 Y0 X1 Y1 MIN_FRACTION            share of pixels that differ from the panel background
                                          (env IMAGE_CHECK_BG=R,G,B for another background, e.g. the light theme)
  differs X0 Y0 X1 Y1 MIN_FRACTION OTHER  share of pixels that differ from the raw image OTHER (same size)
"""
import sys

# Cividis control points as in src/core/colormap.cpp (checked there by the core tests).
CIVIDIS = [(0.000, 0.135, 0.305), (0.000, 0.187, 0.435), (0.194, 0.255, 0.424), (0.312, 0.329, 0.425),
           (0.405, 0.403, 0.440), (0.490, 0.484, 0.471), (0.588, 0.566, 0.469), (0.692, 0.651, 0.441),
           (0.797, 0.742, 0.391), (0.906, 0.840, 0.314), (0.996, 0.911, 0.220)]
ACCENT = (255, 107, 61)
PANEL_BG = (27, 29, 35)
if "IMAGE_CHECK_BG" in __import__("os").environ:
    PANEL_BG = tuple(int(v) for v in __import__("os").environ["IMAGE_CHECK_BG"].split(","))


def lut(points, n=64):
    out = []
    for i in range(n):
        t = i / (n - 1) * (len(points) - 1)
        k = min(int(t), len(points) - 2)
        f = t - k
        a, b = points[k], points[k + 1]
        out.append((tuple(255 * (a[c] + (b[c] - a[c]) * f) for c in range(3)), i / (n - 1)))
    return out


def main():
    raw, w, h, check = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    x0, y0, x1, y1 = (int(float(v)) for v in sys.argv[5:9])
    limit = float(sys.argv[9])
    data = open(raw, "rb").read()
    x0, y0 = max(0, x0), max(0, y0)
    x1, y1 = min(w, x1), min(h, y1)
    pixels = []
    step = 2 if check == "colormap" else 1
    for y in range(y0, y1, step):
        row = y * w * 3
        for x in range(x0, x1, step):
            i = row + x * 3
            pixels.append((data[i], data[i + 1], data[i + 2]))
    if not pixels:
        print(f"FAIL {check}: empty region {x0},{y0},{x1},{y1}")
        return 1
    if check == "colormap":
        table = lut(CIVIDIS)
        near, dark, bright = 0, 0, 0
        for p in pixels:
            best, best_t = 1e9, 0
            for c, t in table:
                d = (p[0] - c[0]) ** 2 + (p[1] - c[1]) ** 2 + (p[2] - c[2]) ** 2
                if d < best:
                    best, best_t = d, t
            if best < 18 ** 2:
                near += 1
                dark += best_t < 0.2
                bright += best_t > 0.3
        frac = near / len(pixels)
        ok = frac >= limit and dark > 0 and bright > 0
        print(f"{'ok' if ok else 'FAIL'} colormap: {frac:.2f} of pixels on cividis (need {limit}), dark={dark} bright={bright}")
        return 0 if ok else 1
    if check in ("accent", "no-accent"):
        n = sum(1 for p in pixels if abs(p[0] - ACCENT[0]) < 30 and abs(p[1] - ACCENT[1]) < 30 and abs(p[2] - ACCENT[2]) < 30)
        ok = n >= limit if check == "accent" else n <= limit
        print(f"{'ok' if ok else 'FAIL'} {check}: {n} accent pixels in {x0},{y0},{x1},{y1} (limit {limit:g})")
        return 0 if ok else 1
    if check == "ink":
        n = sum(1 for p in pixels if max(abs(p[c] - PANEL_BG[c]) for c in range(3)) > 40)
        frac = n / len(pixels)
        ok = frac >= limit
        print(f"{'ok' if ok else 'FAIL'} ink: {frac:.3f} of pixels drawn in {x0},{y0},{x1},{y1} (need {limit})")
        return 0 if ok else 1
    if check == "differs":
        other = open(sys.argv[10], "rb").read()
        n = 0
        for y in range(y0, y1):
            row = y * w * 3
            for x in range(x0, x1):
                i = row + x * 3
                if max(abs(data[i + c] - other[i + c]) for c in range(3)) > 24:
                    n += 1
        frac = n / len(pixels)
        ok = frac >= limit
        print(f"{'ok' if ok else 'FAIL'} differs: {frac:.3f} of pixels changed in {x0},{y0},{x1},{y1} (need {limit})")
        return 0 if ok else 1
    print(f"unknown check {check}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
