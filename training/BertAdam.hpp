#pragma once
// BertAdam (pytorch_pretrained_bert optimization.py, method doc §6.4), per parameter tensor p with gradient g:
//   g <- g * min(1, max_grad_norm / (||g|| + 1e-6))      per-tensor clipping (clip_grad_norm_(p, 1.0))
//   m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2     no bias correction
//   update = m / (sqrt(v) + eps) + weight_decay * p       decoupled decay (not for biases, LayerNorm)
//   p <- p - lr * schedule(step) * update;  step <- step + 1   (schedule evaluated before the increment)
// The first moments and the step count are the resumable state.
#include "models/KernelSupport.hpp"
#include "models/Parameter.hpp"
#include "training/AdamSettings.hpp"
#include "training/AdamState.hpp"
#include "training/LinearWarmupSchedule.hpp"

#include <cmath>
#include <cstdint>
#include <vector>

namespace spikingbert::training {

// Constant added to the gradient norm before dividing (torch.nn.utils.clip_grad_norm_).
inline constexpr double kClipNormEpsilon = 1e-6;

template <class Scalar>
class BertAdam : public AdamState<Scalar> {
 public:
  BertAdam(AdamSettings settings, LinearWarmupSchedule schedule) : settings_(settings), schedule_(schedule) {}

  void step(std::vector<models::Parameter<Scalar>>& parameters) {
    if (this->first_moment_.size() != parameters.size()) this->initialise(parameters);
    const double rate = settings_.learning_rate * schedule_.multiplier(this->step_);
    // Tensors are independent (per-tensor clipping), so they are updated in parallel, each exactly as alone:
    // the same bits for any thread count.
    tbb::parallel_for(std::size_t{0}, parameters.size(), [&](std::size_t t) {
      auto& p = parameters[t];
      double clip = 1.0;
      if (settings_.max_grad_norm > 0) {
        const double squares = models::sum_of_squares(p.gradient.data(), p.size());
        const double coefficient = settings_.max_grad_norm / (std::sqrt(squares) + kClipNormEpsilon);
        if (coefficient < 1.0) clip = coefficient;
      }
      // The element update runs in Scalar on Eigen arrays so that it vectorises (float in training, double in tests).
      const Scalar decay = static_cast<Scalar>(p.weight_decay ? settings_.weight_decay : 0.0);
      const Scalar b1 = static_cast<Scalar>(settings_.beta1), b2 = static_cast<Scalar>(settings_.beta2);
      const Scalar one_minus_b1 = static_cast<Scalar>(1 - settings_.beta1);
      const Scalar one_minus_b2 = static_cast<Scalar>(1 - settings_.beta2);
      const Scalar eps = static_cast<Scalar>(settings_.epsilon), lr = static_cast<Scalar>(rate);
      const Scalar scale = static_cast<Scalar>(clip);
      using Array = Eigen::Map<Eigen::Array<Scalar, Eigen::Dynamic, 1>>;
      const auto count = static_cast<Eigen::Index>(p.value.size());
      Array m(this->first_moment_[t].data(), count), v(this->second_moment_[t].data(), count), value(p.value.data(), count);
      const Array g(p.gradient.data(), count);
      m = b1 * m + one_minus_b1 * (g * scale);
      v = b2 * v + one_minus_b2 * (g * scale).square();
      value -= lr * (m / (v.sqrt() + eps) + decay * value);
    });
    ++this->step_;
  }

 private:
  AdamSettings settings_;
  LinearWarmupSchedule schedule_;
};

}  // namespace spikingbert::training
