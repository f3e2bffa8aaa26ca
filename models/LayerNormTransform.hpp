#pragma once
// TF-style LayerNorm over one row (method doc §1.1; tiny README §2):
//   y = gamma * ((x - mean) / sqrt(var + eps)) + beta,   var biased (divided by n).
// Used for the embedding (once) and as the per-step current transform of SelfOutput and Output
// (method doc §1.3). The mean and variance sums are accumulated in double and rounded to float32,
// so they are the correctly rounded float32 values whatever the reference's vectorised order was.
#include "sim/CurrentTransform.hpp"

#include <memory>
#include <vector>

namespace spikingbert::models {

// Normalises `row` (n floats) in place and adds the operations performed to `counts`.
void layer_norm_row(float* row, int n, const float* gamma, const float* beta, float eps, sim::OperationCounts& counts);
// The same for `count` consecutive rows (each row's result is what layer_norm_row gives it).
void layer_norm_rows(float* rows, int count, int n, const float* gamma, const float* beta, float eps,
                     sim::OperationCounts& counts);

class LayerNormTransform : public sim::CurrentTransform {
 public:
  LayerNormTransform(std::shared_ptr<const std::vector<float>> gamma, std::shared_ptr<const std::vector<float>> beta,
                     float eps)
      : gamma_(std::move(gamma)), beta_(std::move(beta)), eps_(eps) {}
  std::string name() const override { return "LayerNorm"; }
  void apply(const sim::TransformContext& context, float* current, sim::OperationCounts& counts) const override {
    layer_norm_row(current, context.width, gamma_->data(), beta_->data(), eps_, counts);
  }
  void apply_groups(const sim::TransformContext& context, int groups, float* current,
                    sim::OperationCounts& counts) const override;

 private:
  std::shared_ptr<const std::vector<float>> gamma_, beta_;
  float eps_;
};

}  // namespace spikingbert::models
