// Distillation pieces of method doc §6.1-§6.3 against hand-computed values: attention MSE with masked
// scores zeroed, the layer mapping, and the hidden-state MSE through the shared fit_dense (W_td) inside
// student_loss_and_gradient.
#include "support/FiniteDifference.hpp"
#include "support/RandomEquilibrium.hpp"

#include "training/DistillationLosses.hpp"
#include "training/StudentGradient.hpp"

#include <catch2/catch.hpp>

using namespace spikingbert;

TEST_CASE("attention MSE zeroes masked scores (v <= -100) and passes no gradient through them", "[training]") {
  // Entries: a normal pair, a masked student entry, a masked teacher entry, both masked.
  const std::vector<double> student = {1.5, -10000.0, 2.0, -9999.5};
  const std::vector<double> teacher = {0.5, 3.0, -10000.0, -10000.0};
  // Z(student) = {1.5, 0, 2, 0}, Z(teacher) = {0.5, 3, 0, 0}: squares 1, 9, 4, 0 -> mean 3.5.
  std::vector<double> d(4, 0.0);
  CHECK(training::attention_mse_loss(student.data(), teacher.data(), 4, d.data()) == Approx(3.5).epsilon(1e-15));
  // d/ds = 2 (Z(s) - Z(t)) / 4 where s > -100, else 0.
  CHECK(d == std::vector<double>{0.5, 0.0, 1.0, 0.0});
  // The boundary: -100 itself is masked, -99.9 is not.
  const std::vector<double> edge_s = {-100.0, -99.9}, edge_t = {0.0, 0.0};
  CHECK(training::attention_mse_loss(edge_s.data(), edge_t.data(), 2) == Approx(99.9 * 99.9 / 2).epsilon(1e-15));
}

TEST_CASE("layer mapping: TinyBERT uniform mapping, any depths", "[training]") {
  const auto base = training::layer_mapping(12, 4);
  CHECK(base.attention == std::vector<std::int64_t>{2, 5, 8, 11});  // method doc §10 item 9
  CHECK(base.hidden == std::vector<std::int64_t>{0, 3, 6, 9, 12});
  const auto tiny = training::layer_mapping(2, 2);
  CHECK(tiny.attention == std::vector<std::int64_t>{0, 1});
  CHECK(tiny.hidden == std::vector<std::int64_t>{0, 1, 2});
  const auto uneven = training::layer_mapping(6, 4);  // floor(k * 6 / 4) = 0, 1, 3, 4, 6
  CHECK(uneven.hidden == std::vector<std::int64_t>{0, 1, 3, 4, 6});
  CHECK(uneven.attention == std::vector<std::int64_t>{0, 2, 3, 5});
  CHECK_THROWS(training::layer_mapping(2, 4));
}

TEST_CASE("hidden-state MSE goes through one shared fit_dense for every representation", "[training]") {
  auto config = testing::small_equilibrium_config(1);
  config.hidden_size = 2;
  config.num_attention_heads = 1;
  config.intermediate_size = 2;
  models::SpikingBertEquilibrium<double> model(config, 1);
  // W_td = [[1, 2], [0, -1]], b_td = [0.5, 0]: fit(z) = (z0 + 2 z1 + 0.5, -z1).
  model.parameter("fit_dense.weight").value = {1.0, 2.0, 0.0, -1.0};
  model.parameter("fit_dense.bias").value = {0.5, 0.0};
  models::TokenBatch batch;
  batch.batch = 1;
  batch.sequence = 1;
  batch.token_ids = {3};
  batch.segment_ids = {0};
  batch.attention_mask = {1};
  // One row per population; the reps read populations 0 and 6.
  std::vector<models::AlignedVector<double>> rates(models::SubLayerTable(config).size(), models::AlignedVector<double>(2, 0.5));
  rates[0] = {0.25, 0.5};   // fit = (1.75, -0.5)
  rates[6] = {1.0, 0.0};    // fit = (1.5, 0)
  std::vector<const double*> pointers;
  for (const auto& r : rates) pointers.push_back(r.data());
  const std::vector<double> teacher0 = {1.0, 0.0}, teacher1 = {1.5, 1.0};
  training::StudentTargets<double> targets;
  targets.teacher_hidden = {teacher0.data(), teacher1.data()};
  training::StudentStep<double> step;
  model.zero_gradients();
  const auto loss = training::student_loss_and_gradient(model, batch, pointers, targets,
                                                        training::GradientMode::analog_twin, {}, step);
  // MSE rep 0: ((0.75)^2 + (0.5)^2)/2 = 0.40625; rep 1: (0 + 1)/2 = 0.5.
  CHECK(loss.hidden == Approx(0.90625).epsilon(1e-15));
  CHECK(loss.prediction == 0);
  CHECK(loss.attention == 0);
  CHECK(loss.total == loss.hidden);
  // d b_td = sum over reps of 2 (fit - teacher)/2 = (0.75 + 0, -0.5 - 1) = (0.75, -1.5).
  const auto& d_bias = model.parameter("fit_dense.bias").gradient;
  CHECK(d_bias[0] == Approx(0.75));
  CHECK(d_bias[1] == Approx(-1.5));
  // d z_0 = W_td^T (0.75, -0.5) = (0.75, 1.5 + 0.5) = (0.75, 2.0).
  CHECK(step.loss_rate_gradients[0][0] == Approx(0.75));
  CHECK(step.loss_rate_gradients[0][1] == Approx(2.0));
}
