#pragma once
// The sum of one vector per example, g_0 + ... + g_{B-1}, computed by any number of ranks with the same
// bits (issue 13: data-parallel training gives the same parameters for 1, 2 or 4 ranks).
//
// Float addition is not associative, so the sum is defined by a fixed tree over the example indices, not
// by who adds what: pairwise summation over aligned power-of-two blocks, node [lo, lo + 2s) = node [lo, lo + s)
// + node [lo + s, lo + 2s) (a node whose right half lies past B is its left half). Rank r computes the
// largest tree nodes that lie inside its share of the examples (at most about 2 log2 B of them). Then a
// reduce-scatter by element ranges: rank c receives elements range c of every node and completes the same
// tree for them, and the completed ranges are gathered. Per rank that moves its own nodes once and the
// sum once (like a ring all-reduce), whatever N is.
#include "training/Communicator.hpp"

#include <cstdint>
#include <functional>
#include <vector>

namespace spikingbert::training {

// Writes example i's vector (exactly `width` values) into `out`.
using ExampleVector = std::function<void(std::int64_t example, std::vector<float>& out)>;

// Collective: the tree sum of examples 0..count-1, each rank calling `compute` for the examples of its
// share (training/Communicator.hpp share_of) only. Every rank returns the same vector.
std::vector<float> sum_over_examples(Communicator& communicator, std::int64_t count, std::int64_t width,
                                     const ExampleVector& compute);

}  // namespace spikingbert::training
