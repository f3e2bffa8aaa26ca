#!/usr/bin/env python3
"""Figures from a spikingbert trace (schema: docs/traces.md), as PNG files in one folder.

    $(tools/find-python.sh) tools/plot_traces.py TRACE.h5 --out FOLDER [--example N] [--population NAME]

Writes, when the trace level holds the data:
  asr_vs_step.png       running mean ASR of every sub-layer against the step (paper Fig. 2a)   [summary]
  residual_vs_step.png  convergence residual (mean |a - f(a)|) against the step, log scale (Fig. 2b) [summary]
  asr_heatmap.png       final ASR of one population, tokens x neurons, rows labelled by word piece [neurons]
  spike_raster.png      spikes of a few neurons of every real token, one panel per sub-layer     [spikes]
                        (--raster-populations, --raster-neurons), token groups labelled by word piece
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
    parser.add_argument("--raster-populations",
                        help="comma-separated sub-layers of the raster (default: up to 4 spread over the network)")
    parser.add_argument("--raster-neurons", type=int, default=4,
                        help="neurons per sub-layer shown in the raster, for every token: its N most active (default 4)")
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
        rows = f["examples/token_pointers"][e:e + 2]  # ragged: the example's rows, one per real token
        pieces = [text(p) for p in f["examples/word_pieces"][int(rows[0]):int(rows[1])]]
        tokens = len(pieces)
        labels = ["%d %s" % (k, p) if p else str(k) for k, p in enumerate(pieces)]
        steps = int(f["examples/steps"][e])
        first_step = int(f["examples/first_step"][e])
        example_index = int(f["examples/index"][e])
        title = "%s, example %d, T=%d, V_th=%g" % (os.path.basename(text(f.attrs["model"])), example_index, steps,
                                                   f.attrs["vth"])
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
            asr = f["neurons/%s/asr" % population][int(rows[0]):int(rows[1])]
            fig, ax = plt.subplots(figsize=(10, max(3.0, 1.0 + 0.22 * tokens)))
            image = ax.imshow(asr, aspect="auto", interpolation="nearest", cmap="magma", vmin=0, vmax=1)
            fig.colorbar(image, ax=ax, label="final ASR (spikes per step)")
            ax.set_yticks(range(tokens))
            ax.set_yticklabels(labels, fontsize=7)
            ax.set_xlabel("neuron")
            ax.set_ylabel("token (word piece)")
            ax.set_title("final ASR of %s (%s)" % (population, title), fontsize=9)
            written.append(save(fig, args.out, "asr_heatmap.png", args.dpi))

        if "spikes" in f:
            if args.raster_populations:
                shown = args.raster_populations.split(",")
                unknown = [p for p in shown if p not in names]
                if unknown:
                    sys.exit("plot_traces: no population %s (have: %s)" % (", ".join(unknown), ", ".join(names)))
            else:  # the input, the first attention and intermediate sub-layers, the last: up to 4
                wanted = [names[0]] + [next((n for n in names if n.endswith(kind)), None)
                                       for kind in ("_attention", "_intermediate")] + [names[-1]]
                shown = list(dict.fromkeys(n for n in wanted if n is not None))
            per_token = max(1, args.raster_neurons)
            dt = float(f.attrs["dt"])
            widths = dict(zip(names, (int(w) for w in f["populations/width"][()])))
            fig, axes = plt.subplots(len(shown), 1, sharex=True, squeeze=False,
                                     figsize=(9, 1.0 + len(shown) * max(1.6, 0.09 * tokens * per_token)))
            total = 0
            for ax, name in zip(axes[:, 0], shown):
                group = f["spikes/" + name]
                pointers = group["example_index_pointers"][()]
                begin, end = int(pointers[e]), int(pointers[e + 1])
                times = group["timestamps"][begin:end] / dt - first_step + 1  # back to steps 1..T
                token, neuron = np.divmod(group["node_ids"][begin:end].astype(np.int64), widths[name])
                # A readable subset: the sub-layer's per_token most active neurons in this example (the same
                # neurons for every token), in index order.
                activity = np.bincount(neuron, minlength=widths[name])
                chosen = np.sort(np.argsort(-activity, kind="stable")[:per_token])
                slot = np.full(widths[name], -1)
                slot[chosen] = np.arange(len(chosen))
                keep = slot[neuron] >= 0
                row = token[keep] * per_token + slot[neuron[keep]]
                total += int(keep.sum())
                ax.scatter(times[keep], row, s=12, marker="|", color="black", linewidths=0.8)
                ax.set_ylim(tokens * per_token - 0.5, -0.5)
                for k in range(1, tokens):
                    ax.axhline(k * per_token - 0.5, color="0.85", linewidth=0.5)
                ax.set_yticks([k * per_token + (per_token - 1) / 2 for k in range(tokens)])
                ax.set_yticklabels(pieces if any(pieces) else [str(k) for k in range(tokens)],
                                   fontsize=max(4, min(7, 300 // max(1, tokens))))
                ax.set_ylabel("%s\nneurons\n%s" % (name, ", ".join(str(n) for n in chosen)), fontsize=8, rotation=0,
                              ha="right", va="center")
            axes[-1, 0].set_xlim(0.5, steps + 0.5)
            axes[-1, 0].set_xlabel("time step t")
            axes[0, 0].set_title("spikes of the %d most active neurons of each sub-layer, every token (%d spikes)\n%s" %
                                 (per_token, total, title), fontsize=9)
            written.append(save(fig, args.out, "spike_raster.png", args.dpi))

    for path in written:
        print("wrote", path)


if __name__ == "__main__":
    main()
