#pragma once
// The event kernel's projection: binary-sparse spike frames times a dense weight matrix.
// For each frame (a token at a step) and each target neuron o:
//     current[f][o] = sum over spiking inputs i of frame f, ascending, of W[i][o]
// grouped in depth blocks exactly as the dense twin's GEMM (sim/DepthBlocking.hpp), so both kernels
// round identically. The work is one contiguous row add per (spike, column block): one synaptic
// event per (spike, target).
#include "sim/CacheLineAllocator.hpp"

#include <cstdint>
#include <vector>

namespace spikingbert::sim {

struct FrameSpikes {
  const std::uint32_t* index = nullptr;  // ascending input-neuron indices
  std::uint32_t count = 0;
};

// The weights of a dense projection rearranged for the event kernel: column panels of up to 192
// target neurons, each [inputs][panel width] contiguous, so a spike reads one short contiguous row
// and a panel stays in L2 (and in few TLB pages) while a chunk of frames uses it. Same values.
struct PackedWeights {
  int inputs = 0, outputs = 0;
  std::vector<float, CacheLineAllocator<float>> values;  // panels start on cache lines (widths are x16 floats)
};
PackedWeights pack_weights(const float* weights, int inputs, int outputs);  // weights [inputs][outputs]

// Computes `current` ([frames][outputs], row-major) for `frames` frames of a projection with the
// packed weights. `rows` is the token count the dense twin multiplies per step (it fixes
// the depth blocks). Runs fixed (frame chunk x column block) partitions with oneTBB in the calling
// arena; every output element is written by exactly one partition in a fixed order, so the result is
// the same for any thread count. Returns the synaptic events performed.
std::uint64_t sparse_product(const FrameSpikes* frames, int frame_count, const PackedWeights& weights, int rows,
                             float* current);

}  // namespace spikingbert::sim
