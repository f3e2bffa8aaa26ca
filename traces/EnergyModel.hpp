#pragma once
// Energy and operation accounting (issue 4 item 4, method doc §8; formulas in docs/energy.md).
// Inputs: the simulator's per-sub-layer counters (what actually happened) and the architecture. The
// same architecture run as a dense ANN gives the comparison E_ANN; e = E_ANN / E_SNN.
// Arithmetic energy (AC/MAC costs) is a LOWER BOUND on real hardware: data movement, memory, control
// and idle power are not in the presets (docs/energy.md §4).
#include "traces/NeuroBenchMetrics.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spikingbert::traces {

// Operation counters of one sub-layer (or a total). Conventions (docs/energy.md §2):
//  - synaptic_accumulates: additions triggered by a binary spike (a weight, a Q value selected by a
//    K spike, or a probability selected by a V spike); no multiplication.
//  - multiply_accumulates: real-valued multiply-adds (e.g. the classifier applied to ASRs).
//  - other_operations: one per element passed through a non-synaptic function (LayerNorm, GELU,
//    softmax, score scaling, residual add, embedding sum).
struct SublayerOperations {
  std::string name;
  std::uint64_t spikes = 0;
  std::uint64_t synaptic_accumulates = 0;
  std::uint64_t multiply_accumulates = 0;
  std::uint64_t other_operations = 0;
  std::uint64_t weight_bytes_read = 0;
  std::uint64_t state_bytes_read = 0;

  SublayerOperations& operator+=(const SublayerOperations& other);
};

// Energy per operation in picojoules.
struct EnergyCosts {
  std::string name;
  double accumulate_pj = 0.0;            // E_AC
  double multiply_accumulate_pj = 0.0;   // E_MAC
  double other_operation_pj = 0.0;       // presets: 0 (the paper counts AC and MAC only, method doc §8)
  double memory_read_pj_per_byte = 0.0;  // presets: 0
  int value_bytes = 4;                   // bytes of one weight/activation, for the dense ANN's memory count
};

// Horowitz 2014, 45 nm (simulator-anchors §7): "fp32" AC 0.9 / MAC 4.6 pJ, "fp16" 0.4 / 1.5,
// "int8" 0.03 / 0.23. Anything else: InputError naming `option`.
EnergyCosts energy_preset(std::string_view name, std::string_view option = "--energy");
// A JSON object {"name", "accumulate_pj", "multiply_accumulate_pj", optional "other_operation_pj",
// "memory_read_pj_per_byte", "value_bytes"}; costs finite and >= 0; unknown keys rejected. InputError.
EnergyCosts read_energy_costs(const std::filesystem::path& json_file);
EnergyCosts energy_costs_from_json(const nlohmann::json& json, const std::string& source);

// Energy of a counter set: E = AC·E_AC + MAC·E_MAC + other·E_other + bytes·E_byte (docs/energy.md §3).
double energy_pj(const SublayerOperations& operations, const EnergyCosts& costs);

struct Architecture {
  std::int64_t hidden_size = 0;
  std::int64_t intermediate_size = 0;
  std::int64_t num_attention_heads = 0;
  std::int64_t num_hidden_layers = 0;  // SE (encoder) layers
  std::int64_t num_labels = 0;         // 0: no classifier row
};

// One sub-layer of the dense ANN with the same architecture, per inference on `tokens` tokens.
struct AnnSublayer {
  SublayerOperations operations;                                   // spikes = 0, synaptic_accumulates = 0
  std::vector<std::pair<std::string, std::uint64_t>> mac_breakdown;  // e.g. {"q_projection", ...}
};
// Rows (names as in tests/data/tiny/config.json "sublayers"): embedding, then per encoder layer k
// Lk_key, Lk_value, Lk_attention (Q projection + QK^T + PV), Lk_self_output, Lk_intermediate,
// Lk_output, then classifier. MAC counts: docs/energy.md §1.
std::vector<AnnSublayer> dense_ann_operations(const Architecture& architecture, std::int64_t tokens, int value_bytes);

struct EnergyRow {
  std::string name;
  bool has_snn = false, has_ann = false;
  SublayerOperations snn;  // summed over the run
  SublayerOperations ann;  // summed over the same examples
  std::vector<std::pair<std::string, std::uint64_t>> ann_mac_breakdown;  // summed over the examples
  double snn_energy_pj = 0.0;
  double ann_energy_pj = 0.0;
};

struct EnergyReport {
  EnergyCosts costs;
  std::int64_t steps = 0;     // T
  std::int64_t examples = 0;  // inferences the counters cover
  std::vector<EnergyRow> rows;  // SNN rows in the given order, then ANN-only rows
  SublayerOperations snn_total, ann_total;
  double snn_energy_pj = 0.0;
  double ann_energy_pj = 0.0;
  double efficiency = 0.0;  // e = E_ANN / E_SNN (method doc §8); 0 when E_SNN = 0
  NeuroBenchMetrics neurobench;  // filled by the caller that knows the model (examples 0: left out)
};

// snn: the simulator's counters per sub-layer, summed over the run; tokens_per_example: the token
// count of every example of the run (the ANN side is summed over the same examples).
EnergyReport make_energy_report(const std::vector<SublayerOperations>& snn, const Architecture& architecture,
                                std::span<const std::int64_t> tokens_per_example, std::int64_t steps,
                                const EnergyCosts& costs);

// method doc §8's closed form: e ≈ (E_MAC/E_AC) / (T · ASR_avg) when every SNN synaptic operation is
// an AC and the SNN's AC count is N·T·ASR_{l-1}. For cross-checking the counted e.
double paper_efficiency_estimate(const EnergyCosts& costs, std::int64_t steps, double weighted_asr);

void print_energy_table(std::ostream& out, const EnergyReport& report);
nlohmann::json to_json(const EnergyReport& report);
// Atomic (io/AtomicFile.hpp).
void write_energy_report_json(const std::filesystem::path& path, const EnergyReport& report);

}  // namespace spikingbert::traces
