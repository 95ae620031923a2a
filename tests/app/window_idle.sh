#!/bin/bash
# Idle frames (issue 18): a window left alone sleeps until the next event instead of redrawing;
# --continuous-redraw keeps drawing every frame. Measured with --bench-idle (frames drawn and CPU
# time over a quiet stretch), for the simulated model and a real one. $1 = the attnviz binary.
source "$(dirname "$0")/xvfb_session.bash"
start_xvfb
MODEL="$HERE/../../assets/models/tiny-gpt"
S=3

usage_error() {  # one line on stderr, exit 2
  "$BIN" "$@" >"$TMP/out.txt" 2>"$TMP/err.txt"
  local rc=$?
  [ $rc = 2 ] || fail "'$*' exited $rc, expected 2"
  [ "$(wc -l <"$TMP/err.txt")" = 1 ] || fail "'$*' wrote $(wc -l <"$TMP/err.txt") lines on stderr"
  echo "ok usage error: $* -> $(cat "$TMP/err.txt")"
}
usage_error --bench-idle 0.1
usage_error --bench-idle x
usage_error --bench-idle 2 --bench-frames 10

field() { "$PY" -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
idle_run() {  # idle_run NAME ARGS...: the bench's JSON line in $TMP/NAME.json
  local name=$1; shift
  "$BIN" --bench-idle $S "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" || fail "$name: exited $?: $(tail -3 "$TMP/$name.err")"
  grep '"bench":"idle"' "$TMP/$name.out" >"$TMP/$name.json" || fail "$name: no idle report: $(cat "$TMP/$name.out")"
  echo "$name: $(cat "$TMP/$name.json")"
}

idle_run sleeping
idle_run continuous --continuous-redraw
idle_run model --model "$MODEL" --text "the cat sat on the mat and the cat sat"
sleeping=$(field "$(cat "$TMP/sleeping.json")" frames)
continuous=$(field "$(cat "$TMP/continuous.json")" frames)
model=$(field "$(cat "$TMP/model.json")" frames)
# Left alone the window wakes about once a second (its bound on what no event announces).
[ "$sleeping" -le $((2 * S + 2)) ] || fail "a window left alone drew $sleeping frames in $S s"
[ "$model" -le $((2 * S + 2)) ] || fail "a window left alone with a model drew $model frames in $S s"
# Every frame: at least 5 a second even on a loaded machine under a sanitizer (60 when quiet).
[ "$continuous" -ge $((5 * S)) ] && [ "$continuous" -ge $((3 * sleeping)) ] ||
  fail "--continuous-redraw drew $continuous frames in $S s (left alone: $sleeping)"
[ "$(field "$(cat "$TMP/continuous.json")" continuous_redraw)" = True ] || fail "the report does not say continuous redraw"
echo "PASS"
