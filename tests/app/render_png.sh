#!/bin/bash
# `attnviz render ... --out FILE.png`: figures drawn offscreen through headless EGL by the app's own
# panels, checked like golden images with thresholds (fixed size; colours in the heatmap region,
# the selected row's highlight, the arcs), plus the exit codes for bad input. No display needed.
# $1 = the attnviz binary.
set -u
BIN=$1
HERE=$(cd "$(dirname "$0")" && pwd)
CONVERT=/usr/bin/convert
[ -x "$CONVERT" ] || CONVERT=convert
command -v "$CONVERT" >/dev/null 2>&1 || { echo "SKIP: ImageMagick's convert is needed"; exit 77; }
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() {
  echo "FAIL: $*"
  mkdir -p "${ATTNVIZ_TEST_ARTIFACTS:-/tmp/attnviz-e2e}" && cp "$TMP"/*.png "${ATTNVIZ_TEST_ARTIFACTS:-/tmp/attnviz-e2e}/" 2>/dev/null
  exit 1
}
unset DISPLAY  # headless: EGL, no X server
S="The bank by the river was steep."

# check PNG W H CHECK X0 Y0 X1 Y1 LIMIT [OTHER]
check() {
  local png=$1 w=$2 h=$3; shift 3
  "$CONVERT" "$png" -depth 8 "rgb:$TMP/img.rgb" || fail "cannot read $png"
  "$PY" "$HERE/image_check.py" "$TMP/img.rgb" "$w" "$h" "$@" || fail "$png: check $1 failed"
}

# 1. Light theme, both views, head Semantic, query 'bank' selected (1600 x 900, scale 1.25).
"$BIN" render --text "$S" --head Semantic --select 1 --out "$TMP/both.png" 2>"$TMP/err" || fail "render both: $(cat "$TMP/err")"
[ "$(identify -format %wx%h "$TMP/both.png")" = 1600x900 ] || fail "both.png is not 1600x900"
check "$TMP/both.png" 1600 900 colormap 100 110 780 870 0.6            # the matrix: cividis cells, dark and bright
check "$TMP/both.png" 1600 900 accent 25 205 85 295 1500               # the selected row's label
check "$TMP/both.png" 1600 900 accent 95 195 780 300 800               # ... and its outline across the row
check "$TMP/both.png" 1600 900 no-accent 25 390 85 470 50              # another row: not highlighted
IMAGE_CHECK_BG=250,250,249 check "$TMP/both.png" 1600 900 ink 900 330 1500 820 0.03   # arcs drawn on the right

# 2. Dark theme, arcs only: the arcs and the selected token.
"$BIN" render --text "$S" --head Semantic --select 1 --view arcs --theme dark --out "$TMP/arcs.png" 2>"$TMP/err" ||
  fail "render arcs: $(cat "$TMP/err")"
check "$TMP/arcs.png" 1600 900 ink 560 360 1100 800 0.03
check "$TMP/arcs.png" 1600 900 accent 590 810 680 860 200
check "$TMP/arcs.png" 1600 900 no-accent 40 100 1560 780 0             # nothing else in the accent colour

# 3. Larger than any window: a 4K heatmap, all heads, from a --weights file.
"$BIN" dump --text "$S" --format json >/dev/null || fail "dump failed"
"$BIN" render --text "$S" --head all --view heatmap --width 3840 --height 2160 --out "$TMP/k4.png" 2>"$TMP/err" ||
  fail "render 4K: $(cat "$TMP/err")"
[ "$(identify -format %wx%h "$TMP/k4.png")" = 3840x2160 ] || fail "k4.png is not 3840x2160"
"$CONVERT" "$TMP/k4.png" -resize 960x540! "$TMP/k4s.png"
check "$TMP/k4s.png" 960 540 colormap 20 60 940 520 0.25

# 4. Q/K input through the same path.
"$PY" - "$TMP" <<'PYEOF'
import struct, sys, random
def npy(path, shape, values):
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "")
    header += " " * (63 - (len(header) + 10) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + struct.pack("<%df" % len(values), *values))
random.seed(3)
n, d = 6, 8
npy(sys.argv[1] + "/q.npy", (1, n, d), [random.uniform(-2, 2) for _ in range(n * d)])
npy(sys.argv[1] + "/k.npy", (1, n, d), [random.uniform(-2, 2) for _ in range(n * d)])
PYEOF
"$BIN" render --q "$TMP/q.npy" --k "$TMP/k.npy" --select 2 --causal --view heatmap --width 800 --height 800 --out "$TMP/qk.png" 2>"$TMP/err" ||
  fail "render q/k: $(cat "$TMP/err")"
check "$TMP/qk.png" 800 800 colormap 100 150 780 780 0.3

# 5. Bad input: exit 2 with one clear line.
expect2() {
  local what=$1; shift
  "$BIN" render "$@" 2>"$TMP/err"
  local rc=$?
  [ $rc -eq 2 ] || fail "$what: exit $rc, expected 2"
  [ "$(wc -l <"$TMP/err")" -ge 1 ] || fail "$what: no reason printed"
  echo "ok $what: $(head -1 "$TMP/err")"
}
expect2 "select out of range" --text "$S" --select 99 --out "$TMP/x.png"
echo garbage >"$TMP/bad.npy"
expect2 "bad weights file" --weights "$TMP/bad.npy" --out "$TMP/x.png"
expect2 "huge size" --text "$S" --width 100000 --out "$TMP/x.png"
expect2 "unknown view" --text "$S" --view pie --out "$TMP/x.png"
expect2 "all heads as SVG" --text "$S" --head all --out "$TMP/x.svg"
[ ! -e "$TMP/x.png" ] || fail "a failed render left a file"
echo "PASS render_png"
