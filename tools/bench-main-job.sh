#!/usr/bin/env bash
# The main job, 1 thread vs 2 threads, back to back in one call (issue 11): `run --task sst2` on the 872
# SST-2 dev sentences at T = 16 with the shipped student, each thread count run `repeat` times (the
# fastest kept), then the ratio. Prints the simulation seconds `run` reports and the whole process's.
# With `adaptive` as third argument: adaptive steps against fixed T_max instead (issue 11 item 6), both
# with THREADS threads (default 2): `--steps 32` vs `--steps-max 32 --converge-tol 0.06 --stable-steps 5`
# (override with T_MAX, TOL, STABLE), fastest of `repeat` each, and the time and energy ratios.
# Usage: tools/bench-main-job.sh [path/to/spikingbert] [repeat] [adaptive]   (about 10 s per repeat on a quiet machine)
set -euo pipefail
cd "$(dirname "$0")/.."
program="${1:-build/spikingbert}"
repeat="${2:-3}"
mode="${3:-threads}"
[[ -x "$program" ]] || { echo "bench-main-job.sh: $program not found (run tools/build.sh first)" >&2; exit 2; }
[[ "$mode" == threads || "$mode" == adaptive ]] || { echo "bench-main-job.sh: mode '$mode' (expected adaptive or nothing)" >&2; exit 2; }
data=data/glue/SST-2/dev.tsv
[[ -f "$data" ]] || { echo "bench-main-job.sh: $data not found" >&2; exit 2; }
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
# best THREADS ARGS... -> "simulation_seconds process_seconds accuracy synaptic_events mean_steps energy_pj"
best() {
  local threads=$1 best_line="" i
  shift
  for ((i = 0; i < repeat; ++i)); do
    local start end line
    start=$(date +%s.%N)
    line=$("$program" run --task sst2 --data "$data" --threads "$threads" "$@" --json 2>/dev/null | tail -n 1)
    end=$(date +%s.%N)
    line=$(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print(r["seconds"], float(sys.argv[3])-float(sys.argv[2]), r["metrics"]["accuracy"], r["synaptic_events_total"], r.get("mean_steps", r.get("steps")), r["energy_pj_total"])' "$line" "$start" "$end")
    if [[ -z "$best_line" ]] || python3 -c 'import sys; sys.exit(0 if float(sys.argv[1].split()[0]) < float(sys.argv[2].split()[0]) else 1)' "$line" "$best_line"; then
      best_line=$line
    fi
  done
  echo "$best_line"
}
if [[ "$mode" == adaptive ]]; then
  threads="${THREADS:-2}" t_max="${T_MAX:-32}" tol="${TOL:-0.06}" stable="${STABLE:-5}"
  fixed=$(best "$threads" --steps "$t_max")
  adaptive=$(best "$threads" --steps-max "$t_max" --converge-tol "$tol" --stable-steps "$stable")
  python3 - "$fixed" "$adaptive" "$threads" "$t_max" "$tol" "$stable" <<'PY'
import sys
fixed, adaptive = (line.split() for line in sys.argv[1:3])
threads, t_max, tol, stable = sys.argv[3:7]
print(f"| run ({threads} threads) | simulation s | process s | accuracy | mean steps | synaptic events | SNN energy pJ |")
print("|---|---|---|---|---|---|---|")
for name, r in ((f"fixed T = {t_max}", fixed), (f"adaptive T_max = {t_max}, eps = {tol}, k = {stable}", adaptive)):
    print(f"| {name} | {float(r[0]):.3f} | {float(r[1]):.3f} | {float(r[2]):.4f} | {float(r[4]):.2f} | {r[3]} | {float(r[5]):.4g} |")
print(f"adaptive / fixed: simulation time {float(adaptive[0]) / float(fixed[0]):.3f}, process time "
      f"{float(adaptive[1]) / float(fixed[1]):.3f}, energy {float(adaptive[5]) / float(fixed[5]):.3f}, "
      f"accuracy {100 * (float(adaptive[2]) - float(fixed[2])):+.2f} points")
PY
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
  exit 0
fi
one=$(best 1 --steps 16)
two=$(best 2 --steps 16)
python3 - "$one" "$two" <<'PY'
import sys
one, two = (line.split() for line in sys.argv[1:3])
print(f"| threads | simulation s | process s | accuracy | synaptic events |")
print(f"|---|---|---|---|---|")
for threads, r in ((1, one), (2, two)):
    print(f"| {threads} | {float(r[0]):.3f} | {float(r[1]):.3f} | {float(r[2]):.4f} | {r[3]} |")
print(f"1 thread / 2 threads: simulation {float(one[0]) / float(two[0]):.2f}x, process {float(one[1]) / float(two[1]):.2f}x")
if one[2:] != two[2:]:
    print("RESULTS DIFFER between thread counts"); sys.exit(1)
PY
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
