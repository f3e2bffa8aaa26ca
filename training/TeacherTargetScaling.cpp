#include "training/TeacherTargetScaling.hpp"

#include <cmath>

namespace spikingbert::training {

TargetScaling standardisation_of(const std::vector<EncodedExample>& train) {
  TargetScaling scaling;
  if (train.empty()) return scaling;
  double sum = 0;
  for (const auto& example : train) sum += example.label;
  scaling.mean = sum / static_cast<double>(train.size());
  double squares = 0;
  for (const auto& example : train) squares += (example.label - scaling.mean) * (example.label - scaling.mean);
  const double deviation = std::sqrt(squares / static_cast<double>(train.size()));
  scaling.deviation = deviation > 0 ? deviation : 1.0;
  return scaling;
}

void standardise_targets(std::vector<EncodedExample>& examples, const TargetScaling& scaling) {
  for (auto& example : examples) {
    example.label = static_cast<float>((example.label - scaling.mean) / scaling.deviation);
  }
}

void rescale_regression_head(io::TensorMap& tensors, const TargetScaling& scaling) {
  for (auto& value : tensors.at("classifier.weight").values) {
    value = static_cast<float>(scaling.deviation * value);
  }
  for (auto& value : tensors.at("classifier.bias").values) {
    value = static_cast<float>(scaling.deviation * value + scaling.mean);
  }
}

}  // namespace spikingbert::training
