#!/usr/bin/env bash
# Old vs new binary on the same event-kernel benchmark, interleaved (old new old new ...) so both see the
# same load: the fastest wall and CPU seconds of each binary's event kernel over the rounds, and new/old.
# Usage: tools/bench-compare.sh OLD NEW [ROUNDS [bench options...]]   (default: 5 rounds, base4, ASR 0.15,
# 32 tokens, T = 100, 1 thread). Each run is `spikingbert bench ... --event-only --repeat 3` (fastest of 3).
set -euo pipefail
[[ $# -ge 2 ]] || { echo "usage: tools/bench-compare.sh OLD NEW [ROUNDS [bench options...]]" >&2; exit 2; }
old="$1"; new="$2"; rounds="${3:-5}"; shift $(( $# >= 3 ? 3 : 2 ))
options=("$@")
[[ ${#options[@]} -gt 0 ]] || options=(--size base4 --asr 0.15 --sequence-length 32 --steps 100 --threads 1)
for program in "$old" "$new"; do
  [[ -x "$program" ]] || { echo "bench-compare.sh: $program is not an executable" >&2; exit 2; }
done
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); bench ${options[*]}"
for ((r = 0; r < rounds; ++r)); do
  for side in old new; do
    program=$([[ $side == old ]] && echo "$old" || echo "$new")
    # "event kernel 0.0328 s simulation (CPU 0.0126 s), N synaptic events"
    line=$("$program" bench "${options[@]}" --event-only --repeat 3 --quiet | grep '^event kernel')
    echo "$side $(awk '{print $3, $7}' <<<"$line" | tr -d ')')"
  done
done | awk '
  { print "round " int((NR - 1) / 2) " " $1 ": event kernel " $2 " s, CPU " $3 " s";
    if (!($1 in wall) || $2 < wall[$1]) wall[$1] = $2; if (!($1 in cpu) || $3 < cpu[$1]) cpu[$1] = $3 }
  END { printf "fastest: old %.4f s (CPU %.4f s), new %.4f s (CPU %.4f s); new/old wall %.3f, CPU %.3f\n",
               wall["old"], cpu["old"], wall["new"], cpu["new"], wall["new"] / wall["old"], cpu["new"] / cpu["old"] }'
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
