#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite (the README's test command; .ci/run runs
# it). Exit code is non-zero on any failure. Four stages, each in its own build folder:
#  1. build/       Release: every ctest test.
#  2. build-asan/  AddressSanitizer + UndefinedBehaviorSanitizer (a UBSan finding aborts, ASan halts on
#                  the first error): the io, traces and tools tests. They run every file reader and the
#                  spikingbert executable itself (every command, every hostile input of docs/errors.md,
#                  SIGINT and SIGKILL/resume) instrumented. Left out: the models and training tests (long
#                  numeric loops, 5-10x slower under ASan; their code runs under ASan through the tools
#                  tests), the two memory tests (ASan's shadow memory and quarantine defeat their RSS measurements)
#                  and the MPI tests (LeakSanitizer reports Open MPI's allocations that live until exit).
#  3. build-tsan/  ThreadSanitizer: the threaded kernel tests, i.e. every sim test (event kernel and dense
#                  twin over 1/2/4/8 threads) and the models thread-invariance tests (SpikingBERT spikes
#                  for 1/2/4/8 threads, chunked linear algebra). NOT in the default stages: Debian's
#                  libtbb is not built with -fsanitize=thread, so TSan reports oneTBB's own task hand-off
#                  (start_for::execute) as races (docs/errors.md, "Sanitizers"). Opt in with
#                  SPIKINGBERT_TEST_STAGES="release asan tsan fuzz".
#  4. build-fuzz/  clang libFuzzer targets, SPIKINGBERT_FUZZ_SECONDS (default 15) s each from the seed
#                  corpora (tools/fuzz.sh).
# Timing of the whole script in a fresh clone: docs/errors.md ("Sanitizers"). SPIKINGBERT_TEST_STAGES
# (default "release asan fuzz") picks stages, e.g. SPIKINGBERT_TEST_STAGES=release for a quick run.
set -euo pipefail
cd "$(dirname "$0")/.."
stages=" ${SPIKINGBERT_TEST_STAGES:-release asan fuzz} "
jobs=$(nproc)
script_start=$SECONDS
stage_done() { echo "test.sh: $1 passed ($((SECONDS - $2)) s; $((SECONDS - script_start)) s so far)"; }

tools/install-deps.sh

if [[ $stages == *" release "* ]]; then
  start=$SECONDS
  tools/build.sh
  build_dir=${SPIKINGBERT_BUILD_DIR:-build}
  (cd "$build_dir" && ctest --output-on-failure --parallel "$jobs" --timeout 600)
  stage_done "release build and every test" "$start"
fi

# Sanitizer builds use -O1 (the optimisation level the sanitizer documentation recommends): about half
# the compile time of -O3, and the instrumented tests are not slower for it in practice.
sanitizer_flags=(-DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -DNDEBUG" "-DCMAKE_C_FLAGS_RELEASE=-O1 -DNDEBUG")

if [[ $stages == *" asan "* ]]; then
  start=$SECONDS
  asan_dir=${SPIKINGBERT_ASAN_BUILD_DIR:-build-asan}
  cmake -S . -B "$asan_dir" "${sanitizer_flags[@]}" -DSPIKINGBERT_SANITIZE=address >/dev/null
  cmake --build "$asan_dir" --parallel "$jobs" --target spikingbert tests_io tests_traces tests_tools
  (
    cd "$asan_dir"
    export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:strict_string_checks=1
    export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
    # The MPI tests (tools: mpi: ...) run in the release stage only: LeakSanitizer reports Open MPI's own
    # allocations that live until exit (docs/scaling.md).
    ctest --output-on-failure --parallel "$jobs" --timeout 900 -L '^(io|traces|tools)$' \
      -E 'does not grow (memory|with the number of steps)|^tools: ?mpi: '
  )
  stage_done "ASan+UBSan (io, traces, tools tests)" "$start"
fi

if [[ $stages == *" tsan "* ]]; then
  start=$SECONDS
  tsan_dir=${SPIKINGBERT_TSAN_BUILD_DIR:-build-tsan}
  cmake -S . -B "$tsan_dir" "${sanitizer_flags[@]}" -DSPIKINGBERT_SANITIZE=thread >/dev/null
  cmake --build "$tsan_dir" --parallel "$jobs" --target tests_sim tests_models
  (
    cd "$tsan_dir"
    export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/../tools/tsan.supp"
    ctest --output-on-failure --parallel "$jobs" --timeout 900 -R '^sim:|^models:.*thread'
  )
  stage_done "ThreadSanitizer (sim tests, models thread-invariance tests)" "$start"
fi

if [[ $stages == *" fuzz "* ]]; then
  start=$SECONDS
  tools/fuzz.sh "${SPIKINGBERT_FUZZ_SECONDS:-15}"
  stage_done "libFuzzer smoke run of every target" "$start"
fi
echo "test.sh: all stages passed in $((SECONDS - script_start)) s"
