#pragma once
// Exact (erf) GELU applied to the Intermediate sub-layer's current every step (method doc §1.1, §1.3):
//   GELU(x) = x * 0.5 * (1 + erf(x / sqrt(2))), in this evaluation order (as the reference's Python).
#include "sim/CurrentTransform.hpp"

namespace spikingbert::models {

class GeluTransform : public sim::CurrentTransform {
 public:
  std::string name() const override { return "GELU"; }
  void apply(const sim::TransformContext& context, float* current, sim::OperationCounts& counts) const override;
  void apply_groups(const sim::TransformContext& context, int groups, float* current,
                    sim::OperationCounts& counts) const override;
};

}  // namespace spikingbert::models
