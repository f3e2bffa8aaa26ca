#!/usr/bin/env python3
"""Figures from a sweep table (columns: docs/traces.md §7, written by traces/SweepCsv.hpp).

    $(tools/find-python.sh) tools/plot_sweep.py SWEEP.csv --out FOLDER [--vth V]

Writes:
  accuracy_efficiency_vs_steps.png  accuracy and e = E_ANN/E_SNN against T at one V_th (paper Fig. 4a)
  asr_vs_vth.png                    mean ASR against V_th, one line per T (paper Fig. 4b)
"""
import argparse
import csv
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from plot_common import save  # noqa: E402  (tools/plot_common.py, next to this script)

REQUIRED = ["steps", "vth", "accuracy", "efficiency", "mean_asr"]


def read_table(path):
    with open(path, newline="") as stream:
        reader = csv.DictReader(stream)
        missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            sys.exit("plot_sweep: %s: header lacks %s" % (path, ", ".join(missing)))
        rows = []
        for line, row in enumerate(reader, start=2):
            try:
                rows.append({k: float(v) for k, v in row.items()})
            except (TypeError, ValueError):
                sys.exit("plot_sweep: %s:line %d: not a number in %s" % (path, line, row))
    if not rows:
        sys.exit("plot_sweep: %s has no rows" % path)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("table")
    parser.add_argument("--out", required=True)
    parser.add_argument("--vth", type=float, help="V_th for the accuracy/e plot (default: the one closest to 1)")
    parser.add_argument("--dpi", type=int, default=120)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rows = read_table(args.table)
    thresholds = sorted({r["vth"] for r in rows})
    vth = args.vth if args.vth is not None else min(thresholds, key=lambda v: abs(v - 1.0))
    written = []

    chosen = sorted((r for r in rows if abs(r["vth"] - vth) < 1e-12), key=lambda r: r["steps"])
    if not chosen:
        sys.exit("plot_sweep: no rows with vth = %g (have: %s)" % (vth, thresholds))
    steps = [r["steps"] for r in chosen]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot(steps, [100 * r["accuracy"] for r in chosen], "o-", color="tab:blue", label="accuracy")
    ax.set_xlabel("time steps T")
    ax.set_ylabel("accuracy (%)", color="tab:blue")
    ax.grid(alpha=0.3)
    right = ax.twinx()
    right.plot(steps, [r["efficiency"] for r in chosen], "s--", color="tab:red", label="e = E_ANN/E_SNN")
    right.axhline(1.0, color="tab:red", linewidth=0.6, linestyle=":")
    right.set_ylabel("energy efficiency e = E_ANN / E_SNN", color="tab:red")
    ax.set_title("accuracy and e against T (V_th = %g)" % vth, fontsize=10)
    written.append(save(fig, args.out, "accuracy_efficiency_vs_steps.png", args.dpi))

    fig, ax = plt.subplots(figsize=(7, 4.5))
    all_steps = sorted({r["steps"] for r in rows})
    colours = plt.cm.viridis(np.linspace(0, 0.9, len(all_steps)))
    for colour, t in zip(colours, all_steps):
        line = sorted((r for r in rows if r["steps"] == t), key=lambda r: r["vth"])
        ax.plot([r["vth"] for r in line], [r["mean_asr"] for r in line], "o-", color=colour, label="T = %d" % t)
    ax.set_xlabel("threshold V_th")
    ax.set_ylabel("mean ASR over sub-layers")
    ax.set_title("ASR against V_th", fontsize=10)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    written.append(save(fig, args.out, "asr_vs_vth.png", args.dpi))
    for path in written:
        print("wrote", path)


if __name__ == "__main__":
    main()
