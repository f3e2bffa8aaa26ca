#include "traces/StepResidualObserver.hpp"

#include <algorithm>
#include <span>
#include <stdexcept>

namespace spikingbert::traces {

StepResidualObserver::StepResidualObserver(const models::SpikingBert& model,
                                           const models::SpikingBertEquilibrium<float>& steady_state,
                                           const models::TokenBatch& batch, std::vector<sim::PopulationId> sublayers,
                                           int steps, sim::StepObserver* next)
    : model_(model),
      steady_state_(steady_state),
      batch_(batch),
      sublayers_(std::move(sublayers)),
      steps_(steps),
      examples_(static_cast<int>(batch.batch)),
      sequence_(static_cast<int>(batch.sequence)),
      next_(next) {
  if (static_cast<int>(sublayers_.size()) != model.sublayers().size())
    throw std::invalid_argument("StepResidualObserver: one population per sub-layer");
  if (steps_ < 1) throw std::invalid_argument("StepResidualObserver: steps must be positive");
  for (std::size_t j = 0; j < sublayers_.size(); ++j) {
    const auto id = static_cast<std::size_t>(sublayers_[j]);
    if (sublayer_of_population_.size() <= id) sublayer_of_population_.resize(id + 1, -1);
    sublayer_of_population_[id] = static_cast<int>(j);
    widths_.push_back(model.sublayers().width(static_cast<int>(j)));
    spike_count_.emplace_back(static_cast<std::size_t>(batch.rows()) * static_cast<std::size_t>(widths_.back()), 0u);
    rates_.emplace_back(spike_count_.back().size(), 0.0f);
  }
  const auto cells = static_cast<std::size_t>(examples_) * static_cast<std::size_t>(steps_);
  residuals_.assign(cells * sublayers_.size(), ResidualNorms{});
  predicted_.assign(cells, -1);
  logits_.assign(cells * static_cast<std::size_t>(model.config().num_labels), 0.0f);
  real_token_spikes_.assign(cells * sublayers_.size(), 0);
  step_counts_.assign(sublayers_.size() * static_cast<std::size_t>(steps_), sim::OperationCounts{});
  total_counts_.assign(static_cast<std::size_t>(steps_), sim::OperationCounts{});
}

std::size_t StepResidualObserver::cell(int example, int step) const {
  if (example < 0 || example >= examples_ || step < 0 || step >= steps_)
    throw std::out_of_range("StepResidualObserver: example or step out of range");
  return static_cast<std::size_t>(example) * static_cast<std::size_t>(steps_) + static_cast<std::size_t>(step);
}

void StepResidualObserver::on_population_step(const sim::StepSpikes& spikes, const sim::OperationCounts& counts) {
  if (spikes.step < next_step_to_evaluate_)
    throw std::logic_error("StepResidualObserver: calls out of step order (run the event kernel with block_steps = 1)");
  if (spikes.step >= steps_) throw std::logic_error("StepResidualObserver: step out of range");
  // Every population has finished the steps before this one: their rates are final for those steps.
  while (next_step_to_evaluate_ < spikes.step) evaluate(next_step_to_evaluate_++);
  last_observed_step_ = std::max(last_observed_step_, spikes.step);
  total_counts_[static_cast<std::size_t>(spikes.step)] += counts;
  const auto id = static_cast<std::size_t>(spikes.population);
  if (id < sublayer_of_population_.size() && sublayer_of_population_[id] >= 0) {
    const auto j = static_cast<std::size_t>(sublayer_of_population_[id]);
    if (spikes.rows != static_cast<int>(batch_.rows())) throw std::logic_error("StepResidualObserver: rows differ from the batch");
    const auto width = static_cast<std::size_t>(widths_[j]);
    auto& count = spike_count_[j];
    for (int row = 0; row < spikes.rows; ++row) {
      const auto fired = spikes.row(row);
      for (const auto neuron : fired) ++count[static_cast<std::size_t>(row) * width + neuron];
      if (batch_.attention_mask[static_cast<std::size_t>(row)] != 0)
        real_token_spikes_[j * residuals_.size() / sublayers_.size() + cell(row / sequence_, spikes.step)] += fired.size();
    }
    step_counts_[j * static_cast<std::size_t>(steps_) + static_cast<std::size_t>(spikes.step)] += counts;
  }
  if (next_) next_->on_population_step(spikes, counts);
}

void StepResidualObserver::evaluate_through(int step) {
  if (step > last_observed_step_) throw std::logic_error("StepResidualObserver: step not simulated yet");
  while (next_step_to_evaluate_ <= step) evaluate(next_step_to_evaluate_++);
}

void StepResidualObserver::evaluate(int step) {
  // a(s) = count * float32(1/(s+1)), the running ASR as RunResult::asr computes it at T = s+1 (method doc §2.2).
  const float inverse_steps = static_cast<float>(1.0 / static_cast<double>(step + 1));
  std::vector<const float*> given;
  for (std::size_t j = 0; j < sublayers_.size(); ++j) {
    for (std::size_t i = 0; i < rates_[j].size(); ++i) rates_[j][i] = static_cast<float>(spike_count_[j][i]) * inverse_steps;
    given.push_back(rates_[j].data());
  }
  // f_j(a(s)): every sub-layer's steady-state equation at the current rates of its inputs (method doc §4).
  // With the feedback projection in the network, the embedding sub-layer also reads the last Output's rates.
  const float* feedback = model_.weights().feedback.weight ? rates_.back().data() : nullptr;
  steady_state_.forward(batch_, activations_, {}, given, {}, feedback);
  for (int example = 0; example < examples_; ++example) {
    const auto at = cell(example, step);
    for (std::size_t j = 0; j < sublayers_.size(); ++j) {
      const auto per_example = static_cast<std::size_t>(sequence_) * static_cast<std::size_t>(widths_[j]);
      const auto offset = static_cast<std::size_t>(example) * per_example;
      residuals_[at * sublayers_.size() + j] =
          residual_norms(std::span<const float>(rates_[j].data() + offset, per_example),
                         std::span<const float>(activations_.rates[j].data() + offset, per_example));
    }
  }
  // The label the classifier reads off the running rates of the last Output sub-layer (method doc §1.4).
  const auto labels = static_cast<std::size_t>(model_.config().num_labels);
  const auto logits = model_.classify(rates_.back(), examples_, sequence_);
  for (int example = 0; example < examples_; ++example) {
    const float* row = logits.data() + static_cast<std::size_t>(example) * labels;
    std::copy(row, row + labels, logits_.begin() + static_cast<std::ptrdiff_t>(cell(example, step) * labels));
    if (labels > 1) predicted_[cell(example, step)] = std::max_element(row, row + labels) - row;
  }
}

ResidualNorms StepResidualObserver::residual(int example, int step, std::size_t sublayer) const {
  if (sublayer >= sublayers_.size()) throw std::out_of_range("StepResidualObserver: sub-layer out of range");
  if (step >= next_step_to_evaluate_) throw std::logic_error("StepResidualObserver: step not evaluated yet");
  return residuals_[cell(example, step) * sublayers_.size() + sublayer];
}

std::int64_t StepResidualObserver::predicted_label(int example, int step) const {
  if (step >= next_step_to_evaluate_) throw std::logic_error("StepResidualObserver: step not evaluated yet");
  return predicted_[cell(example, step)];
}

std::span<const float> StepResidualObserver::logits(int example, int step) const {
  if (step >= next_step_to_evaluate_) throw std::logic_error("StepResidualObserver: step not evaluated yet");
  const auto labels = static_cast<std::size_t>(model_.config().num_labels);
  return std::span<const float>(logits_.data() + cell(example, step) * labels, labels);
}

std::uint64_t StepResidualObserver::real_token_spikes(std::size_t sublayer, int example, int step) const {
  if (sublayer >= sublayers_.size()) throw std::out_of_range("StepResidualObserver: sub-layer out of range");
  return real_token_spikes_[sublayer * residuals_.size() / sublayers_.size() + cell(example, step)];
}

const sim::OperationCounts& StepResidualObserver::total_counts(int step) const {
  if (step < 0 || step >= steps_) throw std::out_of_range("StepResidualObserver: step out of range");
  return total_counts_[static_cast<std::size_t>(step)];
}

const sim::OperationCounts& StepResidualObserver::counts(std::size_t sublayer, int step) const {
  if (sublayer >= sublayers_.size() || step < 0 || step >= steps_)
    throw std::out_of_range("StepResidualObserver: sub-layer or step out of range");
  return step_counts_[sublayer * static_cast<std::size_t>(steps_) + static_cast<std::size_t>(step)];
}

}  // namespace spikingbert::traces
