"""The `spikingbert` Python module against the command line on the same inputs (docs/python.md).

Run by ctest (tests/CMakeLists.txt) with PYTHONPATH at the built module and SPIKINGBERT_EXECUTABLE /
SPIKINGBERT_SOURCE_DIR set; each comparison is exact unless it says otherwise.
"""
import os
import subprocess
import threading

import h5py
import numpy as np
import pytest

import spikingbert

SOURCE = os.environ["SPIKINGBERT_SOURCE_DIR"]
EXECUTABLE = os.environ["SPIKINGBERT_EXECUTABLE"]
TINY = os.path.join(SOURCE, "tests", "data", "tiny")
CASE = os.path.join(TINY, "case.h5")
STEPS = 50  # the tiny model's t_conv, as case.h5 was recorded


def cli(*arguments):
    return subprocess.run([EXECUTABLE, *arguments], check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def case():
    with h5py.File(CASE, "r") as f:
        return {name: f["inputs/" + name][()] for name in ("input_ids", "segment_ids", "attention_mask", "labels")}


@pytest.fixture(scope="module")
def model():
    return spikingbert.Model(TINY)


@pytest.mark.parametrize("kernel", ["event", "dense"])
def test_run_matches_the_command_line(tmp_path, case, model, kernel):
    output = tmp_path / "run.h5"
    cli("run", "--model", TINY, "--inputs", CASE, "--output", str(output), "--steps", str(STEPS), "--kernel", kernel)
    result = model.run(case["input_ids"], case["segment_ids"], case["attention_mask"], steps=STEPS, kernel=kernel)
    assert result["sublayers"] == model.sublayers and len(model.sublayers) == 13
    with h5py.File(output, "r") as f:
        columns = f["operations/counts"].attrs["columns"].split(",")
        for j, name in enumerate(model.sublayers):
            np.testing.assert_array_equal(result["spike_count"][name], f["forward/spike_count/" + name][()])
            np.testing.assert_array_equal(result["asr"][name], f["forward/asr/" + name][()])
            assert f["forward/asr/" + name].attrs["sublayer_index"] == j
            assert result["asr"][name].dtype == np.float32
            counts = f["operations/counts"][j]
            assert {c: int(v) for c, v in zip(columns, counts)} == result["operations"][name]
        np.testing.assert_array_equal(result["logits"], f["forward/logits"][()])
    assert result["total_operations"]["spikes"] > 0


def test_run_reports_the_command_lines_neurobench_metrics(tmp_path, case, model):
    energy = tmp_path / "energy.json"
    cli("run", "--model", TINY, "--inputs", CASE, "--output", str(tmp_path / "run.h5"), "--steps", str(STEPS),
        "--energy-json", str(energy))
    result = model.run(case["input_ids"], case["segment_ids"], case["attention_mask"], steps=STEPS)
    import json
    with open(energy) as f:
        assert result["neurobench"] == json.load(f)["neurobench"]
    # 21 real tokens of 3 x 8 (padding has no neuron): 7 tokens x 50 steps x 2 x 8192 + 64 per example
    assert result["neurobench"]["SynapticOperations"]["Dense"] == 5734464


def test_run_reproduces_the_reference_spike_counts(case, model):
    result = model.run(case["input_ids"], case["segment_ids"], case["attention_mask"])
    assert result["steps"] == STEPS  # the config's t_conv when steps is not given
    real = case["attention_mask"].astype(bool)  # padding has no neuron: 0 spikes there, NaN rates
    with h5py.File(CASE, "r") as f:
        for j, name in enumerate(model.sublayers):
            np.testing.assert_array_equal(result["spike_count"][name][real], f["forward/spike_count/%02d" % j][()][real])
            assert (result["spike_count"][name][~real] == 0).all()
            assert np.isnan(result["asr"][name][~real]).all()


def test_per_step_residuals_shrink_and_end_at_the_final_rates(case, model):
    result = model.run(case["input_ids"], case["segment_ids"], case["attention_mask"], steps=STEPS, residuals=True)
    residual = result["residual_mean_abs"]
    assert residual.shape == (3, STEPS, 13)
    assert result["residual_max"].shape == residual.shape and (result["residual_max"] >= residual).all()
    # Convergence (method doc §9.3): the last step's residual is well below the first's.
    assert residual[:, -1, :].mean() < 0.5 * residual[:, 0, :].mean()
    # The last step's running rates are the final ASR: its residual is |a - f(a)| with f the steady-state map.
    real = case["attention_mask"].astype(bool)  # residuals are over real tokens; padded rates are NaN (no neuron)
    rates = {name: np.nan_to_num(r) for name, r in result["asr"].items()}
    mapped = model.steady_state(case["input_ids"], case["segment_ids"], case["attention_mask"], rates=rates)
    for j, name in enumerate(model.sublayers):
        difference = np.abs(rates[name] - mapped[name])[real]
        assert residual[:, -1, j].max() <= difference.max() + 1e-6
    np.testing.assert_array_equal(result["step_predictions"][:, -1], result["logits"].argmax(axis=1))


def test_steady_state_matches_the_reference_equilibrium(case, model):
    rates = model.steady_state(case["input_ids"], case["segment_ids"], case["attention_mask"])
    with h5py.File(CASE, "r") as f:
        for j, name in enumerate(model.sublayers):
            np.testing.assert_allclose(rates[name], f["equilibrium/%02d" % j][()], atol=1e-5)


@pytest.mark.parametrize("mode", ["implicit", "analog-twin"])
def test_gradient_matches_the_command_line(tmp_path, case, model, mode):
    output = tmp_path / "grad.h5"
    cli("grad", "--model", TINY, "--inputs", CASE, "--output", str(output), "--gradient", mode)
    result = model.gradient(case["input_ids"], case["segment_ids"], case["attention_mask"], labels=case["labels"],
                            mode=mode)
    with h5py.File(output, "r") as f:
        assert result["loss"] == pytest.approx(float(f["train/loss"][()]), rel=1e-6)
        np.testing.assert_array_equal(result["logits"], f["train/logits"][()])
        compared = 0
        for name, gradient in result["gradients"].items():
            if f["grad/" + name].attrs["grad_is_none"]:
                continue
            np.testing.assert_array_equal(gradient, f["grad/" + name][()])
            compared += 1
        assert compared >= 30


def test_tokenizer_matches_the_command_line():
    tokenizer = spikingbert.Tokenizer()
    text, pair = "A great movie, indeed!", "Not my cup of tea."
    ids = [int(word) for word in cli("tokenize", text).split()]
    pair_ids = [int(word) for word in cli("tokenize", text, "--pair", pair).split()]
    batch = tokenizer.encode([text, text], pairs=["", pair])
    assert list(batch["input_ids"][0][: len(ids)]) == ids and batch["attention_mask"][0].sum() == len(ids)
    assert list(batch["input_ids"][1]) == pair_ids and batch["attention_mask"][1].all()
    assert batch["segment_ids"][1].sum() == len(tokenizer.ids(pair)) + 1  # pair and its [SEP]
    assert tokenizer.ids(text) == ids[1:-1]
    assert tokenizer.tokens(ids)[0] == "[CLS]" and tokenizer.tokens(ids)[-1] == "[SEP]"


def test_read_hdf5_reads_a_trace(tmp_path):
    trace = tmp_path / "trace.h5"
    data = os.path.join(SOURCE, "data", "glue", "SST-2", "dev.tsv")
    out = cli("run", "--random-model", "--task", "sst2", "--data", data, "--limit", "3", "--steps", "8",
              "--trace", str(trace))
    content = spikingbert.read_hdf5(str(trace))
    with h5py.File(trace, "r") as f:
        def check(group, read):
            for key, item in group.items():
                if isinstance(item, h5py.Group):
                    check(item, read[key])
                elif item.dtype.kind in "iuf":
                    np.testing.assert_array_equal(read[key], item[()])
                else:  # variable-length strings: a list of str
                    assert read[key] == list(item.asstr()[()])
        check(f, content)
    assert "attrs" in content
    assert content["populations"]["name"][0] == "embedding"
    pieces = content["examples"]["word_pieces"]
    pointers = content["examples"]["token_pointers"]
    assert len(pieces) == pointers[-1] and pieces[0] == "[CLS]"  # example 0's tokens as text


def test_bad_inputs_raise_value_errors(model, case):
    with pytest.raises(ValueError, match="kernel"):
        model.run(case["input_ids"], kernel="analog")
    with pytest.raises(ValueError, match="input_ids"):
        model.run(np.full((1, 4), 10_000))  # outside the tiny vocabulary
    with pytest.raises(ValueError, match="segment_ids"):
        model.run(case["input_ids"], segment_ids=np.zeros((1, 2), dtype=np.int64))
    with pytest.raises(ValueError):
        spikingbert.Model(os.path.join(SOURCE, "no-such-model"))


def test_simulation_releases_the_gil(case, model):
    # While a long simulation runs in one thread, another Python thread keeps running.
    ticks = []
    done = threading.Event()

    def simulate():
        model.run(np.repeat(case["input_ids"], 8, axis=0), steps=500)
        done.set()

    worker = threading.Thread(target=simulate)
    worker.start()
    while not done.is_set():
        ticks.append(1)
        done.wait(0.001)
    worker.join()
    assert len(ticks) > 20  # with the GIL held throughout, the loop would run once or twice
