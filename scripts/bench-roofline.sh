#!/bin/bash
# Re-measures the cpu-fast roofline figures in one go: for each round, `attnviz bench` with
# cpu-fast's default paths (the AMX tiles from 2^20 probabilities where the CPU has them) and with
# the float path forced (ATTNVIZ_SIMD=avx512, where the CPU has AVX-512); each measures the FMA and
# write roofs right before its kernels; then PyTorch on the same shapes. The load (uptime) is
# recorded before every run. Prints a summary
# table (medians over the rounds) and writes it, with every raw JSON, to OUTDIR.
#
# usage: scripts/bench-roofline.sh [OUTDIR]          (default /tmp/attnviz-bench-roofline)
# env:   SIZES=1024,2048,4096,8192  ROUNDS=3  REPS=9  TORCH_REPS=3  BUILD=build
#        RT=1  run every step at real-time priority (chrt -f 50; needs root): on a shared machine
#              it keeps other processes off the cores for the seconds a run takes.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-/tmp/attnviz-bench-roofline}
sizes=${SIZES:-1024,2048,4096,8192}
rounds=${ROUNDS:-3}
reps=${REPS:-9}
torch_reps=${TORCH_REPS:-3}
bin="$here/${BUILD:-build}/attnviz"
[ -x "$bin" ] || { echo "bench-roofline: $bin not found; build first (make build)" >&2; exit 2; }
prio=()
if [ "${RT:-0}" = 1 ]; then prio=(chrt -f 50); fi
mkdir -p "$out"
: > "$out/load.txt"

for round in $(seq "$rounds"); do
  paths=(default)
  grep -qw avx512f /proc/cpuinfo && paths+=(avx512)
  for path in "${paths[@]}"; do
    echo "round $round $path: $(uptime)" | tee -a "$out/load.txt" >&2
    simd=()
    [ "$path" = default ] || simd=(env ATTNVIZ_SIMD=$path)
    "${simd[@]}" "${prio[@]}" "$bin" bench --engines cpu-fast --sizes "$sizes" --reps "$reps" \
      --json "$out/round${round}_$path.json" > "$out/round${round}_$path.txt"
  done
  if /usr/bin/python3 -c "import torch" 2>/dev/null; then
    echo "round $round torch: $(uptime)" | tee -a "$out/load.txt" >&2
    "${prio[@]}" /usr/bin/python3 "$here/scripts/bench_torch.py" --sizes "$sizes" --reps "$torch_reps" > "$out/round${round}_torch.json"
  fi
done

/usr/bin/python3 - "$out" <<'PY' | tee "$out/summary.md"
import glob, json, os, statistics, sys
out = sys.argv[1]
runs = {}
for f in sorted(glob.glob(os.path.join(out, "round*_*.json"))):
    kind = os.path.basename(f).split("_", 1)[1][:-5]
    runs.setdefault(kind, []).append(json.load(open(f)))
med = statistics.median
first = next(iter(runs.get("default", [])), None)
if first:
    d = first["device"]
    print(f"CPU: {d['cpu']}, {d['threads']} threads; load before each run in load.txt")
for kind in ("default", "avx512"):
    rs = runs.get(kind, [])
    if not rs:
        continue
    simd = {r["device"]["simd"] for r in rs}
    roofs = [r["roofs"] for r in rs]
    title = "default paths" if kind == "default" else "float path forced (ATTNVIZ_SIMD=avx512)"
    print(f"\n### cpu-fast, {title}: {', '.join(sorted(simd))} ({len(rs)} rounds; medians over rounds)")
    print(f"FMA roof measured {med([x['fma_gflops'] for x in roofs]):.0f} GFLOP/s of a theoretical "
          f"{med([x['fma_theoretical_gflops'] for x in roofs]):.0f} ({roofs[0]['fma_cores']} cores x "
          f"{rs[0]['device']['fma_ports_per_core']} FMA ports x {roofs[0]['fma_lanes']} lanes x 2 x "
          f"{med([r['device']['frequency_ghz_inferred'] for r in rs]):.2f} GHz inferred)")
    print("\n| n | path | median ms | roofline ms | efficiency | write roof GB/s | max abs err |")
    print("|---|---|---|---|---|---|---|")
    ns = sorted({row["n"] for r in rs for row in r["results"]})
    for n in ns:
        rows = [row for r in rs for row in r["results"] if row["n"] == n]
        err = [row["max_abs_err"] for row in rows if row.get("max_abs_err") is not None]
        bw = [r["roofs"]["write_gbps_by_n"][str(n)] for r in rs]
        path = ", ".join(sorted({row.get("simd", "?") for row in rows}))
        print(f"| {n} | {path} | {med([x['median_ms'] for x in rows]):.2f} | {med([x['roofline_ms'] for x in rows]):.2f} | "
              f"{med([x['efficiency'] for x in rows]):.2f} | {med(bw):.1f} | {max(err):.1e} |" if err else
              f"| {n} | {path} | {med([x['median_ms'] for x in rows]):.2f} | {med([x['roofline_ms'] for x in rows]):.2f} | "
              f"{med([x['efficiency'] for x in rows]):.2f} | {med(bw):.1f} | - |")
ts = runs.get("torch", [])
if ts:
    t = ts[0]
    print(f"\n### PyTorch {t['torch']} ({t['threads']} threads), softmax(q·kᵀ/√d); BLAS loaded: "
          f"{', '.join(os.path.basename(x) for x in t['blas_libraries_loaded'])}")
    print("\n| n | median ms |")
    print("|---|---|")
    for n in sorted({x["n"] for r in ts for x in r["results"]}):
        print(f"| {n} | {med([x['median_ms'] for r in ts for x in r['results'] if x['n'] == n]):.1f} |")
PY
