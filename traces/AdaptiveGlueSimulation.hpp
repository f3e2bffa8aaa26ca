#pragma once
// Adaptive time steps (issue 4 item 3, issue 11 item 6): every example of a GLUE set is simulated for at
// most T_max steps, and its simulation ends at the first step where the stopping rule holds: the
// predicted label has not changed and the mean absolute residual of the last Output sub-layer has stayed
// below the tolerance for k consecutive steps (traces/StoppingObserver.hpp evaluates the rule, only the
// last Output sub-layer's equation and only when it can decide). The kernel's early-exit hook
// (sim::KernelOptions::stop_after) stops it there, so the reported time, synaptic events, energy and mean
// ASR are those of the steps actually run; because the dynamics are causal, they are exactly what a fixed
// run of that many steps produces. Compare with a fixed run (`run --steps T_max`) for the accuracy cost.
#include "models/GlueSimulation.hpp"

#include <cstdint>
#include <functional>

namespace spikingbert::traces {

struct AdaptiveOptions {
  int steps_max = 0;          // T_max
  double tolerance = 0.0;     // ε on the last Output sub-layer's mean absolute residual
  int stable_steps = 0;       // k
  int threads = 1;
  int batch = 32;             // examples simulated concurrently (models::GlueSimulationOptions::batch)
  std::function<void(int done, int total, double seconds)> progress;  // after each round; may be empty
};

struct AdaptiveResult {
  models::GlueSimulationResult run;   // counts, steps and ASR of the steps each example ran
  std::int64_t stopped_early = 0;     // examples whose rule held before T_max
  std::int64_t evaluated_residuals = 0;  // steps whose last Output residual the rule evaluated, all examples
};

AdaptiveResult simulate_glue_set_adaptive(const models::SpikingBert& model, const std::string& model_source,
                                          const models::GlueSet& set, const AdaptiveOptions& options);

}  // namespace spikingbert::traces
