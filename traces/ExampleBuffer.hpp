#pragma once
// Collects everything recorded for one example and checks the Recorder call contract
// (traces/Recorder.hpp). Both backends use it: MemoryRecorder keeps finished buffers, Hdf5Recorder
// writes them out at end_example. Memory is one example's worth: [populations x T] statistics, the
// example's spikes (spikes level) and one [tokens, width] ASR map per population (neurons level).
// Misuse of the contract (wrong order, index out of range) is a programming error: std::logic_error.
#include "traces/Recorder.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace spikingbert::traces {

struct PopulationSpikes {
  std::vector<std::int64_t> steps;      // step of each spike, nondecreasing after finish()
  std::vector<std::uint32_t> node_ids;  // token*width + neuron; within a step sorted ascending
};

class ExampleBuffer {
 public:
  void begin_run(const RunInfo& run, TraceLevel level);
  void begin_example(std::int64_t example_index, std::int64_t tokens);
  void record_word_pieces(std::span<const std::string> word_pieces);  // exactly `tokens` of them
  void record_step(std::size_t population, std::int64_t step, const StepStatistics& statistics);
  void record_spikes(std::size_t population, std::int64_t step, std::span<const std::uint32_t> node_ids);
  void record_final_asr(std::size_t population, std::span<const float> asr);
  // Checks completeness, fixes the step count and sorts spikes by (step, node id) so the stored
  // order does not depend on the order of calls (threads). The buffer stays readable until the
  // next begin_example.
  void finish(const ExampleOutcome& outcome);

  bool in_run() const { return in_run_; }
  bool in_example() const { return in_example_; }
  const RunInfo& run() const { return run_; }
  TraceLevel level() const { return level_; }
  std::size_t population_count() const { return run_.populations.size(); }
  std::int64_t max_steps() const { return run_.steps; }

  std::int64_t example_index() const { return example_index_; }
  std::int64_t tokens() const { return tokens_; }
  std::int64_t steps() const { return steps_; }
  std::int64_t predicted_label() const { return predicted_label_; }
  std::int64_t label() const { return label_; }
  const std::vector<std::string>& word_pieces() const { return word_pieces_; }  // empty if none recorded
  // Row-major [populations, max_steps]; NaN where nothing was recorded.
  const std::vector<double>& mean_asr() const { return mean_asr_; }
  const std::vector<double>& residual_mean_abs() const { return residual_mean_abs_; }
  const std::vector<double>& residual_max() const { return residual_max_; }
  const PopulationSpikes& spikes(std::size_t population) const { return spikes_.at(population); }
  // Empty below the neurons level.
  const std::vector<float>& final_asr(std::size_t population) const { return final_asr_.at(population); }  // [tokens, width]

  void end_run();

 private:
  void check_population(std::size_t population, const char* call) const;
  void check_step(std::int64_t step, const char* call) const;

  RunInfo run_;
  TraceLevel level_ = TraceLevel::summary;
  bool in_run_ = false;
  bool in_example_ = false;
  std::int64_t example_index_ = -1, tokens_ = 0, steps_ = 0, predicted_label_ = -1, label_ = -1;
  std::int64_t last_recorded_step_ = -1;
  std::vector<std::string> word_pieces_;
  std::vector<double> mean_asr_, residual_mean_abs_, residual_max_;
  std::vector<PopulationSpikes> spikes_;
  std::vector<std::vector<float>> final_asr_;
};

}  // namespace spikingbert::traces
