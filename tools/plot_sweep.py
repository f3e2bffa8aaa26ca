#!/usr/bin/env python3
"""Figures from a sweep table (columns: docs/traces.md §7, written by traces/SweepCsv.hpp).

    $(tools/find-python.sh) tools/plot_sweep.py SWEEP.csv --out FOLDER

Writes (the shapes of the paper's Fig. 4):
  accuracy_vs_steps.png      accuracy against T, one line per V_th (Fig. 4a)
  asr_energy_vs_steps.png    mean ASR against T (left) and E_SNN with e = E_ANN/E_SNN against T (right),
                             one line per V_th (Fig. 4b)
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
    parser.add_argument("--dpi", type=int, default=120)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rows = read_table(args.table)
    thresholds = sorted({r["vth"] for r in rows})
    colours = dict(zip(thresholds, plt.cm.viridis(np.linspace(0, 0.85, len(thresholds)))))
    written = []

    def line(vth, column, scale=1.0):
        chosen = sorted((r for r in rows if r["vth"] == vth), key=lambda r: r["steps"])
        return [r["steps"] for r in chosen], [scale * r[column] for r in chosen]

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for vth in thresholds:
        steps, accuracy = line(vth, "accuracy", 100.0)
        ax.plot(steps, accuracy, "o-", color=colours[vth], label="V_th = %g" % vth)
    ax.set_xscale("log", base=2)
    ax.set_xticks(sorted({r["steps"] for r in rows}))
    ax.set_xticklabels(["%d" % t for t in sorted({r["steps"] for r in rows})])
    ax.set_xlabel("time steps T")
    ax.set_ylabel("accuracy (%)")
    ax.set_title("accuracy against T (%d examples)" % int(rows[0].get("examples", 0)), fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    written.append(save(fig, args.out, "accuracy_vs_steps.png", args.dpi))

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    for vth in thresholds:
        steps, asr = line(vth, "mean_asr")
        left.plot(steps, asr, "o-", color=colours[vth], label="V_th = %g" % vth)
        if "energy_pj" in rows[0]:
            steps, energy = line(vth, "energy_pj", 1e-6)  # pJ -> µJ, over the whole sweep set
            right.plot(steps, energy, "o-", color=colours[vth], label="E_SNN, V_th = %g" % vth)
    left.set_ylabel("mean ASR over sub-layers (spikes per neuron per step)")
    right.set_ylabel("E_SNN over the set (µJ)")
    right.set_yscale("log")
    efficiency = right.twinx()
    for vth in thresholds:
        steps, e = line(vth, "efficiency")
        efficiency.plot(steps, e, "s:", color=colours[vth], linewidth=1)
    efficiency.axhline(1.0, color="grey", linewidth=0.6, linestyle="--")
    efficiency.set_yscale("log")
    efficiency.set_ylabel("e = E_ANN / E_SNN (dotted squares)")
    for ax in (left, right):
        ax.set_xscale("log", base=2)
        ax.set_xticks(sorted({r["steps"] for r in rows}))
        ax.set_xticklabels(["%d" % t for t in sorted({r["steps"] for r in rows})])
        ax.set_xlabel("time steps T")
        ax.grid(alpha=0.3)
    left.legend(fontsize=8)
    right.legend(fontsize=8, loc="lower right")
    left.set_title("sparsity against T", fontsize=10)
    right.set_title("energy against T (docs/energy.md)", fontsize=10)
    written.append(save(fig, args.out, "asr_energy_vs_steps.png", args.dpi))
    for path in written:
        print("wrote", path)


if __name__ == "__main__":
    main()
