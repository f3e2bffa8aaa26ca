#include "sim/SpikeRing.hpp"

#include "sim/CacheLineAllocator.hpp"

namespace spikingbert::sim {

SpikeRing::SpikeRing(int capacity, int rows, int width)
    : capacity_(capacity),
      rows_(rows),
      width_(width),
      counts_(static_cast<std::size_t>(capacity) * static_cast<std::size_t>(rows), 0) {
  const std::size_t entries = static_cast<std::size_t>(capacity) * static_cast<std::size_t>(rows) *
                              static_cast<std::size_t>(width);
  index_.reset(new std::uint32_t[entries]);  // only the first `count` entries of a slot are ever read
  // Its pages are mapped here, at set-up, not by page faults inside the timed neuron update (a few
  // microseconds each in a virtual machine); clearing them all instead cost a memset of the whole ring
  // per simulation, a large share of a short sentence's run.
  touch_pages(index_.get(), entries * sizeof(std::uint32_t));
}

}  // namespace spikingbert::sim
