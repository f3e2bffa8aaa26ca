// `spikingbert sweep`, `run --steps-max/--converge-tol` (adaptive steps) and the per-step residuals of a
// summary trace, as a user runs them, on the tiny conformance model.
#include "io/Hdf5File.hpp"
#include "support/RunCommand.hpp"
#include "traces/Convergence.hpp"
#include "TinyGlue.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

using namespace spikingbert::testing;
namespace fs = std::filesystem;

namespace {

std::vector<std::vector<std::string>> read_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::vector<std::string> fields;
    std::istringstream cells(line);
    std::string cell;
    while (std::getline(cells, cell, ',')) fields.push_back(cell);
    rows.push_back(fields);
  }
  return rows;
}

std::string tiny_glue(const std::string& vocab, const std::string& data) {
  return "--model '" + test_data("tiny") + "' --task sst2 --data '" + data + "' --vocab '" + vocab + "'";
}

}  // namespace

TEST_CASE("sweep writes one row per (V_th, T) that matches run at the same setting", "[tools][sweep]") {
  const auto folder = fresh_folder("sweep");
  const auto vocab = write_tiny_vocabulary(folder), data = write_small_sst2(folder);
  const auto csv = (folder / "rows.csv").string();
  const auto result = run_spikingbert("sweep " + tiny_glue(vocab, data) + " --steps 4,12 --vth 0.5,1 --output '" + csv + "'");
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(result.err.find("ETA") != std::string::npos);
  // Only the inputs and the finished table are in the folder (no temporary left behind).
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(folder)) files.push_back(entry.path().filename().string());
  std::sort(files.begin(), files.end());
  CHECK(files == std::vector<std::string>{"dev.tsv", "rows.csv", "vocab.txt"});
  const auto rows = read_csv(read_whole_file(csv));
  REQUIRE(rows.size() == 5);  // header + 2 thresholds x 2 step counts
  const auto& header = rows[0];
  REQUIRE(header.size() == 9 + 13);
  CHECK(header[0] == "steps");
  CHECK(header[3] == "accuracy");
  CHECK(header[9] == "asr_embedding");
  CHECK(header.back() == "asr_L1_output");
  // V_th outer, T inner.
  CHECK(rows[1][0] == "4");
  CHECK(rows[1][1] == "0.5");
  CHECK(rows[2][0] == "12");
  CHECK(rows[3][1] == "1");
  for (std::size_t r = 1; r < rows.size(); ++r) {
    REQUIRE(rows[r].size() == header.size());
    CHECK(rows[r][2] == "6");
    const double accuracy = std::stod(rows[r][3]);
    CHECK(std::abs(accuracy * 6 - std::round(accuracy * 6)) < 1e-9);
    CHECK(std::stod(rows[r][4]) == std::stod(rows[r][0]));  // mean_steps = T
    CHECK(std::stod(rows[r][7]) > 0.0);                     // e
  }
  // The embedding neurons' rate is clamp(E / V_th): a higher threshold fires less (method doc §2.1).
  CHECK(std::stod(rows[2][9]) > std::stod(rows[4][9]));

  // The (V_th = 1, T = 12) row is what `run --steps 12` reports for the same model and data.
  const auto run = run_spikingbert("run " + tiny_glue(vocab, data) + " --steps 12 --json");
  REQUIRE(run.exit_code == 0);
  const auto summary = last_json_line(run.out);
  CHECK(std::stod(rows[4][3]) == summary["accuracy"].get<double>());
  CHECK(std::stoull(rows[4][5]) == summary["synaptic_events"].get<std::uint64_t>());
  CHECK(std::stod(rows[4][9]) == summary["mean_asr"]["embedding"].get<double>());
  CHECK(std::stod(rows[4][7]) == Approx(summary["efficiency"].get<double>()).epsilon(1e-12));
  fs::remove_all(folder);
}

TEST_CASE("sweep output is identical for 1, 2, 4 and 8 threads and across runs", "[tools][sweep][determinism]") {
  const auto folder = fresh_folder("sweep-threads");
  const auto vocab = write_tiny_vocabulary(folder), data = write_small_sst2(folder);
  const auto base = "sweep " + tiny_glue(vocab, data) + " --steps 3,10 --vth 0.75,1.5 --batch 4";
  std::string reference;
  for (const int threads : {1, 2, 4, 8, 1}) {
    const auto result = run_spikingbert(base + " --threads " + std::to_string(threads));
    INFO("threads " << threads << ": " << result.err);
    REQUIRE(result.exit_code == 0);
    // Without --output the table goes to stdout.
    REQUIRE(result.out.starts_with("steps,vth,"));
    if (reference.empty()) reference = result.out;
    CHECK(result.out == reference);
  }
  CHECK(read_csv(reference).size() == 5);
  fs::remove_all(folder);
}

TEST_CASE("adaptive steps end examples early and save their events and energy", "[tools][run][adaptive]") {
  const auto folder = fresh_folder("adaptive");
  const auto vocab = write_tiny_vocabulary(folder), data = write_small_sst2(folder);
  constexpr int kStepsMax = 48;
  const auto adaptive = [&](const std::string& tolerance, int stable) {
    const auto result = run_spikingbert("run " + tiny_glue(vocab, data) + " --steps-max " + std::to_string(kStepsMax) +
                                        " --converge-tol " + tolerance + " --stable-steps " + std::to_string(stable) +
                                        " --json");
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    return last_json_line(result.out);
  };
  // Every run simulates each example alone at its own length; the fixed T_max run is the comparison.
  const auto fixed_run = run_spikingbert("run " + tiny_glue(vocab, data) + " --steps " + std::to_string(kStepsMax) +
                                         " --json");
  REQUIRE(fixed_run.exit_code == 0);
  const auto fixed = last_json_line(fixed_run.out);

  // A loose tolerance: every example stops once its label and residual held for 2 steps, and its
  // simulation ends there: fewer events, less energy than the fixed run.
  const auto loose = adaptive("0.5", 2);
  CHECK(loose["mode"] == "adaptive");
  CHECK(loose["examples"] == 6);
  const double mean_steps = loose["mean_steps"];
  CHECK(mean_steps >= 2.0);
  CHECK(mean_steps < kStepsMax);
  CHECK(loose["stopped_early"].get<int>() > 0);
  CHECK(loose["synaptic_events"].get<std::uint64_t>() < fixed["synaptic_events"].get<std::uint64_t>());
  CHECK(loose["energy_pj"].get<double>() < fixed["energy_pj"].get<double>());
  CHECK(loose["efficiency"].get<double>() > fixed["efficiency"].get<double>());

  // A tolerance no residual meets: nothing stops early, adaptive = fixed.
  const auto strict = adaptive("1e-12", 3);
  CHECK(strict["stopped_early"] == 0);
  CHECK(strict["mean_steps"].get<double>() == kStepsMax);
  CHECK(strict["synaptic_events"] == fixed["synaptic_events"]);
  CHECK(strict["accuracy"] == fixed["accuracy"]);
  CHECK(strict["mean_asr"] == fixed["mean_asr"]);
  CHECK(strict["energy_pj"] == fixed["energy_pj"]);
  fs::remove_all(folder);
}

TEST_CASE("a summary trace holds every step's residual, the convergence step and the floor", "[tools][run][trace][residuals]") {
  const auto folder = fresh_folder("trace-residuals");
  const auto vocab = write_tiny_vocabulary(folder), data = write_small_sst2(folder);
  const auto trace = (folder / "run.h5").string();
  constexpr int kSteps = 40;
  constexpr double kTolerance = 0.05;
  const auto result = run_spikingbert("run " + tiny_glue(vocab, data) + " --steps " + std::to_string(kSteps) +
                                      " --batch 4 --trace '" + trace + "' --converge-tol 0.05 --json");
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(result.out.find("converged at") != std::string::npos);
  const auto summary = last_json_line(result.out);
  REQUIRE(summary["convergence"].size() == 13);
  CHECK(summary["convergence_tolerance"].get<double>() == kTolerance);

  const spikingbert::io::Hdf5Reader file(trace);
  CHECK(file.read_attribute_double("/", "convergence_tolerance") == kTolerance);
  // summary/<sub-layer>/...: [6 examples, T] series and [6] per-example values, gathered here as [6, 13, T].
  const auto names = file.read_strings("populations/name");
  REQUIRE(names.size() == 13);
  std::vector<double> residual(6 * 13 * kSteps), residual_max(residual.size()), floor(6 * 13);
  std::vector<std::int64_t> converged_at(6 * 13);
  for (std::size_t p = 0; p < names.size(); ++p) {
    std::vector<std::int64_t> shape;
    const auto mean = file.read_doubles("summary/" + names[p] + "/residual_mean_abs", &shape);
    REQUIRE(shape == std::vector<std::int64_t>{6, kSteps});
    const auto max = file.read_doubles("summary/" + names[p] + "/residual_max");
    const auto converged = file.read_ints("summary/" + names[p] + "/converged_at");
    REQUIRE(converged.shape == std::vector<std::int64_t>{6});
    const auto floors = file.read_doubles("summary/" + names[p] + "/residual_floor");
    for (std::size_t e = 0; e < 6; ++e) {
      std::copy_n(mean.begin() + static_cast<std::ptrdiff_t>(e * kSteps), kSteps,
                  residual.begin() + static_cast<std::ptrdiff_t>((e * 13 + p) * kSteps));
      std::copy_n(max.begin() + static_cast<std::ptrdiff_t>(e * kSteps), kSteps,
                  residual_max.begin() + static_cast<std::ptrdiff_t>((e * 13 + p) * kSteps));
      converged_at[e * 13 + p] = converged.values[e];
      floor[e * 13 + p] = floors[e];
    }
  }
  for (std::size_t i = 0; i < residual.size(); ++i) {
    REQUIRE(std::isfinite(residual[i]));
    CHECK(residual_max[i] >= residual[i]);
  }
  for (std::size_t cell = 0; cell < 6 * 13; ++cell) {
    const std::span<const double> series(residual.data() + cell * kSteps, kSteps);
    const auto expected = spikingbert::traces::convergence_step(series, kTolerance);
    CHECK(converged_at[cell] == (expected ? *expected + 1 : -1));  // step t, 1-based
    CHECK(floor[cell] == spikingbert::traces::residual_floor(series));
  }
  // The embedding neurons (a constant drive) converge within the run; the residual decays over the steps.
  double early = 0.0, late = 0.0;
  for (std::size_t example = 0; example < 6; ++example) {
    early += residual[example * 13 * kSteps + 3];
    late += residual[example * 13 * kSteps + kSteps - 1];
  }
  CHECK(late < 0.5 * early);
  fs::remove_all(folder);
}
