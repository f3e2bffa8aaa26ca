#!/usr/bin/env bash
# The kernel benchmark table of docs/benchmarks.md: event kernel vs dense twin for tiny and base4 at
# ASR 0.05/0.15/0.3 with 1 and 2 threads, plus the 1->2 thread scaling, each row from one process
# (every kernel timed 3 times, the fastest kept).
# Usage: tools/bench-kernel.sh [path/to/spikingbert]   (prints a Markdown table; takes ~4 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
program="${1:-build/spikingbert}"
[[ -x "$program" ]] || { echo "bench-kernel.sh: $program not found (run tools/build.sh first)" >&2; exit 2; }
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo
echo "| size | target ASR | measured ASR | threads | event s | event CPU s | dense s | dense CPU s | dense/event | event 1 thread / N threads | synaptic events | events/s/core | spikes agree | near-ties |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for size in tiny base4; do
  for asr in 0.05 0.15 0.3; do
    for threads in 1 2; do
      "$program" bench --size "$size" --asr "$asr" --sequence-length 32 --steps 100 --threads "$threads" --repeat 3 --json | tail -n 1 |
        python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
print("| {size} | {target_asr} | {measured_mean_asr:.3f} | {threads} | {event_seconds:.3f} | {event_cpu_seconds:.3f} | "
      "{dense_seconds:.3f} | {dense_cpu_seconds:.3f} | {dense_over_event:.2f}x | {event_thread_speedup:.2f}x | {synaptic_events:.3g} | "
      "{synaptic_events_per_second_per_core:.3g} | {agree} | {near_threshold_comparisons} |".format(
      agree="yes" if r["spikes_agree"] else "NO", **r))'
    done
  done
done
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
