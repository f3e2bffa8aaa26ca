#!/usr/bin/env bash
# The paper's pipeline at the paper's shape, as a benchmark (issue 14 item 8; docs/training.md): a random
# 12-layer, 768-wide BERT teacher in Hugging Face format (tools/make_random_hf_bert.py) is converted, a
# 4-layer, 768-wide spiking student is general-distilled from it on plain text (the first SST-2 training
# sentences), then task-distilled on SST-2 (internal layers, then prediction layer), a few steps each, and
# evaluated on SST-2 dev sentences; `inspect` prints the chain. Then the peak memory of one training step
# (`grad`, analog-twin, batch 8, 32 tokens) at T = 16 and T = 128. Prints one line per stage: wall seconds
# and peak resident memory (/usr/bin/time). Random weights: the accuracies are chance; the timings are the
# point. Not a CI test (minutes, GBs).
# Settings (environment): THREADS (2), STEPS (16), STAGE_STEPS (2: optimisation steps of each distillation
# stage), BATCH (8), SEQ (32), DEV_EXAMPLES (32), WORK_DIR (out/bench-pipeline), SPIKINGBERT_BUILD_DIR (build).
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${SPIKINGBERT_BUILD_DIR:-build}
spikingbert="$build_dir/spikingbert"
python=$(tools/find-python.sh)
threads=${THREADS:-2}
steps=${STEPS:-16}
stage_steps=${STAGE_STEPS:-2}
batch=${BATCH:-8}
seq=${SEQ:-32}
dev_examples=${DEV_EXAMPLES:-32}
work=${WORK_DIR:-out/bench-pipeline}
[ -x "$spikingbert" ] || tools/build.sh
mkdir -p "$work"

# timed NAME COMMAND...: runs it, keeps its output in $work/NAME.out, prints wall seconds and peak RSS.
timed() {
  local name=$1
  shift
  /usr/bin/time -f "%e %M" -o "$work/$name.time" "$@" > "$work/$name.out" 2> "$work/$name.err" ||
    { cat "$work/$name.err" >&2; exit 1; }
  read -r seconds kilobytes < "$work/$name.time"
  printf '%-34s %8.1f s %8.0f MB peak\n' "$name" "$seconds" "$((kilobytes / 1024))"
}

train_examples=$((stage_steps * batch))
common=(--teacher "$work/teacher.h5" --steps "$steps" --batch-size "$batch" --max-length "$seq" --epochs 1
        --evaluations-per-epoch 1 --threads "$threads" --quiet)
task=(--task sst2 --train-limit $((train_examples + batch)) --validation-size "$batch" --dev-limit "$dev_examples")
sed -n "2,4001p;4001q" data/glue/SST-2/train.tsv | cut -f1 > "$work/corpus.txt"

echo "paper-shape pipeline: teacher 12 x 768 (random), student 4 x 768, T = $steps, batch $batch x $seq tokens," \
     "$stage_steps steps a stage, $threads thread(s)"
timed "write random HF teacher (python)" "$python" tools/make_random_hf_bert.py --output "$work/hf-teacher"
timed "convert --from-hf" "$spikingbert" convert --from-hf "$work/hf-teacher" --output "$work/teacher.h5"
timed "distill --stage general" "$spikingbert" distill --stage general --corpus "$work/corpus.txt" \
  --student-layers 4 --train-limit "$train_examples" "${common[@]}" --output "$work/general.h5"
timed "distill --stage ikd (task)" "$spikingbert" distill --stage ikd --init "$work/general.h5" "${task[@]}" \
  --gradient analog-twin "${common[@]}" --output "$work/ikd.h5"
timed "distill --stage pred (task)" "$spikingbert" distill --stage pred --init "$work/ikd.h5" "${task[@]}" \
  "${common[@]}" --output "$work/student.h5"
timed "run --task sst2 ($dev_examples dev)" "$spikingbert" run --model "$work/student.h5" --task sst2 \
  --data data/glue/SST-2/dev.tsv --limit "$dev_examples" --max-length "$seq" --steps "$steps" --threads "$threads" --json
timed "inspect (provenance chain)" "$spikingbert" inspect --model "$work/student.h5"
grep -c "stage:" "$work/inspect (provenance chain).out" | xargs printf '  stages in the chain: %s\n'

# Peak memory of one training step at T = 16 and T = 128 (same model and batch).
"$python" - "$work/step-inputs.h5" "$batch" "$seq" <<'PY'
import sys, h5py, numpy as np
path, batch, seq = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(0)
with h5py.File(path, "w") as f:
    f["inputs/input_ids"] = rng.integers(1000, 30000, size=(batch, seq)).astype(np.int32)
    f["inputs/segment_ids"] = np.zeros((batch, seq), np.int32)
    f["inputs/attention_mask"] = np.ones((batch, seq), np.int32)
    f["inputs/labels"] = (np.arange(batch) % 2).astype(np.int32)
PY
for t in 16 128; do
  timed "grad (one step) T = $t" "$spikingbert" grad --model "$work/student.h5" --inputs "$work/step-inputs.h5" \
    --output "$work/grad-T$t.h5" --gradient analog-twin --steps "$t" --threads "$threads"
done
