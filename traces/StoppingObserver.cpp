#include "traces/StoppingObserver.hpp"

#include "traces/Convergence.hpp"

#include <algorithm>
#include <stdexcept>

namespace spikingbert::traces {

StoppingObserver::StoppingObserver(const models::SpikingBert& model,
                                   const models::SpikingBertEquilibrium<float>& steady_state,
                                   const models::TokenBatch& example, const std::vector<sim::PopulationId>& sublayers,
                                   double tolerance, int stable_steps)
    : model_(model),
      steady_state_(steady_state),
      tolerance_(tolerance),
      stable_steps_(stable_steps),
      rows_(example.rows()) {
  if (example.batch != 1) throw std::invalid_argument("StoppingObserver: one example at a time");
  if (stable_steps_ < 1) throw std::invalid_argument("StoppingObserver: stable steps must be positive");
  const int last_output = model.sublayers().size() - 1;  // method doc §1.3 order: ..., SO, I, O
  if (static_cast<int>(sublayers.size()) != last_output + 1)
    throw std::invalid_argument("StoppingObserver: one population per sub-layer");
  for (int w = 0; w < 3; ++w) {
    const int sublayer = last_output - 2 + w;
    watched_[w] = sublayers[static_cast<std::size_t>(sublayer)];
    widths_[w] = model.sublayers().width(sublayer);
    rates_[w].resize(static_cast<std::size_t>(rows_ * widths_[w]));
  }
  window_.resize(static_cast<std::size_t>(stable_steps_));
  steady_.resize(rates_[2].size());
}

void StoppingObserver::on_population_step(const sim::StepSpikes& spikes, const sim::OperationCounts&) {
  // Step order: nothing of a step after the last decided one but the next (block_steps = 1).
  if (spikes.step != last_step_ + 1)
    throw std::logic_error("StoppingObserver: calls out of step order (run the event kernel with block_steps = 1)");
  latest_observed_step_ = spikes.step;
  for (int w = 0; w < 3; ++w)
    if (spikes.population == watched_[w]) running_[w] = spikes.running_spike_count;
}

double StoppingObserver::residual(Snapshot& snapshot) {
  if (snapshot.evaluated) return snapshot.residual;
  // a(u) = count * float32(1/(u+1)), as RunResult::asr at T = u+1 (method doc §2.2).
  const float inverse_steps = static_cast<float>(1.0 / static_cast<double>(snapshot.step + 1));
  for (int w = 0; w < 3; ++w)
    for (std::size_t i = 0; i < rates_[w].size(); ++i)
      rates_[w][i] = static_cast<float>(snapshot.counts[w][i]) * inverse_steps;
  steady_state_.output_sublayer_forward(model_.config().num_hidden_layers - 1, rows_, rates_[1].data(), rates_[0].data(),
                                        scratch_, steady_.data());
  snapshot.residual = residual_norms(rates_[2], steady_).mean_abs;
  snapshot.evaluated = true;
  ++evaluated_;
  return snapshot.residual;
}

bool StoppingObserver::stop_after(int step) {
  if (step != last_step_ + 1 || latest_observed_step_ > step)
    throw std::logic_error("StoppingObserver: a step without a stopping decision (run with block_steps = 1)");
  last_step_ = step;
  Snapshot& snapshot = window_[static_cast<std::size_t>(step % stable_steps_)];
  snapshot.step = step;
  snapshot.evaluated = false;
  for (int w = 0; w < 3; ++w) {
    const auto size = static_cast<std::size_t>(rows_ * widths_[w]);
    if (running_[w]) snapshot.counts[w].assign(running_[w]->begin(), running_[w]->begin() + static_cast<std::ptrdiff_t>(size));
    else snapshot.counts[w].assign(size, 0u);  // not updated yet: no spike so far
  }

  // The label at a_O(step), token 0 only: what SpikingBert::classify reads (method doc §1.4).
  const auto hidden = static_cast<std::size_t>(widths_[2]);
  const float inverse_steps = static_cast<float>(1.0 / static_cast<double>(step + 1));
  std::vector<float> token0(hidden);
  for (std::size_t i = 0; i < hidden; ++i) token0[i] = static_cast<float>(snapshot.counts[2][i]) * inverse_steps;
  logits_ = model_.classify(token0, 1, 1);
  const std::int64_t label =
      logits_.size() > 1 ? std::max_element(logits_.begin(), logits_.end()) - logits_.begin() : std::int64_t{-1};
  if (step == 0 || label != last_label_) label_run_start_ = step;
  last_label_ = label;

  // The window [step-k+1, step] passes when its labels agree after its first step and every residual is
  // below the tolerance (NaN is not below).
  const int first = step - stable_steps_ + 1;
  if (first < 0 || first < label_run_start_ || step < blocked_until_) return false;
  for (int u = step; u >= first; --u) {
    Snapshot& held = window_[static_cast<std::size_t>(u % stable_steps_)];
    if (!(residual(held) < tolerance_)) {
      blocked_until_ = u + stable_steps_;
      return false;
    }
  }
  return true;
}

}  // namespace spikingbert::traces
