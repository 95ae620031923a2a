#!/usr/bin/env bash
# The standing nets, run by scripts/run-tests.sh after the ordinary suite (always in CI, locally
# with NETS=1). Each stage has its own build folder beside the ordinary one and prints its time:
#   asan  build-asan (GCC, ASan+UBSan): every test of the suite, leaks checked (tests/lsan.supp names
#         the system libraries whose own leaks are suppressed);
#   fuzz  build-fuzz (clang-14 + libFuzzer, ASan+UBSan): each target fuzzed FUZZ_SECONDS (default 25)
#         from its corpus in tests/fuzz/corpus/, then the corpus replayed;
#   tsan  build-tsan (GCC, ThreadSanitizer): the thread pool, the CPU engines and the controller's
#         worker-thread recompute.
# NETS_STAGES picks stages (default "asan fuzz tsan"). In CI a missing compiler or sanitizer runtime
# fails the run; locally the stage is skipped with a line saying why.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
stages=${NETS_STAGES:-asan fuzz tsan}
fuzz_seconds=${FUZZ_SECONDS:-25}
jobs=$(nproc)
launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi

# unavailable WHAT: fail in CI; elsewhere say so, and the caller skips its stage.
unavailable() {
  if [ "${CI:-}" = "true" ]; then
    echo "run-nets: $1 (scripts/install-deps.sh installs it)" >&2
    exit 1
  fi
  echo "run-nets: skipping: $1" >&2
}
# compiles_with COMPILER FLAGS...: a one-line program builds and runs with these sanitizer flags.
compiles_with() {
  local cxx=$1 dir
  shift
  command -v "$cxx" >/dev/null 2>&1 || return 1
  dir=$(mktemp -d)
  printf 'int main(){return 0;}\n' >"$dir/probe.cpp"
  "$cxx" "$@" "$dir/probe.cpp" -o "$dir/probe" >/dev/null 2>&1 && "$dir/probe" >/dev/null 2>&1
  local ok=$?
  rm -rf "$dir"
  return $ok
}
# clang++-14 links a libFuzzer target with ASan+UBSan (libclang-rt-14-dev holds the runtimes).
fuzzer_links() {
  command -v clang++-14 >/dev/null 2>&1 || return 1
  local dir ok=0
  dir=$(mktemp -d)
  printf '#include <cstddef>\n#include <cstdint>\nextern "C" int LLVMFuzzerTestOneInput(const uint8_t*, size_t) { return 0; }\n' >"$dir/probe.cpp"
  clang++-14 -fsanitize=fuzzer,address,undefined "$dir/probe.cpp" -o "$dir/probe" >/dev/null 2>&1 && "$dir/probe" -runs=1 >/dev/null 2>&1 || ok=1
  rm -rf "$dir"
  return $ok
}
stage_start() {
  STAGE_T0=$(date +%s)
  echo "run-nets: == $1 =="
}
stage_end() { echo "run-nets: $1 took $(($(date +%s) - STAGE_T0)) s"; }

sanitized_build() {  # sanitized_build DIR SANITIZERS [cmake --build args...]
  local dir=$1 sanitizers=$2
  shift 2
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DATTNVIZ_SANITIZE="$sanitizers" "${launcher[@]}" >/dev/null
  cmake --build "$dir" -j "$jobs" "$@"
}

# ASan's quarantine keeps freed memory resident by design, so the soak's RSS bound is judged in the
# ordinary build only.
asan_excluded='^app\.soak$'

run_asan() {
  compiles_with g++ -fsanitize=address,undefined || { unavailable "g++ cannot build with -fsanitize=address,undefined (libasan8, libubsan1)"; return 0; }
  stage_start asan
  sanitized_build build-asan address,undefined
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  # The GL stack's own leaks are suppressed by library name (the file says which and why); a
  # matched suppression prints nothing, so a child's stderr stays the one line the tests assert.
  export LSAN_OPTIONS=suppressions=$root/tests/lsan.supp:print_suppressions=0
  local common=abort_on_error=0:halt_on_error=1:strict_init_order=1
  (
    cd build-asan
    # Leaks checked everywhere, GL contexts and windows included: the GL stack's and D-Bus's own
    # leaks are suppressed by library name (tests/lsan.supp), never by turning detection off.
    log=$(mktemp)
    trap 'rm -f "$log"' EXIT
    if ASAN_OPTIONS=$common:detect_leaks=1 ctest --output-on-failure -j "$jobs" --timeout 1800 -E "$asan_excluded" >"$log" 2>&1; then
      cat "$log"
      exit 0
    fi
    cat "$log"
    # LeakSanitizer's own tracer now and then crashes while it stops the threads at exit ("Tracer
    # caught signal 11 ... LeakSanitizer has encountered a fatal error", google/sanitizers#1353): no
    # leak was looked for, let alone found. Then the failed tests, and only they, run once more, with
    # the same options; a leak or any other failure fails that run as it would have failed this one.
    grep -q "LeakSanitizer has encountered a fatal error" "$log" || exit 1
    echo "run-nets: LeakSanitizer's tracer crashed (not a finding): the failed tests once more" >&2
    ASAN_OPTIONS=$common:detect_leaks=1 ctest --output-on-failure --rerun-failed --timeout 1800
  )
  stage_end asan
}

run_fuzz() {
  fuzzer_links || { unavailable "clang++-14 cannot link libFuzzer with ASan+UBSan (clang-14, libclang-rt-14-dev)"; return 0; }
  stage_start fuzz
  cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DATTNVIZ_FUZZ=ON -DCMAKE_C_COMPILER=clang-14 \
    -DCMAKE_CXX_COMPILER=clang++-14 "${launcher[@]}" >/dev/null
  cmake --build build-fuzz -j "$jobs"
  local work
  work=$(mktemp -d)
  for target in $(sed -n 's/^set(ATTNVIZ_FUZZ_TARGETS \(.*\))$/\1/p' tests/fuzz/CMakeLists.txt); do
    mkdir -p "$work/$target"
    # New inputs go to a scratch folder (the repository's corpus stays small and reviewed); a crash
    # is written to build-fuzz/crashes/ to be saved under tests/fuzz/corpus/<target>/ with the fix.
    mkdir -p build-fuzz/crashes
    if ! build-fuzz/tests/fuzz/fuzz_"$target" -max_total_time="$fuzz_seconds" -max_len=65536 -rss_limit_mb=2048 \
        -timeout=10 -print_final_stats=1 -artifact_prefix="build-fuzz/crashes/$target-" \
        "$work/$target" "tests/fuzz/corpus/$target" >"$work/$target.log" 2>&1; then
      tail -40 "$work/$target.log"
      echo "run-nets: fuzz_$target found a crash: build-fuzz/crashes/$target-*" >&2
      rm -rf "$work"
      exit 1
    fi
    echo "run-nets: fuzz_$target: $(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/$target.log" | grep -o '[0-9]*$') executions in ${fuzz_seconds} s, corpus $(ls "$work/$target" | wc -l) new inputs"
  done
  rm -rf "$work"
  (cd build-fuzz && ctest --output-on-failure -j "$jobs")
  stage_end fuzz
}

run_tsan() {
  compiles_with g++ -fsanitize=thread || { unavailable "g++ cannot build with -fsanitize=thread (libtsan2)"; return 0; }
  stage_start tsan
  sanitized_build build-tsan thread --target attnviz_core_tests attnviz_ui_tests
  (
    cd build-tsan
    # OpenBLAS's own threads hand work over in code TSan does not see (a product's output written
    # by one of them, read by the caller after the call, was reported as a race): one BLAS thread,
    # so that every access TSan checks is on attnviz's threads.
    OPENBLAS_NUM_THREADS=1 TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 ctest --output-on-failure -j "$jobs" --timeout 1800 \
      -R '(ThreadPool|CpuFast|CpuFastTable|AppController|BenchSession|DeckPlayer|TranslationDeck|ModelWorker|ModelWorkerMaps|AppControllerMaps|ModelSwitch|ModelSwitchController)\.'
  )
  stage_end tsan
}

for stage in $stages; do
  case $stage in
    asan) run_asan ;;
    fuzz) run_fuzz ;;
    tsan) run_tsan ;;
    *) echo "run-nets: unknown stage '$stage' (asan, fuzz, tsan)" >&2; exit 2 ;;
  esac
done
