#!/usr/bin/env python3
"""Writes the seed corpora of the libFuzzer targets into corpus/<target>/ (small valid and invalid files).
Run with a python that has h5py and numpy (tools/find-python.sh). The committed corpus came from this
script; crashing inputs found by fuzzing are added by hand as regression-*.
"""
import json
import os
import struct
import sys

import h5py
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))


def put(target, name, data):
    folder = os.path.join(here, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode("utf-8"))


def safetensors(header, buffer=b""):
    header = json.dumps(header, separators=(",", ":")).encode() if not isinstance(header, bytes) else header
    return struct.pack("<Q", len(header)) + header + buffer


# safetensors: every dtype once, valid; then the malformed shapes of docs/formats.md.
dtypes = {"F32": 4, "F16": 2, "BF16": 2, "F64": 8, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U64": 8, "U32": 4,
          "U16": 2, "U8": 1, "BOOL": 1}
header, offset = {"__metadata__": {"format": "pt"}}, 0
for name, width in dtypes.items():
    header[name.lower()] = {"dtype": name, "shape": [2], "data_offsets": [offset, offset + 2 * width]}
    offset += 2 * width
buffer = bytes((i * 37) % 256 for i in range(offset))
buffer = buffer[:offset - 2] + b"\x00\x01"  # the BOOL tensor (last) holds 0 and 1
put("fuzz_safetensors", "valid-all-dtypes", safetensors(header, buffer))
put("fuzz_safetensors", "valid-scalar-and-empty",
    safetensors({"s": {"dtype": "F32", "shape": [], "data_offsets": [0, 4]},
                 "z": {"dtype": "F32", "shape": [0, 3], "data_offsets": [4, 4]}}, struct.pack("<f", 1.5)))
put("fuzz_safetensors", "short", b"abcde")
put("fuzz_safetensors", "header-beyond-file", struct.pack("<Q", 1000) + b"{}")
put("fuzz_safetensors", "not-json", safetensors(b'{"w": {"dtype": '))
put("fuzz_safetensors", "overlap", safetensors({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                                                "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, bytes(8)))
put("fuzz_safetensors", "size-mismatch", safetensors({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, bytes(8)))
put("fuzz_safetensors", "duplicate-name", safetensors(
    b'{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', bytes(8)))

# config.json
minimal = {"vocab_size": 30, "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2,
           "intermediate_size": 16}
put("fuzz_config", "minimal.json", json.dumps(minimal))
full = dict(minimal, max_position_embeddings=16, type_vocab_size=2, layer_norm_eps=1e-12, num_labels=3,
            id2label={"0": "a", "1": "b", "2": "c"}, vth=0.5, leak=0.9, t_conv=40, task="sst2",
            hidden_act="gelu", architectures=["BertForSequenceClassification"])
put("fuzz_config", "full.json", json.dumps(full, indent=2))
put("fuzz_config", "not-divisible.json", json.dumps(dict(minimal, num_attention_heads=3)))
put("fuzz_config", "vth-zero.json", json.dumps(dict(minimal, vth=0)))
put("fuzz_config", "string-size.json", json.dumps(dict(minimal, hidden_size="8")))
put("fuzz_config", "broken.json", '{\n  "vocab_size": 10,\n  "hidden_size": ,\n}')

# GLUE: the first byte picks the task (index into cola, sst2, mrpc, stsb, qqp, mnli, mnli_mismatched, qnli,
# rte, wnli) and, divided by 10, the labels mode (from file name, present, absent).
tasks = ["cola", "sst2", "mrpc", "stsb", "qqp", "mnli", "mnli_mismatched", "qnli", "rte", "wnli"]
glue = {
    "sst2": "sentence\tlabel\nit 's a charming journey .\t1\nunflinchingly bleak\t0\n",
    "cola": "gj04\t1\t\tOur friends won't buy this analysis.\nclc95\t0\t*\tThey drank the pub.\n",
    "mrpc": "Quality\t#1 ID\t#2 ID\t#1 String\t#2 String\n1\t1\t2\tHe said .\tHe stated .\n",
    "stsb": "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore\n"
            "0\tmain-captions\tMSRvid\t2012test\t0000\tnone\tnone\tA man plays.\tA man is playing.\t5.000\n",
    "qqp": "id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate\n1\t2\t3\tWhy?\tHow?\t0\nshort\trow\n",
    "mnli": "index\tpromptID\tpairID\tgenre\tsentence1_binary_parse\tsentence2_binary_parse\tsentence1_parse\t"
            "sentence2_parse\tsentence1\tsentence2\tlabel1\tgold_label\n"
            "0\t1\t1n\tgov\t(a)\t(b)\t(A)\t(B)\tA cat.\tAn animal.\tentailment\tentailment\n",
    "qnli": "index\tquestion\tsentence\tlabel\n0\tWho?\tNobody.\tnot_entailment\n",
    "rte": "index\tsentence1\tsentence2\tlabel\n0\tA dog barks.\tAn animal makes noise.\tentailment\n",
    "wnli": "index\tsentence1\tsentence2\tlabel\n0\tI stuck a pin.\tThe pin stuck.\t1\n",
}
for task, text in glue.items():
    put("fuzz_glue", task + ".tsv", bytes([tasks.index(task) + 10]) + text.encode())
put("fuzz_glue", "sst2-bad-label.tsv", bytes([1]) + b"sentence\tlabel\nfine\tpositive\n")
put("fuzz_glue", "sst2-bom-crlf.tsv", bytes([1]) + b"\xef\xbb\xbfsentence\tlabel\r\nok\t1\r\n")
put("fuzz_glue", "sst2-not-utf8.tsv", bytes([1]) + b"sentence\tlabel\ncaf\xe9\t1\n")
put("fuzz_glue", "stsb-bad-score.tsv", bytes([3]) + glue["stsb"].replace("5.000", "5.5").encode())
put("fuzz_glue", "empty.tsv", bytes([1]))

# Vocabulary + tokenizer: vocab.txt 0xFF text_a [0xFF text_b].
vocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\nun\n##aff\n##able\nhello\n##s\n,\n!\n\u4e2d\ncafe\n"
put("fuzz_tokenizer", "pair", vocab.encode() + b"\xff" + "Héllo, the unaffable CAFÉ!".encode() + b"\xff" +
    "中文 hellos \u0301 tabs\tand\u00a0spaces".encode())
put("fuzz_tokenizer", "single", vocab.encode() + b"\xff" + b"unaffable " * 20)
put("fuzz_tokenizer", "crlf-vocab", vocab.replace("\n", "\r\n").encode() + b"\xff" + b"the hello")
put("fuzz_tokenizer", "no-cls", b"[PAD]\n[UNK]\nthe\n\xffthe")
put("fuzz_tokenizer", "bad-utf8", vocab.encode() + b"\xff" + b"caf\xc3" + b"\xff" + b"\xed\xa0\x80")
put("fuzz_tokenizer", "long-word", vocab.encode() + b"\xff" + b"a" * 150)


# Native checkpoints (HDF5): one valid, several invalid.
def checkpoint(name, config=minimal, tensors=None, format_name="spikingbert-checkpoint", version=1, extra=None):
    path = os.path.join(here, "corpus", "fuzz_checkpoint", name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with h5py.File(path, "w", libver="earliest") as f:
        if format_name is not None:
            f.attrs["format"] = format_name
        f.attrs["format_version"] = np.int64(version)
        if config is not None:
            f.attrs["config"] = json.dumps(config) if isinstance(config, dict) else config
        group = f.create_group("tensors")
        for key, value in (tensors or {}).items():
            group.create_dataset(key, data=value)
        if extra:
            extra(f)


small = {"bert.embeddings.word_embeddings.weight": np.arange(12, dtype=np.float32).reshape(3, 4),
         "classifier.bias": np.array([0.5, -0.5], dtype=np.float32),
         "scalar": np.float32(2.0)}
checkpoint("valid.h5", tensors=small, extra=lambda f: f.create_group("metadata").attrs.create("source", "seed"))
checkpoint("valid-f64-i32.h5", tensors={"d": np.ones(3), "i": np.arange(4, dtype=np.int32)})
checkpoint("bad-version.h5", tensors=small, version=2)
checkpoint("bad-config.h5", config=dict(minimal, vth=-1), tensors=small)
checkpoint("config-not-json.h5", config="{not json", tensors=small)
checkpoint("nested-group.h5", tensors=small, extra=lambda f: f["tensors"].create_group("nested"))
checkpoint("string-dataset.h5", tensors=small, extra=lambda f: f["tensors"].create_dataset("s", data=b"text"))
checkpoint("no-format.h5", format_name=None, tensors=small)
print("corpus written under", os.path.join(here, "corpus"), file=sys.stderr)
