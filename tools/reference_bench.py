#!/usr/bin/env python3
"""spikingbert against the authors' PyTorch SpikingBERT on the same work (issue 11 item 7).

Run through tools/bench-vs-reference.sh. The reference code (NeuroCompLab-psu/SpikingBERT, no licence) is
never copied here: it is imported from the checkout the user names with --reference.

--what inference: the 872 SST-2 dev sentences, tokenised once by `spikingbert tokenize` so both sides see the same ids,
simulated at each T of --steps by

  * the reference: `SNNIDESTUDENTBERTSpikeClassification` (implicit_bert/models/snn_ide_bert_classi_spike_2.py)
    loaded with the student checkpoint's tensors (they use the reference's names), eval forward
    `snn_func.snn_forward(ids, segments, T, input_type='constant', attention_mask=(1 - mask) * -10000,
    output_type='all_layers')` then `classification(relu(z[-1][:, 0]))`, batches of --batch-size sentences sorted
    by length and padded to the batch's longest (its best setting), one process per thread count;
  * spikingbert: `run --task sst2 --data DEV --steps T --threads N --json` (the main job), timed by its own
    simulation clock ("seconds") and as a whole process; its per-example logits come from
    `run --predictions FILE` when the binary has it, otherwise from `run --inputs ... --output` on the same
    batches (then the time still comes from `run --task`).

--what train-step (issue 14 item 7): one training step of SpikingBERT-4 (768/3072/12 heads/4 layers; a random
student written by `spikingbert bench --size base4 --asr 0.15 --write-model`, or --model), batch 8 x 32 random
tokens, T = 16, each side timed in-process (model loading excluded), --repeat times, the fastest kept:

  * the reference: `SNNIDESTUDENTBERT4SpikeClassification` in train mode, forward(time_step=T), cross-entropy,
    backward(), with 1 and 2 threads (one process each);
  * spikingbert: `grad --gradient analog-twin --repeat R --threads N` (the step as distill takes it: the kernel's
    network from the parameters, the event-kernel simulation, loss and gradient, a BertAdam update), N = 2, 1;
    then its peak resident memory at each T of --memory-steps;

then the ratio of the two bests, and the gradient comparison of --what grad-agreement: the first
--agreement-examples examples one by one on both sides (each side's own simulation, and the reference fed
spikingbert's simulated rates), and as one batch against the mean of their per-example gradients.

Each mode prints a Markdown table for docs/benchmarks.md and ends with one JSON line.
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
# The reference's student classes by encoder layer count: (file in the checkout, class).
REFERENCE_CLASSES = {2: ("implicit_bert/models/snn_ide_bert_classi_spike_2.py", "SNNIDESTUDENTBERTSpikeClassification"),
                     4: ("implicit_bert/models/snn_ide_bert_classi_4_spike.py", "SNNIDESTUDENTBERT4SpikeClassification")}
REFERENCE_MODEL_FILE = REFERENCE_CLASSES[2][0]
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


def import_reference(reference, layers):
    """The reference's student class for `layers` encoder layers (REFERENCE_CLASSES)."""
    if layers not in REFERENCE_CLASSES:
        raise BenchError(f"the reference has student classes for {sorted(REFERENCE_CLASSES)} encoder layers, "
                         f"not {layers}")
    sys.path.insert(0, os.path.abspath(reference))
    # Imported by the reference's modules but never called on this path: stand-ins when not installed.
    for missing, attributes in (("pydevd", {}), ("termcolor", {"colored": lambda text, *a, **k: text})):
        try:
            __import__(missing)
        except ImportError:
            module = types.ModuleType(missing)
            module.__dict__.update(attributes)
            sys.modules[missing] = module
    module_file, class_name = REFERENCE_CLASSES[layers]
    module = __import__(module_file[:-3].replace("/", "."), fromlist=[class_name])
    return getattr(module, class_name)


def canonical_name(key):
    """The checkpoint name of a reference state-dict key (the reference reaches each tensor by aliases)."""
    key = key.removeprefix("snn_ide_conv.")
    match = re.fullmatch(r"snn_func(?:_copy)?\.network_s_list\.(\d+)\.(.*)", key)
    if match:
        return f"network_s{int(match[1]) + 1}.{match[2]}"
    match = re.fullmatch(r"snn_func(?:_copy)?\.(network_x\..*)", key)
    return match[1] if match else key


def unused_by_cross_entropy(name, layers):
    """Tensors the reference builds but a cross-entropy step never reads: W_td (fit_dense), the pooler and the
    feedback projection network_s{6L+1} (commented out in the reference). A random model written by
    `spikingbert bench --write-model` has none of them; they are zeros in the reference then."""
    return name.startswith(("fit_dense.", "pooler_layer.")) or name == f"network_s{6 * layers + 1}.fc.weight"


def build_reference_model(reference, student, work, fill_unused=False):
    """The reference's student class for the checkpoint's layer count, loaded with the checkpoint's tensors."""
    import torch
    config, tensors = read_student(student)
    layers = config["num_hidden_layers"]
    config_dir = os.path.join(work, "reference-config")
    os.makedirs(config_dir, exist_ok=True)
    bert_config = {key: config[key] for key in ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
                                                "intermediate_size", "max_position_embeddings", "type_vocab_size")}
    bert_config.update(hidden_act="gelu", hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
                       initializer_range=0.02)
    with open(os.path.join(config_dir, "config.json"), "w", encoding="utf-8") as stream:
        json.dump(bert_config, stream)
    model_class = import_reference(reference, layers)
    model = model_class(config_dir, config["num_labels"], t_conv=config["t_conv"], vth=config["vth"])
    state = {}
    for key, value in model.state_dict().items():
        name = canonical_name(key)
        if name in tensors:
            state[key] = torch.from_numpy(tensors[name])
        elif fill_unused and unused_by_cross_entropy(name, layers):
            state[key] = torch.zeros_like(value)
        else:
            raise BenchError(f"{student}:tensor '{name}': missing (the reference's '{key}' needs it)")
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


# ---------------------------------------------------------------------------------------------------
# --what train-step and --what grad-agreement (issue 14 item 7)

PAPER_SHAPE = "base4"          # `spikingbert bench --size`: hidden 768, intermediate 3072, 12 heads, 4 layers
RANDOM_MODEL_ASR = 0.15        # target mean ASR of the random student (the paper's trained models fire ~0.15)
RANDOM_MODEL_SEED = 1
TRAIN_STEP_BATCH = 8           # sentences of the step's batch
TRAIN_STEP_SEQUENCE = 32       # tokens per sentence (no padding)
TOKEN_ID_RANGE = (1000, 30000)  # random token ids, ordinary WordPiece rows of the bert-base vocabulary
STEP_LINE = re.compile(r"training step \(fastest of (\d+)\): ([0-9.]+) s = network ([0-9.]+) \+ simulation ([0-9.]+) "
                       r"\+ loss and gradient ([0-9.]+) \+ update ([0-9.]+); (\d+) threads; peak RSS (\d+) MB")


def write_step_inputs(path, tokens, labels):
    with h5py.File(path, "w") as f:
        f["inputs/input_ids"] = tokens.astype(np.int32)
        f["inputs/segment_ids"] = np.zeros_like(tokens, dtype=np.int32)
        f["inputs/attention_mask"] = np.ones_like(tokens, dtype=np.int32)
        f["inputs/labels"] = labels.astype(np.int32)


def step_inputs(options, work):
    """The step's batch (random ids, labels alternating 0/1) as `grad` inputs, and the first
    --agreement-examples examples as a batch of their own and one by one (for the gradient comparison)."""
    generator = np.random.default_rng(0)
    tokens = generator.integers(*TOKEN_ID_RANGE, size=(options.batch_size, TRAIN_STEP_SEQUENCE)).astype(np.int64)
    labels = (np.arange(options.batch_size) % 2).astype(np.int64)
    batch_file = os.path.join(work, "step-batch.h5")
    write_step_inputs(batch_file, tokens, labels)
    count = options.agreement_examples
    few_file = os.path.join(work, "step-first-examples.h5")
    write_step_inputs(few_file, tokens[:count], labels[:count])
    example_files = []
    for i in range(count):
        example_files.append(os.path.join(work, f"step-example-{i}.h5"))
        write_step_inputs(example_files[-1], tokens[i:i + 1], labels[i:i + 1])
    np.savez(os.path.join(work, "step-batch.npz"), tokens=tokens, labels=labels)
    return batch_file, few_file, example_files


def paper_shape_student(options, work):
    """--model, or a random paper-shape student whose sub-layers fire at about RANDOM_MODEL_ASR."""
    if options.model:
        return options.model
    path = os.path.join(work, "student-base4.h5")
    progress(f"writing a random {PAPER_SHAPE} student (target ASR {RANDOM_MODEL_ASR}) to {path}")
    run_checked([options.spikingbert, "bench", "--size", PAPER_SHAPE, "--asr", str(RANDOM_MODEL_ASR), "--seed",
                 str(RANDOM_MODEL_SEED), "--threads", "2", "--write-model", path], "spikingbert bench --write-model")
    return path


def run_spikingbert_step(options, model, inputs, output, steps, threads, repeat):
    """`grad --gradient analog-twin --repeat R`: the fastest in-process training step and its parts."""
    command = [options.spikingbert, "grad", "--model", model, "--inputs", inputs, "--output", output, "--gradient",
               "analog-twin", "--steps", str(steps), "--threads", str(threads)]
    if repeat:
        command += ["--repeat", str(repeat)]
    result = run_checked(command, f"spikingbert grad ({threads} thread(s), T = {steps})")
    if not repeat:
        return None
    match = STEP_LINE.search(result.stdout)
    if not match:
        raise BenchError(f"spikingbert grad --repeat printed no training-step line: {result.stdout.strip()[-200:]!r}")
    keys = ("repeat", "seconds", "network", "simulation", "gradient", "update", "threads", "peak_rss_mb")
    report = dict(zip(keys, (float(v) for v in match.groups())))
    report["command"] = " ".join(command)
    return report


def read_gradients(path):
    """{parameter name: float32 gradient} of a `grad` output, tensors without gradient left out."""
    with h5py.File(path, "r") as f:
        return {name: np.asarray(f["grad"][name], dtype=np.float32) for name in f["grad"]
                if not int(f["grad"][name].attrs.get("grad_is_none", 0))}


def relative_differences(mine, theirs):
    """Per tensor ||mine - theirs|| / ||theirs|| over the tensors where theirs is not zero: (max, its tensor)."""
    worst, worst_name = 0.0, None
    for name, reference in theirs.items():
        norm = float(np.linalg.norm(reference.astype(np.float64)))
        if norm == 0.0:
            continue
        if name not in mine:
            raise BenchError(f"no gradient of '{name}' on one side (the other has one)")
        difference = float(np.linalg.norm(mine[name].astype(np.float64) - reference.astype(np.float64))) / norm
        if difference > worst:
            worst, worst_name = difference, name
    return worst, worst_name


def closest_clamp_kink(snn_func, tokens, vth):
    """The analog twin's pre-activation closest to a kink of its clamp sigma(v) = clamp(v / V_th, 0, 1) (method
    doc §4), over every sub-layer, neuron and token: (distance |v/V_th| or |v/V_th - 1|, canonical sub-layer name).
    The reference's training backward differentiates this chain (its per-layer equivalent functions recompute it
    from the embedding), so a pre-activation within float32 rounding of 0 or 1 can fall on the other side of the
    kink in our differently ordered sums, and sigma' (1/V_th or 0) then differs for that neuron: a gradient
    near-tie, as a spike near-tie is for the simulation."""
    import torch
    segments = torch.zeros_like(tokens)
    no_mask = torch.zeros(1, 1, 1, tokens.shape[1])
    with torch.no_grad():
        rates = [torch.clamp(snn_func.network_x(tokens, segments) / vth, 0, 1)]
        closest = (float("inf"), None)
        for i, layer in enumerate(snn_func.network_s_list[:-1]):  # the last entry is the (unused) feedback
            kind = i % 6  # key, value, attention, self-output, intermediate, output (the reference's order)
            if kind == 0:
                v = layer(rates[i])
            elif kind == 1:
                v = layer(rates[i - 1])
            elif kind == 2:
                v, _ = layer(rates[i - 2], rates[i - 1], rates[i], no_mask)
            elif kind == 3:
                v = layer(rates[i], rates[i - 3])
            elif kind == 5:
                v = layer(rates[i], rates[i - 1])
            else:
                v = layer(rates[i])
            v = v / vth
            # Exactly 0 or 1 is the same on both sides (an attention neuron whose value column is silent gets
            # exactly 0 from any summation order): only a nonzero distance can be a rounding knife-edge.
            below, above = v.abs(), (v - 1).abs()
            off_kink = torch.cat([below[below > 0], above[above > 0]])
            distance = float(off_kink.min()) if off_kink.numel() else float("inf")
            if distance < closest[0]:
                closest = (distance, f"network_s{i + 1}")
            rates.append(torch.clamp(v, 0, 1))
    return closest


def reference_train_worker(args):
    """Times the reference's training step (train-mode forward at T, cross-entropy, backward()) on the batch,
    `repeat` times with `threads` threads, and, with --examples, compares its per-example gradients with
    spikingbert's (files --ours-example-N.h5) and its batched gradient with the mean of its per-example ones."""
    import contextlib
    import io
    import torch
    torch.set_num_threads(args.threads)
    model, config = build_reference_model(args.reference, args.model, args.work, fill_unused=True)
    model.train()
    data = np.load(args.batch_npz)
    tokens, labels = torch.from_numpy(data["tokens"]), torch.from_numpy(data["labels"])
    parameters = [(canonical_name(key), p) for key, p in model.named_parameters() if p.requires_grad]

    def step(rows):
        model.zero_grad(set_to_none=True)
        with contextlib.redirect_stdout(io.StringIO()):  # the reference prints NSTEP per implicit solve
            logits, _, _ = model(tokens[rows], torch.zeros_like(tokens[rows]), torch.ones_like(tokens[rows]),
                                 time_step=args.steps)
            loss = torch.nn.functional.cross_entropy(logits, labels[rows])
            loss.backward()
        return float(loss)

    def gradients():
        return {name: p.grad.numpy().copy() for name, p in parameters if p.grad is not None}

    everything = slice(0, len(labels))
    times, loss = [], None
    for _ in range(args.repeat):
        start = time.perf_counter()
        loss = step(everything)
        times.append(time.perf_counter() - start)
    report = {"seconds": min(times) if times else None, "all_seconds": times, "threads": torch.get_num_threads(), "loss": loss,
              "torch": torch.__version__}
    if args.examples:
        # The first `examples` examples as one batch, then one by one: the batched gradient against the mean of
        # the per-example ones, and each per-example gradient against spikingbert's (--ours/example-N.h5), twice:
        # end to end (each side's own simulation), and with the reference's simulation replaced by spikingbert's
        # rates (--ours/rates-N.h5, `run --inputs`), which compares the gradient computations alone. The two
        # simulations are the same equations, but sums in another order round differently, a current at the
        # threshold then spikes on one side only, and the difference spreads through the layers (reported).
        step(slice(0, args.examples))
        batched = gradients()
        mean = {name: np.zeros_like(g, dtype=np.float64) for name, g in batched.items()}
        agreement = []
        simulate = model.snn_func.snn_forward
        for i in range(args.examples):
            rows = slice(i, i + 1)
            step(rows)
            mine = gradients()
            for name, g in mine.items():
                mean[name] += g / args.examples
            ours = read_gradients(os.path.join(args.ours, f"example-{i}.h5"))
            end_to_end, end_to_end_name = relative_differences(ours, mine)
            with h5py.File(os.path.join(args.ours, f"rates-{i}.h5"), "r") as f:
                our_rates = [torch.from_numpy(np.asarray(f["forward/asr"][name], dtype=np.float32))
                             for name in sorted(f["forward/asr"],
                                                key=lambda n: int(f["forward/asr"][n].attrs["sublayer_index"]))]
            with torch.no_grad():
                reference_rates, _, _ = simulate(tokens[rows], torch.zeros_like(tokens[rows]), args.steps,
                                                 input_type="constant", output_type="all_layers",
                                                 attention_mask=torch.zeros(1, 1, 1, tokens.shape[1]))
            differing = sum(int((a != b).sum()) for a, b in zip(our_rates, reference_rates))
            neurons = sum(a.numel() for a in our_rates)
            last_token0 = float((our_rates[-1][:, 0] - reference_rates[-1][:, 0]).abs().max())
            model.snn_func.snn_forward = lambda *a, **k: (our_rates, [None] * len(our_rates), None)
            try:
                step(rows)
            finally:
                del model.snn_func.snn_forward  # the class's method again
            same_rates, same_rates_name = relative_differences(ours, gradients())
            kink_distance, kink_sublayer = closest_clamp_kink(model.snn_func, tokens[rows], float(config["vth"]))
            agreement.append({"example": i, "end_to_end": end_to_end, "end_to_end_tensor": end_to_end_name,
                              "closest_clamp_kink": kink_distance, "closest_clamp_kink_sublayer": kink_sublayer,
                              "same_rates": same_rates, "same_rates_tensor": same_rates_name,
                              "neurons_with_other_rates": differing, "neurons": neurons,
                              "max_last_layer_token0_rate_difference": last_token0})
        report["agreement"] = agreement
        report["batched_vs_mean_of_examples"] = relative_differences(batched, mean)
    print(json.dumps(report))


def run_reference_step(options, model, batch_npz, steps, threads, work, examples=0, ours=None):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    env.setdefault("OMP_WAIT_POLICY", reference_wait_policy())
    command = [sys.executable, os.path.abspath(__file__), "reference-train-worker", "--reference", options.reference,
               "--model", model, "--batch-npz", batch_npz, "--steps", str(steps), "--threads", str(threads),
               "--repeat", str(options.repeat), "--examples", str(examples), "--ours", ours or work, "--work", work]
    result = run_checked(command, f"reference training step at T = {steps} with {threads} thread(s)", env)
    return json.loads(result.stdout.strip().splitlines()[-1])


def our_example_gradients(options, model, few_file, example_files, steps, work):
    """spikingbert's gradients of the first examples as one batch (work/ours/first-examples.h5) and one by one
    (work/ours/example-N.h5; `grad` on a batch of one); how far the batched one is from their mean."""
    folder = os.path.join(work, "ours")
    os.makedirs(folder, exist_ok=True)
    progress(f"spikingbert gradients of the first {len(example_files)} examples, as a batch and one by one")
    batched_file = os.path.join(folder, "first-examples.h5")
    run_spikingbert_step(options, model, few_file, batched_file, steps, 2, 0)
    mean = None
    for i, inputs in enumerate(example_files):
        output = os.path.join(folder, f"example-{i}.h5")
        run_spikingbert_step(options, model, inputs, output, steps, 2, 0)
        run_checked([options.spikingbert, "run", "--model", model, "--inputs", inputs, "--output",
                     os.path.join(folder, f"rates-{i}.h5"), "--steps", str(steps), "--threads", "2"],
                    f"spikingbert run --inputs (example {i})")
        gradients = read_gradients(output)
        if mean is None:
            mean = {name: np.zeros_like(g, dtype=np.float64) for name, g in gradients.items()}
        for name, g in gradients.items():
            mean[name] += g / len(example_files)
    return folder, relative_differences(read_gradients(batched_file), mean)


def bench_train_step(options, work, timing=True):
    steps = options.steps[0]
    model = paper_shape_student(options, work)
    batch_file, few_file, example_files = step_inputs(options, work)
    batch_npz = os.path.join(work, "step-batch.npz")
    row = {"steps": steps, "batch": options.batch_size, "sequence": TRAIN_STEP_SEQUENCE, "model": model,
           "agreement_examples": options.agreement_examples}
    if timing:
        ours = {}
        for threads in options.spikingbert_threads:
            progress(f"spikingbert training step, {threads} thread(s), T = {steps}, {options.repeat} repeats")
            ours[threads] = run_spikingbert_step(options, model, batch_file, os.path.join(work, "batch-gradient.h5"),
                                                 steps, threads, options.repeat)
        memory = {}
        for memory_steps in options.memory_steps:
            progress(f"spikingbert training step peak memory, T = {memory_steps}")
            memory[memory_steps] = run_spikingbert_step(options, model, batch_file, os.path.join(work, "memory.h5"),
                                                        memory_steps, 2, 1)
        reference = {}
        for threads in options.reference_threads:
            progress(f"reference training step, {threads} thread(s), T = {steps}, {options.repeat} repeats")
            reference[threads] = run_reference_step(options, model, batch_npz, steps, threads, work)
        best_reference = min(reference, key=lambda n: reference[n]["seconds"])
        best_ours = min(ours, key=lambda n: ours[n]["seconds"])
        row.update(reference={str(n): r for n, r in reference.items()}, spikingbert={str(n): r for n, r in ours.items()},
                   reference_best_threads=best_reference, spikingbert_best_threads=best_ours,
                   reference_over_spikingbert=reference[best_reference]["seconds"] / ours[best_ours]["seconds"],
                   peak_rss_mb={str(t): memory[t]["peak_rss_mb"] for t in memory})
    ours_folder, ours_batched = our_example_gradients(options, model, few_file, example_files, steps, work)
    progress(f"reference gradients of the first {options.agreement_examples} examples, as a batch and one by one")
    options_untimed = argparse.Namespace(**vars(options))
    options_untimed.repeat = 0
    agreement = run_reference_step(options_untimed, model, batch_npz, steps, 1, work, examples=options.agreement_examples,
                                   ours=ours_folder)
    row.update(agreement=agreement["agreement"],
               max_relative_difference_same_rates=max(a["same_rates"] for a in agreement["agreement"]),
               max_relative_difference_end_to_end=max(a["end_to_end"] for a in agreement["agreement"]),
               reference_batched_vs_mean_of_examples=agreement["batched_vs_mean_of_examples"],
               spikingbert_batched_vs_mean_of_examples=ours_batched)
    return [row]


def print_train_step_table(rows, options):
    row = rows[0]
    if "reference" in row:
        print(f"One training step: SpikingBERT-4 (768/3072/12 heads/4 layers), batch {row['batch']} x "
              f"{row['sequence']} tokens, T = {row['steps']}, fastest of {options.repeat} in-process repeats "
              "(model loading excluded)")
        print()
        print("| side | threads | step s | parts |")
        print("|---|---|---|---|")
        for n, r in sorted(row["reference"].items()):
            print(f"| reference (train-mode forward, cross-entropy, backward()) | {n} | {r['seconds']:.3f} | — |")
        for n, r in sorted(row["spikingbert"].items()):
            print(f"| spikingbert (network, event-kernel simulation, loss and analog-twin gradient, BertAdam update) | "
                  f"{n} | {r['seconds']:.3f} | network {r['network']:.3f}, simulation {r['simulation']:.3f}, "
                  f"gradient {r['gradient']:.3f}, update {r['update']:.3f} |")
        print()
        print(f"reference best ({row['reference_best_threads']} thread(s)) / spikingbert best "
              f"({row['spikingbert_best_threads']} thread(s)): **{row['reference_over_spikingbert']:.2f}x**")
        print("spikingbert peak RSS of a step (2 threads, whole process): " +
              ", ".join(f"T = {t}: {mb:.0f} MB" for t, mb in row["peak_rss_mb"].items()))
    print()
    print("Per-example gradients, spikingbert vs reference: max over tensors of ||ours - reference|| / ||reference||")
    print()
    print("| example | same simulated rates (gradient computation alone) | end to end (each side's own simulation) "
          "| neurons whose rate differs between the simulations | max difference of a last-layer token-0 rate "
          "| analog pre-activation closest to a clamp kink (v/V_th at 0 or 1) |")
    print("|---|---|---|---|---|---|")
    for a in row["agreement"]:
        print(f"| {a['example']} | {a['same_rates']:.2e} ({a['same_rates_tensor']}) | {a['end_to_end']:.2e} "
              f"({a['end_to_end_tensor']}) | {a['neurons_with_other_rates']} of {a['neurons']} | "
              f"{a['max_last_layer_token0_rate_difference']:.4f} | {a['closest_clamp_kink']:.1e} "
              f"({a['closest_clamp_kink_sublayer']}) |")
    ref, ref_name = row["reference_batched_vs_mean_of_examples"]
    mine, mine_name = row["spikingbert_batched_vs_mean_of_examples"]
    print()
    print(f"gradient of the first {row['agreement_examples']} examples as one batch vs the mean of their per-example "
          f"gradients (max relative difference over tensors): reference {ref:.2e} ({ref_name}), "
          f"spikingbert {mine:.2e} ({mine_name})")


def bench_grad_agreement(options, work):
    return bench_train_step(options, work, timing=False)


MODES = {"inference": (bench_inference, print_inference_table),
         "train-step": (bench_train_step, print_train_step_table),
         "grad-agreement": (bench_grad_agreement, print_train_step_table)}


# ---------------------------------------------------------------------------------------------------


def thread_list(text):
    values = [int(v) for v in text.split(",") if v]
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} (expected positive integers separated by commas)")
    return values


def check_options(options, root):
    """Every path checked before any work, each fault one line (bench-vs-reference: error: ...), exit 2.
    Fills the per-mode defaults of --model, --steps and --batch."""
    training = options.what != "inference"
    if options.model is None and not training:
        options.model = os.path.join(root, "models", "pretrained", "sst2", "student.h5")
    if options.steps is None:
        options.steps = [16] if training else [16, 100]
    if options.batch_size is None:
        options.batch_size = TRAIN_STEP_BATCH if training else 32
    if not options.reference:
        raise BenchError("command line:--reference: missing (expected the path of a NeuroCompLab-psu/SpikingBERT checkout)")
    if not os.path.isfile(os.path.join(options.reference, REFERENCE_MODEL_FILE)):
        raise BenchError(f"{options.reference}: no {REFERENCE_MODEL_FILE} "
                         "(expected the path of a NeuroCompLab-psu/SpikingBERT checkout)")
    if not (os.path.isfile(options.spikingbert) and os.access(options.spikingbert, os.X_OK)):
        raise BenchError(f"{options.spikingbert}: not an executable file (expected the spikingbert program; "
                         "run tools/build.sh or pass --spikingbert)")
    for name in ("model",) if training else ("model", "data"):
        if getattr(options, name) is not None and not os.path.isfile(getattr(options, name)):
            raise BenchError(f"{getattr(options, name)}: no such file (expected the --{name} file)")
    if not training and 2 not in options.spikingbert_threads:
        raise BenchError("command line:--spikingbert-threads: has no 2 (expected the 2-thread run the ratio is taken on)")
    if training and not 1 <= options.agreement_examples <= options.batch_size:
        raise BenchError(f"command line:--agreement-examples: {options.agreement_examples} (expected 1..--batch-size)")
    for name in ("batch_size", "repeat"):
        if getattr(options, name) < 1:
            raise BenchError(f"command line:--{name.replace('_', '-')}: {getattr(options, name)} (expected a positive integer)")


def parse(argv, root):
    parser = argparse.ArgumentParser(prog="bench-vs-reference.sh", description=__doc__.split("\n\n")[0])
    parser.add_argument("--reference", help="checkout of NeuroCompLab-psu/SpikingBERT")
    parser.add_argument("--spikingbert", default=os.path.join(root, "build", "spikingbert"),
                        help="spikingbert program (default: build/spikingbert of this checkout)")
    parser.add_argument("--what", default="inference", choices=sorted(MODES))
    parser.add_argument("--model", help="student checkpoint (inference default: the shipped SST-2 student; "
                        "train-step default: a random paper-shape student written by `spikingbert bench --write-model`)")
    parser.add_argument("--data", default=os.path.join(root, "data", "glue", "SST-2", "dev.tsv"))
    parser.add_argument("--steps", type=thread_list, help="time steps T, comma-separated (inference: 16,100; "
                        "train-step: 16, only the first is used)")
    parser.add_argument("--reference-threads", type=thread_list, default=[1, 2])
    parser.add_argument("--spikingbert-threads", type=thread_list, default=[2, 1],
                        help="first entry gives the logits compared")
    parser.add_argument("--batch-size", type=int, help="inference: reference batch (sentences, sorted by length; 32); "
                        f"train-step: the step's batch ({TRAIN_STEP_BATCH})")
    parser.add_argument("--repeat", type=int, default=3, help="train-step: in-process repeats, fastest kept")
    parser.add_argument("--memory-steps", type=thread_list, default=[16, 128],
                        help="train-step: T values at which spikingbert's peak memory of a step is measured")
    parser.add_argument("--agreement-examples", type=int, default=3,
                        help="train-step, grad-agreement: examples whose per-example gradients are compared")
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


def parse_train_worker(argv):
    parser = argparse.ArgumentParser(prog="reference_bench.py reference-train-worker")
    for name in ("--reference", "--model", "--batch-npz", "--ours", "--work"):
        parser.add_argument(name, required=True)
    for name in ("--steps", "--threads", "--repeat", "--examples"):
        parser.add_argument(name, type=int, required=True)
    return parser.parse_args(argv)


def main(argv):
    try:
        if argv[:1] == ["reference-worker"]:
            reference_worker(parse_worker(argv[1:]))
            return 0
        if argv[:1] == ["reference-train-worker"]:
            reference_train_worker(parse_train_worker(argv[1:]))
            return 0
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        options = parse(argv, root)
        check_options(options, root)
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
