#!/usr/bin/env bash
# Configures and builds spikingbert (Release) into build/. Used by demo.sh and test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${SPIKINGBERT_BUILD_DIR:-build}
launcher=()
if command -v ccache >/dev/null 2>&1; then  # rebuilds and other worktrees reuse unchanged objects
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" "$@" >/dev/null
cmake --build "$build_dir" --parallel "$(nproc)"
