#pragma once
// Prediction-layer distillation loss (method doc §6.3, TinyBERT soft_cross_entropy):
//   loss = mean over batch AND classes of [ -softmax(z_T / tau)_c * log_softmax(z_S / tau)_c ]
// The mean over classes is a constant 1/C factor versus the usual definition; it is kept because the
// reference does it. Gradient w.r.t. the student logits: (softmax(z_S/tau) - softmax(z_T/tau)) / (tau B C),
// since the teacher probabilities of a row sum to one.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace spikingbert::training {

template <class Scalar>
Scalar soft_cross_entropy_loss(const Scalar* student_logits, const Scalar* teacher_logits, std::int64_t batch,
                               std::int64_t classes, double temperature, Scalar* d_student = nullptr,
                               Scalar scale = Scalar(1)) {
  const Scalar tau = static_cast<Scalar>(temperature);
  const Scalar elements = static_cast<Scalar>(batch * classes);
  std::vector<Scalar> student_log(classes), teacher_probability(classes);
  Scalar total = 0;
  for (std::int64_t b = 0; b < batch; ++b) {
    const Scalar* zs = student_logits + b * classes;
    const Scalar* zt = teacher_logits + b * classes;
    const Scalar top_s = *std::max_element(zs, zs + classes) / tau;
    const Scalar top_t = *std::max_element(zt, zt + classes) / tau;
    Scalar partition_s = 0, partition_t = 0;
    for (std::int64_t c = 0; c < classes; ++c) {
      partition_s += std::exp(zs[c] / tau - top_s);
      partition_t += std::exp(zt[c] / tau - top_t);
    }
    const Scalar log_partition_s = std::log(partition_s) + top_s;
    for (std::int64_t c = 0; c < classes; ++c) {
      student_log[c] = zs[c] / tau - log_partition_s;
      teacher_probability[c] = std::exp(zt[c] / tau - top_t) / partition_t;
      total -= teacher_probability[c] * student_log[c];
    }
    if (d_student != nullptr) {
      for (std::int64_t c = 0; c < classes; ++c) {
        d_student[b * classes + c] +=
            scale * (std::exp(student_log[c]) - teacher_probability[c]) / (tau * elements);
      }
    }
  }
  return total / elements;
}

}  // namespace spikingbert::training
