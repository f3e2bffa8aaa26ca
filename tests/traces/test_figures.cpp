#include "PythonTools.hpp"
#include "SyntheticRun.hpp"
#include "support/RunCommand.hpp"
#include "traces/Hdf5Recorder.hpp"
#include "traces/SweepCsv.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>

using namespace spikingbert;
using spikingbert::testing::fresh_folder;
using spikingbert::testing::read_whole_file;
using spikingbert::testing::run_python;

namespace {
// A sweep table shaped like paper Fig. 4: accuracy saturating in T, ASR falling with V_th, and
// e = (E_MAC/E_AC)/(T·ASR) (method doc §8).
void write_synthetic_sweep(const std::filesystem::path& path) {
  const std::vector<std::string> names{"L0_key", "L0_output"};
  traces::SweepCsv table(path, names);
  for (const std::int64_t steps : {4, 8, 16, 32, 64}) {
    for (const double vth : {0.5, 1.0, 2.0}) {
      traces::SweepRow row;
      row.steps = steps;
      row.vth = vth;
      row.examples = 100;
      row.accuracy = 0.5 + 0.4 * (1.0 - std::exp(-static_cast<double>(steps) / 8.0));
      row.mean_steps = static_cast<double>(steps);
      row.asr = {0.3 / vth, 0.2 / vth};
      const double asr = 0.25 / vth;
      row.synaptic_events = static_cast<std::uint64_t>(1e6 * static_cast<double>(steps) * asr);
      row.energy_pj = 0.9 * static_cast<double>(row.synaptic_events);
      row.efficiency = (4.6 / 0.9) / (static_cast<double>(steps) * asr);
      table.append(row);
    }
  }
  table.commit();
}
}  // namespace

TEST_CASE("the sweep table has the documented columns and is renamed into place on commit", "[traces][sweep]") {
  const auto folder = fresh_folder("sweep-table");
  const auto path = folder / "sweep.csv";
  {
    traces::SweepCsv table(path, {"L0_key", "L0_output"});
    traces::SweepRow row;
    row.steps = 16;
    row.vth = 1.0;
    row.examples = 872;
    row.accuracy = 0.5;
    row.mean_steps = 16;
    row.synaptic_events = 1234;
    row.energy_pj = 1110.6;
    row.efficiency = 2.5;
    row.asr = {0.25, 0.125};
    table.append(row);
    CHECK(!std::filesystem::exists(path));  // not under its final name before commit
    row.asr = {0.25};
    CHECK_THROWS_AS(table.append(row), std::invalid_argument);
    table.commit();
  }
  CHECK(read_whole_file(path) ==
        "steps,vth,examples,accuracy,mean_steps,synaptic_events,energy_pj,efficiency,mean_asr,asr_L0_key,asr_L0_output\n"
        "16,1,872,0.5,16,1234,1110.6,2.5,0.1875,0.25,0.125\n");
  {
    traces::SweepCsv abandoned(folder / "abandoned.csv", {"L0_key"});
  }
  CHECK(!std::filesystem::exists(folder / "abandoned.csv"));
  CHECK(std::distance(std::filesystem::directory_iterator(folder), std::filesystem::directory_iterator()) == 1);
}

TEST_CASE("plot_traces.py and plot_sweep.py write non-blank figures", "[traces][figures]") {
  const auto folder = fresh_folder("figures");
  const auto trace = folder / "trace.h5";
  {
    traces::Hdf5Recorder recorder(trace, traces::TraceLevel::spikes);
    recorder.begin_run(testing::synthetic_run_info(32));
    testing::record_synthetic_examples(recorder, 2, 32);
    recorder.end_run();
  }
  const auto sweep = folder / "sweep.csv";
  write_synthetic_sweep(sweep);
  const auto figures = folder / "figures";

  const auto traces_run = run_python("tools/plot_traces.py", "'" + trace.string() + "' --out '" + figures.string() +
                                                                 "' --example 1 --population L0_intermediate --tolerance 0.05");
  INFO(traces_run.out << traces_run.err);
  REQUIRE(traces_run.exit_code == 0);
  // The convergence table: every synthetic sub-layer converges to 0.05 (IF neurons on constant currents).
  CHECK(traces_run.out.find("L0_intermediate") != std::string::npos);
  CHECK(traces_run.out.find("never") == std::string::npos);
  // Without --tolerance the table uses the trace's own (its root attribute, 0.01 here), which the
  // synthetic residuals (floors near 0.013) never reach.
  const auto own_tolerance = run_python("tools/plot_traces.py", "'" + trace.string() + "' --out '" + figures.string() +
                                                                    "' --example 1 --population L0_intermediate");
  REQUIRE(own_tolerance.exit_code == 0);
  CHECK(own_tolerance.out.find("never") != std::string::npos);

  const auto sweep_run = run_python("tools/plot_sweep.py", "'" + sweep.string() + "' --out '" + figures.string() + "'");
  INFO(sweep_run.out << sweep_run.err);
  REQUIRE(sweep_run.exit_code == 0);

  std::string pngs = "--self-test";
  for (const char* name : {"asr_vs_step.png", "residual_vs_step.png", "asr_heatmap.png", "spike_raster.png",
                           "accuracy_vs_steps.png", "asr_energy_vs_steps.png"}) {
    INFO(name);
    CHECK(std::filesystem::exists(figures / name));
    pngs += " '" + (figures / name).string() + "'";
  }
  // --self-test: the same check reports a blank white PNG as blank (so this check can fail).
  const auto check = run_python("tests/traces/check_png.py", pngs);
  INFO(check.out << check.err);
  CHECK(check.exit_code == 0);
  CHECK(check.out.find("self-test: a blank PNG is reported blank") != std::string::npos);
}
