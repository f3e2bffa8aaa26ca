#include "models/GeluTransform.hpp"

#include <cmath>

namespace spikingbert::models {

void GeluTransform::apply(const sim::TransformContext& context, float* current, sim::OperationCounts& counts) const {
  const float square_root_of_two = static_cast<float>(std::sqrt(2.0));  // math.sqrt(2.0) as a float32 operand
  for (int j = 0; j < context.width; ++j) {
    const float x = current[j];
    current[j] = x * 0.5f * (1.0f + std::erf(x / square_root_of_two));
  }
  const auto n = static_cast<std::uint64_t>(context.width);
  counts.divisions += n;
  counts.error_functions += n;
  counts.multiplications += 2 * n;
  counts.additions += n;
}

}  // namespace spikingbert::models
