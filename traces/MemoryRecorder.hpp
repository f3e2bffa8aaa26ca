#pragma once
// A Recorder that keeps every example in memory: for tests, and for callers that want the numbers
// (e.g. convergence analysis right after a short run). Memory grows with the number of examples, so
// long runs use Hdf5Recorder instead.
#include "traces/BufferedRecorder.hpp"
#include "traces/RecordedExample.hpp"
#include "traces/Recorder.hpp"

#include <vector>

namespace spikingbert::traces {

class MemoryRecorder final : public BufferedRecorder {
 public:
  explicit MemoryRecorder(TraceLevel level = TraceLevel::spikes) : level_(level) {}

  TraceLevel level() const override { return level_; }
  void begin_run(const RunInfo& run) override { buffer_.begin_run(run, level_); }
  void end_example(const ExampleOutcome& outcome) override;
  void end_run() override {
    buffer_.end_run();
    finished_ = true;
  }

  const RunInfo& run() const { return buffer_.run(); }
  const std::vector<RecordedExample>& examples() const { return examples_; }
  bool finished() const { return finished_; }
  // Mean ASR series of one population in one example, steps [0, steps).
  std::vector<double> mean_asr_series(std::size_t example, std::size_t population) const;
  std::vector<double> residual_series(std::size_t example, std::size_t population) const;

 private:
  std::vector<double> series(const std::vector<double>& table, std::size_t example, std::size_t population) const;

  TraceLevel level_;
  std::vector<RecordedExample> examples_;
  bool finished_ = false;
};

}  // namespace spikingbert::traces
