// NeuroBench metrics of the energy report (docs/energy.md §6) on the tiny model, against hand counts: the
// formulas evaluated by hand from the tiny model's sizes (H = 32, I = 64, L = 2, C = 2, 3 examples of 8
// tokens, T = 50) and the run's own spike counts, and cross-checked against the kernel's synaptic events.
#include "io/Hdf5File.hpp"
#include "models/ModelFiles.hpp"
#include "support/RunCommand.hpp"
#include "traces/NeuroBenchMetrics.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <memory>

using namespace spikingbert::testing;

namespace {

constexpr int kSublayers = 13, kExamples = 3, kTokens = 8, kSteps = 50;
constexpr double kHidden = 32, kIntermediate = 64, kLayers = 2, kLabels = 2;

}  // namespace

TEST_CASE("run's energy JSON carries NeuroBench's metrics, equal to hand counts on the tiny model",
          "[tools][run][energy][neurobench]") {
  const auto folder = fresh_folder("neurobench");
  const auto output = (folder / "out.h5").string(), energy = (folder / "energy.json").string();
  const auto result = run_spikingbert("run --model '" + test_data("tiny") + "' --inputs '" + test_data("tiny/case.h5") +
                                      "' --output '" + output + "' --steps 50 --energy-json '" + energy + "'");
  INFO(result.out);
  REQUIRE(result.exit_code == 0);
  CHECK(result.out.find("NeuroBench metrics (per sample over 3 examples") != std::string::npos);
  const auto report = nlohmann::json::parse(read_whole_file(energy));
  REQUIRE(report.contains("neurobench"));
  const auto& nb = report["neurobench"];
  CHECK(nb["per"] == "sample");
  CHECK(nb["examples"] == kExamples);

  // Static: embeddings (64 + 32 + 2) x 32 + LayerNorm 64 = 3200; per layer 4 (32x32 + 32) + 64 + (32x64 + 64)
  // + (64x32 + 32) + 64 = 8544; classifier 2 x 33 = 66.
  CHECK(nb["ParameterCount"] == 3200 + 2 * 8544 + 66);
  CHECK(nb["Footprint"] == 4 * (3200 + 2 * 8544 + 66));
  CHECK(nb["ConnectionSparsity"] == 0.0);  // the tiny weights hold no exact zero

  // Workload, per sample.
  const spikingbert::io::Hdf5Reader out(output);
  std::vector<double> spikes(kSublayers, 0.0);
  double all_spikes = 0, synaptic_events = 0, selected = 0;
  const auto counts = out.read_ints("operations/counts");  // columns: spikes, synaptic_events, ..., selected_accumulates
  for (int j = 0; j < kSublayers; ++j) {
    const auto name = out.read_strings("operations/sublayers")[static_cast<std::size_t>(j)];  // row j of operations/counts
    for (const auto count : out.read_ints("forward/spike_count/" + name).values) spikes[j] += static_cast<double>(count);
    all_spikes += spikes[j];
    CHECK(static_cast<double>(counts.values[static_cast<std::size_t>(j * 11)]) == spikes[j]);
    synaptic_events += static_cast<double>(counts.values[static_cast<std::size_t>(j * 11 + 1)]);
    selected += static_cast<double>(counts.values[static_cast<std::size_t>(j * 11 + 10)]);
  }
  // Only real tokens have neurons (issue 11): case.h5 holds 21 real tokens of 3 x 8.
  double real_tokens = 0;
  for (const auto m : spikingbert::io::Hdf5Reader(test_data("tiny/case.h5")).read_ints("inputs/attention_mask").values)
    real_tokens += static_cast<double>(m);
  CHECK(real_tokens < kExamples * kTokens);
  const double token_steps = real_tokens / kExamples * kSteps;              // per example
  const double widths = kHidden + kLayers * (5 * kHidden + kIntermediate);  // 480 neurons per token
  CHECK(nb["MembraneUpdates"].get<double>() == Approx(token_steps * widths));  // 168000
  CHECK(nb["NeuronOperations"]["Effective Neuron Ops"].get<double>() == Approx(4 * token_steps * widths));
  CHECK(nb["NeuronOperations"]["Neuron Dense Ops"].get<double>() == Approx(4 * token_steps * widths));
  CHECK(nb["ActivationSparsity"].get<double>() == Approx(1.0 - all_spikes / (kExamples * token_steps * widths)));
  CHECK(nb["ActivationSparsityByLayer"]["L0_intermediate"].get<double>() ==
        Approx(1.0 - spikes[5] / (kExamples * token_steps * kIntermediate)));
  CHECK(nb["SynapticOperations"]["Dense"].get<double>() ==
        Approx(token_steps * kLayers * (4 * kHidden * kHidden + 2 * kHidden * kIntermediate) + kHidden * kLabels));
  CHECK(nb["SynapticOperations"]["Effective_MACs"].get<double>() == kHidden * kLabels);
  double accumulates = 0, residual = 0;
  for (int k = 0; k < 2; ++k) {
    accumulates += spikes[6 * k] * 3 * kHidden + spikes[6 * k + 3] * kHidden + spikes[6 * k + 4] * kIntermediate +
                   spikes[6 * k + 5] * kHidden;
    residual += spikes[6 * k] + spikes[6 * k + 4];
  }
  CHECK(nb["SynapticOperations"]["Effective_ACs"].get<double>() == Approx(accumulates / kExamples));
  // The kernel's synaptic events are the Linear layers' accumulates plus the residual spikes.
  CHECK(nb["SynapticOperations"]["Effective_ACs"].get<double>() == Approx((synaptic_events - residual) / kExamples));
  const auto& apart = nb["not_counted_by_neurobench"];
  CHECK(apart["residual_accumulates"].get<double>() == Approx(residual / kExamples));
  CHECK(apart["attention_spike_accumulates"].get<double>() == Approx(selected / kExamples));
  CHECK(selected > 0);
  CHECK(apart["layer_norm_operations"].get<double>() > 0);
  CHECK(apart["softmax_operations"].get<double>() > 0);
  CHECK(apart["gelu_operations"].get<double>() > 0);
}

TEST_CASE("ConnectionSparsity counts the zero weights of the Linear layers", "[tools][energy][neurobench]") {
  const auto tiny = spikingbert::models::load_spiking_bert(test_data("tiny"));
  auto weights = tiny.weights();
  // Zero the classifier (2 x 32) and half of layer 0's Key weights (32 x 32 / 2).
  weights.classifier_weight = std::make_shared<const std::vector<float>>(weights.classifier_weight->size(), 0.0f);
  auto key = *weights.sublayers[1].linear.weight;
  std::fill(key.begin(), key.begin() + static_cast<std::ptrdiff_t>(key.size() / 2), 0.0f);
  weights.sublayers[1].linear.weight = std::make_shared<const std::vector<float>>(key);
  const spikingbert::models::SpikingBert model(tiny.config(), weights);
  const auto metrics = spikingbert::traces::neurobench_metrics(model, {}, {}, kSteps);
  // Linear weights: per layer 4 x 32x32 + 2 x 32x64 = 8192, two layers, classifier 64: 16448.
  CHECK(metrics.connection_sparsity == Approx((64.0 + 512.0) / 16448.0));
  CHECK(metrics.examples == 0);
}
