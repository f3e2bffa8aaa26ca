#pragma once
// Mean squared error over all elements (torch.nn.MSELoss, method doc §6.2 and §6.3 for STS-B):
//   loss = (1/N) sum_i (prediction_i - target_i)^2.
#include <cstdint>

namespace spikingbert::training {

// Returns the loss; if d_prediction is non-null, accumulates d loss / d prediction times scale.
template <class Scalar>
Scalar mse_loss(const Scalar* prediction, const Scalar* target, std::int64_t count,
                Scalar* d_prediction = nullptr, Scalar scale = Scalar(1)) {
  Scalar total = 0;
  for (std::int64_t i = 0; i < count; ++i) total += (prediction[i] - target[i]) * (prediction[i] - target[i]);
  if (d_prediction != nullptr) {
    for (std::int64_t i = 0; i < count; ++i) {
      d_prediction[i] += scale * Scalar(2) * (prediction[i] - target[i]) / static_cast<Scalar>(count);
    }
  }
  return total / static_cast<Scalar>(count);
}

}  // namespace spikingbert::training
