#!/usr/bin/env bash
# spikingbert against the authors' PyTorch SpikingBERT on the same work (issue 11 item 7): the 872 SST-2 dev
# sentences at T = 16 and T = 100, accuracy of each, per-example agreement, max logit difference, the
# reference's time at 1 and 2 threads, spikingbert's `run --task` time at 2 and 1 threads and the ratios, all
# measured in this one run. Prints a Markdown table (docs/benchmarks.md) and a JSON line; ~5 minutes.
# --what train-step (issue 14 item 7): one training step of SpikingBERT-4 (batch 8 x 32, T = 16) on both sides,
# timed in-process, the ratio, spikingbert's peak memory at T = 16 and 128, per-example gradient agreement;
# --what grad-agreement: only the gradient comparison (docs/benchmarks.md "Training step against the authors' code").
# Usage: tools/bench-vs-reference.sh --reference PATH/TO/SpikingBERT [--spikingbert build/spikingbert]
#          [--what inference|train-step|grad-agreement] [--steps 16,100] [--limit N] [--model CKPT] [--data TSV]
#          [--repeat R] [--memory-steps 16,128] [--agreement-examples K] [--keep DIR]
# Needs PyTorch for the reference (Debian: python3-torch libopenblas0-pthread), never for spikingbert itself.
# The reference checkout (github.com/NeuroCompLab-psu/SpikingBERT) is imported from PATH, never copied.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="$("$here/find-python.sh" h5py numpy)" || exit 2
exec "$python" "$here/reference_bench.py" "$@"
