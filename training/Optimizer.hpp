#pragma once
// The trainers' optimiser (training/TrainingLoop.hpp): BertAdam (the reference's, method doc §6.4; distill
// always, train-teacher by default) or AdamW (torch.optim.AdamW, train-teacher --optimizer adamw). Only the
// chosen one holds moments.
#include "training/AdamW.hpp"
#include "training/BertAdam.hpp"

#include <string>

namespace spikingbert::training {

enum class OptimizerKind { bert_adam, adamw };

class Optimizer {
 public:
  Optimizer(OptimizerKind kind, AdamSettings settings, LinearWarmupSchedule schedule)
      : kind_(kind), bert_adam_(settings, schedule), adamw_(settings, schedule) {}
  void step(std::vector<models::Parameter<float>>& parameters) {
    if (kind_ == OptimizerKind::bert_adam) bert_adam_.step(parameters);
    else adamw_.step(parameters);
  }
  std::int64_t steps() const { return state().steps(); }
  void set_steps(std::int64_t steps) { state().set_steps(steps); }
  void initialise(const std::vector<models::Parameter<float>>& parameters) { state().initialise(parameters); }
  std::vector<std::vector<float>>& first_moment() { return state().first_moment(); }
  std::vector<std::vector<float>>& second_moment() { return state().second_moment(); }

 private:
  AdamState<float>& state() { return kind_ == OptimizerKind::bert_adam ? static_cast<AdamState<float>&>(bert_adam_) : adamw_; }
  const AdamState<float>& state() const {
    return kind_ == OptimizerKind::bert_adam ? static_cast<const AdamState<float>&>(bert_adam_) : adamw_;
  }

  OptimizerKind kind_;
  BertAdam<float> bert_adam_;
  AdamW<float> adamw_;
};

}  // namespace spikingbert::training
