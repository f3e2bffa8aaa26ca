#pragma once
// The teacher's optimiser: BertAdam (the reference's, method doc §6.4) or AdamW (torch.optim.AdamW).
#include "training/AdamW.hpp"
#include "training/BertAdam.hpp"

#include <string>

namespace spikingbert::training {

enum class OptimizerKind { bert_adam, adamw };

class TeacherOptimizer {
 public:
  TeacherOptimizer(OptimizerKind kind, AdamSettings settings, LinearWarmupSchedule schedule)
      : kind_(kind), bert_adam_(settings, schedule), adamw_(settings, schedule) {}
  void step(std::vector<models::Parameter<float>>& parameters) {
    if (kind_ == OptimizerKind::bert_adam) bert_adam_.step(parameters);
    else adamw_.step(parameters);
  }
  std::int64_t steps() const { return kind_ == OptimizerKind::bert_adam ? bert_adam_.steps() : adamw_.steps(); }
  void set_steps(std::int64_t steps) {
    bert_adam_.set_steps(steps);
    adamw_.set_steps(steps);
  }
  void initialise(const std::vector<models::Parameter<float>>& parameters) {
    bert_adam_.initialise(parameters);
    adamw_.initialise(parameters);
  }
  std::vector<std::vector<float>>& first_moment() {
    return kind_ == OptimizerKind::bert_adam ? bert_adam_.first_moment() : adamw_.first_moment();
  }
  std::vector<std::vector<float>>& second_moment() {
    return kind_ == OptimizerKind::bert_adam ? bert_adam_.second_moment() : adamw_.second_moment();
  }

 private:
  OptimizerKind kind_;
  BertAdam<float> bert_adam_;
  AdamW<float> adamw_;
};

}  // namespace spikingbert::training
