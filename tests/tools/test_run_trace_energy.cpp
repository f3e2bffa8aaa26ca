// `spikingbert run --trace` and the energy report, on the tiny conformance case: a neurons-level trace
// holds exactly the reference's forward/asr, a spikes-level trace counts to its forward/spike_count,
// the summary's last running mean ASR is the mean of the final ASRs, and the energy report's synaptic
// accumulates are the kernel's synaptic events.
#include "io/Hdf5File.hpp"
#include "support/RunCommand.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>

using namespace spikingbert::testing;

namespace {

constexpr int kTinySublayers = 13;  // embedding + 6 per encoder layer x 2 layers
constexpr int kTinySteps = 50;      // tests/data/tiny t_conv

std::string suffix(int j) {
  char text[16];
  std::snprintf(text, sizeof text, "%02d", j);
  return text;
}

}  // namespace

TEST_CASE("run --trace neurons and spikes reproduce the tiny reference's rates and counts", "[tools][run][trace]") {
  const auto folder = fresh_folder("run-trace");
  const spikingbert::io::Hdf5Reader reference(test_data("tiny/case.h5"));
  const auto base = "run --model '" + test_data("tiny") + "' --inputs '" + test_data("tiny/case.h5") + "' --output '" +
                    (folder / "out.h5").string() + "'";
  const auto neurons_file = (folder / "neurons.h5").string();
  const auto neurons = run_spikingbert(base + " --trace '" + neurons_file + "' --trace-level neurons");
  INFO(neurons.err);
  REQUIRE(neurons.exit_code == 0);
  const spikingbert::io::Hdf5Reader trace(neurons_file);
  const auto names = trace.list("neurons");
  REQUIRE(names.size() == kTinySublayers);
  const auto population_names = trace.read_ints("populations/width");  // one per sub-layer
  REQUIRE(population_names.values.size() == kTinySublayers);
  CHECK(trace.read_attribute_double("/", "complete") == 1.0);
  const auto examples = reference.read_ints("inputs/input_ids").shape[0];
  const auto sequence = reference.read_ints("inputs/input_ids").shape[1];
  const auto mask = reference.read_ints("inputs/attention_mask").values;
  // Populations in trace order (/populations/name) are the reference sub-layers 00..12.
  const std::vector<std::string> order = {"embedding",       "L0_key",   "L0_value",        "L0_attention", "L0_self_output",
                                          "L0_intermediate", "L0_output", "L1_key",         "L1_value",     "L1_attention",
                                          "L1_self_output",  "L1_intermediate", "L1_output"};
  CHECK(trace.read_strings("populations/name") == order);
  for (int j = 0; j < kTinySublayers; ++j) {
    INFO(order[static_cast<std::size_t>(j)]);
    const auto asr = trace.read_tensor("neurons/" + order[static_cast<std::size_t>(j)] + "/asr");
    const auto mean_asr = trace.read_doubles("summary/" + order[static_cast<std::size_t>(j)] + "/mean_asr");  // [N, T]
    REQUIRE(mean_asr.size() == static_cast<std::size_t>(examples * kTinySteps));
    const auto expected = reference.read_tensor("forward/asr/" + suffix(j));
    // Real tokens only (issue 11): the trace's rows are each example's real tokens in order (docs/traces.md),
    // and they carry the reference's rates (its padded keys get zero attention, so padding does not reach them).
    const auto per_example = expected.values.size() / static_cast<std::size_t>(examples);
    const auto width = per_example / static_cast<std::size_t>(sequence);
    std::size_t row = 0;
    for (std::int64_t e = 0; e < examples; ++e) {
      double sum = 0.0, real = 0.0;
      for (std::int64_t k = 0; k < sequence; ++k) {
        if (mask[static_cast<std::size_t>(e * sequence + k)] == 0) continue;
        for (std::size_t i = 0; i < width; ++i) {
          const auto at = static_cast<std::size_t>(e) * per_example + static_cast<std::size_t>(k) * width + i;
          REQUIRE(row * width + i < asr.values.size());
          CHECK(asr.values[row * width + i] == expected.values[at]);
          sum += expected.values[at];
          real += 1.0;
        }
        ++row;
      }
      // The last running mean ASR of each example is the mean of its final ASRs (counts / T) over real tokens.
      const double last = mean_asr[static_cast<std::size_t>(e * kTinySteps + kTinySteps - 1)];
      CHECK(std::abs(last - sum / real) < 1e-6);
    }
  }

  const auto spikes_file = (folder / "spikes.h5").string();
  const auto spikes = run_spikingbert(base + " --trace '" + spikes_file + "' --trace-level spikes");
  REQUIRE(spikes.exit_code == 0);
  const spikingbert::io::Hdf5Reader raster(spikes_file);
  for (int j = 0; j < kTinySublayers; ++j) {
    INFO(order[static_cast<std::size_t>(j)]);
    const auto expected = reference.read_ints("forward/spike_count/" + suffix(j));
    const auto node_ids = raster.read_ints("spikes/" + order[static_cast<std::size_t>(j)] + "/node_ids");
    const auto pointers = raster.read_ints("spikes/" + order[static_cast<std::size_t>(j)] + "/example_index_pointers");
    REQUIRE(pointers.values.size() == static_cast<std::size_t>(examples + 1));
    const auto per_example = expected.values.size() / static_cast<std::size_t>(examples);
    std::vector<std::int64_t> counted(expected.values.size(), 0);
    for (std::int64_t e = 0; e < examples; ++e)
      for (auto s = pointers.values[static_cast<std::size_t>(e)]; s < pointers.values[static_cast<std::size_t>(e + 1)]; ++s) {
        const auto node = static_cast<std::size_t>(node_ids.values[static_cast<std::size_t>(s)]);
        REQUIRE(node < per_example);
        ++counted[static_cast<std::size_t>(e) * per_example + node];
      }
    const auto width = per_example / static_cast<std::size_t>(sequence);
    for (std::size_t at = 0; at < counted.size(); ++at) {  // real tokens: the reference's counts; padding: no node
      const bool real = mask[at / per_example * static_cast<std::size_t>(sequence) + at % per_example / width] != 0;
      CHECK(counted[at] == (real ? expected.values[at] : 0));
    }
  }
}

TEST_CASE("run's energy report counts the kernel's synaptic events as accumulates", "[tools][run][energy]") {
  const auto folder = fresh_folder("run-energy");
  const auto output = (folder / "out.h5").string(), energy = (folder / "energy.json").string();
  const auto result = run_spikingbert("run --model '" + test_data("tiny") + "' --inputs '" + test_data("tiny/case.h5") +
                                      "' --output '" + output + "' --energy int8 --energy-json '" + energy + "'");
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(result.out.find("L1_intermediate") != std::string::npos);
  std::ifstream in(energy);
  const auto report = nlohmann::json::parse(in);
  const spikingbert::io::Hdf5Reader out(output);
  // operations/counts: [sub-layer][column]; column 1 is synaptic_events and column 10 selected_accumulates
  // (the attention's spike-selected sums; run.cpp kCountColumns). Both are accumulates (docs/energy.md §2).
  const auto counts = out.read_ints("operations/counts");
  const auto columns = counts.shape[1];
  REQUIRE(columns == 11);
  REQUIRE(out.read_attribute_string("operations/counts", "columns").find(",selected_accumulates") != std::string::npos);
  constexpr std::int64_t kSynapticEventsColumn = 1, kSelectedAccumulatesColumn = 10;
  std::int64_t kernel_total = 0, selected_total = 0, attention_selected = 0;
  for (std::int64_t j = 0; j < kTinySublayers; ++j) {
    const auto selected = counts.values[static_cast<std::size_t>(j * columns + kSelectedAccumulatesColumn)];
    kernel_total += counts.values[static_cast<std::size_t>(j * columns + kSynapticEventsColumn)] + selected;
    selected_total += selected;
    if (j % 6 == 3) attention_selected += selected;  // L0_attention (3), L1_attention (9): method doc §1.3 order
  }
  REQUIRE(kernel_total > 0);
  // Only the attention sub-layers select values by spikes, and they do.
  CHECK(selected_total > 0);
  CHECK(attention_selected == selected_total);
  const auto report_text = report.dump();
  INFO(report_text.substr(0, 2000));
  CHECK(report["snn_total"]["synaptic_accumulates"].get<std::int64_t>() == kernel_total);
  // Memory reads (docs/energy.md §2), int8: 1 byte per value. One weight per projection accumulate; one
  // value per spike-selected sum plus one membrane potential per neuron per step (tiny: 21 real tokens of
  // 3 x 8, padding has no neuron; 11 hidden-wide sub-layers and 2 intermediate-wide ones, T steps).
  CHECK(report["snn_total"]["weight_bytes_read"].get<std::int64_t>() == kernel_total - selected_total);
  constexpr std::int64_t kTinyTokens = 21, kTinyHidden = 32, kTinyIntermediate = 64;
  constexpr std::int64_t kTinyNeuronsPerToken = 11 * kTinyHidden + 2 * kTinyIntermediate;  // 13 sub-layers
  CHECK(report["snn_total"]["state_bytes_read"].get<std::int64_t>() ==
        selected_total + kTinyTokens * kTinyNeuronsPerToken * kTinySteps);
  std::int64_t rows_total = 0;
  for (const auto& row : report["rows"])
    if (row.contains("snn")) rows_total += row["snn"]["synaptic_accumulates"].get<std::int64_t>();
  CHECK(rows_total == kernel_total);
  const auto bad = run_spikingbert("run --model '" + test_data("tiny") + "' --inputs '" + test_data("tiny/case.h5") +
                                   "' --output '" + output + "' --energy fp64");
  CHECK(bad.exit_code == 2);
}
