#pragma once
// AdamW as torch.optim.AdamW, the option next to BertAdam (the calibration runs in teacher-calibration.md
// used it): gradients clipped by their global norm over all tensors, then with t = step + 1
//   p <- p (1 - lr_t wd);  m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2
//   p <- p - lr_t * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps),   lr_t = lr * schedule(step)
#include "models/Parameter.hpp"
#include "training/AdamSettings.hpp"
#include "training/BertAdam.hpp"
#include "training/LinearWarmupSchedule.hpp"

#include <cmath>
#include <cstdint>
#include <vector>

namespace spikingbert::training {

template <class Scalar>
class AdamW {
 public:
  AdamW(AdamSettings settings, LinearWarmupSchedule schedule) : settings_(settings), schedule_(schedule) {}

  void step(std::vector<models::Parameter<Scalar>>& parameters) {
    if (first_moment_.size() != parameters.size()) initialise(parameters);
    double clip = 1.0;
    if (settings_.max_grad_norm > 0) {
      double squares = 0;
      for (const auto& p : parameters) {
        for (const Scalar g : p.gradient) squares += static_cast<double>(g) * static_cast<double>(g);
      }
      const double coefficient = settings_.max_grad_norm / (std::sqrt(squares) + kClipNormEpsilon);
      if (coefficient < 1.0) clip = coefficient;
    }
    const double rate = settings_.learning_rate * schedule_.multiplier(step_);
    const double t = static_cast<double>(step_ + 1);
    const double correction1 = 1 - std::pow(settings_.beta1, t);
    const double correction2 = 1 - std::pow(settings_.beta2, t);
    for (std::size_t k = 0; k < parameters.size(); ++k) {
      auto& p = parameters[k];
      const double decay = p.weight_decay ? settings_.weight_decay : 0.0;
      auto& m = first_moment_[k];
      auto& v = second_moment_[k];
      for (std::size_t i = 0; i < p.value.size(); ++i) {
        const double g = static_cast<double>(p.gradient[i]) * clip;
        double value = p.value[i] * (1 - rate * decay);
        m[i] = static_cast<Scalar>(settings_.beta1 * m[i] + (1 - settings_.beta1) * g);
        v[i] = static_cast<Scalar>(settings_.beta2 * v[i] + (1 - settings_.beta2) * g * g);
        value -= rate * (m[i] / correction1) / (std::sqrt(v[i] / correction2) + settings_.epsilon);
        p.value[i] = static_cast<Scalar>(value);
      }
    }
    ++step_;
  }

  std::int64_t steps() const { return step_; }
  void set_steps(std::int64_t steps) { step_ = steps; }
  std::vector<std::vector<Scalar>>& first_moment() { return first_moment_; }
  std::vector<std::vector<Scalar>>& second_moment() { return second_moment_; }
  void initialise(const std::vector<models::Parameter<Scalar>>& parameters) {
    first_moment_.assign(parameters.size(), {});
    second_moment_.assign(parameters.size(), {});
    for (std::size_t k = 0; k < parameters.size(); ++k) {
      first_moment_[k].assign(parameters[k].value.size(), Scalar(0));
      second_moment_[k].assign(parameters[k].value.size(), Scalar(0));
    }
  }

 private:
  AdamSettings settings_;
  LinearWarmupSchedule schedule_;
  std::int64_t step_ = 0;
  std::vector<std::vector<Scalar>> first_moment_, second_moment_;
};

}  // namespace spikingbert::training
