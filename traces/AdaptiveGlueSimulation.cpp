#include "traces/AdaptiveGlueSimulation.hpp"

#include "io/Error.hpp"
#include "traces/Convergence.hpp"
#include "traces/StoppingObserver.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <stdexcept>

namespace spikingbert::traces {

namespace {

// Per example: the stopping observer (traces/StoppingObserver.hpp), asked by the kernel after every step.
class AdaptiveHook final : public models::GlueExampleHook {
 public:
  AdaptiveHook(const models::SpikingBert& model, const models::SpikingBertEquilibrium<float>& steady_state,
               const AdaptiveOptions& options)
      : model_(model), steady_state_(steady_state), options_(options), sublayers_(model.sublayers().populations()) {}

  models::GlueExampleWatch begin_example(const models::TokenBatch& example, int index) override {
    auto& observer = examples_[index];
    observer = std::make_unique<StoppingObserver>(model_, steady_state_, example, sublayers_, options_.tolerance,
                                                  options_.stable_steps);
    StoppingObserver* watching = observer.get();
    return {watching, [watching](int step) { return watching->stop_after(step); }};
  }

  void end_example(const models::TokenBatch&, const models::ForwardResult& result, int index, int) override {
    const auto found = examples_.find(index);
    // The observer's last step is the run itself: its classifier output must be the kernel's.
    const auto logits = found->second->last_logits();
    if (!std::equal(logits.begin(), logits.end(), result.logits.begin(), result.logits.end()))
      throw std::logic_error("simulate_glue_set_adaptive: per-step rates disagree with the kernel's final rates");
    if (result.steps < options_.steps_max) ++stopped_early;
    evaluated_residuals += found->second->evaluated_residuals();
    examples_.erase(found);
  }

  std::int64_t stopped_early = 0;
  std::int64_t evaluated_residuals = 0;

 private:
  const models::SpikingBert& model_;
  const models::SpikingBertEquilibrium<float>& steady_state_;
  const AdaptiveOptions& options_;
  std::vector<sim::PopulationId> sublayers_;
  std::map<int, std::unique_ptr<StoppingObserver>> examples_;  // the examples of the round in flight
};

}  // namespace

AdaptiveResult simulate_glue_set_adaptive(const models::SpikingBert& model, const std::string& model_source,
                                          const models::GlueSet& set, const AdaptiveOptions& options) {
  if (options.steps_max < 1) throw io::InputError("command line", "--steps-max", "must be positive", ">= 1");
  if (!(options.tolerance > 0.0)) throw io::InputError("command line", "--converge-tol", "must be positive", "a tolerance > 0");
  if (options.stable_steps < 1) throw io::InputError("command line", "--stable-steps", "must be positive", ">= 1");
  const auto steady_state = models::steady_state_map(model, model_source);
  AdaptiveHook hook(model, steady_state, options);
  models::GlueSimulationOptions simulation;
  simulation.steps = options.steps_max;
  simulation.threads = options.threads;
  simulation.batch = options.batch;
  simulation.block_steps = 1;  // the stopping rule decides after every step: the kernel in step order
  simulation.final_residual = false;
  simulation.progress = options.progress;
  AdaptiveResult result;
  result.run = models::simulate_glue_set(model, model_source, set, simulation, &hook);
  result.stopped_early = hook.stopped_early;
  result.evaluated_residuals = hook.evaluated_residuals;
  return result;
}

}  // namespace spikingbert::traces
