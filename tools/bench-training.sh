#!/usr/bin/env bash
# One-process training throughput (docs/scaling.md, "Micro-batches"): train-teacher and distill on one rank
# with one thread, for each program given (e.g. a build before and after a change), interleaved so that
# the programs see the same machine load. Prints the examples/s each command reports in its JSON summary
# and the ratio of each program to the first.
# Usage: tools/bench-training.sh [PROGRAM ...]   (default build/spikingbert; ~2 minutes per program, quiet)
set -euo pipefail
cd "$(dirname "$0")/.."
programs=("$@")
[[ ${#programs[@]} -gt 0 ]] || programs=(build/spikingbert)
for program in "${programs[@]}"; do
  [[ -x "$program" ]] || { echo "bench-training.sh: $program not found (run tools/build.sh first)" >&2; exit 2; }
done
python="$(tools/find-python.sh)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
# train-teacher: 21 steps of 32 (0.01 epoch of SST-2 train) + one dev evaluation; distill: the shipped
# teacher into the shipped student, 4 steps of 32 at T = 16 + 16 dev sentences.
teacher=(train-teacher --task sst2 --size small --epochs 0.01 --evaluations-per-epoch 1 --threads 1 --quiet)
distill=(distill --teacher models/pretrained/sst2/teacher-ensemble/member-0.h5 --init models/pretrained/sst2/student.h5 --task sst2
         --stage pred --gradient implicit --steps 16 --train-limit 142 --dev-limit 16 --epochs 1
         --evaluations-per-epoch 1 --threads 1 --quiet)
for i in "${!programs[@]}"; do
  "${programs[$i]}" "${teacher[@]}" --output "$work/teacher$i.h5" >"$work/teacher$i.out"
  "${programs[$i]}" "${distill[@]}" --output "$work/student$i.h5" >"$work/distill$i.out"
done
"$python" - "$work" "${programs[@]}" <<'PY'
import json, sys
work, programs = sys.argv[1], sys.argv[2:]
def rate(name):
    lines = [l for l in open(f"{work}/{name}.out").read().splitlines() if l.strip().startswith("{")]
    return float(json.loads(lines[-1])["examples_per_second"])
print("| program | train-teacher examples/s | ratio | distill examples/s | ratio |")
print("|---|---|---|---|---|")
t0, d0 = rate("teacher0"), rate("distill0")
for i, program in enumerate(programs):
    t, d = rate(f"teacher{i}"), rate(f"distill{i}")
    print(f"| {program} | {t:.1f} | {t / t0:.2f}x | {d:.1f} | {d / d0:.2f}x |")
PY
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
