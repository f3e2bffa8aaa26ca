// The adaptive-steps decision (traces/StoppingObserver.hpp) on the tiny conformance model: it stops each
// example at exactly the step StoppingRule chooses when fed the full per-step residuals of
// StepResidualObserver (the whole steady-state map at every step), while evaluating fewer residuals.
#include "models/GlueSimulation.hpp"
#include "models/ModelFiles.hpp"
#include "support/RunCommand.hpp"
#include "traces/Convergence.hpp"
#include "traces/StepResidualObserver.hpp"
#include "traces/StoppingObserver.hpp"
#include "io/TokenBatchFile.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

using namespace spikingbert;
using spikingbert::testing::test_data;

namespace {

models::TokenBatch row_of(const models::TokenBatch& batch, int b) {
  models::TokenBatch one;
  one.batch = 1;
  one.sequence = batch.sequence;
  const auto from = static_cast<std::ptrdiff_t>(b * batch.sequence), to = from + static_cast<std::ptrdiff_t>(batch.sequence);
  one.token_ids.assign(batch.token_ids.begin() + from, batch.token_ids.begin() + to);
  one.segment_ids.assign(batch.segment_ids.begin() + from, batch.segment_ids.begin() + to);
  one.attention_mask.assign(batch.attention_mask.begin() + from, batch.attention_mask.begin() + to);
  return one;
}

}  // namespace

TEST_CASE("adaptive stopping evaluates only the last Output equation and stops where the full-map rule does",
          "[traces][convergence][adaptive]") {
  const auto model = models::load_spiking_bert(test_data("tiny"));
  const auto batch = io::read_token_batch(test_data("tiny/case.h5"));
  const auto steady_state = models::steady_state_map(model, "tiny");
  const auto sublayers = model.build_network(batch).sublayers;
  const std::size_t last_output = sublayers.size() - 1;
  constexpr int kSteps = 40;
  int stops_before_the_end = 0, lazy_runs = 0;
  for (int b = 0; b < static_cast<int>(batch.batch); ++b) {
    const auto example = row_of(batch, b);
    // The whole map at every step: the residuals and labels the rule is defined on.
    traces::StepResidualObserver full(model, steady_state, example, sublayers, kSteps);
    sim::KernelOptions options;
    options.steps = kSteps;
    options.block_steps = 1;
    options.observer = &full;
    model.forward(example, options, models::KernelKind::kEvent);
    full.finish();
    std::vector<double> residuals;
    for (int s = 0; s < kSteps; ++s) residuals.push_back(full.residual(0, s, last_output).mean_abs);
    // Tolerances equal to residuals the run met: decisions on a knife edge (r < eps is false at eps itself).
    std::vector<double> tolerances{1e-12, 1.0};
    for (const int s : {3, 8, 15, 25}) tolerances.push_back(residuals[static_cast<std::size_t>(s)]);
    for (const double tolerance : tolerances)
      for (const int stable : {1, 3, 5}) {
        traces::StoppingRule rule(tolerance, stable);
        int expected_steps = kSteps;
        for (int s = 0; s < kSteps; ++s)
          if (rule.observe(full.predicted_label(0, s), residuals[static_cast<std::size_t>(s)]) && s + 1 < kSteps) {
            expected_steps = s + 1;
            break;
          }
        traces::StoppingObserver stopping(model, steady_state, example, sublayers, tolerance, stable);
        sim::KernelOptions adaptive;
        adaptive.steps = kSteps;
        adaptive.block_steps = 1;
        adaptive.observer = &stopping;
        adaptive.stop_after = [&](int step) { return stopping.stop_after(step); };
        const auto result = model.forward(example, adaptive, models::KernelKind::kEvent);
        INFO("example " << b << ", tolerance " << tolerance << ", k " << stable);
        CHECK(result.steps == expected_steps);
        const auto logits = stopping.last_logits();
        CHECK(std::equal(logits.begin(), logits.end(), result.logits.begin(), result.logits.end()));
        const auto expected_logits = full.logits(0, result.steps - 1);
        CHECK(std::equal(logits.begin(), logits.end(), expected_logits.begin(), expected_logits.end()));
        CHECK(stopping.evaluated_residuals() <= result.steps);
        stops_before_the_end += result.steps < kSteps;
        lazy_runs += stopping.evaluated_residuals() < result.steps;
      }
  }
  CHECK(stops_before_the_end > 10);  // the knife-edge tolerances do stop examples at many steps
  CHECK(lazy_runs > 10);             // and the rule skips residuals it does not need
}

TEST_CASE("adaptive stopping needs the kernel in step order", "[traces][convergence][adaptive]") {
  const auto model = models::load_spiking_bert(test_data("tiny"));
  const auto example = row_of(io::read_token_batch(test_data("tiny/case.h5")), 0);
  const auto steady_state = models::steady_state_map(model, "tiny");
  traces::StoppingObserver stopping(model, steady_state, example, model.build_network(example).sublayers, 0.5, 2);
  sim::KernelOptions options;
  options.steps = 32;
  options.block_steps = 16;
  options.observer = &stopping;
  options.stop_after = [&](int step) { return stopping.stop_after(step); };
  CHECK_THROWS_AS(model.forward(example, options, models::KernelKind::kEvent), std::logic_error);
}
