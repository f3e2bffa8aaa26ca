#pragma once
// A Recorder that keeps, over a whole run, the per-step mean (over examples) of every sub-layer's
// running mean ASR and residuals: P × T numbers, whatever the number of examples. It gives the
// end-of-run sparsity (final mean ASR per sub-layer) and the convergence table (traces/Convergence.hpp)
// that `spikingbert run` prints. Combine it with an Hdf5Recorder through RecorderFanout.
#include "traces/Convergence.hpp"
#include "traces/BufferedRecorder.hpp"
#include "traces/Recorder.hpp"

#include <iosfwd>
#include <vector>

namespace spikingbert::traces {

class RunStatistics final : public BufferedRecorder {
 public:
  TraceLevel level() const override { return TraceLevel::summary; }
  void begin_run(const RunInfo& run) override;
  // Word pieces are not statistics: not kept.
  void record_word_pieces(std::span<const std::string>) override {}
  void end_example(const ExampleOutcome& outcome) override;
  void end_run() override { buffer_.end_run(); }

  std::int64_t examples() const { return examples_; }
  double mean_steps() const;
  // Mean over examples of the sub-layer's mean ASR at each example's last step (sparsity).
  std::vector<double> final_mean_asr() const;
  // Per-step means over the examples that ran that step; NaN where no example recorded a value.
  std::vector<double> mean_asr_curve(std::size_t population) const { return curve(asr_sum_, asr_count_, population); }
  std::vector<double> residual_curve(std::size_t population) const {
    return curve(residual_sum_, residual_count_, population);
  }
  // Convergence of the mean residual curve of every sub-layer that has residuals.
  std::vector<SublayerConvergence> convergence(double tolerance) const;
  void print_convergence_table(std::ostream& out, double tolerance) const;

 private:
  std::vector<double> curve(const std::vector<double>& sum, const std::vector<std::int64_t>& count,
                            std::size_t population) const;

  std::vector<double> asr_sum_, residual_sum_, final_asr_sum_;
  std::vector<std::int64_t> asr_count_, residual_count_;
  std::int64_t examples_ = 0, total_steps_ = 0;
};

// Forwards every call to several recorders (e.g. an Hdf5Recorder and a RunStatistics). Its level is
// the highest of theirs; each recorder keeps only what its own level asks for.
class RecorderFanout final : public Recorder {
 public:
  explicit RecorderFanout(std::vector<Recorder*> recorders) : recorders_(std::move(recorders)) {}
  TraceLevel level() const override;
  void begin_run(const RunInfo& run) override;
  void begin_example(std::int64_t example_index, std::int64_t tokens) override;
  void record_word_pieces(std::span<const std::string> word_pieces) override;
  void record_step(std::size_t population, std::int64_t step, const StepStatistics& statistics) override;
  void record_spikes(std::size_t population, std::int64_t step, std::span<const std::uint32_t> node_ids) override;
  void record_final_asr(std::size_t population, std::span<const float> asr) override;
  void end_example(const ExampleOutcome& outcome) override;
  void end_run() override;

 private:
  std::vector<Recorder*> recorders_;
};

}  // namespace spikingbert::traces
