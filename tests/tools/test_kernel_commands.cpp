// The kernel's commands as a user runs them: run (tiny conformance through files), inspect, bench.
#include "io/Hdf5File.hpp"
#include "support/RunCommand.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>

using namespace spikingbert::testing;

TEST_CASE("run writes the reference's forward outputs for tiny", "[tools][run]") {
  const auto folder = fresh_folder("run-tiny");
  for (const char* kernel : {"event", "dense"}) {
    INFO(kernel);
    const auto output = (folder / (std::string(kernel) + ".h5")).string();
    const auto result = run_spikingbert("run --model '" + test_data("tiny") + "' --inputs '" +
                                        test_data("tiny/case.h5") + "' --output '" + output + "' --threads 2 --kernel " +
                                        kernel);
    REQUIRE(result.exit_code == 0);
    const spikingbert::io::Hdf5Reader out(output), reference(test_data("tiny/case.h5"));
    for (int j = 0; j < 13; ++j) {
      char suffix[16];
      std::snprintf(suffix, sizeof suffix, "%02d", j);
      CHECK(out.read_ints(std::string("forward/spike_count/") + suffix).values ==
            reference.read_ints(std::string("forward/spike_count/") + suffix).values);
      CHECK(out.read_tensor(std::string("forward/asr/") + suffix).values ==
            reference.read_tensor(std::string("forward/asr/") + suffix).values);
    }
    const auto logits = out.read_tensor("forward/logits"), expected = reference.read_tensor("forward/logits");
    REQUIRE(logits.values.size() == expected.values.size());
    for (std::size_t i = 0; i < logits.values.size(); ++i) CHECK(std::abs(logits.values[i] - expected.values[i]) <= 1e-5f);
    CHECK(out.shape("operations/counts") == spikingbert::io::Shape{13, 11});  // run.cpp kCountColumns
  }
}

TEST_CASE("run rejects bad options and inputs with exit code 2", "[tools][run]") {
  const auto folder = fresh_folder("run-bad");
  const auto base = "run --model '" + test_data("tiny") + "' --inputs '" + test_data("tiny/case.h5") + "' --output '" +
                    (folder / "out.h5").string() + "'";
  const auto bad_kernel = run_spikingbert(base + " --kernel quantum");
  CHECK(bad_kernel.exit_code == 2);
  CHECK_THAT(bad_kernel.err, Catch::Contains("--kernel"));
  const auto missing_model = run_spikingbert("run --model /nonexistent --inputs x.h5 --output y.h5");
  CHECK(missing_model.exit_code == 2);
  CHECK_THAT(missing_model.err, Catch::Contains("/nonexistent"));
  CHECK(!std::filesystem::exists(folder / "out.h5"));
}

TEST_CASE("inspect lists populations and writes a GraphViz graph", "[tools][inspect]") {
  const auto folder = fresh_folder("inspect");
  const auto dot = (folder / "graph.dot").string();
  const auto result = run_spikingbert("inspect --model '" + test_data("tiny") + "' --dot '" + dot + "'");
  REQUIRE(result.exit_code == 0);
  for (const char* name : {"embedding", "L0_attention", "L1_output", "spiking attention", "LayerNorm", "GELU"})
    CHECK_THAT(result.out, Catch::Contains(name));
  const auto graph = read_whole_file(dot);
  CHECK_THAT(graph, Catch::StartsWith("digraph"));
  CHECK_THAT(graph, Catch::Contains("L1_intermediate"));
}

TEST_CASE("bench --json reports agreeing kernels and a rate near the target", "[tools][bench]") {
  const auto result = run_spikingbert("bench --size tiny --seq 8 --steps 40 --asr 0.2 --threads 2 --json");
  REQUIRE(result.exit_code == 0);
  const auto json = nlohmann::json::parse(result.out.substr(result.out.rfind('{')));
  CHECK(json["spikes_agree"] == true);
  CHECK(json["neurons_with_different_counts"] == 0);
  CHECK(std::abs(json["measured_mean_asr"].get<double>() - 0.2) < 0.08);
  CHECK(json["synaptic_events"].get<std::uint64_t>() > 0);
  CHECK(run_spikingbert("bench --size huge").exit_code == 2);
}
