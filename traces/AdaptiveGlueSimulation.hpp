#pragma once
// Adaptive time steps (issue 4 item 3; no anchor has this): every example of a GLUE set is simulated on
// its own for at most T_max steps with per-step residuals (traces/StepResidualObserver.hpp), and stops
// at the first step where the StoppingRule (traces/Convergence.hpp) holds: the predicted label has not
// changed and the mean absolute residual of the last Output sub-layer has stayed below the tolerance for
// k consecutive steps. The example's prediction, mean ASR and operation counts are those at its stopping
// step; because the dynamics are causal, they are exactly what a run cut at that step produces.
//
// The same simulation also gives the fixed-T result at T = T_max (every example run to the end), so the
// report compares both on identical spikes. (The kernel still simulates all T_max steps; stopping saves
// synaptic events and energy on hardware, which is what is reported, not wall time here.)
#include "models/GlueSimulation.hpp"
#include "sim/OperationCounts.hpp"

#include <cstdint>
#include <functional>
#include <vector>

namespace spikingbert::traces {

struct AdaptiveOptions {
  int steps_max = 0;          // T_max
  double tolerance = 0.0;     // ε on the last Output sub-layer's mean absolute residual
  int stable_steps = 0;       // k
  int threads = 1;
  std::function<void(int done, int total, double seconds)> progress;  // after each example; may be empty
};

// One way of stopping (adaptive, or fixed at T_max) over the whole set.
struct StoppingOutcome {
  std::vector<io::MetricValue> metrics;
  std::vector<int> predictions;                // per example (-1 for regression)
  std::vector<double> predicted_scores;        // per example, regression only
  std::vector<std::int64_t> steps;             // steps used per example
  double mean_steps = 0.0;
  std::vector<double> mean_asr;                // per sub-layer, real tokens, at each example's last step
  std::vector<sim::OperationCounts> counts;    // per sub-layer, summed up to each example's last step
  std::uint64_t synaptic_events = 0;           // all populations, up to each example's last step
};

struct AdaptiveResult {
  int examples = 0;
  int steps_max = 0;
  double seconds = 0.0;
  std::vector<std::int64_t> simulated_tokens;  // per example
  StoppingOutcome adaptive, fixed;             // fixed: every example at T_max
  std::int64_t stopped_early = 0;              // examples whose rule held before T_max
};

AdaptiveResult simulate_glue_set_adaptive(const models::SpikingBert& model, const std::string& model_source,
                                          const models::GlueSet& set, const AdaptiveOptions& options);

}  // namespace spikingbert::traces
