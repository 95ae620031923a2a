# Sourced by the window tests (not a test itself: ctest runs tests/app/*.sh). After sourcing:
# BIN, HERE, TMP, CONVERT, PY, W, H; fail MESSAGE (keeps screenshots as evidence), check PNG CHECK...
# (tests/app/image_check.py on a screenshot), start_xvfb (our own X server on a free display,
# exports DISPLAY, XDG_CONFIG_HOME and ATTNVIZ_UI_SCALE). Exits 77 (skip) only without Xvfb.
set -u
BIN=$1
HERE=$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)
if ! command -v Xvfb >/dev/null 2>&1; then
  echo "SKIP: Xvfb is not installed"
  exit 77
fi
for tool in xdotool import; do
  command -v $tool >/dev/null 2>&1 || { echo "FAIL: $tool is needed (apt-get install xdotool imagemagick)"; exit 1; }
done
CONVERT=/usr/bin/convert
[ -x "$CONVERT" ] || CONVERT=convert
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
W=1280 H=800

TMP=$(mktemp -d)
XVFB_PID=""
APP_PID=""
cleanup() {
  [ -n "$APP_PID" ] && kill "$APP_PID" 2>/dev/null
  [ -n "$XVFB_PID" ] && kill "$XVFB_PID" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  [ -f "$TMP/app.log" ] && tail -5 "$TMP/app.log"
  # Keep the evidence where CI can pick it up.
  mkdir -p "${ATTNVIZ_TEST_ARTIFACTS:-/tmp/attnviz-e2e}" && cp "$TMP"/*.png "${ATTNVIZ_TEST_ARTIFACTS:-/tmp/attnviz-e2e}/" 2>/dev/null
  exit 1
}

start_xvfb() {
  exec 3>"$TMP/display"
  Xvfb -displayfd 3 -screen 0 ${W}x${H}x24 -nolisten tcp >"$TMP/xvfb.log" 2>&1 &
  XVFB_PID=$!
  for _ in $(seq 50); do [ -s "$TMP/display" ] && break; sleep 0.1; done
  [ -s "$TMP/display" ] || fail "Xvfb did not start: $(cat "$TMP/xvfb.log")"
  export DISPLAY=":$(head -1 "$TMP/display")"
  export XDG_CONFIG_HOME="$TMP/config"
  export ATTNVIZ_UI_SCALE=1
}

# check FILE CHECK X0 Y0 X1 Y1 LIMIT
check() {
  local png=$1; shift
  "$CONVERT" "$png" -depth 8 "rgb:$TMP/img.rgb" || fail "cannot read $png"
  "$PY" "$HERE/image_check.py" "$TMP/img.rgb" $W $H "$@" || fail "$png: check $1 failed"
}
