#pragma once
// The model-input file (docs/formats.md, "inputs.h5"): a TokenBatch as HDF5 datasets input_ids, segment_ids
// (or token_type_ids) and attention_mask, [batch, sequence] integers, in the group inputs/ (what `tokenize --output`
// writes and `run`, `grad`, `run-teacher` read) or at the root (the teacher reference files). One reader for all.
#include "io/TokenBatch.hpp"

#include <cstdint>
#include <filesystem>
#include <string>

namespace spikingbert::io {

// Reads the batch; segment ids default to 0 and the mask to 1 where their datasets are absent. Throws InputError
// naming the file and dataset for a missing input_ids (the HDF5 reader's), a shape other than [batch >= 1, sequence >= 1], or a
// segment/mask shape that differs from input_ids'.
TokenBatch read_token_batch(const std::filesystem::path& inputs_h5);

// Token ids in [0, vocab_size), segment ids in [0, type_vocab_size), mask values 0 or 1 (the kernels index tables
// with them unchecked); throws InputError naming `source`, the dataset and the element otherwise.
void check_token_ranges(const TokenBatch& batch, std::int64_t vocab_size, std::int64_t type_vocab_size,
                        const std::string& source);

}  // namespace spikingbert::io
