#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, -DSPIKINGBERT_FUZZ=ON, into build-fuzz/) and runs each for a fixed
# time from its seed corpus in tests/fuzz/corpus/<target>/. New inputs go to a scratch folder, so the
# committed corpus only changes by hand. Any crash (ASan, UBSan, an exception other than InputError, a
# timeout) fails the script and leaves the input in build-fuzz/artifacts/.
#   tools/fuzz.sh                 15 s per target (what tools/test.sh runs)
#   tools/fuzz.sh 600 fuzz_glue   10 minutes of one target
# fuzz_checkpoint only replays its corpus (-runs=0): mutating raw HDF5 bytes crashes inside Debian's
# libhdf5 itself within seconds (docs/errors.md, "Fuzzing"), which no code of ours can guard.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-15}
shift || true
targets=("$@")
if ((${#targets[@]} == 0)); then
  targets=(fuzz_safetensors fuzz_config fuzz_glue fuzz_tokenizer fuzz_checkpoint)
fi
build_dir=${SPIKINGBERT_FUZZ_BUILD_DIR:-build-fuzz}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
  -DSPIKINGBERT_FUZZ=ON -DSPIKINGBERT_BUILD_TESTS=OFF >/dev/null
cmake --build "$build_dir" --parallel "$(nproc)" --target fuzz_targets
mkdir -p "$build_dir/artifacts"
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
for target in "${targets[@]}"; do
  scratch=$(mktemp -d)
  limits=(-max_total_time="$seconds")
  if [[ $target == fuzz_checkpoint ]]; then limits=(-runs=0); fi
  echo "fuzz: $target (${limits[*]})"
  if ! "$build_dir/$target" "$scratch" "tests/fuzz/corpus/$target" -seed=1 "${limits[@]}" -timeout=10 \
       -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$build_dir/artifacts/$target-" \
       >"$build_dir/artifacts/$target.log" 2>&1; then
    tail -n 60 "$build_dir/artifacts/$target.log" >&2
    rm -rf "$scratch"
    echo "fuzz: $target FAILED (input and log in $build_dir/artifacts/)" >&2
    exit 1
  fi
  grep -E "^stat::number_of_executed_units|^Done" "$build_dir/artifacts/$target.log" | tr '\n' ' '
  echo
  rm -rf "$scratch"
done
