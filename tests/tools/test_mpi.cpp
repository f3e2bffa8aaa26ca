// mpirun -np N spikingbert ... (issue 13): sharded evaluation writes the same outputs for 1, 2 and 3 ranks
// (3: shares of unequal size), data-parallel distillation ends with the same parameters for 1 and 2 ranks and
// resumes on another rank count, and a rank that fails ends the whole job instead of leaving it waiting.
// Open MPI's mpirun runs the ranks (--oversubscribe: more ranks than this machine's cores). Without MPI in
// the build every test here returns at once with a warning.
#include "support/RunCommand.hpp"
#include "RandomTeacher.hpp"
#include "TinyGlue.hpp"

#include "io/Checkpoint.hpp"
#include "io/Hdf5File.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <string>
#include <thread>

using namespace spikingbert;
using spikingbert::testing::fresh_folder;
using spikingbert::testing::read_whole_file;
using spikingbert::testing::run_shell;
namespace fs = std::filesystem;

namespace {

constexpr const char* kMpiexec = SPIKINGBERT_TEST_MPIEXEC;  // empty: the build has no MPI
// A hung job fails the test instead of the suite: timeout(1) ends it after this long.
constexpr int kJobTimeoutSeconds = 120;

bool have_mpi() {
  if (std::string(kMpiexec).empty()) {
    WARN("built without MPI (SPIKINGBERT_WITH_MPI off): nothing to test");
    return false;
  }
  return true;
}

// `spikingbert arguments` on `ranks` ranks of one thread each (as root too: Open MPI refuses root otherwise).
testing::CommandResult run_on_ranks(int ranks, const std::string& arguments) {
  return run_shell("OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 timeout " +
                   std::to_string(kJobTimeoutSeconds) + " '" + kMpiexec + "' --oversubscribe -np " +
                   std::to_string(ranks) + " '" + SPIKINGBERT_EXECUTABLE + "' " + arguments);
}

// The JSON summary without its wall-clock field.
nlohmann::json without_seconds(nlohmann::json summary) {
  summary.erase("seconds");
  return summary;
}

}  // namespace

TEST_CASE("mpi: run --task writes the same summary, energy report and trace on 1, 2 and 3 ranks", "[tools][mpi]") {
  if (!have_mpi()) return;
  const auto folder = fresh_folder("mpi-run");
  const auto vocabulary = testing::write_tiny_vocabulary(folder);
  const auto data = testing::write_many_sst2(folder, 23);  // batches of 2: 12 batches, 4 + 4 + 4 on 3 ranks
  nlohmann::json reference;
  std::string reference_energy;
  for (const int ranks : {1, 2, 3}) {
    const auto energy = (folder / ("energy" + std::to_string(ranks) + ".json")).string();
    const auto result = run_on_ranks(ranks, "run --model '" + testing::test_data("tiny") + "' --task sst2 --data '" + data +
                                                "' --vocab '" + vocabulary + "' --steps 12 --batch-size 2 --threads 1 --json"
                                                " --energy-json '" + energy + "'");
    INFO(ranks << " ranks: " << result.err);
    REQUIRE(result.exit_code == 0);
    const auto summary = without_seconds(testing::last_json_line(result.out));
    CHECK(summary["examples"] == 23);
    if (ranks == 1) {
      reference = summary;
      reference_energy = read_whole_file(energy);
    } else {
      CHECK(summary == reference);
      CHECK(read_whole_file(energy) == reference_energy);
    }
  }
  // 5 batches on 3 ranks: shares of 2, 2 and 1 batches, the last batch of 3 examples.
  const std::string five = "run --model '" + testing::test_data("tiny") + "' --task sst2 --data '" + data + "' --vocab '" +
                           vocabulary + "' --steps 12 --batch-size 5 --threads 1 --json";
  // Traced (rank 0 collects every rank's records and writes the one file, docs/scaling.md "Traces"): 1 and 2
  // ranks write the same trace, byte for byte (the same path, so the command lines agree).
  const auto trace = folder / "trace.h5";
  const std::string traced = five + " --trace '" + trace.string() + "' --trace-level neurons";
  const auto single = run_on_ranks(1, traced);
  INFO(single.err);
  REQUIRE(single.exit_code == 0);
  const auto single_trace = read_whole_file(trace.string());
  const auto two = run_on_ranks(2, traced);
  INFO(two.err);
  REQUIRE(two.exit_code == 0);
  CHECK(without_seconds(testing::last_json_line(two.out)) == without_seconds(testing::last_json_line(single.out)));
  REQUIRE(fs::exists(trace));
  CHECK(!fs::exists(folder / "trace.h5.partial"));
  CHECK(spikingbert::io::Hdf5Reader(trace.string()).read_ints("examples/index").values.size() == 23);
  CHECK(read_whole_file(trace.string()) == single_trace);
  const auto three = run_on_ranks(3, traced);  // uneven shares: 2, 2 and 1 batches, the last of 3 examples
  INFO(three.err);
  REQUIRE(three.exit_code == 0);
  CHECK(without_seconds(testing::last_json_line(three.out)) == without_seconds(testing::last_json_line(single.out)));
  CHECK(read_whole_file(trace.string()) == single_trace);
  fs::remove_all(folder);
}

TEST_CASE("mpi: sweep writes the same CSV on 1, 2 and 3 ranks", "[tools][mpi]") {
  if (!have_mpi()) return;
  const auto folder = fresh_folder("mpi-sweep");
  const auto vocabulary = testing::write_tiny_vocabulary(folder);
  const auto data = testing::write_many_sst2(folder, 11);
  std::string reference;
  for (const int ranks : {1, 2, 3}) {
    const auto csv = (folder / ("rows" + std::to_string(ranks) + ".csv")).string();
    const auto result = run_on_ranks(ranks, "sweep --model '" + testing::test_data("tiny") + "' --task sst2 --data '" + data +
                                                "' --vocab '" + vocabulary + "' --steps 4,8 --vth 0.5,1 --batch-size 2 --threads 1"
                                                " --output '" + csv + "'");
    INFO(ranks << " ranks: " << result.err);
    REQUIRE(result.exit_code == 0);
    if (ranks == 1) reference = read_whole_file(csv);
    else CHECK(read_whole_file(csv) == reference);
  }
  CHECK(std::count(reference.begin(), reference.end(), '\n') == 5);  // header + 4 settings
  fs::remove_all(folder);
}

TEST_CASE("mpi: distill ends with the same parameters on 1 and 2 ranks and resumes on another count", "[tools][mpi]") {
  if (!have_mpi()) return;
  const auto folder = fresh_folder("mpi-distill");
  const auto teacher = testing::write_random_teacher(folder, 1);
  // 40 sentences in batches of 10: 4 steps per epoch; the 2 evaluations write the training state.
  const auto distill = [&](int ranks, const std::string& output, const std::string& extra) {
    return run_on_ranks(ranks, "distill --teacher " + teacher + " --task sst2 --steps 8 --train-limit 40 --dev-limit 16"
                               " --batch-size 10 --learning-rate 1e-3 --quiet --stage pred --init " + teacher +
                               " --evaluations-per-epoch 2 --threads 1 --output " + output + " " + extra);
  };
  const auto one = (folder / "one.h5").string(), two = (folder / "two.h5").string();
  auto result = distill(1, one, "--epochs 1");
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  result = distill(2, two, "--epochs 1");
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(testing::same_tensors(io::read_checkpoint(two + ".state").tensors, io::read_checkpoint(one + ".state").tensors));
  CHECK(testing::same_tensors(io::read_checkpoint(two).tensors, io::read_checkpoint(one).tensors));
  CHECK(nlohmann::json::parse(result.out)["optimizer_steps"] == 4);

  // Resumed on another rank count: 2 ranks are stopped (mpirun ended with SIGTERM) once their first state
  // is on disk, 3 ranks resume it, and the end equals 1 rank's uninterrupted run.
  const auto straight = (folder / "straight.h5").string(), moved = (folder / "moved.h5").string();
  result = distill(1, straight, "--epochs 10");
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const auto launch = run_shell("OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 '" + std::string(kMpiexec) +
                                "' --oversubscribe -np 2 '" + SPIKINGBERT_EXECUTABLE + "' distill --teacher " + teacher +
                                " --task sst2 --steps 8 --train-limit 40 --dev-limit 16 --batch-size 10 --learning-rate 1e-3 --quiet"
                                " --stage pred --init " + teacher + " --evaluations-per-epoch 2 --threads 1 --output " +
                                moved + " --epochs 10 >/dev/null 2>&1 & echo $!");
  REQUIRE(launch.exit_code == 0);
  const auto pid = std::stoi(launch.out);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kJobTimeoutSeconds);
  while (!fs::exists(moved + ".state") && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  REQUIRE(fs::exists(moved + ".state"));
  ::kill(pid, SIGTERM);
  while (::kill(pid, 0) == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const auto stopped_at = std::stoll(io::read_checkpoint(moved + ".state").metadata.at("step"));
  INFO("2 ranks stopped after step " << stopped_at);
  CHECK(stopped_at < 40);  // still training when stopped (40 steps: long enough that the signal lands mid-run)
  result = distill(3, moved, "--epochs 10 --resume");
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(nlohmann::json::parse(result.out)["optimizer_steps"] == 40);
  CHECK(testing::same_tensors(io::read_checkpoint(moved + ".state").tensors, io::read_checkpoint(straight + ".state").tensors));
  fs::remove_all(folder);
}

TEST_CASE("mpi: train-teacher ends with the same teacher on 1 and 2 ranks", "[tools][mpi]") {
  if (!have_mpi()) return;
  const auto folder = fresh_folder("mpi-teacher");
  io::TensorMap reference;
  for (const int ranks : {1, 2}) {
    const auto output = (folder / ("teacher" + std::to_string(ranks) + ".h5")).string();
    const auto result = run_on_ranks(ranks, "train-teacher --task sst2 --size tiny --epochs 1 --train-limit 48 --batch-size 16"
                                            " --learning-rate 1e-3 --evaluations-per-epoch 1 --quiet --output " + output);
    INFO(ranks << " ranks: " << result.err);
    REQUIRE(result.exit_code == 0);
    CHECK(nlohmann::json::parse(result.out)["optimizer_steps"] == 3);
    const auto tensors = io::read_checkpoint(output + ".state").tensors;
    if (ranks == 1) reference = tensors;
    else CHECK(testing::same_tensors(tensors, reference));
  }
  fs::remove_all(folder);
}

TEST_CASE("mpi: a rank that fails ends the whole job with its error line", "[tools][mpi]") {
  if (!have_mpi()) return;
  const auto folder = fresh_folder("mpi-fail");
  const auto vocabulary = testing::write_tiny_vocabulary(folder);
  const auto data = testing::write_many_sst2(folder, 40);
  // Rank 1 is given a model folder that does not exist; rank 0 a good one, so without the abort rank 0
  // would wait in the gather for ever (timeout(1) would then end the job with 124).
  const std::string common = " --task sst2 --data '" + data + "' --vocab '" + vocabulary + "' --steps 12 --batch-size 2 --threads 1";
  const std::string script = "if [ \"$OMPI_COMM_WORLD_RANK\" = 1 ]; then exec '" + std::string(SPIKINGBERT_EXECUTABLE) +
                             "' run --model '" + (folder / "missing").string() + "'" + common + "; else exec '" +
                             SPIKINGBERT_EXECUTABLE + "' run --model '" + testing::test_data("tiny") + "'" + common + "; fi";
  const auto result = run_shell("OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 timeout " +
                                std::to_string(kJobTimeoutSeconds) + " '" + kMpiexec + "' --oversubscribe -np 2 sh -c \"" +
                                [&] {
                                  std::string escaped;
                                  for (const char c : script) {
                                    if (c == '"' || c == '$') escaped += '\\';
                                    escaped += c;
                                  }
                                  return escaped;
                                }() + "\"");
  INFO(result.err);
  CHECK(result.exit_code != 0);
  CHECK(result.exit_code != 124);  // not ended by the timeout
  CHECK(result.err.find("spikingbert: error: ") != std::string::npos);
  CHECK(result.err.find("rank 1 of 2 failed; ending the job") != std::string::npos);
  fs::remove_all(folder);
}
