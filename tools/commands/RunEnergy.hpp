#pragma once
// The energy report printed after `spikingbert run` (docs/energy.md): the kernel's exact counters,
// summed over the run per sub-layer (names as SpikingBert::sublayer_names), plus the classifier's
// multiply-accumulates, against the dense ANN of the same architecture on the same tokens.
#include "models/SpikingBert.hpp"
#include "sim/OperationCounts.hpp"
#include "traces/EnergyModel.hpp"

#include <string>
#include <vector>

namespace spikingbert::tools {

// `--energy`: a preset name (fp32, fp16, int8) or a JSON cost file (docs/energy.md §4).
traces::EnergyCosts energy_costs_from_option(const std::string& option_value);

// counts[j]: sub-layer j's counters summed over the run; tokens_per_example: rows simulated per example;
// steps_per_example (adaptive runs): steps each example ran, for the membrane reads; empty: `steps` each.
traces::EnergyReport run_energy_report(const models::SpikingBert& model, const std::vector<sim::OperationCounts>& counts,
                                       const std::vector<std::int64_t>& tokens_per_example, int steps,
                                       const traces::EnergyCosts& costs,
                                       const std::vector<std::int64_t>& steps_per_example = {});

// Prints the table on stdout and writes the JSON report if `json_file` is not empty.
void print_run_energy(const traces::EnergyReport& report, const std::string& json_file);

}  // namespace spikingbert::tools
