#pragma once
// The sum of one vector per micro-batch of a batch, g_0 + ... + g_{M-1}, computed by any number of ranks
// with the same bits (issue 13: data-parallel training gives the same parameters for 1, 2 or 4 ranks).
//
// A batch of B examples is cut into M = ceil(B / kMicroBatchExamples) micro-batches of consecutive examples
// (the last may be shorter). A micro-batch is the unit of work: its vector (the summed gradient of its
// examples) is computed by one batched forward and backward, and a rank owns whole micro-batches
// (share_of over micro-batches), so what a micro-batch contributes does not depend on the rank count.
//
// Float addition is not associative, so the sum is defined by a fixed tree over the micro-batch indices,
// not by who adds what: pairwise summation over aligned power-of-two blocks, node [lo, lo + 2s) = node
// [lo, lo + s) + node [lo + s, lo + 2s) (a node whose right half lies past M is its left half). Rank r
// computes the largest tree nodes that lie inside its share of the micro-batches (at most about 2 log2 M of
// them). Then a reduce-scatter by element ranges: rank c receives element range c of every node and
// completes the same tree for them, and the completed ranges are gathered. Per rank that moves its own
// nodes once and the sum once (like a ring all-reduce), whatever N is.
#include "models/Parameter.hpp"
#include "training/Communicator.hpp"

#include <cstdint>
#include <functional>
#include <vector>

namespace spikingbert::training {

// Examples per micro-batch, the leaf of the tree. Fixed (not a flag): the trained parameters depend on it.
// 8 keeps most of the speed of batched matrix products (one process trains at about the speed of one
// padded batch of 32; docs/scaling.md, "Micro-batches") and still spreads a batch of 32 over 4 ranks.
inline constexpr std::int64_t kMicroBatchExamples = 8;

// Micro-batch `index` of a batch of `count` examples: examples [begin, end).
Share micro_batch(std::int64_t index, std::int64_t count);

// How many micro-batches a batch of `count` examples has.
std::int64_t micro_batch_count(std::int64_t count);

// Writes the vector of the micro-batch of examples [begin, end) (exactly `width` values) into `out`.
using MicroBatchVector = std::function<void(std::int64_t begin, std::int64_t end, std::vector<float>& out)>;

// Collective: the tree sum over the micro-batches of a batch of `count` examples, each rank calling
// `compute` for the micro-batches of its share (share_of over micro-batches) only, in order. Every rank
// returns the same vector.
std::vector<float> sum_over_micro_batches(Communicator& communicator, std::int64_t count, std::int64_t width,
                                          const MicroBatchVector& compute);

// A micro-batch's vector of both trainers: every parameter's gradient times `examples` (its mean loss's
// gradient as the sum over its examples), in parameter order, into `out` (resized to `width`).
inline void write_scaled_gradients(const std::vector<models::Parameter<float>>& parameters, std::int64_t examples,
                                   std::int64_t width, std::vector<float>& out) {
  out.resize(static_cast<std::size_t>(width));
  const auto scale = static_cast<float>(examples);
  float* write = out.data();
  for (const auto& parameter : parameters) {
    for (const float g : parameter.gradient) *write++ = scale * g;
  }
}

// The batch's mean gradient from the micro-batches' sum: every parameter's gradient = sum / `count`.
inline void read_mean_gradients(const std::vector<float>& sum, std::int64_t count, std::vector<models::Parameter<float>>& parameters) {
  std::size_t offset = 0;
  for (auto& parameter : parameters) {
    for (auto& g : parameter.gradient) g = sum[offset++] / static_cast<float>(count);
  }
}

}  // namespace spikingbert::training
