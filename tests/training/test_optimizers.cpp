// BertAdam and AdamW against their formulas (method doc §6.4 and §10 item 12): no bias correction,
// per-tensor clipping, decoupled weight decay, schedule evaluated before the step increment.
#include "training/AdamW.hpp"
#include "training/BertAdam.hpp"
#include "training/LinearWarmupSchedule.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace spikingbert::training;
using spikingbert::models::Parameter;

namespace {

std::vector<Parameter<double>> two_tensors() {
  Parameter<double> weight{"layer.dense.weight", {2}, {0.5, -1.0}, {3.0, 4.0}, true};  // ||g|| = 5: clipped
  Parameter<double> bias{"layer.dense.bias", {2}, {0.2, 0.1}, {0.3, -0.4}, false};     // ||g|| = 0.5: not
  return {weight, bias};
}

}  // namespace

TEST_CASE("warmup_linear: p/w during warm-up, then (p-1)/(w-1), never negative") {
  const LinearWarmupSchedule schedule{100, 0.1};
  CHECK(schedule.multiplier(0) == 0.0);
  CHECK(schedule.multiplier(5) == Approx(0.5));
  CHECK(schedule.multiplier(10) == Approx(1.0));
  CHECK(schedule.multiplier(55) == Approx(0.5));
  CHECK(schedule.multiplier(100) == 0.0);
  CHECK(schedule.multiplier(150) == 0.0);
  CHECK(LinearWarmupSchedule{100, 0.1, true}.multiplier(0) == 1.0);
}

TEST_CASE("BertAdam: per-tensor clipping, no bias correction, decoupled decay except bias") {
  auto parameters = two_tensors();
  const AdamSettings settings{0.1, 0.9, 0.999, 1e-6, 0.01, 1.0};
  BertAdam<double> optimizer(settings, LinearWarmupSchedule{10, 0.0, true});
  optimizer.step(parameters);
  // Weight: gradient clipped to norm 1 (per tensor), m = 0.1 g, v = 0.001 g^2, no bias correction,
  // so m / sqrt(v) = 0.1 / sqrt(0.001) * sign(g) = 3.1623 * sign(g); plus 0.01 * w.
  const double clip = 1.0 / (5.0 + 1e-6);
  for (int i = 0; i < 2; ++i) {
    const double g = (i == 0 ? 3.0 : 4.0) * clip;
    const double w0 = i == 0 ? 0.5 : -1.0;
    const double update = 0.1 * g / (std::sqrt(0.001 * g * g) + 1e-6) + 0.01 * w0;
    CHECK(parameters[0].value[i] == Approx(w0 - 0.1 * update).epsilon(1e-12));
  }
  // Bias: norm 0.5 < 1 so not clipped (a global clip over both tensors would have scaled it), no decay.
  for (int i = 0; i < 2; ++i) {
    const double g = i == 0 ? 0.3 : -0.4;
    const double b0 = i == 0 ? 0.2 : 0.1;
    CHECK(parameters[1].value[i] == Approx(b0 - 0.1 * (0.1 * g / (std::sqrt(0.001 * g * g) + 1e-6))).epsilon(1e-12));
  }
  CHECK(optimizer.steps() == 1);
  // Second step: moments accumulate without correction.
  const double m = 0.9 * 0.1 * 0.3 + 0.1 * 0.3, v = 0.999 * 0.001 * 0.09 + 0.001 * 0.09;
  const double before = parameters[1].value[0];
  optimizer.step(parameters);
  CHECK(parameters[1].value[0] == Approx(before - 0.1 * m / (std::sqrt(v) + 1e-6)).epsilon(1e-12));
}

TEST_CASE("BertAdam: the schedule is read before the step increment (first warm-up step moves nothing)") {
  auto parameters = two_tensors();
  BertAdam<double> optimizer(AdamSettings{0.1}, LinearWarmupSchedule{10, 0.5});
  optimizer.step(parameters);
  CHECK(parameters[0].value[0] == 0.5);
  CHECK(parameters[0].value[1] == -1.0);
  optimizer.step(parameters);  // step 1: multiplier 1/10 / 0.5 = 0.2
  CHECK(parameters[0].value[0] != 0.5);
}

TEST_CASE("AdamW: bias correction, global clipping, decoupled decay") {
  auto parameters = two_tensors();
  AdamW<double> optimizer(AdamSettings{0.1, 0.9, 0.999, 1e-8, 0.01, 1.0}, LinearWarmupSchedule{10, 0.0, true});
  optimizer.step(parameters);
  const double global = std::sqrt(25.0 + 0.25);
  const double clip = 1.0 / (global + 1e-6);
  // After one step with bias correction m_hat / sqrt(v_hat) = sign(g) (up to eps).
  const double g0 = 3.0 * clip;
  const double expected = 0.5 * (1 - 0.1 * 0.01) - 0.1 * g0 / (std::sqrt(g0 * g0) + 1e-8);
  CHECK(parameters[0].value[0] == Approx(expected).epsilon(1e-12));
  const double gb = 0.3 * clip;
  CHECK(parameters[1].value[0] == Approx(0.2 - 0.1 * gb / (std::sqrt(gb * gb) + 1e-8)).epsilon(1e-12));
}
