#pragma once
// The adapter between the kernel's sim::StepObserver and a traces::Recorder. The kernel simulates a
// batch of examples at once and (event kernel) calls the observer population by population, a time
// block at a time; a Recorder wants one example at a time, step by step (traces/Recorder.hpp). So the
// observer keeps, for the batch, each recorded population's spike count per (example, step) and, at
// the spikes level, the node ids that fired; after the forward pass replay_example() hands one
// example's records to the recorder in the order it asks for. Memory: populations x examples x steps
// counters, plus the spikes themselves at the spikes level.
#include "sim/StepObserver.hpp"
#include "traces/Recorder.hpp"
#include "traces/StepResidualObserver.hpp"

#include <cstdint>
#include <vector>

namespace spikingbert::traces {

class KernelTraceObserver final : public sim::StepObserver {
 public:
  // recorded[i]: the kernel population that is the recorder's population i, with widths[i] neurons
  // per row; the batch is `examples` examples of `sequence` rows (tokens) each, simulated `steps` steps.
  KernelTraceObserver(std::vector<sim::PopulationId> recorded, std::vector<std::int64_t> widths, int examples,
                      int sequence, int steps, bool keep_spikes);

  void on_population_step(const sim::StepSpikes& spikes, const sim::OperationCounts& counts) override;

  // For each step s and recorded population p of example `example`: record_spikes (if the recorder
  // wants spikes and some fired) and record_step with the running mean ASR of the population's
  // seq x width neurons after step s, count/(s+1) averaged (docs/traces.md /summary/mean_asr;
  // method doc §2.2). Residuals come from `residuals` (the same batch's StepResidualObserver, finished)
  // when given, else they are NaN: the kernel itself does not evaluate the steady-state map.
  void replay_example(int example, Recorder& recorder, const StepResidualObserver* residuals = nullptr) const;

  // Spikes of recorded population p in example `example` at step s (for tests and the final residual).
  std::uint64_t spike_count(std::size_t population, int example, int step) const;

 private:
  std::size_t slot(std::size_t population, int example, int step) const;

  std::vector<int> recorder_index_;  // kernel PopulationId -> recorder population, -1 if not recorded
  std::vector<std::int64_t> widths_;
  int examples_, sequence_, steps_;
  bool keep_spikes_;
  std::vector<std::uint64_t> step_spikes_;                 // [population][example][step]
  std::vector<std::vector<std::uint32_t>> spike_node_ids_;  // [population][example][step], node = token*width + neuron
};

}  // namespace spikingbert::traces
