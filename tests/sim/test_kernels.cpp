// Event kernel vs dense twin on random networks, thread and block invariance, exact counters, the
// graph checks (zero-delay cycles, feedback edges) and the O(1/T) residual of a linear layer.
#include "io/Error.hpp"
#include "sim/DenseKernel.hpp"
#include "sim/EventKernel.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>

using namespace spikingbert::sim;

namespace {

std::shared_ptr<const std::vector<float>> random_weights(std::mt19937& rng, int inputs, int outputs, float scale) {
  std::normal_distribution<float> normal(0.0f, scale / std::sqrt(static_cast<float>(inputs)));
  auto weights = std::make_shared<std::vector<float>>(static_cast<std::size_t>(inputs) * outputs);
  for (auto& w : *weights) w = normal(rng);
  return weights;
}

std::vector<float> random_vector(std::mt19937& rng, std::size_t n, float mean, float spread) {
  std::normal_distribution<float> normal(mean, spread);
  std::vector<float> v(n);
  for (auto& x : v) x = normal(rng);
  return v;
}

// A transform that reads another population's same-step spikes over a group of two rows: the current
// is scaled by 1 / (1 + spikes of the input population in the group). Exercises transform inputs.
class GroupNormalize : public CurrentTransform {
 public:
  explicit GroupNormalize(int input) : input_(input) {}
  std::string name() const override { return "group normalize"; }
  std::vector<int> input_populations() const override { return {input_}; }
  int row_group() const override { return 2; }
  void apply(const TransformContext& context, float* current, OperationCounts& counts) const override {
    std::size_t spikes = 0;
    for (int r = 0; r < 2; ++r) spikes += context.spikes->spikes(input_, context.step, context.first_row + r).size();
    const float scale = 1.0f + 0.1f * static_cast<float>(spikes);
    for (int j = 0; j < 2 * context.width; ++j) current[j] /= scale;
    counts.divisions += static_cast<std::uint64_t>(2 * context.width);
  }

 private:
  int input_;
};

// Input (constant drive) -> A (dense) -> B (dense from A and from input, + identity from A) ->
// C (dense from B, group transform reading A) -> D (dense from C, delay 2), with odd widths.
Network random_network(std::uint32_t seed, int rows, bool feedback = false) {
  std::mt19937 rng(seed);
  Network network(rows);
  auto make = [&](const std::string& name, int width, bool bias) {
    Population p;
    p.name = name;
    p.width = width;
    if (bias) p.bias = random_vector(rng, static_cast<std::size_t>(width), 0.15f, 0.1f);
    return p;
  };
  auto input = make("input", 37, false);
  input.drive = random_vector(rng, static_cast<std::size_t>(rows) * 37, 0.35f, 0.3f);
  const auto in = network.add_population(input);
  const auto a = network.add_population(make("A", 300, true));
  const auto b = network.add_population(make("B", 300, true));
  auto c_population = make("C", 53, true);
  c_population.transforms.push_back(std::make_shared<GroupNormalize>(a));
  const auto c = network.add_population(c_population);
  const auto d = network.add_population(make("D", 600, false));
  network.add_projection(Projection::dense(in, a, random_weights(rng, 37, 300, 1.5f), 0));
  network.add_projection(Projection::dense(a, b, random_weights(rng, 300, 300, 1.8f), 0));
  network.add_projection(Projection::dense(in, b, random_weights(rng, 37, 300, 1.0f), 0));
  network.add_projection(Projection::identity(a, b, 0.5f));
  network.add_projection(Projection::dense(b, c, random_weights(rng, 300, 53, 2.0f), 0));
  network.add_projection(Projection::dense(c, d, random_weights(rng, 53, 600, 3.0f), 2));
  if (feedback) network.add_projection(Projection::dense(c, a, random_weights(rng, 53, 300, 2.0f), 1));
  network.finalize();
  return network;
}

void require_identical(const RunResult& x, const RunResult& y) {
  REQUIRE(x.populations.size() == y.populations.size());
  for (std::size_t p = 0; p < x.populations.size(); ++p) {
    INFO("population " << p);
    CHECK(x.populations[p].spike_count == y.populations[p].spike_count);
    CHECK(x.populations[p].membrane == y.populations[p].membrane);  // bitwise float equality
  }
}

KernelOptions options_for(int steps, int threads, int block) {
  KernelOptions options;
  options.steps = steps;
  options.threads = threads;
  options.block_steps = block;
  return options;
}

struct OrderRecorder : StepObserver {
  std::vector<std::pair<int, int>> calls;  // (step, population)
  std::vector<std::uint64_t> spikes;
  void on_population_step(const StepSpikes& s, const OperationCounts& counts) override {
    calls.emplace_back(s.step, s.population);
    std::uint64_t n = 0;
    for (int r = 0; r < s.rows; ++r) n += s.row(r).size();
    spikes.push_back(n);
    CHECK(n == counts.spikes);
  }
};

}  // namespace

TEST_CASE("Event kernel and dense twin produce identical spikes and membranes", "[sim][kernels]") {
  for (const std::uint32_t seed : {1u, 2u, 3u}) {
    const auto network = random_network(seed, 6);
    const auto event = run_event_kernel(network, options_for(40, 1, 16));
    const auto dense = run_dense_kernel(network, options_for(40, 1, 16));
    require_identical(event, dense);
    // Not a trivial network: every population fires, but not always.
    for (std::size_t p = 0; p < event.populations.size(); ++p) {
      const auto spikes = event.populations[p].counts.spikes;
      const auto neurons = event.populations[p].spike_count.size();
      CHECK(spikes > 0);
      CHECK(spikes < neurons * 40);
    }
  }
}

TEST_CASE("Spikes are bit-identical for 1, 2, 4, 8 threads and any time block", "[sim][kernels]") {
  const auto network = random_network(7, 8);
  const auto reference = run_event_kernel(network, options_for(35, 1, 1));
  for (const int threads : {1, 2, 4, 8})
    for (const int block : {1, 3, 16, 64}) {
      INFO("threads " << threads << ", block " << block);
      require_identical(reference, run_event_kernel(network, options_for(35, threads, block)));
    }
  for (const int threads : {2, 4, 8}) require_identical(reference, run_dense_kernel(network, options_for(35, threads, 1)));
}

TEST_CASE("Synaptic events equal sum of spikes times fan-out", "[sim][counters]") {
  const auto network = random_network(11, 4);
  const int steps = 30;
  OrderRecorder recorder;
  auto options = options_for(steps, 2, 8);
  options.observer = &recorder;
  const auto result = run_event_kernel(network, options);
  // Spikes per population and step, from the observer.
  std::vector<std::vector<std::uint64_t>> spikes(static_cast<std::size_t>(network.population_count()),
                                                 std::vector<std::uint64_t>(steps, 0));
  for (std::size_t i = 0; i < recorder.calls.size(); ++i)
    spikes[static_cast<std::size_t>(recorder.calls[i].second)][static_cast<std::size_t>(recorder.calls[i].first)] =
        recorder.spikes[i];
  for (int p = 0; p < network.population_count(); ++p) {
    std::uint64_t expected = 0;
    for (const int e : network.incoming(p)) {
      const auto& projection = network.projections()[static_cast<std::size_t>(e)];
      for (int t = 0; t + projection.delay < steps; ++t)
        expected += spikes[static_cast<std::size_t>(projection.source)][static_cast<std::size_t>(t)] * network.fan_out(e);
    }
    INFO("population " << network.population(p).name);
    CHECK(result.populations[static_cast<std::size_t>(p)].counts.synaptic_events == expected);
    std::uint64_t own = 0;
    for (const auto c : result.populations[static_cast<std::size_t>(p)].spike_count) own += c;
    CHECK(result.populations[static_cast<std::size_t>(p)].counts.spikes == own);
  }
  CHECK(result.populations[3].counts.divisions == static_cast<std::uint64_t>(steps) * 4 * 53);
  CHECK(result.total_counts().synaptic_events > 0);
}

TEST_CASE("A zero-delay cycle is rejected with an error naming it", "[sim][graph]") {
  Network network(1);
  for (const char* name : {"first", "second", "third"}) {
    Population p;
    p.name = name;
    p.width = 4;
    network.add_population(p);
  }
  auto weights = std::make_shared<std::vector<float>>(16, 0.1f);
  network.add_projection(Projection::dense(0, 1, weights));
  network.add_projection(Projection::dense(1, 2, weights));
  network.add_projection(Projection::dense(2, 1, weights));
  try {
    network.finalize();
    FAIL("no error for a zero-delay cycle");
  } catch (const spikingbert::io::InputError& error) {
    const std::string what = error.what();
    CHECK_THAT(what, Catch::Contains("second -> third -> second") || Catch::Contains("third -> second -> third"));
  }
}

TEST_CASE("A delay-1 feedback edge works and forces step order", "[sim][graph]") {
  const auto network = random_network(5, 4, true);
  CHECK(network.smallest_feedback_delay() == 1);
  OrderRecorder recorder;
  auto options = options_for(25, 2, 16);  // asks for blocks of 16; the feedback edge must force 1
  options.observer = &recorder;
  const auto event = run_event_kernel(network, options);
  require_identical(event, run_dense_kernel(network, options_for(25, 1, 1)));
  // Step order: the observed steps never decrease.
  for (std::size_t i = 1; i < recorder.calls.size(); ++i) CHECK(recorder.calls[i].first >= recorder.calls[i - 1].first);
  // The feedback changes the result (it is really delivered).
  const auto without = run_event_kernel(random_network(5, 4, false), options_for(25, 1, 16));
  CHECK(without.populations[1].spike_count != event.populations[1].spike_count);
}

TEST_CASE("Without feedback the event kernel runs populations block by block", "[sim][graph]") {
  const auto network = random_network(5, 2);
  OrderRecorder recorder;
  auto options = options_for(20, 1, 8);
  options.observer = &recorder;
  run_event_kernel(network, options);
  // First calls: population 0 for steps 0..7, before any other population.
  for (int s = 0; s < 8; ++s) CHECK(recorder.calls[static_cast<std::size_t>(s)] == std::make_pair(s, 0));
}

TEST_CASE("Linear layer driven by spikes has an O(1/T) rate residual", "[sim][convergence]") {
  // Method doc §10.2: r(T) = max |a_K,T - clamp((W a_in,T + b)/V_th, 0, 1)| with a_in,T the SNN ASR;
  // T * r(T) stays roughly constant (about 1-2), i.e. r decays like 1/T.
  std::mt19937 rng(3);
  const int inputs = 32, outputs = 32;
  Network network(1);
  Population input;
  input.name = "input";
  input.width = inputs;
  input.drive = random_vector(rng, inputs, 0.5f, 0.3f);
  Population layer;
  layer.name = "linear";
  layer.width = outputs;
  layer.bias = random_vector(rng, outputs, 0.3f, 0.2f);
  network.add_population(input);
  network.add_population(layer);
  const auto weights = random_weights(rng, inputs, outputs, 1.0f);
  network.add_projection(Projection::dense(0, 1, weights));
  network.finalize();
  std::vector<double> scaled;
  for (const int steps : {16, 64, 256, 1024}) {
    const auto result = run_event_kernel(network, options_for(steps, 1, 16));
    const auto a_in = result.asr(0), a_out = result.asr(1);
    double residual = 0.0;
    for (int o = 0; o < outputs; ++o) {
      double current = layer.bias[static_cast<std::size_t>(o)];
      for (int i = 0; i < inputs; ++i) current += (*weights)[static_cast<std::size_t>(i * outputs + o)] * a_in[static_cast<std::size_t>(i)];
      residual = std::max(residual, std::abs(a_out[static_cast<std::size_t>(o)] - std::clamp(current, 0.0, 1.0)));
    }
    scaled.push_back(residual * steps);
    INFO("T = " << steps << ", T*r = " << residual * steps);
    CHECK(residual * steps < 3.0);
  }
  CHECK(scaled.back() > 0.2);  // the residual is really ~1/T, not zero
}

TEST_CASE("The dense twin reports the event kernel's operation counts", "[sim][counters]") {
  for (const std::uint32_t seed : {11u, 12u}) {
    const auto network = random_network(seed, 6);
    const auto event = run_event_kernel(network, options_for(25, 1, 16));
    const auto dense = run_dense_kernel(network, options_for(25, 1, 1));
    for (std::size_t p = 0; p < event.populations.size(); ++p) {
      INFO("seed " << seed << ", population " << p);
      auto dense_counts = dense.populations[p].counts;
      const auto& event_counts = event.populations[p].counts;
      // Only the twin's own GEMM work differs: every count the energy model reads is the same.
      if (!network.incoming(static_cast<PopulationId>(p)).empty()) CHECK(dense_counts.dense_macs > 0);
      dense_counts.dense_macs = 0;
      CHECK(dense_counts.synaptic_events == event_counts.synaptic_events);
      CHECK(dense_counts.spikes == event_counts.spikes);
      CHECK(dense_counts.additions == event_counts.additions);
      CHECK(dense_counts.divisions == event_counts.divisions);
      CHECK(dense_counts.selected_accumulates == event_counts.selected_accumulates);
    }
    CHECK(event.total_counts().synaptic_events > 0);
  }
}

TEST_CASE("The early-exit hook ends a run after the step it chose, exactly as a shorter run", "[sim][kernels]") {
  const auto network = random_network(5, 6);
  constexpr int kStopStep = 12;  // 0-based: the run keeps steps 0..12
  const auto shorter = run_event_kernel(network, options_for(kStopStep + 1, 1, 1));
  for (const bool dense : {false, true}) {
    INFO((dense ? "dense" : "event"));
    auto options = options_for(40, 2, 1);
    std::vector<int> asked;
    options.stop_after = [&](int step) {
      asked.push_back(step);
      return step == kStopStep;
    };
    const auto stopped = dense ? run_dense_kernel(network, options) : run_event_kernel(network, options);
    CHECK(stopped.steps == kStopStep + 1);
    REQUIRE(asked.size() == kStopStep + 1);
    for (int s = 0; s <= kStopStep; ++s) CHECK(asked[static_cast<std::size_t>(s)] == s);
    require_identical(stopped, shorter);
    CHECK(stopped.total_counts().synaptic_events == shorter.total_counts().synaptic_events);
    CHECK(stopped.asr(3) == shorter.asr(3));
  }
  // With time blocks of 4 steps the hook is asked at the end of each block: the run ends with its block.
  auto options = options_for(40, 1, 4);
  options.stop_after = [](int step) { return step >= kStopStep; };
  const auto blocked = run_event_kernel(network, options);
  CHECK(blocked.steps == 16);
  require_identical(blocked, run_event_kernel(network, options_for(16, 1, 4)));
}
