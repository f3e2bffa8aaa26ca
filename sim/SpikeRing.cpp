#include "sim/SpikeRing.hpp"

namespace spikingbert::sim {

SpikeRing::SpikeRing(int capacity, int rows, int width)
    : capacity_(capacity),
      rows_(rows),
      width_(width),
      counts_(static_cast<std::size_t>(capacity) * static_cast<std::size_t>(rows), 0),
      index_(new std::uint32_t[static_cast<std::size_t>(capacity) * static_cast<std::size_t>(rows) *
                               static_cast<std::size_t>(width)]) {}

}  // namespace spikingbert::sim
