#pragma once
// The internal-layer distillation pieces of method doc §6.1-§6.2 (TinyBERT as reused by SpikingBERT):
//   L_att = sum_k MSE(Z(A_k^S), Z(A_map(k)^T)),  Z(v) = 0 if v <= -100 else v   (masked scores zeroed)
//   L_rep = sum_k MSE(W_td z_k^S + b_td, H_map(k)^T)   (the MSE is training/MseLoss.hpp; W_td is the model's
//                                                         fit_dense, see training/StudentGradient.hpp)
// and the student -> teacher layer mapping.
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace spikingbert::training {

// Scores at or below this are masked keys (mask -10000) and are zeroed before the MSE (method doc §6.2,
// §10 item 8: teacher and student both use -10000, so exactly the masked entries go).
inline constexpr double kMaskedScoreThreshold = -100.0;

template <class Scalar>
Scalar zero_masked(Scalar score) {
  return score <= static_cast<Scalar>(kMaskedScoreThreshold) ? Scalar(0) : score;
}

// MSE(Z(student), Z(teacher)) over count elements (mean over all of them, masked ones included, method doc
// §9 item 12). Accumulates scale * d loss / d student into d_student if non-null; Z' = 0 on masked entries.
template <class Scalar>
Scalar attention_mse_loss(const Scalar* student, const Scalar* teacher, std::int64_t count,
                          Scalar* d_student = nullptr, Scalar scale = Scalar(1)) {
  Scalar total = 0;
  for (std::int64_t i = 0; i < count; ++i) {
    const Scalar s = zero_masked(student[i]);
    const Scalar difference = s - zero_masked(teacher[i]);
    total += difference * difference;
    if (d_student != nullptr && student[i] > static_cast<Scalar>(kMaskedScoreThreshold)) {
      d_student[i] += scale * Scalar(2) * difference / static_cast<Scalar>(count);
    }
  }
  return total / static_cast<Scalar>(count);
}

// Which teacher tensors each student tensor is matched with (method doc §6.1). With
// teacher_layers = m * student_layers this is TinyBERT's uniform mapping: student attention k (1-based)
// <- teacher attention m*k - 1 (0-based: 2, 5, 8, 11 for 12 -> 4), student rep k (0..n) <- teacher hidden
// state m*k (0, 3, 6, 9, 12). For depths that do not divide, teacher layer floor(k * teacher / student)
// is used, which keeps rep 0 -> embedding and the last rep -> the last hidden state.
struct LayerMapping {
  std::vector<std::int64_t> attention;  // student_layers entries: teacher attention index (0-based layer)
  std::vector<std::int64_t> hidden;     // student_layers + 1 entries: teacher hidden-state index
};

inline LayerMapping layer_mapping(std::int64_t teacher_layers, std::int64_t student_layers) {
  if (teacher_layers < 1 || student_layers < 1 || student_layers > teacher_layers) {
    throw std::invalid_argument("layer_mapping: need 1 <= student layers <= teacher layers");
  }
  LayerMapping mapping;
  for (std::int64_t k = 0; k <= student_layers; ++k) {
    const std::int64_t teacher = k * teacher_layers / student_layers;
    mapping.hidden.push_back(teacher);
    if (k > 0) mapping.attention.push_back(teacher - 1);
  }
  return mapping;
}

}  // namespace spikingbert::training
