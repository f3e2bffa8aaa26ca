#pragma once
// Per-step convergence residuals of a simulated batch (issue 4 item 2, method doc §9.3): after every
// step s it takes the running ASRs a(s) = count(0..s) / (s+1) of all sub-layers (method doc §2.2),
// evaluates the steady-state map f (method doc §4) with those rates as every sub-layer's inputs, and
// keeps, per example and sub-layer, r_j(s) = ‖a_j(s) − f_j(a(s))‖ (mean absolute and max over the
// example's seq × width neurons), the label the classifier would predict from a(s) (method doc §1.4)
// and the operations the kernel counted at step s. This costs one steady-state evaluation of the batch
// per step, so callers create it only when a summary trace or adaptive stopping asks for residuals.
//
// It needs the kernel's calls in step order (sim/StepObserver.hpp): run the event kernel with
// block_steps = 1 (the dense kernel always is). A step is evaluated when the first call of a later step
// arrives, the last one by finish(). Calls are forwarded to an optional next observer (a trace).
//
// Memory: one running count per neuron of the batch (as the kernel's own), one steady-state evaluation
// of the batch, and examples × steps × sub-layers numbers; nothing grows with the number of batches.
#include "models/SpikingBert.hpp"
#include "models/SpikingBertEquilibrium.hpp"
#include "models/TokenBatch.hpp"
#include "sim/OperationCounts.hpp"
#include "sim/StepObserver.hpp"
#include "traces/Convergence.hpp"

#include <cstdint>
#include <span>
#include <vector>

namespace spikingbert::traces {

class StepResidualObserver final : public sim::StepObserver {
 public:
  // sublayers[j]: the kernel population of sub-layer j (ForwardResult::sublayers / build_network).
  // The model, map and batch must outlive the observer.
  StepResidualObserver(const models::SpikingBert& model, const models::SpikingBertEquilibrium<float>& steady_state,
                       const models::TokenBatch& batch, std::vector<sim::PopulationId> sublayers, int steps,
                       sim::StepObserver* next = nullptr);

  void on_population_step(const sim::StepSpikes& spikes, const sim::OperationCounts& counts) override;
  // Evaluates the steps up to and including `step` not yet evaluated (an early-exit hook needs step s's
  // residual before the kernel goes on, sim::KernelOptions::stop_after).
  void evaluate_through(int step);
  // Evaluates every observed step not yet evaluated (call once after the forward pass; a run ended early
  // by stop_after has fewer steps than `steps`).
  void finish() { evaluate_through(last_observed_step_); }

  int steps() const { return steps_; }
  int examples() const { return examples_; }
  std::size_t sublayer_count() const { return sublayers_.size(); }
  ResidualNorms residual(int example, int step, std::size_t sublayer) const;
  // Argmax of the classifier at step s's running rates; -1 for a regression head (one output).
  std::int64_t predicted_label(int example, int step) const;
  // The classifier's outputs at step s's running rates, num_labels values.
  std::span<const float> logits(int example, int step) const;
  // Spikes of sub-layer j at step s in the example's real (unmasked) tokens.
  std::uint64_t real_token_spikes(std::size_t sublayer, int example, int step) const;
  // Operations of sub-layer j at step s, summed over the batch's examples (the kernel counts per population).
  const sim::OperationCounts& counts(std::size_t sublayer, int step) const;
  // Operations of every population of the network at step s.
  const sim::OperationCounts& total_counts(int step) const;

 private:
  void evaluate(int step);
  std::size_t cell(int example, int step) const;

  const models::SpikingBert& model_;
  const models::SpikingBertEquilibrium<float>& steady_state_;
  const models::TokenBatch& batch_;
  std::vector<sim::PopulationId> sublayers_;
  std::vector<int> sublayer_of_population_;  // kernel PopulationId -> sub-layer, -1 if not a sub-layer
  std::vector<std::int64_t> widths_;
  int steps_, examples_, sequence_;
  sim::StepObserver* next_;
  int next_step_to_evaluate_ = 0;
  int last_observed_step_ = -1;
  std::vector<std::vector<std::uint32_t>> spike_count_;  // [sub-layer][row * width + neuron], steps so far
  std::vector<std::vector<float>> rates_;                // scratch: a(s) per sub-layer
  models::EquilibriumActivations<float> activations_;    // scratch: f(a(s))
  std::vector<ResidualNorms> residuals_;                 // [example][step][sub-layer]
  std::vector<std::int64_t> predicted_;                  // [example][step]
  std::vector<float> logits_;                            // [example][step][label]
  std::vector<std::uint64_t> real_token_spikes_;         // [sub-layer][example][step]
  std::vector<sim::OperationCounts> step_counts_;        // [sub-layer][step]
  std::vector<sim::OperationCounts> total_counts_;       // [step]
};

}  // namespace spikingbert::traces
