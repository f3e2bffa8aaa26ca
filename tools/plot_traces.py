#!/usr/bin/env python3
"""Figures from a spikingbert trace (schema: docs/traces.md), as PNG files in one folder.

    $(tools/find-python.sh) tools/plot_traces.py TRACE.h5 --out FOLDER [--example N] [--population NAME]

Writes, when the trace level holds the data:
  asr_vs_step.png       running mean ASR of every sub-layer against the step (paper Fig. 2a)   [summary]
  residual_vs_step.png  convergence residual (mean |a - f(a)|) against the step, log scale (Fig. 2b) [summary]
  asr_heatmap.png       final ASR of one population, tokens x neurons                            [neurons]
  spike_raster.png      every spike of one population in one example                             [spikes]
Also prints, per sub-layer, the step where its residual stays below --tolerance and the residual floor
(median of the last quarter of the steps), as traces/Convergence.hpp defines them.
A trace still named FILE.h5.partial (a run that did not finish) is read up to its last completed example.
"""
import argparse
import os
import sys

import matplotlib

matplotlib.use("Agg")
import h5py  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from plot_common import save  # noqa: E402  (tools/plot_common.py, next to this script)


def text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def convergence_step(residual, tolerance):
    """First step from which every residual is below tolerance; None if the last one is not."""
    below = np.asarray(residual) < tolerance  # NaN compares False
    if len(below) == 0 or not below[-1]:
        return None
    step = len(below)
    while step > 0 and below[step - 1]:
        step -= 1
    return step


def residual_floor(residual, tail_fraction=0.25):
    residual = np.asarray(residual)
    count = max(1, int(np.ceil(tail_fraction * len(residual))))
    return float(np.median(residual[-count:]))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("trace")
    parser.add_argument("--out", required=True, help="folder for the PNG files (created if missing)")
    parser.add_argument("--example", type=int, default=0, help="row of /examples to plot (default 0)")
    parser.add_argument("--population", help="population for the raster and heat map (default: the last one)")
    parser.add_argument("--tolerance", type=float, default=None,
                        help="residual tolerance for the convergence step (default: the trace's own, "
                             "root attribute convergence_tolerance)")
    parser.add_argument("--dpi", type=int, default=120)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    written = []
    with h5py.File(args.trace, "r") as f:
        # The trace's own tolerance (the one its /summary/converged_at used), unless --tolerance overrides it.
        tolerance = args.tolerance if args.tolerance is not None else float(f.attrs.get("convergence_tolerance", 0.01))
        names = [text(n) for n in f["populations/name"][()]]
        summary = f["summary"]  # one group per sub-layer: summary/<name>/mean_asr [examples, T], ...
        completed = f["examples/index"].shape[0]
        if completed == 0:
            sys.exit("plot_traces: %s holds no completed example" % args.trace)
        if not 0 <= args.example < completed:
            sys.exit("plot_traces: --example %d outside [0, %d)" % (args.example, completed))
        e = args.example
        steps = int(f["examples/steps"][e])
        first_step = int(f["examples/first_step"][e])
        example_index = int(f["examples/index"][e])
        title = "%s, example %d, T=%d, V_th=%g" % (text(f.attrs["model"]), example_index, steps, f.attrs["vth"])
        population = args.population or names[-1]
        if population not in names:
            sys.exit("plot_traces: no population %r (have: %s)" % (population, ", ".join(names)))
        x = np.arange(1, steps + 1)
        colours = plt.cm.viridis(np.linspace(0, 0.95, len(names)))
        legend_columns = 1 + len(names) // 13

        mean_asr = np.array([summary[name]["mean_asr"][e, :steps] for name in names])
        fig, ax = plt.subplots(figsize=(8, 5))
        for p, name in enumerate(names):
            ax.plot(x, mean_asr[p], color=colours[p], label=name, linewidth=1.2)
        ax.set_xlabel("time step t")
        ax.set_ylabel("running mean ASR")
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=6, ncol=legend_columns, loc="best")
        ax.grid(alpha=0.3)
        written.append(save(fig, args.out, "asr_vs_step.png", args.dpi))

        residual = np.array([summary[name]["residual_mean_abs"][e, :steps] for name in names])
        residual_max = np.array([summary[name]["residual_max"][e, :steps] for name in names])
        if np.isfinite(residual).any():
            fig, ax = plt.subplots(figsize=(8, 5))
            print("%-20s %12s %12s %12s" % ("sub-layer", "converged at", "floor", "final"))
            for p, name in enumerate(names):
                series = residual[p]
                if not np.isfinite(series).any():
                    continue
                positive = np.where(series > 0, series, np.nan)  # log scale: exact zeros are not drawn
                ax.plot(x, positive, color=colours[p], label=name, linewidth=1.2)
                if np.isfinite(residual_max[p]).any():
                    ax.plot(x, np.where(residual_max[p] > 0, residual_max[p], np.nan), color=colours[p],
                            linewidth=0.6, linestyle=":")
                step = convergence_step(series, tolerance)
                print("%-20s %12s %12.4g %12.4g" % (name, "never" if step is None else step + 1,
                                                   residual_floor(series), series[-1]))
            ax.plot(x, 1.0 / x, color="grey", linestyle="--", linewidth=1, label="1/t")
            ax.set_yscale("log")
            ax.set_xlabel("time step t")
            ax.set_ylabel("residual |a(t) - f(a(t))| (mean solid, max dotted)")
            ax.set_title(title, fontsize=10)
            ax.legend(fontsize=6, ncol=legend_columns, loc="best")
            ax.grid(alpha=0.3, which="both")
            written.append(save(fig, args.out, "residual_vs_step.png", args.dpi))
        else:
            print("plot_traces: no residuals recorded; residual_vs_step.png not written")

        if "neurons" in f and population in f["neurons"]:
            pointers = f["examples/token_pointers"]  # ragged: the example's rows, one per real token
            asr = f["neurons/%s/asr" % population][int(pointers[e]):int(pointers[e + 1])]
            fig, ax = plt.subplots(figsize=(9, 4))
            image = ax.imshow(asr, aspect="auto", interpolation="nearest", cmap="magma", vmin=0, vmax=1)
            fig.colorbar(image, ax=ax, label="ASR")
            ax.set_xlabel("neuron")
            ax.set_ylabel("token")
            ax.set_title("final ASR of %s (%s)" % (population, title), fontsize=9)
            written.append(save(fig, args.out, "asr_heatmap.png", args.dpi))

        if "spikes" in f and population in f["spikes"]:
            group = f["spikes/" + population]
            pointers = group["example_index_pointers"][()]
            begin, end = int(pointers[e]), int(pointers[e + 1])
            dt = float(f.attrs["dt"])
            times = group["timestamps"][begin:end] / dt - first_step + 1  # back to steps 1..T
            nodes = group["node_ids"][begin:end]
            fig, ax = plt.subplots(figsize=(9, 5))
            marker_size = max(1.0, min(20.0, 20000.0 / max(1, end - begin)))  # small marks for dense rasters
            ax.scatter(times, nodes, s=marker_size, marker="|", color="black")
            ax.set_xlim(0.5, steps + 0.5)
            ax.set_xlabel("time step t")
            ax.set_ylabel("node id (token * width + neuron)")
            ax.set_title("spikes of %s: %d (%s)" % (population, end - begin, title), fontsize=9)
            written.append(save(fig, args.out, "spike_raster.png", args.dpi))

    for path in written:
        print("wrote", path)


if __name__ == "__main__":
    main()
