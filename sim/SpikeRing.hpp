#pragma once
// The spikes a population emitted during the last `capacity` steps, as one ascending index list per
// (step, row). Slots are reused modulo `capacity`, so memory is bounded by the time block plus the
// largest outgoing delay and does not grow with the number of steps simulated.
#include "sim/SpikeList.hpp"

#include <cstdint>
#include <memory>
#include <vector>

namespace spikingbert::sim {

class SpikeRing {
 public:
  SpikeRing() = default;
  SpikeRing(int capacity, int rows, int width);

  int capacity() const { return capacity_; }
  // Spikes of `row` at `step`; empty for step < 0 (before the simulation started).
  SpikeList spikes(int step, int row) const {
    if (step < 0) return {};
    const auto slot = slot_of(step, row);
    return {index_.get() + slot * static_cast<std::size_t>(width_), counts_[slot]};
  }
  // Storage for `width` indices of (step, row); the writer then calls set_count.
  std::uint32_t* slot(int step, int row) {
    return index_.get() + slot_of(step, row) * static_cast<std::size_t>(width_);
  }
  void set_count(int step, int row, std::uint32_t count) { counts_[slot_of(step, row)] = count; }

 private:
  std::size_t slot_of(int step, int row) const {
    return static_cast<std::size_t>(step % capacity_) * static_cast<std::size_t>(rows_) + static_cast<std::size_t>(row);
  }
  int capacity_ = 0, rows_ = 0, width_ = 0;
  std::vector<std::uint32_t> counts_;
  std::unique_ptr<std::uint32_t[]> index_;  // pages mapped at set-up (see SpikeRing.cpp)
};

// Serves the spikes held in one ring per population to projections and transforms (sim/SpikeList.hpp).
class RingSpikeSource : public SpikeSource {
 public:
  explicit RingSpikeSource(const std::vector<SpikeRing>& rings) : rings_(rings) {}
  SpikeList spikes(int population, int step, int row) const override {
    return rings_[static_cast<std::size_t>(population)].spikes(step, row);
  }

 private:
  const std::vector<SpikeRing>& rings_;
};

}  // namespace spikingbert::sim
