#pragma once
// The early-exit decision of adaptive steps for one example (issue 4 item 3, issue 11 item 6), made as
// cheaply as the rule allows. The rule (traces/Convergence.hpp StoppingRule, method doc §9.3): the example
// may stop after step t when, for the k steps u = t-k+1 .. t,
//   r(u) = mean_i |a_O,i(u) - f_O,i(a(u))| < eps           (the last Output sub-layer, all its neurons)
//   label(u) = label(u-1) for u > t-k+1                       (argmax of the classifier at a_O(u), §1.4)
// with a(u) = count(0..u) * float32(1/(u+1)) the running ASRs (§2.2) and
//   f_O(a) = sigma(LN(W_O a_I + b_O + a_SO))                  (method doc §4, the last encoder layer)
// the last Output sub-layer's steady-state equation at the running rates of its own inputs, the last
// Intermediate and SelfOutput sub-layers. Nothing else of the steady-state map enters the rule, so only
// that equation is evaluated (SpikingBertEquilibrium::output_sublayer_forward, bit for bit the full map's
// value), and only when it can decide: the label (one ReLU dot product per class on token 0) is read at
// every step, r(u) only once the labels of the whole window agree, newest step first, and a step with
// r(u) >= eps rules out every window holding it, so the next k - 1 steps evaluate nothing. Each r(u) is
// computed at most once. The example stops at exactly the step StoppingRule fed r and the label at every
// step would choose (tests/traces/test_stopping_observer.cpp checks this against StepResidualObserver).
//
// It needs the kernel in step order (block_steps = 1) and its stop_after hook to be stop_after() below.
// Memory: the running counts of the three watched sub-layers for the last k steps.
#include "models/SpikingBert.hpp"
#include "models/SpikingBertEquilibrium.hpp"
#include "models/TokenBatch.hpp"
#include "sim/StepObserver.hpp"

#include <cstdint>
#include <span>
#include <vector>

namespace spikingbert::traces {

class StoppingObserver final : public sim::StepObserver {
 public:
  // sublayers[j]: the kernel population of sub-layer j (ForwardResult::sublayers / build_network).
  // `example` is a batch of one; the model, map and example must outlive the observer.
  StoppingObserver(const models::SpikingBert& model, const models::SpikingBertEquilibrium<float>& steady_state,
                   const models::TokenBatch& example, const std::vector<sim::PopulationId>& sublayers,
                   double tolerance, int stable_steps);

  void on_population_step(const sim::StepSpikes& spikes, const sim::OperationCounts& counts) override;
  // sim::KernelOptions::stop_after: called after every step in order; true when the example may stop there.
  bool stop_after(int step);

  // The classifier's outputs at the last decided step's running rates (num_labels values).
  std::span<const float> last_logits() const { return logits_; }
  // How many steps' residuals r(u) were evaluated.
  int evaluated_residuals() const { return evaluated_; }

 private:
  struct Snapshot {
    int step = -1;
    std::vector<std::uint32_t> counts[3];  // running counts of SelfOutput, Intermediate, Output (last layer)
    bool evaluated = false;
    double residual = 0.0;
  };
  double residual(Snapshot& snapshot);

  const models::SpikingBert& model_;
  const models::SpikingBertEquilibrium<float>& steady_state_;
  double tolerance_;
  int stable_steps_;
  std::int64_t rows_;
  std::int64_t widths_[3];
  sim::PopulationId watched_[3];                           // last SelfOutput, Intermediate, Output
  const std::vector<std::uint32_t>* running_[3] = {};      // the kernel's running counts once it updated them
  int last_step_ = -1;                                     // the last decided step
  int latest_observed_step_ = -1;
  int label_run_start_ = 0;   // first step of the current run of equal labels
  int blocked_until_ = 0;     // no window ending before this step can pass (it holds a failed residual)
  std::int64_t last_label_ = -1;
  std::vector<Snapshot> window_;                           // ring of the last k steps' counts
  std::vector<float> logits_;
  int evaluated_ = 0;
  std::vector<float> rates_[3];                            // scratch: a(u) of the watched sub-layers
  std::vector<float> steady_;                              // scratch: f_O(a(u))
  models::SpikingBertEquilibrium<float>::OutputSublayerScratch scratch_;
};

}  // namespace spikingbert::traces
