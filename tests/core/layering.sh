#!/usr/bin/env bash
# src/core must stay free of GL, SDL and ImGui: those headers are on the default include path, so
# the compiler alone would not catch a stray include.
set -u
src=$(cd "$(dirname "$0")/../../src/core" && pwd)
bad=$(grep -nE '#include *[<"](glad/|SDL|imgui|GL/|EGL/|backends/)' "$src"/*.h "$src"/*.cpp)
if [ -n "$bad" ]; then
  echo "forbidden includes in src/core:"
  echo "$bad"
  exit 1
fi
echo "src/core includes no GL/SDL/ImGui headers ($(ls "$src" | wc -l) files checked)"
