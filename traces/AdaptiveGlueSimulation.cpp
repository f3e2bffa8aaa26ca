#include "traces/AdaptiveGlueSimulation.hpp"

#include "io/Error.hpp"
#include "traces/Convergence.hpp"
#include "traces/StepResidualObserver.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>

namespace spikingbert::traces {

namespace {

// The sub-layer populations do not depend on the batch: read them off a 1-token batch.
std::vector<sim::PopulationId> sublayer_populations(const models::SpikingBert& model) {
  models::TokenBatch probe;
  probe.batch = 1;
  probe.sequence = 1;
  probe.token_ids = {0};
  probe.segment_ids = {0};
  probe.attention_mask = {1};
  return model.build_network(probe).sublayers;
}

struct Accumulator {
  std::vector<double> real_token_spikes, real_token_neuron_steps;
  StoppingOutcome outcome;
  explicit Accumulator(std::size_t sublayers)
      : real_token_spikes(sublayers, 0.0), real_token_neuron_steps(sublayers, 0.0) {
    outcome.counts.resize(sublayers);
  }
  // Adds example 0 of `observer` as if it had stopped after step `last` (0-based).
  void add(const StepResidualObserver& observer, const models::SpikingBert& model, const models::TokenBatch& batch,
           int last, bool regression) {
    std::int64_t real_tokens = 0;
    for (const auto mask : batch.attention_mask) real_tokens += mask != 0;
    for (std::size_t j = 0; j < outcome.counts.size(); ++j) {
      for (int s = 0; s <= last; ++s) {
        real_token_spikes[j] += static_cast<double>(observer.real_token_spikes(j, 0, s));
        outcome.counts[j] += observer.counts(j, s);
      }
      // Mean ASR over real tokens at the stopping step: spikes / (neurons x steps) (method doc §2.2).
      real_token_neuron_steps[j] += static_cast<double>(real_tokens) *
                                    static_cast<double>(model.sublayer_width(static_cast<int>(j))) * (last + 1);
    }
    for (int s = 0; s <= last; ++s) outcome.synaptic_events += observer.total_counts(s).synaptic_events;
    const auto logits = observer.logits(0, last);
    if (regression) outcome.predicted_scores.push_back(logits[0]);
    outcome.predictions.push_back(static_cast<int>(observer.predicted_label(0, last)));
    outcome.steps.push_back(last + 1);
  }
  void finish(const models::GlueSet& set) {
    outcome.mean_asr.resize(real_token_spikes.size());
    for (std::size_t j = 0; j < real_token_spikes.size(); ++j)
      outcome.mean_asr[j] = real_token_neuron_steps[j] > 0 ? real_token_spikes[j] / real_token_neuron_steps[j] : 0.0;
    double total = 0.0;
    for (const auto steps : outcome.steps) total += static_cast<double>(steps);
    outcome.mean_steps = outcome.steps.empty() ? 0.0 : total / static_cast<double>(outcome.steps.size());
    outcome.metrics = models::glue_set_metrics(set, outcome.predictions, outcome.predicted_scores);
  }
};

}  // namespace

AdaptiveResult simulate_glue_set_adaptive(const models::SpikingBert& model, const std::string& model_source,
                                          const models::GlueSet& set, const AdaptiveOptions& options) {
  if (options.steps_max < 1) throw io::InputError("command line", "--steps-max", "must be positive", ">= 1");
  if (!(options.tolerance > 0.0)) throw io::InputError("command line", "--converge-tol", "must be positive", "a tolerance > 0");
  if (options.stable_steps < 1) throw io::InputError("command line", "--stable-steps", "must be positive", ">= 1");
  if (options.threads < 1) throw io::InputError("command line", "--threads", "must be positive", ">= 1");
  const auto steady_state = models::steady_state_map(model, model_source);
  const auto sublayers = sublayer_populations(model);
  const std::size_t last_output = sublayers.size() - 1;  // the last Output sub-layer (method doc §1.3 order)
  const bool regression = set.is_regression();
  sim::KernelOptions kernel;
  kernel.steps = options.steps_max;
  kernel.threads = options.threads;
  kernel.block_steps = 1;  // the residual observer needs the kernel's calls in step order

  AdaptiveResult result;
  result.examples = set.encoded.count;
  result.steps_max = options.steps_max;
  Accumulator adaptive(sublayers.size()), fixed(sublayers.size());
  const auto start = std::chrono::steady_clock::now();
  for (int example = 0; example < set.encoded.count; ++example) {
    const auto batch = models::glue_batch(set, example, 1, /*trim_padding=*/true);
    model.validate(batch, set.data);
    StepResidualObserver observer(model, steady_state, batch, sublayers, options.steps_max);
    kernel.observer = &observer;
    const auto forward = model.forward(batch, kernel, models::KernelKind::kEvent);
    observer.finish();
    // The observer's last step is the fixed-T run itself: its classifier output must be the kernel's.
    const auto last_logits = observer.logits(0, options.steps_max - 1);
    if (!std::equal(last_logits.begin(), last_logits.end(), forward.logits.begin()))
      throw std::logic_error("simulate_glue_set_adaptive: per-step rates disagree with the kernel's final rates");
    // Regression heads have no label: the rule then watches the residual alone.
    StoppingRule rule(options.tolerance, options.stable_steps);
    int stop = options.steps_max - 1;
    for (int s = 0; s < options.steps_max; ++s) {
      if (rule.observe(observer.predicted_label(0, s), observer.residual(0, s, last_output).mean_abs)) {
        stop = s;
        break;
      }
    }
    if (stop < options.steps_max - 1) ++result.stopped_early;
    adaptive.add(observer, model, batch, stop, regression);
    fixed.add(observer, model, batch, options.steps_max - 1, regression);
    result.simulated_tokens.push_back(batch.sequence);
    if (options.progress)
      options.progress(example + 1, set.encoded.count,
                       std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  adaptive.finish(set);
  fixed.finish(set);
  result.adaptive = std::move(adaptive.outcome);
  result.fixed = std::move(fixed.outcome);
  return result;
}

}  // namespace spikingbert::traces
