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
echo
echo "== SpikingBERT on the SST-2 dev set with the event-driven kernel"
mkdir -p out/demo
if [ -f models/pretrained/sst2/student.h5 ]; then
  # The shipped student (tools/train-default.sh; its accuracies in models/pretrained/sst2/results.json):
  # `run` and `sweep` use it when --model is not given.
  echo "   The shipped SST-2 student (models/pretrained/sst2/student.h5), T = 16 steps."
  model=()
  steps=16
else
  echo "   NOTE: a RANDOMLY INITIALISED, UNTRAINED model (fixed seed; hidden 64, 2 layers, calibrated to"
  echo "   ASR ~0.15). Its accuracy is chance level (~50%): this shows the simulator, sparsity, convergence"
  echo "   traces and energy accounting, not a trained classifier."
  model=(--random-model)
  steps=32
fi
threads=$(nproc)
"$spikingbert" run "${model[@]}" --task sst2 --data data/glue/SST-2/dev.tsv --steps "$steps" --threads "$threads" \
  --energy fp32 --energy-json out/demo/energy.json
echo
echo "== A spikes-level trace of the first 4 dev sentences (every step's ASR and residual, every spike)"
"$spikingbert" run "${model[@]}" --task sst2 --data data/glue/SST-2/dev.tsv --steps "$steps" --threads "$threads" \
  --limit 4 --trace out/demo/trace.h5 --trace-level spikes --quiet
echo
echo "== Figures from the trace (docs/traces.md §8)"
python=$(tools/find-python.sh)
"$python" tools/plot_traces.py out/demo/trace.h5 --out out/demo --example 1
echo
echo "== Sweep of T and V_th on the first 200 dev sentences (paper Fig. 4a/4b)"
"$spikingbert" sweep "${model[@]}" --task sst2 --data data/glue/SST-2/dev.tsv --steps 4,8,16,32,64 \
  --vth 0.5,1,2 --limit 200 --threads "$threads" --output out/demo/sweep.csv
"$python" tools/plot_sweep.py out/demo/sweep.csv --out out/demo
echo "figures: $(ls out/demo/*.png | tr '\n' ' ')"
echo "trace: out/demo/trace.h5 (schema: docs/traces.md); energy report: out/demo/energy.json; sweep: out/demo/sweep.csv"
