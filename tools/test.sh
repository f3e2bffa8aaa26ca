#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite. Exit code is non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
tools/build.sh
build_dir=${SPIKINGBERT_BUILD_DIR:-build}
cd "$build_dir"
ctest --output-on-failure --parallel "$(nproc)" --timeout 600
