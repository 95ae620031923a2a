#!/bin/bash
# The window's command line: --help, usage errors (one line on stderr, exit 2), --screenshot
# (a PNG of the window) and --bench-frames (one JSON line). $1 = the attnviz binary.
# Exit 77 (skip) only when Xvfb is absent, and only for the parts that need a display.
set -u
BIN=$1
TMP=$(mktemp -d)
XVFB_PID=""
cleanup() {
  [ -n "$XVFB_PID" ] && kill "$XVFB_PID" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$BIN" --help-window >"$TMP/help.txt" 2>&1 || fail "--help-window exited $?"
"$BIN" --causal --help >/dev/null 2>&1 || fail "--help after window flags exited $?"
for flag in --text --target --mode --head --temperature --causal --select --engine --screenshot --frames --bench-frames; do
  grep -q -- "$flag" "$TMP/help.txt" || fail "--help does not mention $flag"
done

usage_error() {  # usage_error ARGS...: exit 2 and exactly one line on stderr, nothing on stdout
  "$BIN" "$@" >"$TMP/out.txt" 2>"$TMP/err.txt"
  local rc=$?
  [ $rc = 2 ] || fail "'$*' exited $rc, expected 2"
  [ "$(wc -l <"$TMP/err.txt")" = 1 ] || fail "'$*' wrote $(wc -l <"$TMP/err.txt") lines on stderr: $(cat "$TMP/err.txt")"
  [ ! -s "$TMP/out.txt" ] || fail "'$*' wrote to stdout"
  echo "ok usage error: $* -> $(cat "$TMP/err.txt")"
}
usage_error --no-such-flag
usage_error --mode sideways
usage_error --temperature 0
usage_error --temperature warm
usage_error --engine quantum
usage_error --colormap rainbow
usage_error --select -1
usage_error --screenshot out.jpg
usage_error --text

if ! command -v Xvfb >/dev/null 2>&1; then
  echo "SKIP (display part): Xvfb is not installed"
  exit 77
fi
exec 3>"$TMP/display"
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp >"$TMP/xvfb.log" 2>&1 &
XVFB_PID=$!
for _ in $(seq 50); do [ -s "$TMP/display" ] && break; sleep 0.1; done
[ -s "$TMP/display" ] || fail "Xvfb did not start"
export DISPLAY=":$(head -1 "$TMP/display")"
export XDG_CONFIG_HOME="$TMP/config"

# A head name is checked against the heads of the model: one line, exit 2.
usage_error --head NoSuchHead

"$BIN" --width 1000 --height 700 --head all --causal --screenshot "$TMP/shot.png" --frames 3 || fail "--screenshot exited $?"
[ -s "$TMP/shot.png" ] || fail "no screenshot written"
SIZE=$(/usr/bin/python3 -c "
import struct,sys
d=open('$TMP/shot.png','rb').read(24)
assert d[:8]==b'\x89PNG\r\n\x1a\n', 'not a PNG'
print('%dx%d'%struct.unpack('>II',d[16:24]))")
[ "$SIZE" = "1000x700" ] || fail "screenshot is $SIZE, expected 1000x700"
echo "ok screenshot $SIZE"
[ ! -e "$XDG_CONFIG_HOME/attnviz/settings.json" ] || fail "--screenshot must not write settings"

"$BIN" --screenshot "$TMP/nowhere/x.png" --frames 1 2>"$TMP/err.txt"
[ $? = 1 ] || fail "an unwritable screenshot path must exit 1"

LINE=$("$BIN" --bench-frames 30) || fail "--bench-frames exited $?"
echo "$LINE"
/usr/bin/python3 -c "
import json,sys
j=json.loads(sys.argv[1])
for k in ('frames','p50_ms','p95_ms','max_ms','recompute_p50_ms','renderer'):
    assert k in j, k
assert j['frames'] >= 25, j['frames']
assert 0 < j['p50_ms'] <= j['p95_ms'] <= j['max_ms'], j
assert j['renderer'], j
" "$LINE" || fail "--bench-frames JSON is wrong: $LINE"
[ "$(echo "$LINE" | wc -l)" = 1 ] || fail "--bench-frames printed more than one line"

# --bench-model on the shipped tiny-gpt: a head switch changes no tokens, "forward" alternates
# the text and a word in front, "generate" adds one token per timed event, "launch" times the
# start until the first map (the model loads while frames come).
MODEL="$(dirname "$0")/../../assets/models/tiny-gpt"
for kind in head forward generate launch; do
  "$BIN" --model "$MODEL" --text "the cat sat on the mat and the dog" --bench-frames 90 --bench-model $kind >"$TMP/$kind.txt" ||
    fail "--bench-model $kind exited $?"
done
/usr/bin/python3 -c "
import json,sys
def lines(kind): return [json.loads(l) for l in open(sys.argv[1]+'/'+kind+'.txt') if l.startswith('{')]
base = lines('head')[0]['tokens']
for kind in ('head','forward','generate','launch'):
    event, frames = lines(kind)
    assert event['bench_model'] == kind, event
    if kind == 'launch':  # (the others may end with a change still on its way)
        assert not event['unfinished_event'], event
        assert event['events'] == 1 and event['tokens'] == base, event
        assert event['event_p50_ms'] >= frames['launch_to_first_frame_ms'] - 1, (event, frames)
        continue
    assert event['events'] >= 3, (kind, event)
    assert 0 < event['event_p50_ms'] <= event['event_p95_ms'] <= event['event_max_ms'], event
    assert event['frames_while_pending'] >= event['events'], event
    assert frames['launch_to_first_frame_ms'] > 0 and 0 < frames['rss_mb'] <= frames['peak_rss_mb'], frames
    if kind == 'forward': assert event['tokens'] in (base, base + 1), (base, event)
    if kind == 'generate': assert event['tokens'] == base + event['events'], (base, event)
" "$TMP" || fail "--bench-model reports are wrong: $(cat "$TMP"/*.txt)"
usage_error --model "$MODEL" --bench-frames 10 --bench-model sideways
echo PASS
