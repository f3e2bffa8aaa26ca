#!/usr/bin/env python3
"""Opens a spikingbert trace with h5py and checks the schema of docs/traces.md: names, dtypes,
shapes and attributes, and every value against the synthetic IF-neuron run of
tests/traces/SyntheticRun.hpp (recomputed here independently). Exit code 0 = all checks passed."""
import argparse
import sys

import h5py
import numpy as np

POPULATIONS = [("embedding", 4), ("L0_key", 4), ("L0_intermediate", 8)]


def synthetic_tokens(example):
    """Positions of synthetic example e (SyntheticRun.hpp synthetic_tokens): 3, 2, 3, 2, ..."""
    return 3 - example % 2


def synthetic_example(example, steps):
    """Per population: spike list [(step, node)], running counts per step [steps, N], currents."""
    result = []
    for p, (_, width) in enumerate(POPULATIONS):
        size = synthetic_tokens(example) * width
        current = np.array([((node * 7 + p * 3 + example * 5) % 11) / 10.0 for node in range(size)])
        membrane = np.zeros(size)
        counts = np.zeros(size, dtype=np.int64)
        spikes, frames = [], []
        for step in range(steps):
            for node in range(size):
                membrane[node] += current[node]
                if membrane[node] >= 1.0:
                    membrane[node] -= 1.0
                    counts[node] += 1
                    spikes.append((step, node))
            frames.append(counts.copy())
        result.append((spikes, np.array(frames), current))
    return result


def check(condition, what):
    if not condition:
        raise AssertionError(what)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("trace")
    parser.add_argument("--level", required=True, choices=["summary", "neurons", "spikes"])
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--examples", type=int, help="exact number of completed examples expected")
    parser.add_argument("--min-examples", type=int, default=0)
    parser.add_argument("--complete", type=int, choices=[0, 1], required=True)
    args = parser.parse_args()
    T = args.steps
    levels = ["summary", "neurons", "spikes"]
    level = levels.index(args.level)

    with h5py.File(args.trace, "r") as f:
        a = f.attrs
        check(int(a["magic"]) == 0x0A7A, "magic")
        check(a["magic"].dtype == np.uint32, "magic dtype %s" % a["magic"].dtype)
        check(a["version"].shape == (2,) and a["version"].dtype == np.uint32, "version")
        check(a["trace_format"] == "spikingbert-trace", "trace_format")
        check(int(a["trace_schema_version"]) == 2, "trace_schema_version")
        check(a["trace_level"] == args.level, "trace_level")
        check(a["model"] == "synthetic-if-neurons", "model")
        check(a["task"] == "synthetic", "task")
        check(int(a["t_conv"]) == T, "t_conv")
        check(float(a["vth"]) == 1.0 and float(a["leak"]) == 1.0, "vth/leak")
        check(int(a["refractory_steps"]) == 0 and int(a["feedback"]) == 0, "refractory_steps/feedback")
        check(a["command_line"] == "tests_traces synthetic", "command_line")
        check(isinstance(a["spikingbert_version"], str) and a["spikingbert_version"] != "", "spikingbert_version")
        check(a["kernel"] == "event" and int(a["batch"]) == 1, "kernel, batch")
        check(float(a["dt"]) == 1.0 and a["time_units"] == "ms", "dt")
        check(int(a["complete"]) == args.complete, "complete = %s" % a["complete"])

        names = [n.decode() if isinstance(n, bytes) else n for n in f["populations/name"][()]]
        check(names == [p[0] for p in POPULATIONS], "population names %s" % names)
        check("seq" not in f["populations"], "no fixed sequence length in a ragged trace")
        check(list(f["populations/width"][()]) == [p[1] for p in POPULATIONS], "width")

        n = f["examples/index"].shape[0]
        check(int(a["examples_completed"]) == n, "examples_completed %s vs %d" % (a["examples_completed"], n))
        if args.examples is not None:
            check(n == args.examples, "examples %d, expected %d" % (n, args.examples))
        check(n >= args.min_examples, "examples %d < %d" % (n, args.min_examples))
        for name in ["index", "tokens", "steps", "first_step", "predicted_label", "label"]:
            d = f["examples/" + name]
            check(d.dtype == np.int64 and d.shape == (n,), "examples/" + name)
        check((f["examples/index"][()] == np.arange(n)).all(), "example indices")
        tokens = np.array([synthetic_tokens(e) for e in range(n)], dtype=np.int64)
        check((f["examples/tokens"][()] == tokens).all(), "example tokens")
        token_pointers = f["examples/token_pointers"][()]
        check(token_pointers.dtype == np.uint64 and token_pointers.shape[0] >= n + 1, "token_pointers")
        check((token_pointers[:n + 1] == np.concatenate([[0], np.cumsum(tokens)])).all(), "token_pointers values")
        check((f["examples/steps"][()] == T).all(), "example steps")
        check((f["examples/first_step"][()] == np.arange(n) * T).all(), "first_step")
        check((f["examples/predicted_label"][()] == np.arange(n) % 2).all(), "predicted_label")
        check((f["examples/label"][()] == (np.arange(n) // 2) % 2).all(), "label")

        check(sorted(f["summary"].keys()) == sorted(p[0] for p in POPULATIONS), "one summary group per sub-layer")
        for population, _ in POPULATIONS:
            for name in ["mean_asr", "residual_mean_abs", "residual_max"]:
                d = f["summary/%s/%s" % (population, name)]
                check(d.dtype == np.float64 and d.shape == (n, T), "summary/%s/%s %s" % (population, name, d.shape))
                check(d.chunks == (1, T) and d.compression == "gzip", "summary chunking")
                check(d.attrs["axes"] == "example, step" and d.attrs["units"] == "spikes per neuron per step",
                      "summary attributes")
            check(f["summary/%s/converged_at" % population].shape == (n,), "converged_at")
            check(f["summary/%s/residual_floor" % population].shape == (n,), "residual_floor")
        pieces = f["examples/word_pieces"]
        check(pieces.shape[0] >= token_pointers[n], "word_pieces rows")
        check([p.decode() if isinstance(p, bytes) else p for p in pieces[:token_pointers[n]]] ==
              ["t%d.%d" % (e, k) for e in range(n) for k in range(synthetic_tokens(e))], "word_pieces")

        for name, _ in POPULATIONS:
            check((name in f.get("neurons", {})) == (level >= 1), "neurons group presence")
            check((name in f.get("spikes", {})) == (level >= 2), "spikes group presence")
            check((name in f.get("report", {})) == (level >= 2), "report group presence")

        for e in range(n):
            expected = synthetic_example(e, T)
            seq = synthetic_tokens(e)
            rows = slice(int(token_pointers[e]), int(token_pointers[e + 1]))
            for p, (name, width) in enumerate(POPULATIONS):
                spikes, frames, current = expected[p]
                asr = frames / np.arange(1, T + 1)[:, None]
                target = np.minimum(current, 1.0)
                summary = f["summary/" + name]
                np.testing.assert_allclose(summary["mean_asr"][e], asr.mean(axis=1), rtol=0, atol=1e-12)
                np.testing.assert_allclose(summary["residual_mean_abs"][e],
                                           np.abs(asr - target).mean(axis=1), rtol=0, atol=1e-12)
                np.testing.assert_allclose(summary["residual_max"][e],
                                           np.abs(asr - target).max(axis=1), rtol=0, atol=1e-12)
                if level >= 1:
                    d = f["neurons/%s/asr" % name]
                    check(d.dtype == np.float32 and d.ndim == 2 and d.shape[1] == width and
                          d.shape[0] >= token_pointers[n], "neurons shape %s" % (d.shape,))
                    final = (frames[-1].astype(np.float32) / np.float32(T)).reshape(seq, width)
                    check(np.array_equal(d[rows], final), "final ASR of %s example %d" % (name, e))
                if level >= 2:
                    g = f["spikes/" + name]
                    sorting = g.attrs["sorting"]
                    mapping = h5py.check_enum_dtype(g.attrs.get_id("sorting").dtype)
                    check(mapping == {"none": 0, "by_id": 1, "by_time": 2}, "sorting enum %s" % mapping)
                    check(int(sorting) == 2, "sorting by_time")
                    ts, ids = g["timestamps"], g["node_ids"]
                    check(ts.dtype == np.float64 and ts.attrs["units"] == "ms", "timestamps")
                    check(ids.dtype == np.uint64, "node_ids dtype")
                    ptr = g["example_index_pointers"][()]
                    check(ptr.dtype == np.uint64 and ptr.shape[0] >= n + 1, "example_index_pointers")
                    got = list(zip(ts[ptr[e]:ptr[e + 1]], ids[ptr[e]:ptr[e + 1]]))
                    want = [(float(e * T + s), node) for s, node in spikes]
                    check(got == want, "spikes of %s example %d" % (name, e))
                    r = f["report/" + name]
                    data = r["data"]
                    check(data.dtype == np.float32 and data.ndim == 2 and data.shape[1] == width, "report data")
                    check(data.attrs["units"] == "1", "report units")
                    report_pointers = r["example_index_pointers"][()]
                    check(report_pointers.dtype == np.uint64 and
                          (report_pointers[:n + 1] == np.concatenate([[0], np.cumsum(tokens * T)])).all(),
                          "report example_index_pointers")
                    frame_rows = data[report_pointers[e]:report_pointers[e + 1]].reshape(T, seq * width)
                    want_frames = frames.astype(np.float32) / np.arange(1, T + 1, dtype=np.float32)[:, None]
                    check(np.array_equal(frame_rows, want_frames), "report frames of %s example %d" % (name, e))
                    check("mapping" not in r, "no SONATA frame mapping in a ragged report")
        if level >= 2 and args.complete == 1:
            for name, width in POPULATIONS:
                check(f["report/%s/data" % name].shape[0] == int(tokens.sum()) * T, "report rows count")
                check(f["spikes/%s/timestamps" % name].shape[0] == f["spikes/%s/example_index_pointers" % name][n],
                      "spike count")
    print("OK %d examples" % n)


if __name__ == "__main__":
    try:
        main()
    except AssertionError as error:
        print("check_trace: FAILED: %s" % error, file=sys.stderr)
        sys.exit(1)
