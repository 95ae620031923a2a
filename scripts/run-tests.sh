#!/usr/bin/env bash
# Runs every test of a build folder. In CI (CI=true) the GPU tests must really run on Mesa's
# llvmpipe: ATTNVIZ_REQUIRE_GL makes "no GL context" a failure instead of a skip.
set -euo pipefail
build_dir=${1:-build}
scripts_dir=$(cd "$(dirname "$0")" && pwd)
if [ "${CI:-}" = "true" ]; then
  export ATTNVIZ_REQUIRE_GL=1
  # The window tests skip (exit 77) without Xvfb; in CI that would be a silent hole, so fail early.
  for tool in Xvfb xdotool import; do
    command -v "$tool" >/dev/null 2>&1 || { echo "run-tests: CI needs $tool (scripts/install-deps.sh installs it)" >&2; exit 1; }
  done
  # The pytorch_model.bin twins of the tiny models are written with torch.save; without torch
  # those tests skip, which in CI would be a hole as well.
  /usr/bin/python3 -c "import torch" 2>/dev/null || { echo "run-tests: CI needs Debian's python3-torch (scripts/install-deps.sh installs it)" >&2; exit 1; }
fi
# The machine first, so a failure in the log names the CPU, the SIMD path and the GL renderer.
echo "run-tests: == machine =="
"$build_dir/attnviz" info 2>&1 | sed -n -e '/^OpenGL/,/GLSL/p' -e '/^CPU/,/cpu-fast/p' -e '/auto/p' || echo "run-tests: attnviz info failed" >&2
echo "run-tests: kernel $(uname -r), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)"
# Test data fetched into a cache outside the repository (tests never use the network). Without it
# the GPT-2 vocabulary tests skip, or fail in CI, saying why.
"$scripts_dir/fetch-test-data.sh" || echo "run-tests: could not fetch the tokenizer test data (see above)" >&2
(cd "$build_dir" && ctest --output-on-failure -j "$(nproc)" --timeout 900)
# The nets (scripts/run-nets.sh) add three builds (ASan+UBSan, clang libFuzzer, TSan), the suite under
# ASan and 7 x 25 s of fuzzing: always in CI, on request (NETS=1) elsewhere.
if [ "${CI:-}" = "true" ] || [ "${NETS:-0}" = "1" ]; then
  "$scripts_dir/run-nets.sh"
else
  echo "run-tests: sanitizer, fuzz and TSan nets not run here (NETS=1 or CI=true runs them)"
fi
