#!/bin/bash
# End-to-end: presentation mode playing the shipped lecture deck under Xvfb. PageDown (what
# presenter clickers send) twice must change the view and the caption; ? must show the shortcut
# overlay; a bad deck file must exit 2 with one line. $1 = the attnviz binary. Exit 77 (skip) only
# without Xvfb.
source "$(dirname "$0")/xvfb_session.bash"
DECK="$HERE/../../assets/decks/intro.json"

# A bad deck: exit 2, one line, before any window.
echo '{"title": "broken"' >"$TMP/bad.json"
"$BIN" --no-settings --deck "$TMP/bad.json" 2>"$TMP/err" >/dev/null
rc=$?
[ $rc -eq 2 ] || fail "bad deck: exit $rc, expected 2"
[ "$(wc -l <"$TMP/err")" = 1 ] || fail "bad deck: expected one line, got: $(cat "$TMP/err")"
echo "ok bad deck: $(cat "$TMP/err")"

# A step past the end: exit 2 naming the valid range, before any window.
"$BIN" --no-settings --deck "$DECK" --deck-step 99 2>"$TMP/err" >/dev/null
rc=$?
[ $rc -eq 2 ] || fail "--deck-step 99: exit $rc, expected 2"
grep -q 'out of range.*(1\.\.[0-9]*)' "$TMP/err" || fail "--deck-step 99: no valid range in: $(cat "$TMP/err")"
[ "$(wc -l <"$TMP/err")" = 1 ] || fail "--deck-step 99: expected one line, got: $(cat "$TMP/err")"
echo "ok deck step out of range: $(cat "$TMP/err")"

# An unknown head is reported at load, on stderr, naming the step; the rest plays.
printf '{"steps":[{"caption":"a","text":"one two"},{"caption":"b","head":"Semantik"}]}' >"$TMP/heads.json"
"$BIN" --no-settings --deck "$TMP/heads.json" --screenshot "$TMP/heads.png" --width 640 --height 400 2>"$TMP/err" >/dev/null
grep -q "step 2: 'head': unknown head 'Semantik'" "$TMP/err" || fail "unknown deck head not reported: $(cat "$TMP/err")"
echo "ok unknown deck head: $(head -1 "$TMP/err")"

start_xvfb

differs() {  # differs A.png B.png X0 Y0 X1 Y1 MIN_FRACTION
  "$CONVERT" "$2" -depth 8 "rgb:$TMP/other.rgb" || fail "cannot read $2"
  "$CONVERT" "$1" -depth 8 "rgb:$TMP/img.rgb" || fail "cannot read $1"
  "$PY" "$HERE/image_check.py" "$TMP/img.rgb" $W $H differs "$3" "$4" "$5" "$6" "$7" "$TMP/other.rgb" ||
    fail "$1 vs $2: nothing changed in $3,$4-$5,$6"
}
state() { grep '^layout ' "$TMP/app.log" | tail -1 | sed -n 's/.*deck=\([0-9]*\) overlay=\([0-9]*\).*/DECK=\1 OVERLAY=\2/p'; }
wait_for() {  # wait_for 'CONDITION' seconds
  local cond=$1 t=$2
  for _ in $(seq $((t * 10))); do
    eval "$(state)"
    eval "$cond" && return 0
    sleep 0.1
  done
  fail "timed out waiting for: $cond (deck=${DECK:-?} overlay=${OVERLAY:-?})"
}

"$BIN" --no-settings --present --deck "$DECK" --width $W --height $H --debug-layout >"$TMP/app.log" 2>&1 &
APP_PID=$!
WIN=$(timeout 60 xdotool search --sync --onlyvisible --pid $APP_PID 2>/dev/null | head -1)
[ -n "$WIN" ] || fail "no window appeared"
xdotool windowmove "$WIN" 0 0
xdotool windowfocus "$WIN" 2>/dev/null
wait_for '[ "${DECK:-0}" = 1 ]' 20
xdotool mousemove 5 795  # out of the way
sleep 1.0
import -window root "$TMP/step1.png"
# Presentation: heatmap + arcs + caption; the heatmap shows the colormap.
check "$TMP/step1.png" colormap 100 110 620 630 0.5
check "$TMP/step1.png" accent 20 110 90 640 200     # the selected query's label

xdotool key --window "$WIN" Next; sleep 0.3
xdotool key --window "$WIN" Next
wait_for '[ "$DECK" = 3 ]' 10
sleep 1.0  # the heatmap blends over ~200 ms, the arcs grow
import -window root "$TMP/step3.png"
differs "$TMP/step3.png" "$TMP/step1.png" 20 665 1260 790 0.01   # the caption changed
differs "$TMP/step3.png" "$TMP/step1.png" 90 100 625 640 0.02    # the matrix changed (selection, temperature)
check "$TMP/step3.png" colormap 100 110 620 630 0.5

xdotool key --window "$WIN" question
wait_for '[ "$OVERLAY" = 1 ]' 10
sleep 0.3
import -window root "$TMP/help.png"
differs "$TMP/help.png" "$TMP/step3.png" 340 200 940 600 0.2     # the overlay covers the middle
xdotool key --window "$WIN" Escape
wait_for '[ "$OVERLAY" = 0 ]' 10

# PageUp goes back.
xdotool key --window "$WIN" Prior
wait_for '[ "$DECK" = 2 ]' 10
kill "$APP_PID" 2>/dev/null
wait "$APP_PID" 2>/dev/null
APP_PID=""
echo "PASS present_deck"
