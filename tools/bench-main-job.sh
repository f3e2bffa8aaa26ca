#!/usr/bin/env bash
# The main job, 1 thread vs 2 threads, back to back in one call (issue 11): `run --task sst2` on the 872
# SST-2 dev sentences at T = 16 with the shipped student, each thread count run `repeat` times (the
# fastest kept), then the ratio. Prints the simulation seconds `run` reports and the whole process's.
# Usage: tools/bench-main-job.sh [path/to/spikingbert] [repeat]   (about 10 s per repeat on a quiet machine)
set -euo pipefail
cd "$(dirname "$0")/.."
program="${1:-build/spikingbert}"
repeat="${2:-3}"
[[ -x "$program" ]] || { echo "bench-main-job.sh: $program not found (run tools/build.sh first)" >&2; exit 2; }
data=data/glue/SST-2/dev.tsv
[[ -f "$data" ]] || { echo "bench-main-job.sh: $data not found" >&2; exit 2; }
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
best() {  # threads -> "simulation_seconds process_seconds accuracy synaptic_events"
  local threads=$1 best_line="" i
  for ((i = 0; i < repeat; ++i)); do
    local start end line
    start=$(date +%s.%N)
    line=$("$program" run --task sst2 --data "$data" --steps 16 --threads "$threads" --json 2>/dev/null | tail -n 1)
    end=$(date +%s.%N)
    line=$(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print(r["seconds"], float(sys.argv[3])-float(sys.argv[2]), r["metrics"]["accuracy"], r["synaptic_events_total"])' "$line" "$start" "$end")
    if [[ -z "$best_line" ]] || python3 -c 'import sys; sys.exit(0 if float(sys.argv[1].split()[0]) < float(sys.argv[2].split()[0]) else 1)' "$line" "$best_line"; then
      best_line=$line
    fi
  done
  echo "$best_line"
}
one=$(best 1)
two=$(best 2)
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
