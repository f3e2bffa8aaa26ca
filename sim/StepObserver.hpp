#pragma once
// Hook for recorders (ASR traces, spike rasters): called after a population has finished a step.
#include "sim/OperationCounts.hpp"
#include "sim/Population.hpp"
#include "sim/SpikeList.hpp"

#include <cstdint>
#include <vector>

namespace spikingbert::sim {

// The spikes one population emitted at one step, per row.
struct StepSpikes {
  const SpikeSource* source = nullptr;
  PopulationId population = 0;
  int step = 0;
  int rows = 0;
  // The population's running spike counts [rows][width]: all steps of its latest update (with the
  // event kernel that is the whole time block holding `step`; use block_steps = 1 for per-step counts).
  const std::vector<std::uint32_t>* running_spike_count = nullptr;
  SpikeList row(int r) const { return source->spikes(population, step, r); }
};

class StepObserver {
 public:
  virtual ~StepObserver() = default;
  // Called once per (population, step) after the population's neurons were updated for that step, with
  // the operations counted for that population and step. The event kernel calls in (time block, rank,
  // step) order; with block_steps = 1, or with the dense kernel, in (step, rank) order. The calls for
  // one population always come in increasing step order.
  virtual void on_population_step(const StepSpikes& spikes, const OperationCounts& counts) = 0;
};

}  // namespace spikingbert::sim
