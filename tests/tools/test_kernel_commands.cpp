// The kernel's commands as a user runs them: run (tiny conformance through files), inspect, bench.
#include "io/Hdf5File.hpp"
#include "support/RunCommand.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

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
    // The output names each dataset after its sub-layer; the reference numbers them 00..12 in simulation order.
    // Real tokens carry the reference's spikes and rates bit for bit (its padded keys get zero attention);
    // padded positions have no neuron (issue 11): 0 spikes, NaN rate (docs/formats.md).
    const auto names = out.read_attribute_strings("/", "sublayers");
    REQUIRE(names.size() == 13);
    const auto mask = reference.read_ints("inputs/attention_mask").values;
    for (int j = 0; j < 13; ++j) {
      char suffix[16];
      std::snprintf(suffix, sizeof suffix, "%02d", j);
      const auto& name = names[static_cast<std::size_t>(j)];
      CHECK(out.read_attribute_int("forward/asr/" + name, "sublayer_index") == j);
      const auto counts = out.read_ints("forward/spike_count/" + name).values;
      const auto expected_counts = reference.read_ints(std::string("forward/spike_count/") + suffix).values;
      const auto asr = out.read_tensor("forward/asr/" + name).values;
      const auto expected_asr = reference.read_tensor(std::string("forward/asr/") + suffix).values;
      REQUIRE(counts.size() == expected_counts.size());
      const auto width = counts.size() / mask.size();
      for (std::size_t i = 0; i < counts.size(); ++i) {
        if (mask[i / width] != 0) {
          CHECK(counts[i] == expected_counts[i]);
          CHECK(asr[i] == expected_asr[i]);
        } else {
          CHECK(counts[i] == 0);
          CHECK(std::isnan(asr[i]));
        }
      }
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
  const auto result = run_spikingbert("bench --size tiny --sequence-length 8 --steps 40 --asr 0.2 --threads 2 --repeat 2 --json");
  REQUIRE(result.exit_code == 0);
  const auto json = nlohmann::json::parse(result.out.substr(result.out.rfind('{')));
  CHECK(json["spikes_agree"] == true);
  CHECK(json["threads_agree"] == true);  // the 1-thread run of the scaling measurement gives the same spikes
  CHECK(json["repeat"] == 2);
  CHECK(json["event_seconds_one_thread"].get<double>() > 0.0);
  CHECK(json["event_thread_speedup"].get<double>() ==
        Approx(json["event_seconds_one_thread"].get<double>() / json["event_seconds"].get<double>()));
  CHECK(json["neurons_with_different_counts"] == 0);
  CHECK(std::abs(json["measured_mean_asr"].get<double>() - 0.2) < 0.08);
  CHECK(json["synaptic_events"].get<std::uint64_t>() > 0);
  CHECK(run_spikingbert("bench --size huge").exit_code == 2);
  CHECK(run_spikingbert("bench --size tiny --repeat 0").exit_code == 2);
}

namespace {

// Peak resident memory (KiB) of one `spikingbert` child process, from the kernel's rusage of that child.
long peak_memory_kib(const std::vector<std::string>& arguments) {
  std::vector<char*> argv;
  std::string program = SPIKINGBERT_EXECUTABLE;
  argv.push_back(program.data());
  std::vector<std::string> copies = arguments;
  for (auto& argument : copies) argv.push_back(argument.data());
  argv.push_back(nullptr);
  const pid_t child = ::fork();
  if (child == 0) {
    std::FILE* quiet = std::freopen("/dev/null", "w", stdout);
    (void)quiet;
    ::execv(program.c_str(), argv.data());
    ::_exit(127);
  }
  int status = 0;
  struct rusage usage {};
  ::wait4(child, &status, 0, &usage);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  return usage.ru_maxrss;
}

}  // namespace

TEST_CASE("a run's memory does not grow with the number of steps", "[tools][run][memory]") {
  // Rates and counts only: spike rings hold one time block plus the largest delay (sim/SpikeRing.hpp).
  // Keeping anything per step (a recording of tiny's 11,520 neuron states per step, say) would add
  // ~45 KiB per step, ~180 MiB over the 4,064 extra steps: far beyond the 10% allowed here.
  const auto folder = fresh_folder("memory-in-t");
  const auto short_run = peak_memory_kib({"run", "--model", test_data("tiny"), "--inputs", test_data("tiny/case.h5"),
                                          "--output", (folder / "short.h5").string(), "--steps", "32"});
  const auto long_run = peak_memory_kib({"run", "--model", test_data("tiny"), "--inputs", test_data("tiny/case.h5"),
                                         "--output", (folder / "long.h5").string(), "--steps", "4096"});
  INFO("peak memory T=32: " << short_run << " KiB, T=4096: " << long_run << " KiB");
  CHECK(long_run <= short_run * 11 / 10);
  std::filesystem::remove_all(folder);
}
