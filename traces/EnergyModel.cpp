#include "traces/EnergyModel.hpp"

#include "io/AtomicFile.hpp"
#include "io/Error.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <ostream>
#include <sstream>

namespace spikingbert::traces {
namespace {

// Horowitz 2014 at 45 nm, as used by SpikingJelly's ComputeEnergyCostConfig (simulator-anchors §7).
struct Preset {
  const char* key;
  const char* name;
  double accumulate_pj;
  double multiply_accumulate_pj;
  int value_bytes;
};
constexpr Preset kPresets[] = {
    {"fp32", "45nm fp32 (Horowitz 2014)", 0.9, 4.6, 4},
    {"fp16", "45nm fp16 (Horowitz 2014)", 0.4, 1.5, 2},
    {"int8", "45nm int8 (Horowitz 2014)", 0.03, 0.23, 1},
};

using u64 = std::uint64_t;
u64 as_count(std::int64_t value) { return static_cast<u64>(value); }

constexpr const char* kLowerBoundNote =
    "Arithmetic energy only (AC and MAC costs per operation): a lower bound on real hardware, which also "
    "spends energy on memory traffic, data movement, control and leakage.";
constexpr const char* kFormula =
    "E = AC*E_AC + MAC*E_MAC + other*E_other + bytes_read*E_byte per sub-layer; e = E_ANN / E_SNN over "
    "all sub-layers (docs/energy.md)";

nlohmann::json operations_json(const SublayerOperations& operations) {
  return {{"spikes", operations.spikes},
          {"synaptic_accumulates", operations.synaptic_accumulates},
          {"multiply_accumulates", operations.multiply_accumulates},
          {"other_operations", operations.other_operations},
          {"weight_bytes_read", operations.weight_bytes_read},
          {"state_bytes_read", operations.state_bytes_read}};
}

double cost_field(const nlohmann::json& json, const std::string& key, const std::string& source, bool required,
                  double fallback) {
  if (!json.contains(key)) {
    if (required) throw io::InputError(source, "key '" + key + "'", "missing", "a number of picojoules >= 0");
    return fallback;
  }
  const auto& value = json.at(key);
  if (!value.is_number() || !std::isfinite(value.get<double>()) || value.get<double>() < 0.0) {
    throw io::InputError(source, "key '" + key + "'", "not a finite number >= 0: " + value.dump(),
                         "a number of picojoules >= 0");
  }
  return value.get<double>();
}

}  // namespace

SublayerOperations& SublayerOperations::operator+=(const SublayerOperations& other) {
  spikes += other.spikes;
  synaptic_accumulates += other.synaptic_accumulates;
  multiply_accumulates += other.multiply_accumulates;
  other_operations += other.other_operations;
  weight_bytes_read += other.weight_bytes_read;
  state_bytes_read += other.state_bytes_read;
  return *this;
}

EnergyCosts energy_preset(std::string_view name, std::string_view option) {
  for (const auto& preset : kPresets) {
    if (name == preset.key) {
      EnergyCosts costs;
      costs.name = preset.name;
      costs.accumulate_pj = preset.accumulate_pj;
      costs.multiply_accumulate_pj = preset.multiply_accumulate_pj;
      costs.value_bytes = preset.value_bytes;
      return costs;
    }
  }
  throw io::InputError("command line", std::string(option), "unknown energy preset '" + std::string(name) + "'",
                       "fp32, fp16, int8 or a JSON file of costs");
}

EnergyCosts energy_costs_from_json(const nlohmann::json& json, const std::string& source) {
  if (!json.is_object()) throw io::InputError(source, "top level", "not a JSON object", "an object of costs");
  static const char* known[] = {"name", "accumulate_pj", "multiply_accumulate_pj", "other_operation_pj",
                                "memory_read_pj_per_byte", "value_bytes"};
  for (const auto& [key, value] : json.items()) {
    bool is_known = false;
    for (const auto* name : known) is_known = is_known || key == name;
    if (!is_known) {
      throw io::InputError(source, "key '" + key + "'", "unknown key",
                           "name, accumulate_pj, multiply_accumulate_pj, other_operation_pj, "
                           "memory_read_pj_per_byte, value_bytes");
    }
  }
  EnergyCosts costs;
  costs.name = source;
  if (json.contains("name")) {
    if (!json.at("name").is_string()) throw io::InputError(source, "key 'name'", "not a string", "a string");
    costs.name = json.at("name").get<std::string>();
  }
  costs.accumulate_pj = cost_field(json, "accumulate_pj", source, true, 0.0);
  costs.multiply_accumulate_pj = cost_field(json, "multiply_accumulate_pj", source, true, 0.0);
  costs.other_operation_pj = cost_field(json, "other_operation_pj", source, false, 0.0);
  costs.memory_read_pj_per_byte = cost_field(json, "memory_read_pj_per_byte", source, false, 0.0);
  if (json.contains("value_bytes")) {
    const auto& value = json.at("value_bytes");
    if (!value.is_number_integer() || value.get<std::int64_t>() < 1 || value.get<std::int64_t>() > 8) {
      throw io::InputError(source, "key 'value_bytes'", "not an integer from 1 to 8: " + value.dump(),
                           "bytes per stored value, e.g. 4 for fp32");
    }
    costs.value_bytes = value.get<int>();
  }
  return costs;
}

EnergyCosts read_energy_costs(const std::filesystem::path& json_file) {
  std::ifstream stream(json_file);
  if (!stream) throw io::InputError(json_file.string(), "", "cannot open the file", "a readable JSON file of costs");
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(stream);
  } catch (const nlohmann::json::parse_error& error) {
    throw io::InputError(json_file.string(), "byte " + std::to_string(error.byte), "not valid JSON", "a JSON object of costs");
  } catch (const nlohmann::json::exception&) {  // out_of_range: a number like 1e412
    throw io::InputError(json_file.string(), "", "not valid JSON: a number is out of range", "a JSON object of costs");
  }
  return energy_costs_from_json(json, json_file.string());
}

double energy_pj(const SublayerOperations& operations, const EnergyCosts& costs) {
  // docs/energy.md §3
  return static_cast<double>(operations.synaptic_accumulates) * costs.accumulate_pj +
         static_cast<double>(operations.multiply_accumulates) * costs.multiply_accumulate_pj +
         static_cast<double>(operations.other_operations) * costs.other_operation_pj +
         static_cast<double>(operations.weight_bytes_read + operations.state_bytes_read) * costs.memory_read_pj_per_byte;
}

std::vector<AnnSublayer> dense_ann_operations(const Architecture& architecture, std::int64_t tokens, int value_bytes) {
  if (architecture.hidden_size <= 0 || architecture.intermediate_size <= 0 || architecture.num_attention_heads <= 0 ||
      architecture.num_hidden_layers <= 0 || architecture.num_labels < 0 || tokens <= 0 || value_bytes <= 0) {
    throw std::invalid_argument("dense_ann_operations: sizes must be positive");
  }
  // docs/energy.md §1; L tokens, H hidden, I intermediate, h heads, C labels, b bytes per value.
  const u64 L = as_count(tokens), H = as_count(architecture.hidden_size), I = as_count(architecture.intermediate_size),
            h = as_count(architecture.num_attention_heads), C = as_count(architecture.num_labels),
            b = static_cast<u64>(value_bytes);
  std::vector<AnnSublayer> rows;
  auto add = [&](std::string name, u64 macs, u64 other, u64 weight_values, u64 state_values,
                 std::vector<std::pair<std::string, u64>> breakdown = {}) {
    AnnSublayer row;
    row.operations.name = std::move(name);
    row.operations.multiply_accumulates = macs;
    row.operations.other_operations = other;
    row.operations.weight_bytes_read = weight_values * b;
    row.operations.state_bytes_read = state_values * b;
    row.mac_breakdown = std::move(breakdown);
    rows.push_back(std::move(row));
  };
  // Embedding: gathers 3 rows per token, sums them and applies LayerNorm: no MACs (method doc §1.2).
  add("embedding", 0, 2 * L * H, 3 * L * H + 2 * H, 0);
  for (std::int64_t layer = 0; layer < architecture.num_hidden_layers; ++layer) {
    // (built with append: GCC 12 gives a false -Wrestrict on "L" + std::string)
    std::string prefix = std::to_string(layer);
    prefix.insert(prefix.begin(), 'L');
    prefix.push_back('_');
    add(prefix + "key", L * H * H, 0, H * H + H, L * H);
    add(prefix + "value", L * H * H, 0, H * H + H, L * H);
    // Q = W_Q a_in + b_Q; scores QK^T/8 per head (h·L·L·d = L·L·H); context P·V (L·L·H) — method doc §3.
    add(prefix + "attention", L * H * H + 2 * L * L * H, 2 * h * L * L, H * H + H, 3 * L * H + h * L * L,
        {{"q_projection", L * H * H}, {"scores_qk", L * L * H}, {"context_pv", L * L * H}});
    add(prefix + "self_output", L * H * H, 2 * L * H, H * H + 3 * H, 2 * L * H);          // + residual, LayerNorm
    add(prefix + "intermediate", L * H * I, L * I, H * I + I, L * H);                      // + GELU
    add(prefix + "output", L * I * H, 2 * L * H, I * H + 3 * H, L * I + L * H);            // + residual, LayerNorm
  }
  if (C > 0) add("classifier", C * H, 0, C * H + C, H);  // on the [CLS] token only (method doc §1.4)
  return rows;
}

EnergyReport make_energy_report(const std::vector<SublayerOperations>& snn, const Architecture& architecture,
                                std::span<const std::int64_t> tokens_per_example, std::int64_t steps,
                                const EnergyCosts& costs) {
  EnergyReport report;
  report.costs = costs;
  report.steps = steps;
  report.examples = static_cast<std::int64_t>(tokens_per_example.size());
  // ANN side: per-example operations summed over the run, keyed by sub-layer name, in row order.
  std::vector<std::string> ann_order;
  std::map<std::string, AnnSublayer> ann;
  for (const auto tokens : tokens_per_example) {
    for (auto& row : dense_ann_operations(architecture, tokens, costs.value_bytes)) {
      auto [entry, inserted] = ann.try_emplace(row.operations.name, row);
      if (inserted) {
        ann_order.push_back(row.operations.name);
        continue;
      }
      entry->second.operations += row.operations;
      for (std::size_t i = 0; i < row.mac_breakdown.size(); ++i) {
        entry->second.mac_breakdown[i].second += row.mac_breakdown[i].second;
      }
    }
  }
  auto attach_ann = [&](EnergyRow& row) {
    const auto found = ann.find(row.name);
    if (found == ann.end()) return;
    row.has_ann = true;
    row.ann = found->second.operations;
    row.ann_mac_breakdown = found->second.mac_breakdown;
    row.ann_energy_pj = energy_pj(row.ann, costs);
    ann.erase(found);
  };
  for (const auto& counters : snn) {
    EnergyRow row;
    row.name = counters.name;
    row.has_snn = true;
    row.snn = counters;
    row.snn_energy_pj = energy_pj(counters, costs);
    attach_ann(row);
    report.rows.push_back(std::move(row));
  }
  for (const auto& name : ann_order) {
    if (ann.count(name) == 0) continue;
    EnergyRow row;
    row.name = name;
    attach_ann(row);
    report.rows.push_back(std::move(row));
  }
  report.snn_total.name = report.ann_total.name = "total";
  for (const auto& row : report.rows) {
    report.snn_total += row.snn;
    report.ann_total += row.ann;
    report.snn_energy_pj += row.snn_energy_pj;
    report.ann_energy_pj += row.ann_energy_pj;
  }
  // method doc §8: e = E_ANN / E_SNN.
  report.efficiency = report.snn_energy_pj > 0.0 ? report.ann_energy_pj / report.snn_energy_pj : 0.0;
  return report;
}

double paper_efficiency_estimate(const EnergyCosts& costs, std::int64_t steps, double weighted_asr) {
  // method doc §8: e = (E_MAC Σ N_l) / (E_AC Σ N_l T ASR_{l-1}) = (E_MAC/E_AC) / (T · ASR_w)
  return costs.multiply_accumulate_pj / (costs.accumulate_pj * static_cast<double>(steps) * weighted_asr);
}

void print_energy_table(std::ostream& out, const EnergyReport& report) {
  char line[512];
  const double per_example = report.examples > 0 ? 1.0 / static_cast<double>(report.examples) : 0.0;
  std::snprintf(line, sizeof line, "Energy and operations: %s (AC %.3g pJ, MAC %.3g pJ), T = %lld, %lld examples, per example\n",
                report.costs.name.c_str(), report.costs.accumulate_pj, report.costs.multiply_accumulate_pj,
                static_cast<long long>(report.steps), static_cast<long long>(report.examples));
  out << line;
  std::snprintf(line, sizeof line, "%-18s %12s %14s %12s %12s %14s %12s | %14s %12s %9s\n", "sub-layer", "spikes",
                "SNN ACs", "SNN MACs", "other ops", "bytes read", "E_SNN (nJ)", "ANN MACs", "E_ANN (nJ)", "e");
  out << line;
  auto print_row = [&](const std::string& name, const SublayerOperations& snn, bool has_snn, double snn_pj,
                       const SublayerOperations& ann, bool has_ann, double ann_pj) {
    char snn_part[256] = "", ann_part[128] = "", efficiency[32] = "-";
    if (has_snn) {
      std::snprintf(snn_part, sizeof snn_part, "%12.4g %14.4g %12.4g %12.4g %14.4g %12.4g",
                    static_cast<double>(snn.spikes) * per_example,
                    static_cast<double>(snn.synaptic_accumulates) * per_example,
                    static_cast<double>(snn.multiply_accumulates) * per_example,
                    static_cast<double>(snn.other_operations) * per_example,
                    static_cast<double>(snn.weight_bytes_read + snn.state_bytes_read) * per_example,
                    snn_pj * per_example / 1000.0);
    } else {
      std::snprintf(snn_part, sizeof snn_part, "%12s %14s %12s %12s %14s %12s", "-", "-", "-", "-", "-", "-");
    }
    if (has_ann) {
      std::snprintf(ann_part, sizeof ann_part, "%14.4g %12.4g",
                    static_cast<double>(ann.multiply_accumulates) * per_example, ann_pj * per_example / 1000.0);
    } else {
      std::snprintf(ann_part, sizeof ann_part, "%14s %12s", "-", "-");
    }
    if (has_snn && has_ann && snn_pj > 0.0) std::snprintf(efficiency, sizeof efficiency, "%.3g", ann_pj / snn_pj);
    std::snprintf(line, sizeof line, "%-18s %s | %s %9s\n", name.c_str(), snn_part, ann_part, efficiency);
    out << line;
  };
  for (const auto& row : report.rows) {
    print_row(row.name, row.snn, row.has_snn, row.snn_energy_pj, row.ann, row.has_ann, row.ann_energy_pj);
  }
  print_row("total", report.snn_total, true, report.snn_energy_pj, report.ann_total, true, report.ann_energy_pj);
  std::snprintf(line, sizeof line, "e = E_ANN / E_SNN = %.4g\n", report.efficiency);
  out << line << "Note: " << kLowerBoundNote << "\n";
  if (report.neurobench.examples > 0) print_neurobench_metrics(out, report.neurobench);
}

nlohmann::json to_json(const EnergyReport& report) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& row : report.rows) {
    nlohmann::json entry = {{"name", row.name}};
    if (row.has_snn) {
      entry["snn"] = operations_json(row.snn);
      entry["snn_energy_pj"] = row.snn_energy_pj;
    }
    if (row.has_ann) {
      entry["ann"] = operations_json(row.ann);
      entry["ann_energy_pj"] = row.ann_energy_pj;
      nlohmann::json breakdown = nlohmann::json::object();
      for (const auto& [name, macs] : row.ann_mac_breakdown) breakdown[name] = macs;
      if (!breakdown.empty()) entry["ann_mac_breakdown"] = breakdown;
    }
    if (row.has_snn && row.has_ann && row.snn_energy_pj > 0.0) entry["efficiency"] = row.ann_energy_pj / row.snn_energy_pj;
    rows.push_back(entry);
  }
  nlohmann::json json = {{"costs",
           {{"name", report.costs.name},
            {"accumulate_pj", report.costs.accumulate_pj},
            {"multiply_accumulate_pj", report.costs.multiply_accumulate_pj},
            {"other_operation_pj", report.costs.other_operation_pj},
            {"memory_read_pj_per_byte", report.costs.memory_read_pj_per_byte},
            {"value_bytes", report.costs.value_bytes}}},
          {"steps", report.steps},
          {"examples", report.examples},
          {"rows", rows},
          {"snn_total", operations_json(report.snn_total)},
          {"ann_total", operations_json(report.ann_total)},
          {"snn_energy_pj", report.snn_energy_pj},
          {"ann_energy_pj", report.ann_energy_pj},
          {"efficiency", report.efficiency},
          {"formula", kFormula},
          {"note", kLowerBoundNote}};
  if (report.neurobench.examples > 0) json["neurobench"] = to_json(report.neurobench);
  return json;
}

void write_energy_report_json(const std::filesystem::path& path, const EnergyReport& report) {
  io::write_text_atomically(path, to_json(report).dump(2) + "\n");
}

}  // namespace spikingbert::traces
