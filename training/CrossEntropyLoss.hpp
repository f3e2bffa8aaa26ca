#pragma once
// Cross-entropy against gold class labels, mean over the batch (torch.nn.CrossEntropyLoss, method doc §6.3
// `--train_true_labels`): loss = -(1/B) sum_b log_softmax(logits_b)[label_b].
#include <algorithm>
#include <cmath>
#include <cstdint>

namespace spikingbert::training {

// Returns the loss; if d_logits is non-null, accumulates d loss / d logits times scale.
template <class Scalar>
Scalar cross_entropy_loss(const Scalar* logits, const std::int64_t* labels, std::int64_t batch,
                          std::int64_t classes, Scalar* d_logits = nullptr, Scalar scale = Scalar(1)) {
  Scalar total = 0;
  for (std::int64_t b = 0; b < batch; ++b) {
    const Scalar* z = logits + b * classes;
    const Scalar top = *std::max_element(z, z + classes);
    Scalar partition = 0;
    for (std::int64_t c = 0; c < classes; ++c) partition += std::exp(z[c] - top);
    const Scalar log_partition = std::log(partition) + top;
    total += log_partition - z[labels[b]];
    if (d_logits != nullptr) {
      for (std::int64_t c = 0; c < classes; ++c) {
        const Scalar probability = std::exp(z[c] - log_partition);
        const Scalar target = c == labels[b] ? Scalar(1) : Scalar(0);
        d_logits[b * classes + c] += scale * (probability - target) / static_cast<Scalar>(batch);
      }
    }
  }
  return total / static_cast<Scalar>(batch);
}

}  // namespace spikingbert::training
