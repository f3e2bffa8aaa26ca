#!/usr/bin/env python3
"""Writes a randomly initialised BERT for sequence classification in Hugging Face format (config.json and
model.safetensors, float32, the tensor names of transformers' BertForSequenceClassification) for the
paper-shape pipeline benchmark (tools/bench-pipeline.sh). Weights N(0, 0.02), LayerNorm 1/0, biases 0: an
untrained model of the right shape, not a useful teacher. Files are written next to the output and renamed.

usage: make_random_hf_bert.py --output DIR [--layers 12] [--hidden 768] [--heads 12] [--intermediate 3072]
                              [--vocab 30522] [--positions 512] [--labels 2] [--seed 0]
"""
import argparse
import json
import os
import struct
import sys

import numpy as np

INITIALIZER_RANGE = 0.02  # BERT's initializer_range


def tensor_shapes(a):
    H, F = a.hidden, a.intermediate
    shapes = [("bert.embeddings.word_embeddings.weight", (a.vocab, H)),
              ("bert.embeddings.position_embeddings.weight", (a.positions, H)),
              ("bert.embeddings.token_type_embeddings.weight", (2, H)),
              ("bert.embeddings.LayerNorm.weight", (H,)), ("bert.embeddings.LayerNorm.bias", (H,))]
    for layer in range(a.layers):
        p = f"bert.encoder.layer.{layer}."
        for name in ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"):
            shapes += [(p + name + ".weight", (H, H)), (p + name + ".bias", (H,))]
        shapes += [(p + "attention.output.LayerNorm.weight", (H,)), (p + "attention.output.LayerNorm.bias", (H,)),
                   (p + "intermediate.dense.weight", (F, H)), (p + "intermediate.dense.bias", (F,)),
                   (p + "output.dense.weight", (H, F)), (p + "output.dense.bias", (H,)),
                   (p + "output.LayerNorm.weight", (H,)), (p + "output.LayerNorm.bias", (H,))]
    shapes += [("bert.pooler.dense.weight", (H, H)), ("bert.pooler.dense.bias", (H,)),
               ("classifier.weight", (a.labels, H)), ("classifier.bias", (a.labels,))]
    return shapes


def values(name, shape, generator):
    if name.endswith("LayerNorm.weight"):
        return np.ones(shape, dtype=np.float32)
    if name.endswith(".bias"):
        return np.zeros(shape, dtype=np.float32)
    return (generator.standard_normal(shape, dtype=np.float32) * INITIALIZER_RANGE).astype(np.float32)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", required=True)
    parser.add_argument("--layers", type=int, default=12)
    parser.add_argument("--hidden", type=int, default=768)
    parser.add_argument("--heads", type=int, default=12)
    parser.add_argument("--intermediate", type=int, default=3072)
    parser.add_argument("--vocab", type=int, default=30522)
    parser.add_argument("--positions", type=int, default=512)
    parser.add_argument("--labels", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    a = parser.parse_args()
    if a.hidden % a.heads != 0:
        sys.exit("make_random_hf_bert.py: error: --hidden must be a multiple of --heads")
    os.makedirs(a.output, exist_ok=True)
    config = {"architectures": ["BertForSequenceClassification"], "model_type": "bert", "vocab_size": a.vocab,
              "hidden_size": a.hidden, "num_hidden_layers": a.layers, "num_attention_heads": a.heads,
              "intermediate_size": a.intermediate, "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
              "attention_probs_dropout_prob": 0.1, "max_position_embeddings": a.positions, "type_vocab_size": 2,
              "initializer_range": INITIALIZER_RANGE, "layer_norm_eps": 1e-12, "pad_token_id": 0,
              "num_labels": a.labels}
    shapes = tensor_shapes(a)
    header, offset = {}, 0
    for name, shape in shapes:
        size = 4 * int(np.prod(shape))
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + size]}
        offset += size
    header_bytes = json.dumps(header, separators=(",", ":")).encode()
    header_bytes += b" " * (-len(header_bytes) % 8)  # safetensors: the data starts 8-byte aligned
    generator = np.random.default_rng(a.seed)
    weights = os.path.join(a.output, "model.safetensors")
    with open(weights + ".tmp", "wb") as out:
        out.write(struct.pack("<Q", len(header_bytes)))
        out.write(header_bytes)
        for name, shape in shapes:  # one tensor at a time: memory stays at the largest tensor
            out.write(values(name, shape, generator).astype("<f4").tobytes())
    os.replace(weights + ".tmp", weights)
    with open(os.path.join(a.output, "config.json.tmp"), "w") as out:
        json.dump(config, out, indent=2)
    os.replace(os.path.join(a.output, "config.json.tmp"), os.path.join(a.output, "config.json"))
    parameters = sum(int(np.prod(shape)) for _, shape in shapes)
    print(f"wrote a random {a.layers}-layer, {a.hidden}-wide BERT ({parameters} parameters) to {a.output}")


if __name__ == "__main__":
    main()
