#!/usr/bin/env bash
# Runs every test of a build folder. In CI (CI=true) the GPU tests must really run on Mesa's
# llvmpipe: ATTNVIZ_REQUIRE_GL makes "no GL context" a failure instead of a skip.
set -euo pipefail
build_dir=${1:-build}
if [ "${CI:-}" = "true" ]; then
  export ATTNVIZ_REQUIRE_GL=1
fi
cd "$build_dir"
ctest --output-on-failure -j "$(nproc)" --timeout 900
