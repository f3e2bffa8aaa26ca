#!/usr/bin/env bash
# Trains the shipped SST-2 model end to end with one command (issue 6 item 3): a BERT teacher from scratch,
# then a spiking student of the teacher's shape initialised from the teacher's weights (distill --init) and
# distilled in two stages, internal layers (ikd) then prediction layer (pred), with the loss on the
# event-kernel rates at T = $STEPS. Finally both are evaluated on the SST-2 dev set (student with the
# event-driven simulator at T = 100 and T = 16) and copied to models/pretrained/sst2/.
#
# Every stage keeps a resumable state next to its output: running the script again after an interruption
# resumes the unfinished stage (--resume) and skips the finished ones (marked by a .done file).
# Settings (environment): THREADS (1), STEPS (16), IKD_GRADIENT (analog-twin), PRED_GRADIENT (implicit: it trained
# better in the comparison of docs/gradients.md), TEACHER_EPOCHS (1), IKD_EPOCHS (0.1), PRED_EPOCHS (0.25),
# FINAL_STEPS (32) and FINAL_EPOCHS (0.05): a last, short prediction-layer stage at T = 32, between the T = 16
# and T = 100 the acceptance compares (a student trained only at T = 16 fits the coarse 1/16 rates and loses
# 3 points at T = 100; one trained at T = 64 loses them at T = 16; T = 32 holds both within 0.5 point), WORK_DIR (out/train-default), DEST_DIR (models/pretrained/sst2), SPIKINGBERT_BUILD_DIR (build).
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${SPIKINGBERT_BUILD_DIR:-build}
spikingbert="$build_dir/spikingbert"
threads=${THREADS:-1}
steps=${STEPS:-16}
ikd_gradient=${IKD_GRADIENT:-analog-twin}
pred_gradient=${PRED_GRADIENT:-implicit}
teacher_epochs=${TEACHER_EPOCHS:-1}
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
# OUTPUT.state when an earlier run was interrupted.
run_stage() {
  local name=$1 output=$2
  shift 2
  if [ -f "$output.done" ]; then
    echo "== $name: done already ($output)"
    return
  fi
  local resume=()
  [ -f "$output.state" ] && resume=(--resume)
  echo "== $name: $*${resume:+ ${resume[*]}}"
  nice -n 10 "$spikingbert" "$@" "${resume[@]}" --output "$output" --threads "$threads" | tee "$output.json"
  touch "$output.done"
}

start=$(date +%s)
run_stage "teacher" "$work/teacher.h5" train-teacher --task sst2 --size small --epochs "$teacher_epochs"
run_stage "student, internal-layer KD" "$work/student-ikd.h5" distill --teacher "$work/teacher.h5" \
  --init "$work/teacher.h5" --task sst2 --stage ikd --steps "$steps" --gradient "$ikd_gradient" --epochs "$ikd_epochs" \
  --lr 5e-4 --evaluations-per-epoch 4
run_stage "student, prediction-layer KD" "$work/student-pred.h5" distill --teacher "$work/teacher.h5" \
  --init "$work/student-ikd.h5" --task sst2 --stage pred --steps "$steps" --gradient "$pred_gradient" --epochs "$pred_epochs" \
  --lr 2e-4 --evaluations-per-epoch 4

run_stage "student, prediction-layer KD at T = $final_steps" "$work/student-final.h5" distill --teacher "$work/teacher.h5" \
  --init "$work/student-pred.h5" --task sst2 --stage pred --steps "$final_steps" --gradient "$pred_gradient" \
  --epochs "$final_epochs" --lr 1e-4 --evaluations-per-epoch 40

# Both models with the word-embedding rows of pieces never seen in SST-2 training dropped (they equal [UNK]'s
# row, which `convert` checks and reports as changed_rows = 0): 7.7 MB each instead of 17 MB, same predictions.
"$spikingbert" convert --input "$work/teacher.h5" --output "$dest/teacher.h5" --prune-vocab-from data/glue/SST-2/train.tsv
"$spikingbert" convert --input "$work/student-final.h5" --output "$dest/student.h5" --prune-vocab-from data/glue/SST-2/train.tsv
echo "== dev accuracy (SST-2, 872 sentences)"
teacher=$(nice -n 10 "$spikingbert" run-teacher --model "$dest/teacher.h5" --task sst2 --data "$dev" --json | tail -n 1)
student100=$(nice -n 10 "$spikingbert" run --model "$dest/student.h5" --task sst2 --data "$dev" --steps 100 --threads "$threads" --json | tail -n 1)
student16=$(nice -n 10 "$spikingbert" run --model "$dest/student.h5" --task sst2 --data "$dev" --steps 16 --threads "$threads" --json | tail -n 1)
accuracy() { printf '%s' "$1" | sed -n 's/.*"accuracy":\([0-9.eE+-]*\).*/\1/p' | head -n 1; }
cat > "$dest/results.json" <<JSON
{"task": "sst2", "teacher_dev_accuracy": $(accuracy "$teacher"), "student_dev_accuracy_T100": $(accuracy "$student100"),
 "student_dev_accuracy_T16": $(accuracy "$student16"), "ikd_gradient": "$ikd_gradient", "pred_gradient": "$pred_gradient", "training_steps_T": $steps, "final_steps_T": $final_steps, "final_epochs": $final_epochs,
 "teacher_epochs": $teacher_epochs, "ikd_epochs": $ikd_epochs, "pred_epochs": $pred_epochs,
 "seconds": $(( $(date +%s) - start ))}
JSON
cat "$dest/results.json"
