#include "traces/KernelTraceObserver.hpp"

#include <stdexcept>

namespace spikingbert::traces {

KernelTraceObserver::KernelTraceObserver(std::vector<sim::PopulationId> recorded, std::vector<std::int64_t> widths,
                                         int examples, int sequence, int steps, bool keep_spikes)
    : widths_(std::move(widths)), examples_(examples), sequence_(sequence), steps_(steps), keep_spikes_(keep_spikes) {
  if (recorded.size() != widths_.size()) throw std::invalid_argument("KernelTraceObserver: one width per population");
  for (std::size_t i = 0; i < recorded.size(); ++i) {
    const auto id = static_cast<std::size_t>(recorded[i]);
    if (recorder_index_.size() <= id) recorder_index_.resize(id + 1, -1);
    recorder_index_[id] = static_cast<int>(i);
  }
  const std::size_t slots = recorded.size() * static_cast<std::size_t>(examples_) * static_cast<std::size_t>(steps_);
  step_spikes_.assign(slots, 0);
  if (keep_spikes_) spike_node_ids_.resize(slots);
}

std::size_t KernelTraceObserver::slot(std::size_t population, int example, int step) const {
  return (population * static_cast<std::size_t>(examples_) + static_cast<std::size_t>(example)) *
             static_cast<std::size_t>(steps_) + static_cast<std::size_t>(step);
}

void KernelTraceObserver::on_population_step(const sim::StepSpikes& spikes, const sim::OperationCounts&) {
  const auto id = static_cast<std::size_t>(spikes.population);
  if (id >= recorder_index_.size() || recorder_index_[id] < 0) return;
  if (spikes.step < 0 || spikes.step >= steps_) throw std::logic_error("KernelTraceObserver: step out of range");
  if (spikes.rows != examples_ * sequence_) throw std::logic_error("KernelTraceObserver: rows do not match the batch");
  const auto population = static_cast<std::size_t>(recorder_index_[id]);
  const auto width = static_cast<std::uint32_t>(widths_[population]);
  for (int example = 0; example < examples_; ++example) {
    const auto at = slot(population, example, spikes.step);
    for (int token = 0; token < sequence_; ++token) {
      const auto fired = spikes.row(example * sequence_ + token);
      step_spikes_[at] += fired.size();
      if (keep_spikes_)
        for (const auto neuron : fired) spike_node_ids_[at].push_back(static_cast<std::uint32_t>(token) * width + neuron);
    }
  }
}

std::uint64_t KernelTraceObserver::spike_count(std::size_t population, int example, int step) const {
  return step_spikes_.at(slot(population, example, step));
}

void KernelTraceObserver::replay_example(int example, Recorder& recorder, const StepResidualObserver* residuals) const {
  const std::size_t populations = widths_.size();
  if (residuals && (residuals->sublayer_count() != populations || residuals->steps() != steps_ ||
                    residuals->examples() != examples_))
    throw std::logic_error("KernelTraceObserver: residuals of another batch");
  std::vector<std::uint64_t> cumulative(populations, 0);
  for (int step = 0; step < steps_; ++step) {
    for (std::size_t p = 0; p < populations; ++p) {
      const auto at = slot(p, example, step);
      cumulative[p] += step_spikes_[at];
      if (keep_spikes_ && recorder.wants_spikes() && !spike_node_ids_[at].empty())
        recorder.record_spikes(p, step, spike_node_ids_[at]);
      // Running mean ASR after step s: spikes so far / (neurons x (s+1)) (method doc §2.2).
      StepStatistics statistics;
      const double neurons = static_cast<double>(sequence_) * static_cast<double>(widths_[p]);
      statistics.mean_asr = static_cast<double>(cumulative[p]) / (neurons * static_cast<double>(step + 1));
      if (residuals) {
        const auto norms = residuals->residual(example, step, p);
        statistics.residual_mean_abs = norms.mean_abs;
        statistics.residual_max = norms.max_abs;
      }
      recorder.record_step(p, step, statistics);
    }
  }
}

}  // namespace spikingbert::traces
