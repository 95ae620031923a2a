#!/usr/bin/env bash
# src/core and src/model must stay free of GL, SDL and ImGui: those headers are on the default
# include path, so the compiler alone would not catch a stray include.
set -u
status=0
for layer in core model; do
  src=$(cd "$(dirname "$0")/../../src" && pwd)/$layer
  [ -d "$src" ] || continue
  bad=$(grep -nE '#include *[<"](glad/|SDL|imgui|GL/|EGL/|backends/)' "$src"/*.h "$src"/*.cpp 2>/dev/null)
  if [ -n "$bad" ]; then
    echo "forbidden includes in src/$layer:"
    echo "$bad"
    status=1
  else
    echo "src/$layer includes no GL/SDL/ImGui headers ($(ls "$src" | wc -l) files checked)"
  fi
done
exit $status
