#pragma once
// Regression targets (STS-B) are standardised for training and the head is rescaled when saving:
//   the model learns z = (score - mean) / deviation      (mean, deviation of the training scores)
//   saved head: score = deviation (W x + b) + mean = (deviation W) x + (deviation b + mean)
// so a saved checkpoint predicts scores in the task's own units, and its Pearson/Spearman (invariant under
// a positive affine map) are exactly those the trainer measured.
// Why: STS-B scores lie in [0, 5] with mean ~2.7, while a freshly initialised head outputs ~0 and Adam moves
// the classifier bias by at most ~learning rate per step (5e-4: a few thousand steps to reach 2.7, more
// than a whole STS-B run). The network then spends its first steps producing the offset through the
// tanh pooler, saturates it (tanh' ~ 0) and stays at the mean prediction: Pearson ~0. With standardised
// targets the mean is 0 at initialisation and the loss gradient carries only the per-pair differences.
#include "io/Tensor.hpp"
#include "training/EncodedExample.hpp"

#include <vector>

namespace spikingbert::training {

struct TargetScaling {
  double mean = 0;       // subtracted from every score
  double deviation = 1;  // population standard deviation of the scores (1 if they are all equal)
};

TargetScaling standardisation_of(const std::vector<EncodedExample>& train);
// label <- (label - mean) / deviation.
void standardise_targets(std::vector<EncodedExample>& examples, const TargetScaling& scaling);
// classifier.weight <- deviation * classifier.weight; classifier.bias <- deviation * classifier.bias + mean.
void rescale_regression_head(io::TensorMap& tensors, const TargetScaling& scaling);

}  // namespace spikingbert::training
