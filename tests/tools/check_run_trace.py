#!/usr/bin/env python3
"""Opens the trace of a real `spikingbert run --task ... --trace` with h5py (a finished FILE.h5 or the
FILE.h5.partial a killed run leaves) and checks that it holds the completed examples in order, each
with its per-step summary (docs/traces.md §5). Prints the number of examples. Exit code 0 = passed."""
import argparse
import sys

import h5py
import numpy as np


def check(condition, what):
    if not condition:
        print("check failed: " + what, file=sys.stderr)
        sys.exit(1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("trace")
    parser.add_argument("--min-examples", type=int, default=0)
    parser.add_argument("--complete", type=int, choices=[0, 1], required=True)
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--populations", type=int, required=True)
    args = parser.parse_args()
    with h5py.File(args.trace, "r") as f:
        check(int(f.attrs["complete"]) == args.complete, "complete = %s" % f.attrs["complete"])
        check(int(f.attrs["t_conv"]) == args.steps, "t_conv")
        check("--trace" in f.attrs["command_line"], "command_line %r" % f.attrs["command_line"])
        check(f.attrs["git_commit"] != "" and f.attrs["spikingbert_version"] != "", "version and commit")
        check(f.attrs["kernel"] == "event" and int(f.attrs["batch"]) >= 1, "kernel and batch")
        n = f["examples/index"].shape[0]
        check(int(f.attrs["examples_completed"]) == n, "examples_completed %s vs %d" % (f.attrs["examples_completed"], n))
        check(n >= args.min_examples, "examples %d < %d" % (n, args.min_examples))
        check(np.array_equal(f["examples/index"][()], np.arange(n)), "examples in input order")
        check(np.all(f["examples/steps"][()] == args.steps), "steps per example")
        for name in ["tokens", "first_step", "predicted_label", "label"]:
            check(f["examples/" + name].shape[0] == n, "examples/" + name)
        populations = [p.decode() if isinstance(p, bytes) else p for p in f["populations/name"][()]]
        check(len(populations) == args.populations, "populations %s" % populations)
        check(sorted(f["summary"].keys()) == sorted(populations), "one summary group per sub-layer")
        for population in populations:
            group = f["summary/" + population]
            for name in ["mean_asr", "residual_mean_abs", "residual_max"]:
                data = group[name]
                check(data.shape[0] >= n and data.shape[1:] == (args.steps,), "summary/%s/%s shape %s" % (population, name, data.shape))
                values = data[:n]
                check(np.all(np.isfinite(values)), "summary/%s/%s finite for completed examples" % (population, name))
                check(np.all(values >= 0.0) and np.all(values <= 1.0), "summary/%s/%s in [0, 1]" % (population, name))
            for name in ["converged_at", "residual_floor"]:
                check(group[name].shape[0] >= n, "summary/%s/%s" % (population, name))
    print(n)


if __name__ == "__main__":
    main()
