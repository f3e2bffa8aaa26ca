#include "commands/RunEnergy.hpp"

#include "training/Communicator.hpp"

#include "traces/KernelOperations.hpp"

#include <filesystem>
#include <iostream>

namespace spikingbert::tools {

traces::EnergyCosts energy_costs_from_option(const std::string& option_value) {
  if (option_value == "fp32" || option_value == "fp16" || option_value == "int8") return traces::energy_preset(option_value);
  if (std::filesystem::path(option_value).extension() == ".json") return traces::read_energy_costs(option_value);
  return traces::energy_preset(option_value);  // an InputError naming --energy and the presets
}

traces::EnergyReport run_energy_report(const models::SpikingBert& model, const std::vector<sim::OperationCounts>& counts,
                                       const std::vector<std::int64_t>& tokens_per_example, int steps,
                                       const traces::EnergyCosts& costs,
                                       const std::vector<std::int64_t>& steps_per_example) {
  const auto& config = model.config();
  const auto names = model.sublayers().names();
  std::vector<traces::SublayerOperations> rows;
  // Neuron updates of sub-layer j: every simulated token's width neurons, every step (method doc §2.1).
  std::uint64_t token_steps = 0;
  for (std::size_t e = 0; e < tokens_per_example.size(); ++e)
    token_steps += static_cast<std::uint64_t>(tokens_per_example[e]) *
                   static_cast<std::uint64_t>(steps_per_example.empty() ? steps : steps_per_example.at(e));
  for (std::size_t j = 0; j < counts.size(); ++j) {
    auto row = traces::sublayer_operations(names.at(j), counts[j], costs.value_bytes);
    row.state_bytes_read += traces::membrane_state_bytes(
        token_steps * static_cast<std::uint64_t>(model.sublayers().width(static_cast<int>(j))), costs.value_bytes);
    rows.push_back(row);
  }
  // The classifier reads ReLU of the last Output's ASR at token 0 once per example: hidden x labels
  // multiply-accumulates (method doc §1.4); the kernel does not run it, so it is counted here.
  traces::SublayerOperations classifier;
  classifier.name = "classifier";
  classifier.multiply_accumulates = static_cast<std::uint64_t>(tokens_per_example.size()) *
                                    static_cast<std::uint64_t>(config.hidden_size) *
                                    static_cast<std::uint64_t>(config.num_labels);
  rows.push_back(classifier);
  traces::Architecture architecture;
  architecture.hidden_size = config.hidden_size;
  architecture.intermediate_size = config.intermediate_size;
  architecture.num_attention_heads = config.num_attention_heads;
  architecture.num_hidden_layers = config.num_hidden_layers;
  architecture.num_labels = config.num_labels;
  auto report = traces::make_energy_report(rows, architecture, tokens_per_example, steps, costs);
  report.neurobench = traces::neurobench_metrics(model, counts, tokens_per_example, steps, steps_per_example);
  return report;
}

void print_run_energy(const traces::EnergyReport& report, const std::string& json_file) {
  std::cout << "energy (" << report.costs.name << "; arithmetic only, a lower bound on hardware, docs/energy.md):\n";
  traces::print_energy_table(std::cout, report);
  std::cout << std::flush;
  if (!json_file.empty() && training::world().is_root()) {  // rank 0 writes the outputs (docs/scaling.md)
    traces::write_energy_report_json(json_file, report);
    std::cout << "energy report: " << json_file << "\n" << std::flush;
  }
}

}  // namespace spikingbert::tools
