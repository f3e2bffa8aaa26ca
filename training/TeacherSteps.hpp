#pragma once
// The teacher's training step and prediction, independent of files: what train-teacher loops over.
#include "models/BertTeacher.hpp"
#include "models/TeacherEnsemble.hpp"
#include "training/EncodedExample.hpp"
#include "training/Optimizer.hpp"

#include <cstdint>
#include <vector>

namespace spikingbert::training {

// One optimisation step on the examples `indices`: forward with dropout, cross-entropy (classification) or
// MSE (regression, num_labels == 1) against the labels, backward, update. Each fixed micro-batch
// (kMicroBatchExamples consecutive examples) is a forward and backward of its own (dropout masks from
// derive_seed(dropout_seed, its first example's place in the batch)); the gradient is the fixed-tree sum of
// the micro-batches' gradients over the ranks of world() divided by the batch size, so the update is the
// same on any number of ranks (training/ExampleSum.hpp). Collective under MPI.
// Returns the batch loss (the mean of the examples' losses).
float teacher_train_step(models::BertTeacher<float>& model, Optimizer& optimizer,
                         const std::vector<EncodedExample>& examples, const std::vector<std::int64_t>& indices,
                         std::uint64_t dropout_seed, models::BertTeacherActivations<float>& workspace);

// Logits for every example, dropout off: [examples, num_labels].
std::vector<float> teacher_predict(const models::BertTeacher<float>& model, const std::vector<EncodedExample>& examples,
                                   std::int64_t batch_size);

// The ensemble's mean logits for every example: [examples, num_labels].
std::vector<float> teacher_predict(const models::TeacherEnsemble& teacher, const std::vector<EncodedExample>& examples,
                                   std::int64_t batch_size);

// Fraction of examples whose arg-max logit equals the label.
double accuracy(const std::vector<float>& logits, const std::vector<EncodedExample>& examples, std::int64_t classes);

}  // namespace spikingbert::training
