#pragma once
// The resumable state shared by BertAdam and AdamW: first and second moments per parameter tensor and
// the step count. Each optimiser keeps only its update rule; the trainer saves and restores this state.
#include "models/Parameter.hpp"

#include <cstdint>
#include <vector>

namespace spikingbert::training {

template <class Scalar>
class AdamState {
 public:
  std::int64_t steps() const { return step_; }
  void set_steps(std::int64_t steps) { step_ = steps; }
  std::vector<std::vector<Scalar>>& first_moment() { return first_moment_; }
  std::vector<std::vector<Scalar>>& second_moment() { return second_moment_; }
  void initialise(const std::vector<models::Parameter<Scalar>>& parameters) {
    first_moment_.assign(parameters.size(), {});
    second_moment_.assign(parameters.size(), {});
    for (std::size_t t = 0; t < parameters.size(); ++t) {
      first_moment_[t].assign(parameters[t].value.size(), Scalar(0));
      second_moment_[t].assign(parameters[t].value.size(), Scalar(0));
    }
  }

 protected:
  std::int64_t step_ = 0;
  std::vector<std::vector<Scalar>> first_moment_, second_moment_;
};

}  // namespace spikingbert::training
