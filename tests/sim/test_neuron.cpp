// Single-neuron cases with known answers (method doc §10.1) and the LIF / reset-to-zero variants.
#include "sim/DenseKernel.hpp"
#include "sim/EventKernel.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace spikingbert::sim;

namespace {

// One population of `width` neurons driven by a constant bias current, nothing else.
RunResult run_constant(const std::vector<float>& currents, int steps, NeuronModel neuron = {}) {
  Network network(1);
  Population population;
  population.name = "neuron";
  population.width = static_cast<int>(currents.size());
  population.neuron = neuron;
  population.bias = currents;
  network.add_population(population);
  network.finalize();
  KernelOptions options;
  options.steps = steps;
  return run_event_kernel(network, options);
}

}  // namespace

TEST_CASE("IF neuron under constant current: |a_T - I/V_th| < 1/T, clamped to [0, 1]", "[sim][neuron]") {
  const std::vector<float> currents{-0.5f, 0.0f, 0.013f, 0.1f, 0.25f, 0.3333f, 0.5f, 0.77f, 0.999f, 1.0f, 1.5f, 7.0f};
  for (const int steps : {1, 7, 50, 100, 1000}) {
    const auto result = run_constant(currents, steps);
    const auto asr = result.asr(0);
    for (std::size_t i = 0; i < currents.size(); ++i) {
      INFO("I = " << currents[i] << ", T = " << steps);
      const double expected = std::clamp(static_cast<double>(currents[i]), 0.0, 1.0);
      CHECK(std::abs(asr[i] - expected) < 1.0 / steps + 1e-6);
      if (currents[i] >= 1.0f) CHECK(result.populations[0].spike_count[i] == static_cast<std::uint32_t>(steps));
      if (currents[i] <= 0.0f) CHECK(result.populations[0].spike_count[i] == 0);
    }
  }
}

TEST_CASE("IF neuron fires at equality v == V_th", "[sim][neuron]") {
  // 0.5 + 0.5 == 1.0 exactly: the neuron must fire at the second step (">=", method doc §2.1).
  const auto one = run_constant({0.5f}, 2);
  CHECK(one.populations[0].spike_count[0] == 1);
  CHECK(one.populations[0].membrane[0] == 0.0f);
  const auto at_threshold = run_constant({1.0f}, 1);
  CHECK(at_threshold.populations[0].spike_count[0] == 1);
  // Just below: never reaches 1 in one step.
  const auto below = run_constant({std::nextafter(1.0f, 0.0f)}, 1);
  CHECK(below.populations[0].spike_count[0] == 0);
}

TEST_CASE("ASR is count * float32(1/T), not count / T", "[sim][neuron]") {
  const int steps = 50;
  const auto result = run_constant({0.3f, 0.7f, 0.06f}, steps);
  const auto asr = result.asr(0);
  for (std::size_t i = 0; i < asr.size(); ++i) {
    const float expected = static_cast<float>(result.populations[0].spike_count[i]) * static_cast<float>(1.0 / steps);
    CHECK(asr[i] == expected);
  }
}

TEST_CASE("LIF neuron: leak applied after the subtractive reset", "[sim][neuron]") {
  NeuronModel lif;
  lif.leak = 0.5f;
  // u: t0 v=0.8 -> u=0.4; t1 v=1.2 fire -> u=(0.2)*0.5=0.1; t2 v=0.9 -> u=0.45; t3 v=1.25 fire -> 0.125
  const auto result = run_constant({0.8f}, 4, lif);
  CHECK(result.populations[0].spike_count[0] == 2);
  float u = 0.0f;
  for (int t = 0; t < 4; ++t) {
    const float v = u + 0.8f;
    u = (v >= 1.0f ? v - 1.0f : v) * 0.5f;
  }
  CHECK(result.populations[0].membrane[0] == u);
  // A LIF neuron with I < (1 - leak) V_th / ... never reaches threshold: fixed point I/(1-leak) = 0.6 < 1.
  CHECK(run_constant({0.3f}, 200, lif).populations[0].spike_count[0] == 0);
}

TEST_CASE("Reset to zero discards the excess above threshold", "[sim][neuron]") {
  NeuronModel to_zero;
  to_zero.reset = ResetMode::kToZero;
  // I = 0.6: subtractive reset fires 3 times in 5 steps (0.6,1.2f,0.8,1.4f,1.0f); reset to zero fires
  // every second step: 0.6, 1.2 fire -> 0, 0.6, 1.2 fire -> 0, 0.6.
  CHECK(run_constant({0.6f}, 5).populations[0].spike_count[0] == 3);
  const auto result = run_constant({0.6f}, 5, to_zero);
  CHECK(result.populations[0].spike_count[0] == 2);
  CHECK(result.populations[0].membrane[0] == 0.6f);
}
