#pragma once
// AdamW as torch.optim.AdamW, the option next to BertAdam (the calibration runs in teacher-calibration.md
// used it): gradients clipped by their global norm over all tensors, then with t = step + 1
//   p <- p (1 - lr_t wd);  m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2
//   p <- p - lr_t * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps),   lr_t = lr * schedule(step)
#include "models/KernelSupport.hpp"
#include "models/Parameter.hpp"
#include "training/AdamSettings.hpp"
#include "training/AdamState.hpp"
#include "training/BertAdam.hpp"
#include "training/LinearWarmupSchedule.hpp"

#include <cmath>
#include <cstdint>
#include <vector>

namespace spikingbert::training {

template <class Scalar>
class AdamW : public AdamState<Scalar> {
 public:
  AdamW(AdamSettings settings, LinearWarmupSchedule schedule) : settings_(settings), schedule_(schedule) {}

  void step(std::vector<models::Parameter<Scalar>>& parameters) {
    if (this->first_moment_.size() != parameters.size()) this->initialise(parameters);
    double clip = 1.0;
    if (settings_.max_grad_norm > 0) {
      double squares = 0;
      for (const auto& p : parameters) {
        squares += models::sum_of_squares(p.gradient.data(), p.size());
      }
      const double coefficient = settings_.max_grad_norm / (std::sqrt(squares) + kClipNormEpsilon);
      if (coefficient < 1.0) clip = coefficient;
    }
    const double rate = settings_.learning_rate * schedule_.multiplier(this->step_);
    const double t = static_cast<double>(this->step_ + 1);
    const double correction1 = 1 - std::pow(settings_.beta1, t);
    const double correction2 = 1 - std::pow(settings_.beta2, t);
    for (std::size_t k = 0; k < parameters.size(); ++k) {
      auto& p = parameters[k];
      const Scalar shrink = static_cast<Scalar>(1 - rate * (p.weight_decay ? settings_.weight_decay : 0.0));
      const Scalar b1 = static_cast<Scalar>(settings_.beta1), b2 = static_cast<Scalar>(settings_.beta2);
      const Scalar one_minus_b1 = static_cast<Scalar>(1 - settings_.beta1);
      const Scalar one_minus_b2 = static_cast<Scalar>(1 - settings_.beta2);
      const Scalar step_size = static_cast<Scalar>(rate / correction1);
      const Scalar inverse_correction2 = static_cast<Scalar>(1 / correction2);
      const Scalar eps = static_cast<Scalar>(settings_.epsilon), scale = static_cast<Scalar>(clip);
      using Array = Eigen::Map<Eigen::Array<Scalar, Eigen::Dynamic, 1>>;
      const auto count = static_cast<Eigen::Index>(p.value.size());
      Array m(this->first_moment_[k].data(), count), v(this->second_moment_[k].data(), count), value(p.value.data(), count);
      const Array g(p.gradient.data(), count);
      m = b1 * m + one_minus_b1 * (g * scale);
      v = b2 * v + one_minus_b2 * (g * scale).square();
      value = value * shrink - step_size * m / ((v * inverse_correction2).sqrt() + eps);
    }
    ++this->step_;
  }

 private:
  AdamSettings settings_;
  LinearWarmupSchedule schedule_;
};

}  // namespace spikingbert::training
