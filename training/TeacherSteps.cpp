#include "training/TeacherSteps.hpp"

#include "training/Batching.hpp"
#include "training/CrossEntropyLoss.hpp"
#include "training/MseLoss.hpp"

#include <algorithm>

namespace spikingbert::training {

float teacher_train_step(models::BertTeacher<float>& model, TeacherOptimizer& optimizer,
                         const std::vector<EncodedExample>& examples, const std::vector<std::int64_t>& indices,
                         std::uint64_t dropout_seed, models::BertTeacherActivations<float>& workspace) {
  const models::TokenBatch batch = make_batch(examples, indices);
  model.forward(batch, workspace, {true, dropout_seed});
  const std::int64_t classes = model.config().num_labels;
  std::vector<float> d_logits(workspace.logits.size(), 0.0f);
  float loss = 0;
  if (classes == 1) {  // regression: MSE against the score (method doc §6.3, STS-B)
    std::vector<float> targets;
    for (const auto index : indices) targets.push_back(examples[index].label);
    loss = mse_loss(workspace.logits.data(), targets.data(), batch.batch, d_logits.data());
  } else {
    std::vector<std::int64_t> labels;
    for (const auto index : indices) labels.push_back(static_cast<std::int64_t>(examples[index].label));
    loss = cross_entropy_loss(workspace.logits.data(), labels.data(), batch.batch, classes, d_logits.data());
  }
  model.zero_gradients();
  models::BertTeacher<float>::OutputGradients gradients;
  gradients.logits = d_logits.data();
  model.backward(batch, workspace, gradients);
  optimizer.step(model.parameters());
  return loss;
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
