#!/bin/bash
# Soak: the real window under Xvfb for many frames with a recompute every 10th frame (the
# --bench-frames script: temperature nudges, the selection walking the rows, arcs animating), its
# resident memory sampled from /proc while it runs. Passes when memory is flat after warm-up:
# after the first 25 % of the run, RSS never rises more than ATTNVIZ_SOAK_BOUND_KB (default 8 MiB)
# above the RSS at the end of warm-up. Frames: ATTNVIZ_SOAK_FRAMES (default 2000 in ctest; the
# reported long run uses 20000). $1 = the attnviz binary. Exit 77 (skip) only without Xvfb.
source "$(dirname "$0")/xvfb_session.bash"
start_xvfb
FRAMES=${ATTNVIZ_SOAK_FRAMES:-2000}
BOUND_KB=${ATTNVIZ_SOAK_BOUND_KB:-8192}

# The smallest window (480x360): frames are cheap on llvmpipe, so the run is about frames and
# recomputes, not about rasterising pixels.
"$BIN" --width 480 --height 360 --bench-frames "$FRAMES" >"$TMP/bench.json" 2>"$TMP/app.log" &
APP_PID=$!
START=$(date +%s.%N)
while kill -0 "$APP_PID" 2>/dev/null; do
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$APP_PID/status" 2>/dev/null)
  [ -n "$rss" ] && echo "$(date +%s.%N) $rss" >>"$TMP/rss.txt"
  sleep 0.2
done
wait "$APP_PID"
status=$?
APP_PID=""
[ "$status" = 0 ] || fail "the window exited $status: $(tail -3 "$TMP/app.log")"
grep -q "\"frames\":$((FRAMES - 1))," "$TMP/bench.json" || fail "expected $FRAMES frames, got: $(cat "$TMP/bench.json")"
[ -s "$TMP/rss.txt" ] || fail "no memory samples"

"$PY" - "$TMP/rss.txt" "$START" "$BOUND_KB" "$(cat "$TMP/bench.json")" <<'PYEOF' || fail "resident memory grew after warm-up"
import json, sys
samples = [tuple(map(float, line.split())) for line in open(sys.argv[1]) if line.strip()]
start, bound_kb, bench = float(sys.argv[2]), float(sys.argv[3]), json.loads(sys.argv[4])
t0, t1 = samples[0][0], samples[-1][0]
duration = max(t1 - start, 1e-9)
warm = [s for s in samples if s[0] - t0 < 0.25 * (t1 - t0)]
after = samples[len(warm):]
if len(after) < 4:
    print(f"FAIL: only {len(samples)} memory samples in {duration:.1f} s; too short to judge")
    sys.exit(1)
baseline = after[0][1]
peak = max(kb for _, kb in after)
print(f"soak: {bench['frames'] + 1} frames in {duration:.1f} s (frame p50 {bench['p50_ms']} ms, recompute p50 "
      f"{bench['recompute_p50_ms']} ms), {len(samples)} RSS samples")
line = []
for tenth in range(11):
    t = t0 + tenth / 10 * (t1 - t0)
    kb = min(samples, key=lambda s: abs(s[0] - t))[1]
    line.append(f"{tenth * 10}%:{kb / 1024:.1f}")
print("soak: RSS MiB over the run " + " ".join(line))
print(f"soak: after warm-up baseline {baseline / 1024:.1f} MiB, peak {peak / 1024:.1f} MiB, "
      f"growth {(peak - baseline) / 1024:.2f} MiB (bound {bound_kb / 1024:.1f} MiB), end {after[-1][1] / 1024:.1f} MiB")
sys.exit(0 if peak - baseline <= bound_kb else 1)
PYEOF
echo "PASS"
