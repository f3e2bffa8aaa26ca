#include "training/TeacherSteps.hpp"

#include "models/Dropout.hpp"
#include "training/Batching.hpp"
#include "training/Communicator.hpp"
#include "training/ExampleSum.hpp"
#include "training/CrossEntropyLoss.hpp"
#include "training/MseLoss.hpp"

#include <algorithm>

namespace spikingbert::training {

float teacher_train_step(models::BertTeacher<float>& model, Optimizer& optimizer,
                         const std::vector<EncodedExample>& examples, const std::vector<std::int64_t>& indices,
                         std::uint64_t dropout_seed, models::BertTeacherActivations<float>& workspace) {
  const auto B = static_cast<std::int64_t>(indices.size());
  const std::int64_t classes = model.config().num_labels;
  std::int64_t parameter_count = 0;
  for (const auto& parameter : model.parameters()) parameter_count += parameter.size();
  // One micro-batch's loss and gradient (training/ExampleSum.hpp kMicroBatchExamples consecutive examples of
  // the batch, padded to the longest), its dropout masks from (dropout_seed, its first example's place in the
  // batch): what it contributes does not depend on which rank computes it, so the batch's fixed-tree sum is
  // the same on any number of ranks (issue 13). Its gradient is m times the gradient of its mean loss.
  std::vector<double> my_losses;  // per micro-batch: m x its mean loss
  const MicroBatchVector micro_batch_gradient = [&](std::int64_t begin, std::int64_t end, std::vector<float>& out) {
    const std::vector<std::int64_t> part(indices.begin() + begin, indices.begin() + end);
    const auto m = static_cast<std::int64_t>(part.size());
    const models::TokenBatch batch = make_batch(examples, part);
    model.forward(batch, workspace, {true, models::derive_seed(dropout_seed, static_cast<std::uint64_t>(begin))});
    std::vector<float> d_logits(workspace.logits.size(), 0.0f);
    float loss = 0;
    if (classes == 1) {  // regression: MSE against the score (method doc §6.3, STS-B)
      std::vector<float> targets;
      for (const auto index : part) targets.push_back(examples[index].label);
      loss = mse_loss(workspace.logits.data(), targets.data(), m, d_logits.data());
    } else {
      std::vector<std::int64_t> labels;
      for (const auto index : part) labels.push_back(static_cast<std::int64_t>(examples[index].label));
      loss = cross_entropy_loss(workspace.logits.data(), labels.data(), m, classes, d_logits.data());
    }
    model.zero_gradients();
    models::BertTeacher<float>::OutputGradients gradients;
    gradients.logits = d_logits.data();
    model.backward(batch, workspace, gradients);
    my_losses.push_back(static_cast<double>(m) * loss);
    write_scaled_gradients(model.parameters(), m, parameter_count, out);
  };
  auto& communicator = world();
  const auto gradient_sum = sum_over_micro_batches(communicator, B, parameter_count, micro_batch_gradient);
  const auto losses = communicator.all_gather_concatenated<double>(my_losses);
  read_mean_gradients(gradient_sum, B, model.parameters());
  optimizer.step(model.parameters());
  // The summed gradient fills rows of the word table that this rank's own backward passes never touched,
  // which zero_gradients (it clears only touched rows) would leave behind for the next step.
  for (auto& parameter : model.parameters()) std::fill(parameter.gradient.begin(), parameter.gradient.end(), 0.0f);
  double loss_sum = 0;  // the batch loss: the example-weighted mean of the micro-batches' losses, in order
  for (const double loss : losses) loss_sum += loss;
  return static_cast<float>(loss_sum / static_cast<double>(B));
}

std::vector<float> teacher_predict(const models::BertTeacher<float>& model, const std::vector<EncodedExample>& examples,
                                   std::int64_t batch_size) {
  std::vector<float> logits;
  models::BertTeacherActivations<float> activations;
  for (const auto& indices : sequential_batches(static_cast<std::int64_t>(examples.size()), batch_size)) {
    model.forward(make_batch(examples, indices), activations, {false, 0});
    logits.insert(logits.end(), activations.logits.begin(), activations.logits.end());
  }
  return logits;
}

std::vector<float> teacher_predict(const models::TeacherEnsemble& teacher, const std::vector<EncodedExample>& examples,
                                   std::int64_t batch_size) {
  std::vector<float> logits;
  for (const auto& indices : sequential_batches(static_cast<std::int64_t>(examples.size()), batch_size)) {
    const auto batch_logits = teacher.logits(make_batch(examples, indices));
    logits.insert(logits.end(), batch_logits.begin(), batch_logits.end());
  }
  return logits;
}

double accuracy(const std::vector<float>& logits, const std::vector<EncodedExample>& examples, std::int64_t classes) {
  if (examples.empty()) return 0.0;
  std::int64_t correct = 0;
  for (std::size_t i = 0; i < examples.size(); ++i) {
    const float* row = logits.data() + i * classes;
    const auto predicted = std::max_element(row, row + classes) - row;
    if (predicted == static_cast<std::int64_t>(examples[i].label)) ++correct;
  }
  return static_cast<double>(correct) / static_cast<double>(examples.size());
}

}  // namespace spikingbert::training
