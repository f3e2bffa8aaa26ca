#pragma once
// A view of the neurons of one row (token) of a population that fired at one step, ascending.
#include <cstdint>
#include <span>

namespace spikingbert::sim {

using SpikeList = std::span<const std::uint32_t>;

// Read access to the spikes of any population at a step, as the kernels hold them. Transforms use it
// to read same-step spikes of their input populations (e.g. attention reads Key and Value spikes).
class SpikeSource {
 public:
  virtual ~SpikeSource() = default;
  virtual SpikeList spikes(int population, int step, int row) const = 0;
};

}  // namespace spikingbert::sim
