#include "models/LayerNormTransform.hpp"

#include <cmath>

namespace spikingbert::models {

void layer_norm_row(float* row, int n, const float* gamma, const float* beta, float eps, sim::OperationCounts& counts) {
  double sum = 0.0;
  for (int j = 0; j < n; ++j) sum += row[j];
  const float mean = static_cast<float>(sum / n);
  double squares = 0.0;
  for (int j = 0; j < n; ++j) {
    const float deviation = row[j] - mean;
    squares += static_cast<double>(deviation * deviation);
  }
  const float variance = static_cast<float>(squares / n);
  const float deviation_scale = std::sqrt(variance + eps);
  for (int j = 0; j < n; ++j) row[j] = gamma[j] * ((row[j] - mean) / deviation_scale) + beta[j];
  const auto count = static_cast<std::uint64_t>(n);
  counts.additions += count /*sum*/ + count /*x-mean*/ + count /*squares*/ + 1 /*+eps*/ + count /*x-mean*/ + count /*+beta*/;
  counts.multiplications += count /*square*/ + count /*gamma*/;
  counts.divisions += 2 /*mean, variance*/ + count;
  counts.square_roots += 1;
}

}  // namespace spikingbert::models
