#pragma once
// What a kernel run returns, and the options it takes. Only counts, rates and final state are kept:
// memory does not grow with the number of steps (recorders use StepObserver).
#include "sim/NeuronModel.hpp"
#include "sim/OperationCounts.hpp"
#include "sim/Population.hpp"
#include "sim/StepObserver.hpp"

#include <cstdint>
#include <functional>
#include <vector>

namespace spikingbert::sim {

struct KernelOptions {
  int steps = 100;       // T
  int threads = 1;       // oneTBB arena concurrency; results do not depend on it
  int block_steps = 16;  // event kernel: steps a population integrates before the next one runs
                         // (clamped to the smallest feedback delay; 1 = pure step order)
  StepObserver* observer = nullptr;
  // Early exit: called after every completed time block (every step with block_steps = 1, and with the
  // dense kernel) with the last completed 0-based step, after the observer has seen it; returning true
  // ends the run there, and the result is that of a run of step + 1 steps (RunResult::steps). Empty: all
  // options.steps steps run.
  std::function<bool(int last_step)> stop_after;
};

struct PopulationResult {
  std::vector<std::uint32_t> spike_count;  // [rows][width]
  std::vector<float> membrane;             // [rows][width], u after the last step (after reset and leak)
  std::vector<std::int32_t> refractory;    // [rows][width] refractory steps left; empty without a refractory period
  OperationCounts counts;                  // summed over all steps
  ThresholdStatistics thresholds;
};

struct RunResult {
  int steps = 0;  // steps simulated (fewer than KernelOptions::steps when stop_after ended the run)
  int rows = 0;
  double simulation_seconds = 0.0;      // wall time of the simulation proper (after allocating state)
  double simulation_cpu_seconds = 0.0;  // process CPU time (all threads) over the same interval
  std::vector<PopulationResult> populations;  // indexed by PopulationId

  // ASR = count * float32(1/T): the reference multiplies by the float32 value of 1/T rather than
  // dividing by T (tiny README §8; method doc §2.2).
  std::vector<float> asr(PopulationId id) const {
    const float inverse_steps = static_cast<float>(1.0 / steps);
    const auto& count = populations.at(static_cast<std::size_t>(id)).spike_count;
    std::vector<float> rates(count.size());
    for (std::size_t i = 0; i < count.size(); ++i) rates[i] = static_cast<float>(count[i]) * inverse_steps;
    return rates;
  }
  OperationCounts total_counts() const {
    OperationCounts total;
    for (const auto& p : populations) total += p.counts;
    return total;
  }
  ThresholdStatistics total_thresholds() const {
    ThresholdStatistics total;
    for (const auto& p : populations) total.merge(p.thresholds);
    return total;
  }
};

}  // namespace spikingbert::sim
