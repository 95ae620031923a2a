#!/bin/bash
# End-to-end test of the window with a real (tiny, generated) model: `attnviz --model DIR` under
# Xvfb, the model view checked from a screenshot, keys and a click on the grid driven with xdotool,
# and load errors (one line, exit 2). $1 = the attnviz binary. Exit 77 (skip) only without Xvfb.
source "$(dirname "$0")/xvfb_session.bash"
start_xvfb

MODELS="$TMP/models"
"$PY" "$HERE/../model/tiny_models.py" "$MODELS" >/dev/null || fail "tiny_models.py could not write the checkpoints"
GPT2="$MODELS/gpt2_plain"  # 3 layers x 8 heads, byte-level BPE
TEXT="the cat sat on the mat and the cat ate the hat"

# Latest layout line: MV_* (model view grid), LAYER, HEAD (-1 = mean/all), MAIN (0 head, 1 model view, 2 rollout), NQ.
read_layout() {  # read_layout [quiet]: with quiet, returns 1 instead of failing before the first line
  local line
  line=$(grep '^layout ' "$TMP/app.log" | tail -1)
  if [ -z "$line" ]; then
    [ -n "${1:-}" ] && return 1
    fail "the app printed no layout"
  fi
  eval "$("$PY" - "$line" <<'PYEOF'
import re, sys
line = sys.argv[1]
mv = re.search(r"modelview=(\S+)", line).group(1).split(",")
for name, v in zip(("X0", "Y0", "X1", "Y1"), mv):
    print(f"MV_{name}={int(float(v))}")
for key, var in (("layer", "LAYER"), ("head", "HEAD"), ("main", "MAIN"), ("nq", "NQ")):
    value = re.search(key + r"=(-?\d+)", line).group(1)
    print(f"{var}={value}")
PYEOF
)"
}
start_window() {  # start_window WHAT ARGS...: the live window with ARGS, its layout lines in app.log; sets APP_PID and WIN
  local what=$1
  shift
  "$BIN" "$@" --width $W --height $H --debug-layout >"$TMP/app.log" 2>&1 &
  APP_PID=$!
  WIN=$(timeout 60 xdotool search --sync --onlyvisible --pid $APP_PID 2>/dev/null | head -1)
  [ -n "$WIN" ] || fail "no window appeared for $what"
  xdotool windowmove "$WIN" 0 0
  sleep 0.5
}
named_centre() {  # named_centre NAME: the centre of a named item in the latest layout
  grep '^layoutjson ' "$TMP/app.log" | tail -1 | "$PY" -c 'import json, sys; r = json.loads(sys.stdin.read().split(" ", 1)[1])["named"]["'"$1"'"]; print(int((r[0] + r[2]) / 2), int((r[1] + r[3]) / 2))'
}
stop_window() {
  kill $APP_PID 2>/dev/null
  wait $APP_PID 2>/dev/null
  APP_PID=""
}
wait_for() {  # wait_for 'CONDITION' seconds
  local cond=$1 t=$2
  for _ in $(seq $((t * 10))); do
    read_layout quiet && eval "$cond" && return 0
    sleep 0.1
  done
  fail "timed out waiting for: $cond (layer=${LAYER:-?} head=${HEAD:-?} main=${MAIN:-?})"
}

# 1. The model view in a screenshot: every layer x head cell drawn through the colormap.
"$BIN" --no-settings --model "$GPT2" --text "$TEXT" --view model --width $W --height $H \
  --screenshot "$TMP/model_view.png" --frames 6 --debug-layout >"$TMP/app.log" 2>&1 || fail "--screenshot exited $?"
read_layout
echo "model view grid at $MV_X0,$MV_Y0-$MV_X1,$MV_Y1; $NQ tokens"
[ "$MV_X1" -gt "$MV_X0" ] && [ "$MV_Y1" -gt "$MV_Y0" ] || fail "the model view was not drawn"
[ "$MAIN" = 1 ] || fail "--view model did not open the model view (main=$MAIN)"
# Cells below the diagonal are on the colormap; the masked triangles and gaps are not: a third.
check "$TMP/model_view.png" colormap "$MV_X0" "$MV_Y0" "$MV_X1" "$MV_Y1" 0.3

# 2. --head in the Hugging Face form opens that layer and head.
"$BIN" --no-settings --model "$GPT2" --text "$TEXT" --head L2H5 --width $W --height $H \
  --screenshot "$TMP/l2h5.png" --frames 4 --debug-layout >"$TMP/app.log" 2>&1 || fail "--head L2H5 exited $?"
read_layout
[ "$LAYER" = 2 ] && [ "$HEAD" = 5 ] || fail "--head L2H5 showed layer $LAYER head $HEAD"

# 3. Errors: one line on stderr, exit 2, before any frame.
expect_error() {  # expect_error 'WHAT' ARGS...
  local what=$1; shift
  "$BIN" --no-settings "$@" --screenshot "$TMP/err.png" >"$TMP/err.out" 2>"$TMP/err.log"
  local rc=$?
  [ "$rc" = 2 ] || fail "$what: exit $rc, expected 2 ($(cat "$TMP/err.log"))"
  [ "$(wc -l <"$TMP/err.log")" = 1 ] || fail "$what: expected one line on stderr, got: $(cat "$TMP/err.log")"
  grep -qF -- "$what" "$TMP/err.log" || fail "stderr does not name '$what': $(cat "$TMP/err.log")"
}
expect_error "/nonexistent/model" --model /nonexistent/model
expect_error "out of range" --model "$GPT2" --layer 3
expect_error "64" --model "$GPT2" --text "$(printf 'x %.0s' $(seq 100))"
mkdir -p "$TMP/bad" && cp "$GPT2"/* "$TMP/bad/" && echo '{"model_type": "bert"}' >"$TMP/bad/config.json"
expect_error "bert" --model "$TMP/bad"

# 4. The live window: ] and [ change the layer, Down the head, a click on the grid opens a head.
start_window "the decoder" --model "$GPT2" --text "$TEXT" --view model
wait_for '[ "$MV_X1" -gt 0 ]' 30
xdotool mousemove 5 5 key bracketright
wait_for '[ "$LAYER" = 1 ]' 10
xdotool key bracketright key bracketright  # stops at the last layer
wait_for '[ "$LAYER" = 2 ]' 10
xdotool key bracketleft
wait_for '[ "$LAYER" = 1 ]' 10
xdotool key Down
wait_for '[ "$HEAD" = 0 ]' 10
# The grid's cells: 8 heads across, 3 layers down; click the middle of layer 2, head 6.
CX=$(( MV_X0 + (MV_X1 - MV_X0) * 13 / 16 ))
CY=$(( MV_Y0 + (MV_Y1 - MV_Y0) * 5 / 6 ))
xdotool mousemove "$CX" "$CY" sleep 0.3 click 1
wait_for '[ "$LAYER" = 2 ] && [ "$HEAD" = 6 ] && [ "$MAIN" = 0 ]' 10
import -window root "$TMP/live.png" 2>/dev/null
stop_window

# 5. An encoder (the tiny BERT): clicking "+ [MASK]" appends the mask to the sentence, so the map
#    gains a row ("the cat" -> [CLS] the cat [MASK] [SEP]).
BERT="$MODELS/bert_mlm_f32"
start_window "the encoder" --model "$BERT" --text "the cat"
wait_for '[ "$NQ" = 4 ]' 30
MASK_RECT=$(named_centre insert_mask)
[ -n "$MASK_RECT" ] || fail "the encoder's sidebar has no + [MASK] button"
xdotool mousemove $MASK_RECT sleep 0.3 click 1
wait_for '[ "$NQ" = 5 ]' 10
stop_window
# 6. An encoder-decoder (the tiny Marian: 2 encoder, 3 decoder layers): --translate grows the cross
#    view a row per generated token with the alignment links on; in the live window Translate
#    does the same, and the Encoder switch shows source x source.
MARIAN="$MODELS/marian_f16"
SRC="The cat sat on the mat."
"$BIN" --no-settings --model "$MARIAN" --text "$SRC" --attention encoder --width $W --height $H \
  --screenshot "$TMP/encoder.png" --frames 3 --debug-layout >"$TMP/app.log" 2>&1 || fail "--attention encoder exited $?"
read_layout
SOURCE_TOKENS=$NQ
[ "$SOURCE_TOKENS" -gt 3 ] || fail "the encoder's map has $SOURCE_TOKENS rows"
"$BIN" --no-settings --model "$MARIAN" --text "$SRC" --translate 6 --alignment --layer 1 --width $W --height $H \
  --screenshot "$TMP/translate.png" --frames 3 --debug-layout >"$TMP/app.log" 2>&1 || fail "--translate exited $?"
read_layout
# The start token and one row per generated token (6, or fewer when </s> came first).
[ "$NQ" -ge 2 ] && [ "$NQ" -le 7 ] || fail "--translate 6 gave $NQ target rows"
[ "$LAYER" = 1 ] || fail "--layer 1 showed layer $LAYER"
expect_error "not an encoder-decoder" --model "$GPT2" --target "hallo"
expect_error "not an encoder-decoder" --model "$GPT2" --translate 3
expect_error "--attention must be" --model "$MARIAN" --attention sideways
expect_error "out of range" --model "$MARIAN" --attention encoder --layer 2  # the encoder has layers 0..1
start_window "the encoder-decoder" --model "$MARIAN" --text "$SRC"
wait_for '[ "$NQ" = 1 ]' 30  # the decoder's start token alone
XY=$(named_centre translate)
[ -n "$XY" ] || fail "the sidebar has no Translate button"
xdotool mousemove $XY sleep 0.3 click 1
wait_for '[ "$NQ" -gt 2 ]' 30
import -window root "$TMP/translating.png" 2>/dev/null
# The target box grows with the translation and moves the switch down: wait until the rows stop
# growing (</s> or the limit: the same count three seconds running, as one slow step could hold
# it for a second), then read the switch's place from the newest layout.
LAST=0
STILL=0
for _ in $(seq 90); do
  sleep 1
  read_layout
  if [ "$NQ" = "$LAST" ]; then STILL=$((STILL + 1)); else STILL=0; fi
  [ $STILL -ge 3 ] && break
  LAST=$NQ
done
[ $STILL -ge 3 ] || fail "the translation was still growing after 90 s ($NQ rows)"
XY=$(named_centre kind_encoder)
[ -n "$XY" ] || fail "the sidebar has no Encoder switch"
xdotool mousemove $XY sleep 0.3 click 1
wait_for '[ "$NQ" = "$SOURCE_TOKENS" ]' 30
stop_window

# 7. Loading from the sidebar once the window sleeps between events (issue 18): the path typed into
#    the model box and Enter (its press and release reach the sleeping window together) load the
#    model off the UI thread, and its map (as many rows as `dump` gives tokens) replaces the
#    simulated model's.
MODEL_TOKENS=$("$BIN" dump --model "$GPT2" --text "$TEXT" --head 0 | "$PY" -c 'import json, sys; print(len(json.load(sys.stdin)["token_ids"]))')
SIMULATED_TOKENS=$(echo "$TEXT" | wc -w)
[ "$MODEL_TOKENS" != "$SIMULATED_TOKENS" ] || fail "the test needs a text the two models split differently"
start_window "the model box" --no-settings --text "$TEXT"
wait_for '[ "$NQ" = "$SIMULATED_TOKENS" ]' 30
XY=$(named_centre model_path)
[ -n "$XY" ] || fail "the sidebar has no model path box"
xdotool mousemove $XY click 1
sleep 1
xdotool type --delay 5 "$GPT2"
sleep 2.5  # past the input's settling frames: the window sleeps until the next event
xdotool key Return
wait_for '[ "$NQ" = "$MODEL_TOKENS" ]' 30
stop_window

# 8. The launch's own --model loads in the background too (issue 18): frames come while it loads,
#    and what needs the model (--layer, --head, --select) is applied once it is in. An option that
#    does not fit the model still ends the live window with one line and exit 2; a model that is
#    not there at all opens no window.
start_window "the launch's options" --no-settings --model "$GPT2" --text "$TEXT" --layer 1 --head 4 --select 3
wait_for '[ "$NQ" = "$MODEL_TOKENS" ] && [ "$LAYER" = 1 ] && [ "$HEAD" = 4 ]' 30
SELECTED=$(grep '^layout ' "$TMP/app.log" | tail -1 | sed -n 's/.* selected=\([0-9-]*\) .*/\1/p')
[ "$SELECTED" = 3 ] || fail "--select 3 selected $SELECTED once the model was in"
# The first tab, Next token, stood aside while no model was shown and is open now.
[ -n "$(named_centre generate10)" ] || fail "the Next token tab is not open once the launch's model is in"
stop_window
live_error() {  # live_error 'WHAT' ARGS...: the live window (no screenshot) exits 2, one line naming WHAT
  local what=$1; shift
  timeout 60 "$BIN" --no-settings "$@" --width $W --height $H >"$TMP/err.out" 2>"$TMP/err.log"
  local rc=$?
  [ "$rc" = 2 ] || fail "live $what: exit $rc, expected 2 ($(cat "$TMP/err.log"))"
  [ "$(wc -l <"$TMP/err.log")" = 1 ] || fail "live $what: expected one line on stderr, got: $(cat "$TMP/err.log")"
  grep -qF -- "$what" "$TMP/err.log" || fail "live: stderr does not name '$what': $(cat "$TMP/err.log")"
}
live_error "out of range" --model "$GPT2" --layer 3
live_error "not an encoder-decoder" --model "$GPT2" --translate 3
live_error "/nonexistent/model" --model /nonexistent/model
echo "PASS: model window (model view, L5H1 form, errors, layer keys, grid click, encoder's + [MASK], translation and kinds, loading from the sidebar and at launch)"
