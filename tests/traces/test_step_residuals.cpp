// Per-step convergence residuals (traces/StepResidualObserver.hpp) on the tiny conformance model: the
// path `run --trace` and adaptive stopping use.
#include "models/GlueSimulation.hpp"
#include "models/ModelFiles.hpp"
#include "support/RunCommand.hpp"
#include "traces/Convergence.hpp"
#include "traces/StepResidualObserver.hpp"
#include "io/TokenBatchFile.hpp"

#include <catch2/catch.hpp>

#include <span>
#include <stdexcept>
#include <vector>

using namespace spikingbert;
using spikingbert::testing::test_data;

namespace {

struct TinyRun {
  models::SpikingBert model = models::load_spiking_bert(test_data("tiny"));
  models::TokenBatch batch = io::read_token_batch(test_data("tiny/case.h5"));
  models::SpikingBertEquilibrium<float> steady_state = models::steady_state_map(model, "tiny");
  std::vector<sim::PopulationId> sublayers = model.build_network(batch).sublayers;
};

}  // namespace

TEST_CASE("per-step residuals end at the steady-state map of the kernel's final rates", "[traces][convergence][residuals]") {
  TinyRun tiny;
  constexpr int kSteps = 24;
  traces::StepResidualObserver observer(tiny.model, tiny.steady_state, tiny.batch, tiny.sublayers, kSteps);
  sim::KernelOptions options;
  options.steps = kSteps;
  options.block_steps = 1;
  options.observer = &observer;
  const auto result = tiny.model.forward(tiny.batch, options, models::KernelKind::kEvent);
  observer.finish();

  // The last step's residual is |a_j(T) - f_j(a(T))| at the kernel's own final ASRs.
  std::vector<std::vector<float>> rates;
  std::vector<const float*> given;
  for (std::size_t j = 0; j < tiny.sublayers.size(); ++j) rates.push_back(result.asr(static_cast<int>(j)));
  for (const auto& r : rates) given.push_back(r.data());
  models::EquilibriumActivations<float> steady;
  tiny.steady_state.forward(tiny.batch, steady, {}, given);
  const auto sequence = static_cast<std::size_t>(tiny.batch.sequence);
  bool some_nonzero = false;
  for (int example = 0; example < static_cast<int>(tiny.batch.batch); ++example) {
    for (std::size_t j = 0; j < tiny.sublayers.size(); ++j) {
      const auto per_example = sequence * static_cast<std::size_t>(tiny.model.sublayers().width(static_cast<int>(j)));
      const auto offset = static_cast<std::size_t>(example) * per_example;
      const auto expected = traces::residual_norms(std::span<const float>(rates[j].data() + offset, per_example),
                                                   std::span<const float>(steady.rates[j].data() + offset, per_example));
      const auto got = observer.residual(example, kSteps - 1, j);
      CHECK(got.mean_abs == expected.mean_abs);
      CHECK(got.max_abs == expected.max_abs);
      CHECK(got.max_abs >= got.mean_abs);
      some_nonzero = some_nonzero || got.mean_abs > 0.0;
    }
    // The classifier at the last step's running rates is the forward pass's.
    const auto logits = observer.logits(example, kSteps - 1);
    for (std::size_t k = 0; k < logits.size(); ++k)
      CHECK(logits[k] == result.logits[static_cast<std::size_t>(example) * logits.size() + k]);
  }
  CHECK(some_nonzero);
  // The per-step operation counts add up to the kernel's totals.
  for (std::size_t j = 0; j < tiny.sublayers.size(); ++j) {
    sim::OperationCounts sum;
    for (int s = 0; s < kSteps; ++s) sum += observer.counts(j, s);
    CHECK(sum == result.run.populations[static_cast<std::size_t>(tiny.sublayers[j])].counts);
  }
}

TEST_CASE("per-step residuals need the kernel's calls in step order", "[traces][convergence][residuals]") {
  TinyRun tiny;
  constexpr int kSteps = 32;
  traces::StepResidualObserver observer(tiny.model, tiny.steady_state, tiny.batch, tiny.sublayers, kSteps);
  sim::KernelOptions options;
  options.steps = kSteps;
  options.block_steps = 16;  // populations integrate 16 steps at a time: a later population's step 0 comes last
  options.observer = &observer;
  CHECK_THROWS_AS(tiny.model.forward(tiny.batch, options, models::KernelKind::kEvent), std::logic_error);
}

TEST_CASE("a linear sub-layer's per-step residual falls like 1/T from T=16 to T=1024, GELU keeps a floor",
          "[traces][convergence][residuals]") {
  // One run of 1024 steps gives r(T) for every T <= 1024: the dynamics are causal, so the residual after
  // step T is that of a run of T steps (method doc §10 test 2 on the real per-step path).
  TinyRun tiny;
  constexpr int kSteps = 1024;
  traces::StepResidualObserver observer(tiny.model, tiny.steady_state, tiny.batch, tiny.sublayers, kSteps);
  sim::KernelOptions options;
  options.steps = kSteps;
  options.block_steps = 1;
  options.observer = &observer;
  tiny.model.forward(tiny.batch, options, models::KernelKind::kEvent);
  observer.finish();
  const auto mean_over_examples = [&](std::size_t sublayer, int steps) {
    double sum = 0.0;
    for (int example = 0; example < observer.examples(); ++example) sum += observer.residual(example, steps - 1, sublayer).mean_abs;
    return sum / observer.examples();
  };
  constexpr std::size_t kEmbedding = 0;         // σ(E): a linear map of a constant current (method doc §1.2)
  constexpr std::size_t kIntermediate = 5;      // L0_intermediate: σ(GELU(.)), nonlinear (method doc §9.3)
  std::vector<std::int64_t> steps;
  std::vector<double> linear, gelu;
  for (int t = 16; t <= kSteps; t *= 2) {
    steps.push_back(t);
    linear.push_back(mean_over_examples(kEmbedding, t));
    gelu.push_back(mean_over_examples(kIntermediate, t));
  }
  const auto check = traces::check_inverse_t(steps, linear);
  INFO("embedding T*r from " << check.scaled_min << " to " << check.scaled_max << ", slope " << check.log_log_slope);
  CHECK(check.falls_like_inverse_t(/*spread=*/3.0, /*slope_tolerance=*/0.25));
  const auto nonlinear = traces::check_inverse_t(steps, gelu);
  INFO("L0_intermediate r(16) " << gelu.front() << ", r(1024) " << gelu.back() << ", slope " << nonlinear.log_log_slope);
  CHECK(!nonlinear.falls_like_inverse_t(3.0, 0.25));
  CHECK(gelu.back() > 10.0 * linear.back());
}
