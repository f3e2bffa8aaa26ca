#include "io/Error.hpp"
#include "support/RunCommand.hpp"
#include "traces/EnergyModel.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

using namespace spikingbert;
using namespace spikingbert::traces;
using spikingbert::testing::fresh_folder;

namespace {
// A toy BERT: H=4, I=8, 2 heads, 1 encoder layer, 2 labels (numbers below are computed by hand).
Architecture toy_architecture() { return {4, 8, 2, 1, 2}; }

SublayerOperations counters(const std::string& name, std::uint64_t spikes, std::uint64_t accumulates,
                            std::uint64_t macs = 0, std::uint64_t other = 0) {
  SublayerOperations operations;
  operations.name = name;
  operations.spikes = spikes;
  operations.synaptic_accumulates = accumulates;
  operations.multiply_accumulates = macs;
  operations.other_operations = other;
  return operations;
}

std::vector<SublayerOperations> toy_snn_counters() {
  return {counters("embedding", 30, 0, 0, 50), counters("L0_key", 10, 120),       counters("L0_value", 12, 120),
          counters("L0_attention", 9, 200),      counters("L0_self_output", 8, 80), counters("L0_intermediate", 20, 150),
          counters("L0_output", 11, 130),        counters("classifier", 0, 0, 16)};
}

std::string write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path) << text;
  return path.string();
}
}  // namespace

TEST_CASE("the 45 nm presets hold Horowitz's costs", "[traces][energy]") {
  const auto fp32 = energy_preset("fp32");
  CHECK(fp32.accumulate_pj == 0.9);
  CHECK(fp32.multiply_accumulate_pj == 4.6);
  CHECK(fp32.value_bytes == 4);
  CHECK(fp32.other_operation_pj == 0.0);
  CHECK(energy_preset("fp16").accumulate_pj == 0.4);
  CHECK(energy_preset("fp16").multiply_accumulate_pj == 1.5);
  CHECK(energy_preset("int8").accumulate_pj == 0.03);
  CHECK(energy_preset("int8").multiply_accumulate_pj == 0.23);
  CHECK_THROWS_AS(energy_preset("fp64"), io::InputError);
}

TEST_CASE("a JSON file of costs is validated", "[traces][energy]") {
  const auto folder = fresh_folder("energy-costs");
  const auto good = read_energy_costs(write_file(folder / "good.json",
      R"({"name": "chip", "accumulate_pj": 0.5, "multiply_accumulate_pj": 2, "other_operation_pj": 0.1, "value_bytes": 2})"));
  CHECK(good.name == "chip");
  CHECK(good.accumulate_pj == 0.5);
  CHECK(good.multiply_accumulate_pj == 2.0);
  CHECK(good.other_operation_pj == 0.1);
  CHECK(good.memory_read_pj_per_byte == 0.0);
  CHECK(good.value_bytes == 2);
  auto error_of = [&](const std::string& name, const std::string& text) {
    try {
      read_energy_costs(write_file(folder / name, text));
    } catch (const io::InputError& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  CHECK(error_of("missing.json", R"({"multiply_accumulate_pj": 2})").find("key 'accumulate_pj': missing") != std::string::npos);
  CHECK(error_of("negative.json", R"({"accumulate_pj": -1, "multiply_accumulate_pj": 2})").find("not a finite number >= 0") != std::string::npos);
  CHECK(error_of("typo.json", R"({"accumulate_pj": 1, "multiply_accumulate_pj": 2, "mac_pj": 3})").find("unknown key") != std::string::npos);
  CHECK(error_of("bytes.json", R"({"accumulate_pj": 1, "multiply_accumulate_pj": 2, "value_bytes": 0})").find("value_bytes") != std::string::npos);
  CHECK(error_of("array.json", "[1, 2]").find("not a JSON object") != std::string::npos);
  CHECK(error_of("broken.json", "{\"accumulate_pj\": ").find("not valid JSON") != std::string::npos);
  CHECK_THROWS_AS(read_energy_costs(folder / "absent.json"), io::InputError);
}

TEST_CASE("the dense ANN's MACs per sub-layer follow the architecture", "[traces][energy]") {
  // L=3 tokens, H=4, I=8, h=2, C=2: K = V = SO = L·H·H = 48; attention = 48 + QK^T 36 + PV 36 = 120;
  // I = O = L·H·I = 96; classifier C·H = 8; embedding 0. Total 464.
  const auto rows = dense_ann_operations(toy_architecture(), 3, 4);
  REQUIRE(rows.size() == 8);
  std::vector<std::string> names;
  std::uint64_t total = 0;
  for (const auto& row : rows) {
    names.push_back(row.operations.name);
    total += row.operations.multiply_accumulates;
  }
  CHECK(names == std::vector<std::string>{"embedding", "L0_key", "L0_value", "L0_attention", "L0_self_output",
                                          "L0_intermediate", "L0_output", "classifier"});
  CHECK(rows[0].operations.multiply_accumulates == 0);
  CHECK(rows[1].operations.multiply_accumulates == 48);
  CHECK(rows[3].operations.multiply_accumulates == 120);
  CHECK(rows[3].mac_breakdown == std::vector<std::pair<std::string, std::uint64_t>>{
                                     {"q_projection", 48}, {"scores_qk", 36}, {"context_pv", 36}});
  CHECK(rows[3].operations.other_operations == 36);  // scale + softmax: 2 · h·L·L = 2·2·9
  CHECK(rows[5].operations.multiply_accumulates == 96);
  CHECK(rows[7].operations.multiply_accumulates == 8);
  CHECK(total == 464);
  CHECK(rows[1].operations.weight_bytes_read == (16 + 4) * 4);  // W_K and b_K in fp32

  // SpikingBERT4 (H=768, I=3072, 12 heads, 4 layers, 2 labels) on 64 tokens:
  // 4·(4·64·768² + 2·64²·768 + 2·64·768·3072) + 2·768 = 1,837,106,688 MACs (docs/energy.md §1).
  std::uint64_t bert_total = 0;
  for (const auto& row : dense_ann_operations({768, 3072, 12, 4, 2}, 64, 4)) bert_total += row.operations.multiply_accumulates;
  CHECK(bert_total == 1837106688ULL);
}

TEST_CASE("the energy report adds counters and computes e = E_ANN / E_SNN", "[traces][energy]") {
  const std::vector<std::int64_t> tokens{3, 3};
  const auto report = make_energy_report(toy_snn_counters(), toy_architecture(), tokens, 16, energy_preset("fp32"));
  CHECK(report.examples == 2);
  CHECK(report.snn_total.synaptic_accumulates == 800);  // 120+120+200+80+150+130
  CHECK(report.snn_total.multiply_accumulates == 16);
  CHECK(report.snn_total.spikes == 100);
  CHECK(report.ann_total.multiply_accumulates == 928);  // 2 × 464
  CHECK(report.snn_energy_pj == Approx(800 * 0.9 + 16 * 4.6));  // 793.6 pJ
  CHECK(report.ann_energy_pj == Approx(928 * 4.6));             // 4268.8 pJ
  CHECK(report.efficiency == Approx(4268.8 / 793.6));
  REQUIRE(report.rows.size() == 8);
  CHECK(report.rows[1].has_snn);
  CHECK(report.rows[1].has_ann);
  CHECK(report.rows[1].snn_energy_pj == Approx(120 * 0.9));
  CHECK(report.rows[1].ann_energy_pj == Approx(96 * 4.6));

  // A costs file that charges other operations changes E_SNN by exactly other·E_other.
  EnergyCosts costly = energy_preset("fp32");
  costly.other_operation_pj = 0.1;
  const auto with_other = make_energy_report(toy_snn_counters(), toy_architecture(), tokens, 16, costly);
  const double ann_other = 2.0 * (24 + 36 + 24 + 24 + 24);  // embedding, attention, SO, I, O per example
  CHECK(with_other.snn_energy_pj == Approx(793.6 + 50 * 0.1));
  CHECK(with_other.ann_energy_pj == Approx(4268.8 + ann_other * 0.1));
}

TEST_CASE("counted e equals the paper's closed form when ACs are N·T·ASR", "[traces][energy]") {
  // method doc §8: if every SNN synaptic op is an AC and their count is N_l·T·ASR, e = (E_MAC/E_AC)/(T·ASR).
  constexpr std::int64_t kSteps = 10;
  constexpr double kAsr = 0.15;  // T·ASR = 1.5
  const std::vector<std::int64_t> tokens{3, 3};
  std::vector<SublayerOperations> snn;
  for (const auto& row : dense_ann_operations(toy_architecture(), 3, 4)) {
    if (row.operations.name == "classifier") continue;  // a MAC layer in both: leave it out of this identity
    snn.push_back(counters(row.operations.name, 0, 2 * row.operations.multiply_accumulates * 3 / 2));
  }
  auto report = make_energy_report(snn, Architecture{4, 8, 2, 1, 0}, tokens, kSteps, energy_preset("fp32"));
  CHECK(report.efficiency == Approx(paper_efficiency_estimate(energy_preset("fp32"), kSteps, kAsr)));
  CHECK(paper_efficiency_estimate(energy_preset("fp32"), 16, 0.16) == Approx(4.6 / (0.9 * 16 * 0.16)));
}

TEST_CASE("the energy table and JSON say what they compute", "[traces][energy]") {
  const std::vector<std::int64_t> tokens{3, 3};
  const auto report = make_energy_report(toy_snn_counters(), toy_architecture(), tokens, 16, energy_preset("fp32"));
  std::ostringstream table;
  print_energy_table(table, report);
  const auto text = table.str();
  CHECK(text.find("e = E_ANN / E_SNN = 5.379") != std::string::npos);
  CHECK(text.find("lower bound on real hardware") != std::string::npos);
  CHECK(text.find("L0_attention") != std::string::npos);
  const auto path = fresh_folder("energy-json") / "energy.json";
  write_energy_report_json(path, report);
  std::ifstream stream(path);
  const auto json = nlohmann::json::parse(stream);
  CHECK(json.at("efficiency").get<double>() == Approx(report.efficiency));
  CHECK(json.at("snn_total").at("synaptic_accumulates").get<std::uint64_t>() == 800);
  CHECK(json.at("ann_total").at("multiply_accumulates").get<std::uint64_t>() == 928);
  CHECK(json.at("rows").size() == 8);
  CHECK(json.at("rows").at(3).at("ann_mac_breakdown").at("scores_qk").get<std::uint64_t>() == 72);
  CHECK(json.at("note").get<std::string>().find("lower bound") != std::string::npos);
  CHECK(json.at("costs").at("multiply_accumulate_pj").get<double>() == 4.6);
}
