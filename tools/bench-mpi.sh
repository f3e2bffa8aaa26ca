#!/usr/bin/env bash
# Strong scaling over MPI ranks (docs/scaling.md): SST-2 dev evaluated with the shipped student, and a short
# distillation of the shipped student from the shipped teacher, each on 1 rank and on 2 ranks with one thread
# per rank. Prints the wall times, their ratio and whether the outputs are identical (JSON summaries without
# their wall-clock fields; the distilled checkpoints tensor by tensor).
# Usage: tools/bench-mpi.sh [path/to/spikingbert] [ranks, default 2]   (~4 minutes on a quiet 2-core machine)
set -euo pipefail
cd "$(dirname "$0")/.."
program="$(realpath "${1:-build/spikingbert}")"
ranks="${2:-2}"
[[ -x "$program" ]] || { echo "bench-mpi.sh: $program not found (run tools/build.sh first)" >&2; exit 2; }
command -v mpirun >/dev/null || { echo "bench-mpi.sh: mpirun not found (tools/install-deps.sh installs Open MPI)" >&2; exit 2; }
python="$(tools/find-python.sh)"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1  # Open MPI refuses root otherwise
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"

timed() {  # timed NAME RANKS ARGS...: wall seconds of the job into $work/NAME.seconds, stdout into $work/NAME.out
  local name=$1 n=$2; shift 2
  local start end
  start=$(date +%s.%N)
  mpirun --oversubscribe -np "$n" "$program" "$@" >"$work/$name.out" 2>"$work/$name.err" || {
    cat "$work/$name.err" >&2; exit 1; }
  end=$(date +%s.%N)
  echo "$start $end" >"$work/$name.seconds"
}

evaluation=(run --task sst2 --data data/glue/SST-2/dev.tsv --threads 1 --json)
timed eval1 1 "${evaluation[@]}"
timed evalN "$ranks" "${evaluation[@]}"
distillation=(distill --teacher models/pretrained/sst2/teacher-ensemble/member-0.h5 --init models/pretrained/sst2/student.h5 --task sst2
              --stage pred --gradient implicit --steps 16 --train-limit 128 --dev-limit 64 --batch-size 32 --epochs 1
              --evaluations-per-epoch 1 --learning-rate 1e-4 --threads 1 --quiet)
timed distill1 1 "${distillation[@]}" --output "$work/student1.h5"
timed distillN "$ranks" "${distillation[@]}" --output "$work/studentN.h5"

"$python" - "$work" "$ranks" <<'PY'
import json, sys
import h5py, numpy as np
work, ranks = sys.argv[1], sys.argv[2]
def summary(name):
    lines = [l for l in open(f"{work}/{name}.out").read().splitlines() if l.strip()]
    s = json.loads(lines[-1])
    for key in ("seconds", "examples_per_second"):
        s.pop(key, None)
    return s
def seconds(name):
    start, end = map(float, open(f"{work}/{name}.seconds").read().split())
    return end - start
def same_checkpoints(a, b):
    with h5py.File(a) as fa, h5py.File(b) as fb:
        names = []
        fa.visit(lambda n: names.append(n) if isinstance(fa[n], h5py.Dataset) else None)
        return all(n in fb and np.array_equal(fa[n][()], fb[n][()]) for n in names)
e1, eN = seconds("eval1"), seconds("evalN")
d1, dN = seconds("distill1"), seconds("distillN")
print(f"| job | 1 rank s | {ranks} ranks s | speed-up | outputs identical |")
print("|---|---|---|---|---|")
print(f"| run --task sst2 (872 dev sentences, shipped student, T = 32) | {e1:.1f} | {eN:.1f} | {e1 / eN:.2f}x | "
      f"{'yes' if summary('eval1') == summary('evalN') else 'NO'} |")
print(f"| distill --stage pred, 128 sentences, batch 32, T = 16, + 64 dev | {d1:.1f} | {dN:.1f} | {d1 / dN:.2f}x | "
      f"{'yes' if same_checkpoints(f'{work}/student1.h5', f'{work}/studentN.h5') else 'NO'} |")
PY
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
