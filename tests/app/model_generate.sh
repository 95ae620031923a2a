#!/bin/bash
# Generate in the live window with a real (tiny, generated) model, as a person clicks it: the
# "Generate 10" button of the Next token tab pressed at 8 and at ~197 tokens. The window must
# survive every frame while the tokens arrive (issue 23: the selection was a 1 << 30 placeholder
# until the longer result came, and the arcs panel indexed the token names with it: SIGSEGV),
# end with 10 more tokens and the last one selected. The button is found from the layout JSON
# (--debug-layout names it). $1 = the attnviz binary. Exit 77 (skip) only without Xvfb.
source "$(dirname "$0")/xvfb_session.bash"
start_xvfb

MODELS="$TMP/models"
"$PY" "$HERE/../model/tiny_models.py" "$MODELS" >/dev/null || fail "tiny_models.py could not write the checkpoints"

# Prints "NQ SELECTED X Y" from the newest layout JSON (X Y: the middle of the Generate 10 button).
read_state() {
  local line json
  line=$(grep '^layout ' "$TMP/app.log" | tail -1)
  json=$(grep '^layoutjson ' "$TMP/app.log" | tail -1 | cut -d' ' -f2-)
  [ -n "$line" ] && [ -n "$json" ] || return 1
  "$PY" - "$line" "$json" <<'PYEOF'
import json, re, sys
line, layout = sys.argv[1], json.loads(sys.argv[2])
nq = re.search(r"nq=(\d+)", line).group(1)
sel = re.search(r"selected=(-?\d+)", line).group(1)
r = layout.get("named", {}).get("generate10")
x, y = (int((r[0] + r[2]) / 2), int((r[1] + r[3]) / 2)) if r else (-1, -1)
print(nq, sel, x, y)
PYEOF
}

# generate_case NAME MODEL TEXT MIN_TOKENS MAX_TOKENS
generate_case() {
  local name=$1 model=$2 text=$3 min=$4 max=$5 nq=0 sel=0 x=-1 y=-1 state
  "$BIN" --no-settings --model "$model" --text "$text" --tab next --width $W --height $H --debug-layout \
    >"$TMP/app.log" 2>&1 &
  APP_PID=$!
  local win
  win=$(timeout 60 xdotool search --sync --onlyvisible --pid $APP_PID 2>/dev/null | head -1)
  [ -n "$win" ] || fail "$name: no window appeared"
  xdotool windowmove "$win" 0 0
  for _ in $(seq 300); do
    state=$(read_state) && read -r nq sel x y <<<"$state" && [ "$x" -ge 0 ] && [ "$nq" -gt 0 ] && break
    kill -0 $APP_PID 2>/dev/null || fail "$name: the window exited before Generate was drawn"
    sleep 0.1
  done
  [ "$x" -ge 0 ] && [ "$nq" -gt 0 ] || fail "$name: no model result with a Generate 10 button after 30 s"
  [ "$nq" -ge "$min" ] && [ "$nq" -le "$max" ] || fail "$name: $nq tokens, expected $min..$max"
  local start=$nq
  echo "$name: $start tokens, Generate 10 at $x,$y"
  xdotool mousemove "$x" "$y" sleep 0.3 click 1
  for _ in $(seq 600); do
    kill -0 $APP_PID 2>/dev/null || { wait $APP_PID; fail "$name: the window died during Generate 10 (exit $?)"; }
    state=$(read_state) && read -r nq sel x y <<<"$state"
    [ "$nq" -ge $((start + 10)) ] && [ "$sel" = $((nq - 1)) ] && break
    sleep 0.1
  done
  [ "$nq" = $((start + 10)) ] || fail "$name: $nq tokens after Generate 10 from $start"
  [ "$sel" = $((nq - 1)) ] || fail "$name: token $sel selected after Generate, expected the last ($((nq - 1)))"
  # A few more frames with the grown text, then the window must still be there.
  sleep 1
  kill -0 $APP_PID 2>/dev/null || { wait $APP_PID; fail "$name: the window died after Generate 10 (exit $?)"; }
  import -window root "$TMP/$name.png" 2>/dev/null
  kill $APP_PID 2>/dev/null
  wait $APP_PID 2>/dev/null
  APP_PID=""
  echo "$name: $start -> $nq tokens, last selected"
}

# 8 tokens on GPT-2-style BPE (64 positions); ~197 on a Llama-style model (256 positions).
generate_case short "$MODELS/gpt2_plain" "the cat sat o" 7 9
LONG="the quick brown fox jumps over the lazy dog while the cat sat on the mat and watched the birds in the tall"
LONG="$LONG green trees by the river bank and then the old dog slept in the warm sun all afternoon until the evening"
LONG="$LONG came and the birds flew home at night"
generate_case long "$MODELS/llama3_rope_f32" "$LONG" 190 205
echo "PASS: model generate (Generate 10 at 8 and ~197 tokens, the window survives, the last token selected)"
