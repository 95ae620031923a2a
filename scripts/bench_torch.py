#!/usr/bin/python3
"""PyTorch's time for the shapes of `attnviz bench` (heads 4, dim 64, self-attention n x n):
softmax(q @ k^T / sqrt(d)) on random N(0,1) float32 Q and K, the same work cpu-fast does.
Prints one JSON object: the torch version, which BLAS its library loads, threads, and per n the
median/min/max ms over --reps timed runs after one warm-up. Debian's python3-torch: run it with
/usr/bin/python3. Usage: bench_torch.py [--sizes 1024,2048,4096,8192] [--reps 5] [--heads 4] [--dim 64] [--threads N]"""
import argparse
import json
import math
import os
import statistics
import sys
import time


def loaded_blas():
    """The BLAS/LAPACK shared objects this process has mapped (what torch really calls)."""
    libs = set()
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.split()[-1] if "/" in line else ""
                name = os.path.basename(path)
                if any(key in name for key in ("blas", "lapack", "mkl")):
                    libs.add(os.path.realpath(path))
    except OSError:
        pass
    return sorted(libs)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1024,2048,4096,8192")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)),
                        help="intra-op threads (default: every CPU this process may use, as attnviz's pool)")
    args = parser.parse_args()
    try:
        sizes = [int(s) for s in args.sizes.split(",")]
    except ValueError:
        print(f"bench_torch: --sizes expects integers separated by commas, got '{args.sizes}'", file=sys.stderr)
        return 2
    if args.reps < 1 or any(n < 1 for n in sizes):
        print("bench_torch: --reps and every size must be at least 1", file=sys.stderr)
        return 2
    try:
        import torch
    except ImportError:
        print("bench_torch: PyTorch is not installed for this python (Debian: apt-get install python3-torch)", file=sys.stderr)
        return 2

    torch.manual_seed(1)
    torch.set_num_threads(max(1, args.threads))
    config = torch.__config__.show()
    blas_info = [part.strip() for part in config.replace("\n", ",").split(",") if "BLAS_INFO" in part]
    out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "blas_info": blas_info,
           "blas_libraries_loaded": [], "heads": args.heads, "dim": args.dim, "results": []}
    with torch.no_grad():
        for n in sizes:
            q = torch.randn(args.heads, n, args.dim)
            k = torch.randn(args.heads, n, args.dim)
            scale = 1.0 / math.sqrt(args.dim)
            times = []
            for rep in range(args.reps + 1):
                start = time.perf_counter()
                p = torch.softmax(torch.matmul(q, k.transpose(-1, -2)) * scale, dim=-1)
                elapsed = (time.perf_counter() - start) * 1e3
                if rep > 0:  # the first run warms up
                    times.append(elapsed)
                del p
            out["results"].append({"n": n, "median_ms": statistics.median(times), "min_ms": min(times), "max_ms": max(times)})
            print(f"bench_torch: n={n} median {statistics.median(times):.1f} ms", file=sys.stderr)
    out["blas_libraries_loaded"] = loaded_blas()
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
