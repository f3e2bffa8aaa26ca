// Losses against their formulas (method doc §6.2-§6.3) and their gradients against finite differences.
#include "support/FiniteDifference.hpp"

#include "training/CrossEntropyLoss.hpp"
#include "training/MseLoss.hpp"
#include "training/SoftCrossEntropyLoss.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace spikingbert::training;
using namespace spikingbert::testing;

TEST_CASE("cross-entropy: mean over the batch of -log softmax at the label, gradient") {
  auto logits = random_values(4 * 3, -2, 2, 1);
  const std::vector<std::int64_t> labels = {0, 2, 1, 2};
  auto loss = [&] { return cross_entropy_loss(logits.data(), labels.data(), 4, 3); };
  double expected = 0;
  for (int b = 0; b < 4; ++b) {
    double partition = 0;
    for (int c = 0; c < 3; ++c) partition += std::exp(logits[b * 3 + c]);
    expected -= std::log(std::exp(logits[b * 3 + labels[b]]) / partition);
  }
  CHECK(loss() == Approx(expected / 4).epsilon(1e-13));
  std::vector<double> d(12);
  cross_entropy_loss(logits.data(), labels.data(), 4, 3, d.data());
  CHECK(relative_error(d, numeric_gradient(logits, loss)) < 1e-6);
}

TEST_CASE("mse: mean over all elements, gradient") {
  auto prediction = random_values(7, -2, 2, 2);
  const auto target = random_values(7, -2, 2, 3);
  auto loss = [&] { return mse_loss(prediction.data(), target.data(), 7); };
  double expected = 0;
  for (int i = 0; i < 7; ++i) expected += (prediction[i] - target[i]) * (prediction[i] - target[i]);
  CHECK(loss() == Approx(expected / 7).epsilon(1e-14));
  std::vector<double> d(7);
  mse_loss(prediction.data(), target.data(), 7, d.data());
  CHECK(relative_error(d, numeric_gradient(prediction, loss)) < 1e-6);
}

TEST_CASE("soft cross-entropy: mean over batch and classes, with temperature, gradient") {
  auto student = random_values(3 * 4, -2, 2, 4);
  const auto teacher = random_values(3 * 4, -2, 2, 5);
  const double tau = 2.5;
  auto loss = [&] { return soft_cross_entropy_loss(student.data(), teacher.data(), 3, 4, tau); };
  double expected = 0;
  for (int b = 0; b < 3; ++b) {
    double ps = 0, pt = 0;
    for (int c = 0; c < 4; ++c) {
      ps += std::exp(student[b * 4 + c] / tau);
      pt += std::exp(teacher[b * 4 + c] / tau);
    }
    for (int c = 0; c < 4; ++c) {
      expected -= std::exp(teacher[b * 4 + c] / tau) / pt * std::log(std::exp(student[b * 4 + c] / tau) / ps);
    }
  }
  CHECK(loss() == Approx(expected / 12).epsilon(1e-13));  // divided by B*C, not B
  std::vector<double> d(12);
  soft_cross_entropy_loss(student.data(), teacher.data(), 3, 4, tau, d.data());
  CHECK(relative_error(d, numeric_gradient(student, loss)) < 1e-6);
}
