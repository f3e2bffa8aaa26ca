#pragma once
// Turning examples into padded batches. Training batches are shuffled by a seeded generator and grouped
// by length (teacher-calibration.md: batches grouped by length), so little time is spent on padding.
#include "models/TokenBatch.hpp"
#include "training/EncodedExample.hpp"

#include <cstdint>
#include <vector>

namespace spikingbert::training {

// Pads the chosen examples with token 0 to the longest of them.
models::TokenBatch make_batch(const std::vector<EncodedExample>& examples, const std::vector<std::int64_t>& indices);

// One epoch's batches: a seeded shuffle, then windows of kLengthGroupBatches batches sorted by length and cut
// into batches, then the batch order shuffled. Depends only on (count, lengths, batch_size, seed).
std::vector<std::vector<std::int64_t>> shuffled_length_grouped_batches(const std::vector<EncodedExample>& examples,
                                                                       std::int64_t batch_size, std::uint64_t seed);

// Evaluation batches in file order.
std::vector<std::vector<std::int64_t>> sequential_batches(std::int64_t count, std::int64_t batch_size);

}  // namespace spikingbert::training
