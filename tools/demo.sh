#!/usr/bin/env bash
# Installs what is missing, builds (Release), then runs the main job on the shipped data.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
tools/build.sh
build_dir=${SPIKINGBERT_BUILD_DIR:-build}
spikingbert="$build_dir/spikingbert"

echo
echo "== Tokenising a sentence with the bert-base-uncased WordPiece vocabulary"
"$spikingbert" tokenize "SpikingBERT talks in binary spikes." --pair "Does it converge?"
echo
echo "== The shipped SST-2 dev set"
"$spikingbert" data --task sst2 --file data/glue/SST-2/dev.tsv
