#!/bin/bash
# End-to-end test of the window: the real app under Xvfb (llvmpipe), driven with xdotool, checked
# from screenshots with thresholds. $1 = the attnviz binary. Exit 77 (skip) only without Xvfb.
source "$(dirname "$0")/xvfb_session.bash"
start_xvfb

# Latest layout line of the running app: sets HM_* (heatmap), RL_* (row labels), AR_* (arcs), TX_* (text box), SEL, NQ.
read_layout() {  # read_layout [quiet]: with quiet, returns 1 instead of failing before the first line
  local line
  line=$(grep '^layout ' "$TMP/app.log" | tail -1)
  if [ -z "$line" ]; then
    [ -n "${1:-}" ] && return 1
    fail "the app printed no layout"
  fi
  eval "$("$PY" - "$line" <<'PYEOF'
import re, sys
m = re.match(r"layout heatmap=(\S+) rows=(\S+) arcs=(\S+) text=(\S+) selected=(\d+) nq=(\d+) nk=(\d+)", sys.argv[1])
v = re.search(r"view=([-\d.]+),([-\d.]+),([\d.]+)", sys.argv[1])
print(f"CPP={v.group(3) if v else 0}")
for prefix, group in zip(("HM", "RL", "AR", "TX"), m.groups()[:4]):
    for name, v in zip(("X0", "Y0", "X1", "Y1"), group.split(",")):
        print(f"{prefix}_{name}={int(float(v))}")
print(f"SEL={m.group(5)} NQ={m.group(6)} NK={m.group(7)}")
PYEOF
)"
}
wait_for() {  # wait_for 'CONDITION' seconds
  local cond=$1 t=$2
  for _ in $(seq $((t * 10))); do
    # The window can be mapped before its first frame is out (seen under ASan): wait for it too.
    read_layout quiet && eval "$cond" && return 0
    sleep 0.1
  done
  fail "timed out waiting for: $cond (selected=${SEL:-?} nq=${NQ:-?})"
}
row_band() {  # y range of row $1 in the row-label column
  "$PY" -c "y0=$RL_Y0;y1=$RL_Y1;n=$NQ;i=$1;h=(y1-y0)/n;print(int(y0+i*h+2), int(y0+(i+1)*h-2))"
}

# 1. A screenshot made by the app itself (--screenshot): the heatmap shows the colormap, row 0 is
#    selected, the arcs are drawn.
# gpu-compute explicitly: the heatmap then samples the texture the engine wrote (auto takes the
# CPU engine on a software rasteriser such as CI's llvmpipe).
"$BIN" --no-settings --engine gpu-compute --width $W --height $H --screenshot "$TMP/static.png" --frames 6 --debug-layout >"$TMP/app.log" 2>&1 ||
  fail "--screenshot exited $?"
read_layout
echo "heatmap at $HM_X0,$HM_Y0-$HM_X1,$HM_Y1; arcs at $AR_X0,$AR_Y0-$AR_X1,$AR_Y1; nq=$NQ"
[ "$NQ" = 8 ] || fail "expected 8 tokens for the default sentence, got $NQ"
check "$TMP/static.png" colormap "$HM_X0" "$HM_Y0" "$HM_X1" "$HM_Y1" 0.55
read -r B0 B1 <<<"$(row_band 0)"
check "$TMP/static.png" accent "$RL_X0" "$B0" "$RL_X1" "$B1" 200
read -r B0 B1 <<<"$(row_band 4)"
check "$TMP/static.png" no-accent "$RL_X0" "$B0" "$RL_X1" "$B1" 10
ARC_MID=$(( ($AR_Y0 + $AR_Y1) / 2 ))
check "$TMP/static.png" ink "$AR_X0" "$AR_Y0" "$AR_X1" "$ARC_MID" 0.004

# 2. The live window driven like a person would.
"$BIN" --width $W --height $H --debug-layout >"$TMP/app.log" 2>&1 &
APP_PID=$!
WIN=$(timeout 60 xdotool search --sync --onlyvisible --pid $APP_PID 2>/dev/null | head -1)
[ -n "$WIN" ] || fail "no window appeared"
xdotool windowmove "$WIN" 0 0
sleep 0.5
wait_for '[ "$NQ" = 8 ]' 20

# Click the row label of query 3.
read -r B0 B1 <<<"$(row_band 3)"
xdotool mousemove --sync $(( ($RL_X0 + $RL_X1) / 2 )) $(( (B0 + B1) / 2 )) click 1
wait_for '[ "$SEL" = 3 ]' 10
xdotool mousemove_relative -- -2000 -2000  # out of the way of tooltips (relative: Xvfb reports it to SDL)
sleep 0.3
import -window root "$TMP/clicked.png"
check "$TMP/clicked.png" accent "$RL_X0" "$B0" "$RL_X1" "$B1" 200
read -r C0 C1 <<<"$(row_band 0)"
check "$TMP/clicked.png" no-accent "$RL_X0" "$C0" "$RL_X1" "$C1" 10
check "$TMP/clicked.png" colormap "$HM_X0" "$HM_Y0" "$HM_X1" "$HM_Y1" 0.55

# The Right arrow moves the selection to query 4.
xdotool keydown Right; sleep 0.1; xdotool keyup Right
wait_for '[ "$SEL" = 4 ]' 10
sleep 0.8  # arcs grow
import -window root "$TMP/right.png"
read -r B0 B1 <<<"$(row_band 4)"
check "$TMP/right.png" accent "$RL_X0" "$B0" "$RL_X1" "$B1" 200
ARC_MID=$(( ($AR_Y0 + $AR_Y1) / 2 ))
check "$TMP/right.png" ink "$AR_X0" "$AR_Y0" "$AR_X1" "$ARC_MID" 0.004

# Clicking a token chip in the arcs strip selects that token, as a row label does (the chip's
# rectangle comes from the layout JSON of --debug-layout).
CHIP=$(grep '^layoutjson ' "$TMP/app.log" | tail -1 | cut -d' ' -f2- | "$PY" -c "
import json, sys
for t, x0, y0, x1, y1 in json.load(sys.stdin)['arc_chips']:
    if t == 6: print(int((x0 + x1) / 2), int((y0 + y1) / 2))")
[ -n "$CHIP" ] || fail "no arcs chip for token 6 in the layout"
read -r CX CY <<<"$CHIP"
xdotool mousemove --sync "$CX" "$CY" mousemove_relative 1 0 click 1
wait_for '[ "$SEL" = 6 ]' 10
echo "ok chip click selects token 6"
xdotool mousemove_relative -- -2000 -2000

# Typing into the sentence box recomputes live: three more tokens.
xdotool mousemove --sync $(( $TX_X1 - 8 )) $(( $TX_Y1 - 8 )) click 1
sleep 0.2
xdotool keydown End; sleep 0.1; xdotool keyup End  # held across a frame: ImGui 1.86 drops a press+release within one
xdotool type --delay 40 " It rose."
wait_for '[ "$NQ" = 11 ]' 15
xdotool mousemove_relative -- -2000 -2000
sleep 0.5
import -window root "$TMP/typed.png"
read_layout
check "$TMP/typed.png" colormap "$HM_X0" "$HM_Y0" "$HM_X1" "$HM_Y1" 0.55

# Mouse wheel over the heatmap zooms in (fewer cells per pixel); a double-click fits it again.
# (A small relative move after the absolute one makes Xvfb report the pointer to SDL.)
read_layout
FIT_CPP=$CPP
xdotool mousemove --sync $(( (HM_X0 + HM_X1) / 2 )) $(( (HM_Y0 + HM_Y1) / 2 )) mousemove_relative 1 1
sleep 0.2
for _ in 1 2 3 4 5; do xdotool click 4; sleep 0.05; done
wait_for '"$PY" -c "import sys; sys.exit(0 if $CPP < 0.6 * $FIT_CPP else 1)"' 10
echo "ok zoom: $FIT_CPP -> $CPP cells per pixel"
xdotool click --repeat 2 --delay 120 1  # a frame with the button up between the clicks, even on a loaded machine
wait_for '"$PY" -c "import sys; sys.exit(0 if abs($CPP - $FIT_CPP) < 1e-3 else 1)"' 10
echo "ok double-click fits again"

# Quits cleanly on SIGTERM (SDL turns it into a quit event) and remembers the sentence.
kill -TERM $APP_PID
for _ in $(seq 200); do kill -0 $APP_PID 2>/dev/null || break; sleep 0.1; done
if kill -0 $APP_PID 2>/dev/null; then
  kill -KILL $APP_PID
  fail "the app did not quit within 20 s of SIGTERM"
fi
wait $APP_PID
RC=$?
APP_PID=""
[ "$RC" = 0 ] || fail "the app exited $RC"
grep -q 'It rose.' "$XDG_CONFIG_HOME/attnviz/settings.json" || fail "settings.json does not hold the typed sentence"
[ -n "${ATTNVIZ_TEST_ARTIFACTS:-}" ] && mkdir -p "$ATTNVIZ_TEST_ARTIFACTS" && cp "$TMP"/*.png "$ATTNVIZ_TEST_ARTIFACTS/"
echo "PASS"
