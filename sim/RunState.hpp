#pragma once
// What both kernels hold while they simulate, and the steps they share, so that the event kernel and its
// dense twin cannot drift apart: the result being built (per-neuron spike counts, membranes, counters),
// one spike ring per population, the current's bias and drive, the transforms and the neuron update of
// one row. Each kernel keeps only what differs: how it computes the projections and in which order it
// visits populations and steps.
#include "sim/Network.hpp"
#include "sim/RunResult.hpp"
#include "sim/SpikeRing.hpp"

#include <chrono>
#include <ctime>
#include <functional>
#include <vector>

namespace spikingbert::sim {

class RunState {
 public:
  // ring_steps(p): the steps population p's spike ring must hold (time block + largest outgoing delay).
  RunState(const Network& network, int steps, const std::function<int(PopulationId)>& ring_steps);
  RunState(const RunState&) = delete;
  RunState& operator=(const RunState&) = delete;

  const Network& network() const { return network_; }
  int rows() const { return result.rows; }
  int steps() const { return result.steps; }

  // Adds bias and constant drive to `frames` row currents ([frames][width], frame f is row f % rows) of
  // population p; returns the additions performed. Same order in both kernels: bias, then drive.
  std::uint64_t add_bias_and_drive(PopulationId p, float* current, int frames) const;
  // Applies p's transforms in order to the currents of `steps` consecutive steps from `first_step`
  // ([steps][rows][width]) on fixed (step, row group) partitions; adds each step's operations to
  // step_counts[s].
  void apply_transforms(PopulationId p, int first_step, int steps, float* current,
                        std::vector<OperationCounts>& step_counts) const;
  // Integrates `steps` consecutive steps from first_step of row `row` of population p (method doc §2.1):
  // step s's current is row_current + s * current_stride. Updates the membranes, stores the fired indices in
  // the ring, counts them per neuron, and writes how many fired at step s to step_spikes[s].
  void integrate_row(PopulationId p, int first_step, int steps, int row, const float* row_current,
                     std::size_t current_stride, ThresholdStatistics& thresholds, std::uint32_t* step_spikes);

  RunResult result;
  std::vector<SpikeRing> rings;
  RingSpikeSource source{rings};

 private:
  const Network& network_;
};

// Wall and CPU clocks of the simulation proper (started after the state is allocated).
class SimulationClock {
 public:
  SimulationClock();
  void stop(RunResult& result) const;  // sets simulation_seconds and simulation_cpu_seconds

 private:
  std::chrono::steady_clock::time_point wall_start_;
  std::clock_t cpu_start_;
};

// Checks the network and options, then runs `simulate` inside a oneTBB arena of options.threads threads.
RunResult run_in_arena(const Network& network, const KernelOptions& options, const char* kernel_name,
                       const std::function<RunResult()>& simulate);

}  // namespace spikingbert::sim
