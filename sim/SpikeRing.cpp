#include "sim/SpikeRing.hpp"

namespace spikingbert::sim {

SpikeRing::SpikeRing(int capacity, int rows, int width)
    : capacity_(capacity),
      rows_(rows),
      width_(width),
      counts_(static_cast<std::size_t>(capacity) * static_cast<std::size_t>(rows), 0),
      index_(new std::uint32_t[static_cast<std::size_t>(capacity) * static_cast<std::size_t>(rows) *
                               static_cast<std::size_t>(width)]()) {}
// The index storage is zero-filled although only the first `count` entries of a slot are read: the
// fill touches every page while the ring is set up, not during the timed simulation, where each first
// touch would cost a page fault (a few microseconds in a virtual machine) inside the neuron update.

}  // namespace spikingbert::sim
