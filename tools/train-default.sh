#!/usr/bin/env bash
# Trains the shipped SST-2 model end to end with one command (issue 6 item 3, issue 14 items 4-6), in one
# uninterrupted run: a 5-member BERT teacher ensemble from scratch (the recipe that reached 82.9% dev,
# docs/benchmarks.md), then a spiking student of the members' shape initialised from member 0's weights and
# distilled from the ensemble in stages: internal layers (ikd, from member 0), prediction layer (pred, mean
# logits of the 5 members) at T = $STEPS, and a short last pred stage at T = $FINAL_STEPS. Every checkpoint
# (teacher members and student stages) is chosen on the validation split carved from SST-2's training file
# (training/ValidationSplit.hpp: 1,000 sentences, fixed seed), never on dev; the dev set is evaluated once at
# the end of each stage and reported separately. Each checkpoint records its provenance (`inspect` prints the
# chain). Finally the student is evaluated on dev with the event-driven simulator at T = 100, 32 and 16, both
# models are copied (compacted) to $DEST_DIR, and this script writes $DEST_DIR/results.json itself.
#
# Every stage keeps a resumable state next to its output: running the script again after an interruption
# resumes the unfinished stage (--resume) and skips the finished ones (marked by a .done file).
# Settings (environment): THREADS (1), STEPS (16), MEMBERS (5), TEACHER_EPOCHS (1.5), TEACHER_SEED (142),
# IKD_GRADIENT (analog-twin), PRED_GRADIENT (implicit: it trained better in docs/gradients.md), IKD_EPOCHS (0.1),
# PRED_EPOCHS (0.25), FINAL_STEPS (32) and FINAL_EPOCHS (0.05): the last, short pred stage at T = 32, between the
# T = 16 and T = 100 the acceptance compares (a student trained only at T = 16 fits the coarse 1/16 rates and
# loses 3 points at T = 100), WORK_DIR (out/train-default), DEST_DIR (models/pretrained/sst2),
# SPIKINGBERT_BUILD_DIR (build).
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${SPIKINGBERT_BUILD_DIR:-build}
spikingbert="$build_dir/spikingbert"
python=$(tools/find-python.sh)
threads=${THREADS:-1}
steps=${STEPS:-16}
members=${MEMBERS:-5}
teacher_epochs=${TEACHER_EPOCHS:-1.5}
teacher_seed=${TEACHER_SEED:-142}
ikd_gradient=${IKD_GRADIENT:-analog-twin}
pred_gradient=${PRED_GRADIENT:-implicit}
ikd_epochs=${IKD_EPOCHS:-0.1}
pred_epochs=${PRED_EPOCHS:-0.25}
final_steps=${FINAL_STEPS:-32}
final_epochs=${FINAL_EPOCHS:-0.05}
work=${WORK_DIR:-out/train-default}
dest=${DEST_DIR:-models/pretrained/sst2}
dev=data/glue/SST-2/dev.tsv

[ -x "$spikingbert" ] || tools/build.sh
mkdir -p "$work" "$dest"

# run_stage NAME OUTPUT COMMAND...: runs a training command unless OUTPUT.done exists; resumes from
# OUTPUT.state when an earlier run was interrupted. Its JSON summary goes to OUTPUT.json.
run_stage() {
  local name=$1 output=$2
  shift 2
  if [ -f "$output.done" ]; then
    echo "== $name: done already ($output)"
    return
  fi
  local resume=()
  [ -f "$output.state" ] || [ -f "$output/member-0.h5.state" ] && resume=(--resume)
  echo "== $name: $*${resume:+ ${resume[*]}}"
  nice -n 10 "$spikingbert" "$@" "${resume[@]}" --output "$output" --threads "$threads" | tee "$output.json"
  touch "$output.done"
}

start=$(date +%s)
ensemble="$work/teacher-ensemble"
run_stage "teacher ensemble ($members members)" "$ensemble" train-teacher --task sst2 --size small \
  --epochs "$teacher_epochs" --members "$members" --seed "$teacher_seed"
teachers=()
for ((k = 0; k < members; ++k)); do teachers+=(--teacher "$ensemble/member-$k.h5"); done
run_stage "student, internal-layer KD" "$work/student-ikd.h5" distill "${teachers[@]:0:2}" \
  --init "$ensemble/member-0.h5" --task sst2 --stage ikd --steps "$steps" --gradient "$ikd_gradient" \
  --epochs "$ikd_epochs" --learning-rate 5e-4 --evaluations-per-epoch 4
run_stage "student, prediction-layer KD" "$work/student-pred.h5" distill "${teachers[@]}" \
  --init "$work/student-ikd.h5" --task sst2 --stage pred --steps "$steps" --gradient "$pred_gradient" \
  --epochs "$pred_epochs" --learning-rate 2e-4 --evaluations-per-epoch 4
run_stage "student, prediction-layer KD at T = $final_steps" "$work/student-final.h5" distill "${teachers[@]}" \
  --init "$work/student-pred.h5" --task sst2 --stage pred --steps "$final_steps" --gradient "$pred_gradient" \
  --epochs "$final_epochs" --learning-rate 1e-4 --evaluations-per-epoch 40

# Both with the word-embedding rows of pieces never seen in SST-2 training dropped (they equal [UNK]'s row,
# which `convert` checks and reports as changed_rows = 0): same predictions, a third of the size.
"$spikingbert" convert --input "$ensemble" --output "$dest/teacher-ensemble" --prune-vocab-from data/glue/SST-2/train.tsv
"$spikingbert" convert --input "$work/student-final.h5" --output "$dest/student.h5" --prune-vocab-from data/glue/SST-2/train.tsv
echo "== dev (SST-2, 872 sentences), measured once with the selected models"
nice -n 10 "$spikingbert" run-teacher --model "$dest/teacher-ensemble" --task sst2 --data "$dev" --json | tail -n 1 > "$work/dev-teacher.json"
for t in 100 "$final_steps" "$steps"; do
  nice -n 10 "$spikingbert" run --model "$dest/student.h5" --task sst2 --data "$dev" --steps "$t" --threads "$threads" \
    --json | tail -n 1 > "$work/dev-student-T$t.json"
done

# results.json from the commands' own JSON summaries (no number typed by hand).
"$python" - "$work" "$dest/results.json" "$(( $(date +%s) - start ))" "$steps" "$final_steps" <<'PY'
import json, os, sys
work, output, seconds, steps, final_steps = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
def load(name):
    with open(os.path.join(work, name)) as f:
        return json.loads([line for line in f if line.strip()][-1])
ensemble = load("teacher-ensemble.json")
stages = {name: load(f"student-{name}.h5.json") for name in ("ikd", "pred", "final")}
teacher_dev = load("dev-teacher.json")
results = {
    "task": "sst2",
    "selection": "validation split of 1000 SST-2 training sentences (training/ValidationSplit.hpp); dev measured once",
    "teacher": {"members": len(ensemble["members"]), "ensemble_validation": ensemble["ensemble_validation"],
                "ensemble_dev": ensemble["ensemble_dev"], "dev_accuracy": teacher_dev["metrics"]["accuracy"]},
    "student_stages": {name: {"stage": s["stage"], "steps": s["steps"], "optimizer_steps": s["optimizer_steps"],
                              "best_validation": s["best_validation"], "best_optimizer_step": s["best_optimizer_step"], "dev": s["dev"],
                              "seconds": s["seconds"]} for name, s in stages.items()},
    "student_dev_accuracy": {f"T{t}": load(f"dev-student-T{t}.json")["metrics"]["accuracy"] for t in (100, final_steps, steps)},
    "seconds": seconds,
}
with open(output + ".tmp", "w") as f:
    json.dump(results, f, indent=1)
    f.write("\n")
os.replace(output + ".tmp", output)
print(json.dumps(results, indent=1))
PY
