#!/usr/bin/env python3
"""spikingbert against the authors' PyTorch SpikingBERT on the same work (issue 11 item 7).

Run through tools/bench-vs-reference.sh. The reference code (NeuroCompLab-psu/SpikingBERT, no licence) is
never copied here: it is imported from the checkout the user names with --reference.

--what inference (the only mode so far): the 872 SST-2 dev sentences, tokenised once by `spikingbert
tokenize` so both sides see the same ids, simulated at each T of --steps by

  * the reference: `SNNIDESTUDENTBERTSpikeClassification` (implicit_bert/models/snn_ide_bert_classi_spike_2.py)
    loaded with the student checkpoint's tensors (they use the reference's names), eval forward
    `snn_func.snn_forward(ids, segments, T, input_type='constant', attention_mask=(1 - mask) * -10000,
    output_type='all_layers')` then `classification(relu(z[-1][:, 0]))`, batches of --batch-size sentences sorted
    by length and padded to the batch's longest (its best setting), one process per thread count;
  * spikingbert: `run --task sst2 --data DEV --steps T --threads N --json` (the main job), timed by its own
    simulation clock ("seconds") and as a whole process; its per-example logits come from
    `run --predictions FILE` when the binary has it, otherwise from `run --inputs ... --output` on the same
    batches (then the time still comes from `run --task`).

Prints a Markdown table for docs/benchmarks.md and ends with one JSON line. A training-step comparison
(issue 14 item 7) belongs here as another --what mode, next to `inference` in MODES.
"""
import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import types

import h5py
import numpy as np

PROGRAM = "bench-vs-reference"
REFERENCE_MODEL_FILE = "implicit_bert/models/snn_ide_bert_classi_spike_2.py"
REFERENCE_CLASS = "SNNIDESTUDENTBERTSpikeClassification"
ATTENTION_MASK_OFFSET = -10000.0  # the reference's additive mask for padded keys
SST2_MAX_LENGTH = 64  # tokens per sentence, spikingbert run's default for SST-2 (passed to both sides)


class BenchError(Exception):
    """Bad input or a failed step: reported as one line, exit 2."""


def fail(message):
    print(f"{PROGRAM}: error: {message}", file=sys.stderr)
    sys.exit(2)


def progress(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------------
# Inputs shared by both sides


def read_sst2(tsv):
    """(sentences, labels) of a GLUE SST-2 file with a header line `sentence<TAB>label`."""
    sentences, labels = [], []
    with open(tsv, encoding="utf-8") as stream:
        header = stream.readline().rstrip("\n").split("\t")
        if header[:2] != ["sentence", "label"]:
            raise BenchError(f"{tsv}:line 1: header {header} (expected sentence<TAB>label)")
        for number, line in enumerate(stream, start=2):
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 2 or fields[1] not in ("0", "1"):
                raise BenchError(f"{tsv}:line {number}: {line.strip()[:40]!r} (expected sentence<TAB>0|1)")
            sentences.append(fields[0])
            labels.append(int(fields[1]))
    return sentences, np.array(labels, dtype=np.int64)


def run_checked(command, what, env=None):
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise BenchError(f"{what} failed with exit {result.returncode}: {last}")
    return result


def tokenize(spikingbert, sentences, work):
    """Token ids of each sentence, by `spikingbert tokenize` (the ids `run --task` simulates)."""
    cases = os.path.join(work, "cases.jsonl")
    encoded = os.path.join(work, "encoded.jsonl")
    with open(cases, "w", encoding="utf-8") as stream:
        for sentence in sentences:
            stream.write(json.dumps({"text_a": sentence, "text_b": None, "max_seq_length": SST2_MAX_LENGTH}) + "\n")
    run_checked([spikingbert, "tokenize", "--input", cases, "--output", encoded], "spikingbert tokenize")
    with open(encoded, encoding="utf-8") as stream:
        ids = [json.loads(line)["input_ids"] for line in stream]
    if len(ids) != len(sentences):
        raise BenchError(f"{encoded}: {len(ids)} encoded cases (expected {len(sentences)})")
    return ids


def length_sorted_batches(ids, batch_size):
    """Batches of example indices, sorted by length (stable), so each is padded only to its longest."""
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    return [order[start:start + batch_size] for start in range(0, len(order), batch_size)]


def padded_batch(ids, members):
    """int64 [B, S] token ids and 0/1 mask of `members`, padded with id 0 to the longest."""
    width = max(len(ids[i]) for i in members)
    tokens = np.zeros((len(members), width), dtype=np.int64)
    mask = np.zeros((len(members), width), dtype=np.int64)
    for row, i in enumerate(members):
        tokens[row, :len(ids[i])] = ids[i]
        mask[row, :len(ids[i])] = 1
    return tokens, mask


# ---------------------------------------------------------------------------------------------------
# The student checkpoint (docs/formats.md, "Native checkpoint" and "Compact checkpoints")


def read_student(path):
    """(config dict, {name: float32 array}) with pruned tables rebuilt to their full rows."""
    try:
        with h5py.File(path, "r") as f:
            if f.attrs.get("format") != "spikingbert-checkpoint":
                raise BenchError(f"{path}:attribute 'format': {f.attrs.get('format')!r} (expected spikingbert-checkpoint)")
            config = json.loads(f.attrs["config"])
            tensors = {name: np.asarray(f["tensors"][name], dtype=np.float32) for name in f["tensors"]}
            for name in f["row_ids"] if "row_ids" in f else []:
                rows = np.asarray(f["row_ids"][name], dtype=np.int64)
                full_rows = int(f["row_ids"][name].attrs["full_rows"])
                fill_row = int(f["row_ids"][name].attrs["fill_row"])
                stored = tensors[name]
                fill_position = int(np.searchsorted(rows, fill_row))
                full = np.repeat(stored[fill_position:fill_position + 1], full_rows, axis=0)
                full[rows] = stored
                tensors[name] = full
    except OSError as error:
        raise BenchError(f"{path}: cannot read ({error}) (expected a spikingbert checkpoint)")
    return config, tensors


# ---------------------------------------------------------------------------------------------------
# The reference side (runs in a worker process per thread count, so every count starts clean)


def import_reference(reference):
    sys.path.insert(0, os.path.abspath(reference))
    # Imported by the reference's modules but never called on this path: stand-ins when not installed.
    for missing, attributes in (("pydevd", {}), ("termcolor", {"colored": lambda text, *a, **k: text})):
        try:
            __import__(missing)
        except ImportError:
            module = types.ModuleType(missing)
            module.__dict__.update(attributes)
            sys.modules[missing] = module
    from implicit_bert.models.snn_ide_bert_classi_spike_2 import SNNIDESTUDENTBERTSpikeClassification
    return SNNIDESTUDENTBERTSpikeClassification


def canonical_name(key):
    """The checkpoint name of a reference state-dict key (the reference reaches each tensor by aliases)."""
    key = key.removeprefix("snn_ide_conv.")
    match = re.fullmatch(r"snn_func(?:_copy)?\.network_s_list\.(\d+)\.(.*)", key)
    if match:
        return f"network_s{int(match[1]) + 1}.{match[2]}"
    match = re.fullmatch(r"snn_func(?:_copy)?\.(network_x\..*)", key)
    return match[1] if match else key


def build_reference_model(reference, student, work):
    import torch
    config, tensors = read_student(student)
    if config["num_hidden_layers"] != 2:
        raise BenchError(f"{student}:attribute 'config': num_hidden_layers {config['num_hidden_layers']} "
                         f"(expected 2, the layer count of the reference's {REFERENCE_CLASS})")
    config_dir = os.path.join(work, "reference-config")
    os.makedirs(config_dir, exist_ok=True)
    bert_config = {key: config[key] for key in ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
                                                "intermediate_size", "max_position_embeddings", "type_vocab_size")}
    bert_config.update(hidden_act="gelu", hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
                       initializer_range=0.02)
    with open(os.path.join(config_dir, "config.json"), "w", encoding="utf-8") as stream:
        json.dump(bert_config, stream)
    model_class = import_reference(reference)
    model = model_class(config_dir, config["num_labels"], t_conv=config["t_conv"], vth=config["vth"])
    state = {}
    for key in model.state_dict():
        name = canonical_name(key)
        if name not in tensors:
            raise BenchError(f"{student}:tensor '{name}': missing (the reference's '{key}' needs it)")
        state[key] = torch.from_numpy(tensors[name])
    unused = set(tensors) - {canonical_name(key) for key in state}
    if unused:
        raise BenchError(f"{student}: tensors {sorted(unused)} have no place in the reference model")
    model.load_state_dict(state, strict=True)
    model.eval()
    return model, config


def reference_worker(args):
    """Times the reference on every batch at args.steps with args.threads; writes logits to args.logits."""
    import torch
    torch.set_num_threads(args.threads)
    with open(args.encoded, encoding="utf-8") as stream:
        ids = json.load(stream)
    model, _ = build_reference_model(args.reference, args.model, args.work)
    batches = []
    for members in length_sorted_batches(ids, args.batch_size):
        tokens, mask = padded_batch(ids, members)
        extended = (1.0 - torch.from_numpy(mask).float()[:, None, None, :]) * ATTENTION_MASK_OFFSET
        batches.append((members, torch.from_numpy(tokens), torch.zeros_like(torch.from_numpy(tokens)), extended))
    logits = np.zeros((len(ids), model.num_classes), dtype=np.float32)
    start = time.perf_counter()
    with torch.no_grad():
        for members, tokens, segments, extended in batches:
            rates, _, _ = model.snn_func.snn_forward(tokens, segments, args.steps, input_type="constant",
                                                     attention_mask=extended, output_type="all_layers")
            logits[members] = model.classification(torch.relu(rates[-1][:, 0])).numpy()
    seconds = time.perf_counter() - start
    np.save(args.logits, logits)
    print(json.dumps({"seconds": seconds, "threads": torch.get_num_threads(), "torch": torch.__version__}))


def reference_wait_policy():
    """OpenMP wait policy of the reference's runs: the user's OMP_WAIT_POLICY, else PASSIVE. Spinning
    threads collapse on a shared machine (64 sentences, T = 4, load average 10: 16.7 s spinning, 3.5 s
    passive with 2 threads), and the reference's ops are too small for spinning to pay on a quiet one."""
    return os.environ.get("OMP_WAIT_POLICY", "PASSIVE")


def run_reference(options, encoded_json, steps, threads, work):
    logits_file = os.path.join(work, f"reference-T{steps}-threads{threads}.npy")
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    env.setdefault("OMP_WAIT_POLICY", reference_wait_policy())
    command = [sys.executable, os.path.abspath(__file__), "reference-worker", "--reference", options.reference,
               "--model", options.model, "--encoded", encoded_json, "--steps", str(steps), "--threads", str(threads),
               "--batch-size", str(options.batch_size), "--logits", logits_file, "--work", work]
    result = run_checked(command, f"reference at T = {steps} with {threads} thread(s)", env)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    return report, np.load(logits_file)


# ---------------------------------------------------------------------------------------------------
# The spikingbert side


def supports_predictions(spikingbert):
    return "--predictions" in run_checked([spikingbert, "run", "--help"], "spikingbert run --help").stdout


def read_predictions(path, count):
    """Logits [count, K] and labels from `run --predictions` CSV (index,label,prediction,...,logit_k)."""
    with open(path, newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    logit_columns = sorted((c for c in rows[0] if c.startswith("logit_")), key=lambda c: int(c[6:])) if rows else []
    if len(rows) != count or not logit_columns:
        raise BenchError(f"{path}: {len(rows)} rows with logit columns {logit_columns} (expected {count} rows, logit_0...)")
    logits = np.zeros((count, len(logit_columns)), dtype=np.float32)
    labels = np.zeros(count, dtype=np.int64)
    for row in rows:
        index = int(row["index"])
        if not 0 <= index < count:
            raise BenchError(f"{path}: index {index} (expected 0-based indices below {count})")
        logits[index] = [float(row[c]) for c in logit_columns]
        labels[index] = int(row["label"])
    return logits, labels


def run_spikingbert_task(options, steps, threads, work, predictions):
    """`run --task sst2` (the main job): its simulation seconds, whole-process seconds, and logits if given."""
    command = [options.spikingbert, "run", "--model", options.model, "--task", "sst2", "--data", options.data,
               "--steps", str(steps), "--threads", str(threads), "--max-length", str(SST2_MAX_LENGTH), "--json"]
    if options.limit:
        command += ["--limit", str(options.limit)]
    predictions_file = os.path.join(work, f"spikingbert-T{steps}-threads{threads}.csv")
    if predictions:
        command += ["--predictions", predictions_file]
    start = time.perf_counter()
    result = run_checked(command, f"spikingbert run --task at T = {steps} with {threads} thread(s)")
    process_seconds = time.perf_counter() - start
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    report = {"seconds": summary["seconds"], "process_seconds": process_seconds, "accuracy": summary["metrics"]["accuracy"],
              "synaptic_events": summary.get("synaptic_events_total"), "command": " ".join(command)}
    logits = read_predictions(predictions_file, summary["examples"]) if predictions else None
    return report, logits


def spikingbert_logits_by_batches(options, ids, steps, threads, work):
    """Per-example logits through `run --inputs ... --output` on the reference's batches (docs/formats.md)."""
    logits = None
    for number, members in enumerate(length_sorted_batches(ids, options.batch_size)):
        tokens, mask = padded_batch(ids, members)
        inputs = os.path.join(work, "batch-inputs.h5")
        output = os.path.join(work, "batch-output.h5")
        with h5py.File(inputs, "w") as f:
            f["inputs/input_ids"] = tokens.astype(np.int32)
            f["inputs/segment_ids"] = np.zeros_like(tokens, dtype=np.int32)
            f["inputs/attention_mask"] = mask.astype(np.int32)
        run_checked([options.spikingbert, "run", "--model", options.model, "--inputs", inputs, "--output", output,
                     "--steps", str(steps), "--threads", str(threads)],
                    f"spikingbert run --inputs (batch {number}) at T = {steps}")
        with h5py.File(output, "r") as f:
            batch_logits = np.asarray(f["forward/logits"], dtype=np.float32)
        if logits is None:
            logits = np.zeros((len(ids), batch_logits.shape[1]), dtype=np.float32)
        logits[members] = batch_logits
    return logits


# ---------------------------------------------------------------------------------------------------
# --what inference


def bench_inference(options, work):
    sentences, labels = read_sst2(options.data)
    if options.limit:
        sentences, labels = sentences[:options.limit], labels[:options.limit]
    ids = tokenize(options.spikingbert, sentences, work)
    encoded_json = os.path.join(work, "ids.json")
    with open(encoded_json, "w", encoding="utf-8") as stream:
        json.dump(ids, stream)
    predictions = supports_predictions(options.spikingbert)
    progress(f"{len(ids)} sentences; spikingbert per-example logits from "
             f"{'run --predictions' if predictions else 'run --inputs --output (no --predictions in this binary)'}")

    rows = []
    for steps in options.steps:
        reference = {}
        reference_logits = {}
        for threads in options.reference_threads:
            progress(f"T = {steps}: reference, {threads} thread(s)")
            reference[threads], reference_logits[threads] = run_reference(options, encoded_json, steps, threads, work)
        ours = {}
        ours_logits = {}
        for threads in options.spikingbert_threads:
            progress(f"T = {steps}: spikingbert run --task, {threads} thread(s)")
            ours[threads], ours_logits[threads] = run_spikingbert_task(options, steps, threads, work, predictions)
            if ours_logits[threads] is not None:
                ours_logits[threads], task_labels = ours_logits[threads]
                if not np.array_equal(task_labels, labels):
                    raise BenchError(f"{options.data}: spikingbert's labels differ from the file's")
        if not predictions:
            threads = options.spikingbert_threads[0]
            progress(f"T = {steps}: spikingbert run --inputs on the reference's batches, {threads} thread(s)")
            ours_logits = {threads: spikingbert_logits_by_batches(options, ids, steps, threads, work)}

        best_threads = min(reference, key=lambda n: reference[n]["seconds"])
        ref = reference_logits[best_threads]
        mine = ours_logits[options.spikingbert_threads[0]]
        ref_prediction, my_prediction = ref.argmax(axis=1), mine.argmax(axis=1)
        two, one = (ours.get(2), ours.get(1))
        row = {
            "steps": steps,
            "examples": len(ids),
            "reference_accuracy": float((ref_prediction == labels).mean()),
            "spikingbert_accuracy": float((my_prediction == labels).mean()),
            "spikingbert_accuracy_run": ours[options.spikingbert_threads[0]]["accuracy"],
            "agreement": float((ref_prediction == my_prediction).mean()),
            "disagreements": int((ref_prediction != my_prediction).sum()),
            "max_abs_logit_difference": float(np.abs(ref - mine).max()),
            "reference_seconds": {str(n): reference[n]["seconds"] for n in reference},
            "reference_best_threads": best_threads,
            "reference_same_logits_all_threads": all(np.array_equal(reference_logits[n], ref) for n in reference_logits),
            "spikingbert_seconds": {str(n): ours[n]["seconds"] for n in ours},
            "spikingbert_process_seconds": {str(n): ours[n]["process_seconds"] for n in ours},
            "spikingbert_same_logits_all_threads": (all(np.array_equal(ours_logits[n], mine) for n in ours_logits)
                                                    if predictions else None),
            "spikingbert_synaptic_events": ours[options.spikingbert_threads[0]]["synaptic_events"],
            "logits_from": "run --predictions" if predictions else "run --inputs --output",
        }
        if two and one:
            row["reference_best_over_spikingbert_2_threads"] = reference[best_threads]["seconds"] / two["seconds"]
            row["spikingbert_1_over_2_threads"] = one["seconds"] / two["seconds"]
        rows.append(row)
    return rows


def print_inference_table(rows, options):
    threads = options.reference_threads
    print("| T | sentences | reference accuracy | spikingbert accuracy | same prediction | max abs logit difference | "
          + " | ".join(f"reference {n} thread{'s' if n > 1 else ''} s" for n in threads)
          + " | spikingbert 2 threads s (process) | spikingbert 1 thread s (process) | reference best / spikingbert 2 threads"
          " | spikingbert 2 threads / 1 thread speed-up |")
    print("|---" * (10 + len(threads)) + "|")
    for row in rows:
        def ours(n):
            key = str(n)
            if key not in row["spikingbert_seconds"]:
                return "—"
            return f"{row['spikingbert_seconds'][key]:.2f} ({row['spikingbert_process_seconds'][key]:.2f})"
        ratio = row.get("reference_best_over_spikingbert_2_threads")
        speedup = row.get("spikingbert_1_over_2_threads")
        print(f"| {row['steps']} | {row['examples']} | {row['reference_accuracy']:.4f} | {row['spikingbert_accuracy']:.4f} | "
              f"{row['agreement']:.4f} ({row['disagreements']} differ) | {row['max_abs_logit_difference']:.2e} | "
              + " | ".join(f"{row['reference_seconds'][str(n)]:.2f}" for n in threads)
              + f" | {ours(2)} | {ours(1)} | {'—' if ratio is None else f'{ratio:.2f}x'} | "
              f"{'—' if speedup is None else f'{speedup:.2f}x'} |")
    print()
    for row in rows:
        same = {True: "identical", False: "NOT identical", None: "not compared (logits from one run --inputs pass)"}
        print(f"T = {row['steps']}: spikingbert logits from `{row['logits_from']}`; reference best at "
              f"{row['reference_best_threads']} thread(s); reference logits across its thread counts "
              f"{same[row['reference_same_logits_all_threads']]}; spikingbert's across its thread counts "
              f"{same[row['spikingbert_same_logits_all_threads']]}; spikingbert accuracy printed by run --task "
              f"{row['spikingbert_accuracy_run']:.4f}")


MODES = {"inference": (bench_inference, print_inference_table)}  # issue 14 item 7 adds "train-step"


# ---------------------------------------------------------------------------------------------------


def thread_list(text):
    values = [int(v) for v in text.split(",") if v]
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} (expected positive integers separated by commas)")
    return values


def check_options(options):
    """Every path checked before any work, each fault one line (bench-vs-reference: error: ...), exit 2."""
    if not options.reference:
        raise BenchError("command line:--reference: missing (expected the path of a NeuroCompLab-psu/SpikingBERT checkout)")
    if not os.path.isfile(os.path.join(options.reference, REFERENCE_MODEL_FILE)):
        raise BenchError(f"{options.reference}: no {REFERENCE_MODEL_FILE} "
                         "(expected the path of a NeuroCompLab-psu/SpikingBERT checkout)")
    if not (os.path.isfile(options.spikingbert) and os.access(options.spikingbert, os.X_OK)):
        raise BenchError(f"{options.spikingbert}: not an executable file (expected the spikingbert program; "
                         "run tools/build.sh or pass --spikingbert)")
    for name in ("model", "data"):
        if not os.path.isfile(getattr(options, name)):
            raise BenchError(f"{getattr(options, name)}: no such file (expected the --{name} file)")
    if 2 not in options.spikingbert_threads:
        raise BenchError("command line:--spikingbert-threads: has no 2 (expected the 2-thread run the ratio is taken on)")


def parse(argv, root):
    parser = argparse.ArgumentParser(prog="bench-vs-reference.sh", description=__doc__.split("\n\n")[0])
    parser.add_argument("--reference", help="checkout of NeuroCompLab-psu/SpikingBERT")
    parser.add_argument("--spikingbert", default=os.path.join(root, "build", "spikingbert"),
                        help="spikingbert program (default: build/spikingbert of this checkout)")
    parser.add_argument("--what", default="inference", choices=sorted(MODES))
    parser.add_argument("--model", default=os.path.join(root, "models", "pretrained", "sst2", "student.h5"))
    parser.add_argument("--data", default=os.path.join(root, "data", "glue", "SST-2", "dev.tsv"))
    parser.add_argument("--steps", type=thread_list, default=[16, 100], help="time steps T, comma-separated")
    parser.add_argument("--reference-threads", type=thread_list, default=[1, 2])
    parser.add_argument("--spikingbert-threads", type=thread_list, default=[2, 1],
                        help="first entry gives the logits compared")
    parser.add_argument("--batch-size", type=int, default=32, help="reference batch (sentences, sorted by length)")
    parser.add_argument("--limit", type=int, default=0, help="only the first N sentences (0 = all)")
    parser.add_argument("--keep", help="keep the intermediate files in this folder")
    return parser.parse_args(argv)


def parse_worker(argv):
    parser = argparse.ArgumentParser(prog="reference_bench.py reference-worker")
    for name in ("--reference", "--model", "--encoded", "--logits", "--work"):
        parser.add_argument(name, required=True)
    for name in ("--steps", "--threads", "--batch-size"):
        parser.add_argument(name, type=int, required=True)
    return parser.parse_args(argv)


def main(argv):
    try:
        if argv[:1] == ["reference-worker"]:
            reference_worker(parse_worker(argv[1:]))
            return 0
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        options = parse(argv, root)
        check_options(options)
        try:
            import torch
        except ImportError:
            raise BenchError(f"{sys.executable}: cannot import torch (expected PyTorch, e.g. Debian's python3-torch)")
        work = options.keep or tempfile.mkdtemp(prefix="bench-vs-reference-")
        os.makedirs(work, exist_ok=True)
        try:
            commit = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"], capture_output=True,
                                    text=True).stdout.strip() or "unknown"
            reference_commit = subprocess.run(["git", "-C", options.reference, "rev-parse", "--short", "HEAD"],
                                              capture_output=True, text=True).stdout.strip() or "unknown (not a git checkout)"
            print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; commit {commit}; reference {reference_commit}; "
                  f"torch {torch.__version__}; {os.cpu_count()} cores; load average before "
                  f"{' '.join(open('/proc/loadavg').read().split()[:3])}; "
                  f"reference OMP_WAIT_POLICY={reference_wait_policy()}; "
                  f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '')} OPENBLAS_L2_SIZE={os.environ.get('OPENBLAS_L2_SIZE', '')}")
            print()
            measure, table = MODES[options.what]
            rows = measure(options, work)
            table(rows, options)
            print()
            print(f"load average after {' '.join(open('/proc/loadavg').read().split()[:3])}")
            print(json.dumps({"benchmark": "bench-vs-reference", "what": options.what, "commit": commit,
                              "reference_commit": reference_commit, "torch": torch.__version__,
                              "reference_omp_wait_policy": reference_wait_policy(), "rows": rows}))
        finally:
            if not options.keep:
                shutil.rmtree(work, ignore_errors=True)
    except BenchError as error:
        fail(str(error))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
