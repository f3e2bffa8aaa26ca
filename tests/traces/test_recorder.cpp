#include "PythonTools.hpp"
#include "SyntheticRun.hpp"
#include "io/Error.hpp"
#include "io/Hdf5File.hpp"
#include "io/NeuronParameters.hpp"
#include "support/RunCommand.hpp"
#include "traces/Hdf5Recorder.hpp"
#include "traces/MemoryRecorder.hpp"
#include "traces/RecordedExample.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <sys/wait.h>
#include <unistd.h>

using namespace spikingbert;
using spikingbert::testing::fresh_folder;
using spikingbert::testing::run_python;

namespace {
constexpr std::int64_t kSteps = 12;

std::string check_arguments(const std::filesystem::path& trace, const std::string& level, std::int64_t steps,
                            int complete) {
  return "'" + trace.string() + "' --level " + level + " --steps " + std::to_string(steps) + " --complete " +
         std::to_string(complete);
}
}  // namespace

TEST_CASE("trace levels parse and bad levels are input errors", "[traces][recorder]") {
  CHECK(traces::parse_trace_level("summary") == traces::TraceLevel::summary);
  CHECK(traces::parse_trace_level("neurons") == traces::TraceLevel::neurons);
  CHECK(traces::parse_trace_level("spikes") == traces::TraceLevel::spikes);
  CHECK(traces::to_string(traces::TraceLevel::neurons) == "neurons");
  try {
    traces::parse_trace_level("everything");
    FAIL("no error");
  } catch (const io::InputError& error) {
    CHECK(error.place() == "--trace-level");
    CHECK(std::string(error.what()).find("summary, neurons or spikes") != std::string::npos);
  }
}

TEST_CASE("the memory recorder keeps every example and sorts spikes by step then node", "[traces][recorder]") {
  traces::MemoryRecorder recorder(traces::TraceLevel::spikes);
  recorder.begin_run(testing::synthetic_run_info(kSteps));
  testing::record_synthetic_examples(recorder, 2, kSteps);
  recorder.end_run();
  REQUIRE(recorder.examples().size() == 2);
  const auto& example = recorder.examples()[1];
  CHECK(example.steps == kSteps);
  CHECK(example.predicted_label == 1);
  const auto& spikes = example.spikes[2];
  REQUIRE(!spikes.node_ids.empty());
  for (std::size_t i = 1; i < spikes.node_ids.size(); ++i) {
    const bool ordered = spikes.steps[i - 1] < spikes.steps[i] ||
                         (spikes.steps[i - 1] == spikes.steps[i] && spikes.node_ids[i - 1] < spikes.node_ids[i]);
    REQUIRE(ordered);
  }
  // Node 0 of population 2 in example 1: current ((0 + 6 + 5) mod 11)/10 = 0: never spikes.
  // Node 7: current ((49 + 6 + 5) mod 11)/10 = 0.5 (exact in binary): u reaches 1 at every odd step.
  std::vector<std::int64_t> node7_steps;
  for (std::size_t i = 0; i < spikes.node_ids.size(); ++i) {
    CHECK(spikes.node_ids[i] != 0);
    if (spikes.node_ids[i] == 7) node7_steps.push_back(spikes.steps[i]);
  }
  CHECK(node7_steps == std::vector<std::int64_t>{1, 3, 5, 7, 9, 11});
  CHECK(example.final_asr[2][7] == 0.5f);
  const auto series = recorder.mean_asr_series(1, 0);
  CHECK(series.size() == static_cast<std::size_t>(kSteps));
}

TEST_CASE("the recorder rejects calls that break the contract", "[traces][recorder]") {
  traces::MemoryRecorder recorder(traces::TraceLevel::spikes);
  CHECK_THROWS_AS(recorder.begin_example(0, 3), std::logic_error);
  recorder.begin_run(testing::synthetic_run_info(kSteps));
  CHECK_THROWS_AS(recorder.record_step(0, 0, {}), std::logic_error);  // outside an example
  recorder.begin_example(0, 3);
  CHECK_THROWS_AS(recorder.record_step(3, 0, {}), std::logic_error);       // population out of range
  CHECK_THROWS_AS(recorder.record_step(0, kSteps, {}), std::logic_error);  // step >= T
  const std::vector<std::uint32_t> too_big{12};                           // population 0 has 3*4 neurons
  CHECK_THROWS_AS(recorder.record_spikes(0, 0, too_big), std::logic_error);
  const std::vector<float> wrong_size(5, 0.0f);
  CHECK_THROWS_AS(recorder.record_final_asr(0, wrong_size), std::logic_error);
  recorder.record_step(0, 3, {});
  // spikes level needs every population's final ASR
  CHECK_THROWS_AS(recorder.end_example({4, -1, -1}), std::logic_error);
}

TEST_CASE("an HDF5 trace is written to FILE.partial and renamed on completion", "[traces][recorder][hdf5]") {
  const auto folder = fresh_folder("trace-rename");
  const auto trace = folder / "run.h5";
  const auto partial = traces::Hdf5Recorder::partial_path(trace);
  CHECK(partial.filename() == "run.h5.partial");
  {
    traces::Hdf5Recorder recorder(trace, traces::TraceLevel::summary);
    CHECK(!std::filesystem::exists(partial));  // nothing on disk before begin_run
    recorder.begin_run(testing::synthetic_run_info(kSteps));
    testing::record_synthetic_examples(recorder, 3, kSteps, [&](std::int64_t) {
      CHECK(std::filesystem::exists(partial));
      CHECK(!std::filesystem::exists(trace));
    });
    CHECK(recorder.examples_written() == 3);
    recorder.end_run();
  }
  CHECK(std::filesystem::exists(trace));
  CHECK(!std::filesystem::exists(partial));
  const auto result = run_python("tests/traces/check_trace.py", check_arguments(trace, "summary", kSteps, 1) + " --examples 3");
  INFO(result.out << result.err);
  CHECK(result.exit_code == 0);
}

TEST_CASE("h5py reads a neurons-level trace with the documented schema", "[traces][recorder][hdf5]") {
  const auto trace = fresh_folder("trace-neurons") / "neurons.h5";
  traces::Hdf5Recorder recorder(trace, traces::TraceLevel::neurons);
  recorder.begin_run(testing::synthetic_run_info(kSteps));
  testing::record_synthetic_examples(recorder, 4, kSteps);
  recorder.end_run();
  const auto result = run_python("tests/traces/check_trace.py", check_arguments(trace, "neurons", kSteps, 1) + " --examples 4");
  INFO(result.out << result.err);
  CHECK(result.exit_code == 0);
}

TEST_CASE("h5py reads a spikes-level trace in the SONATA layout", "[traces][recorder][hdf5]") {
  const auto trace = fresh_folder("trace-spikes") / "spikes.h5";
  traces::Hdf5Recorder recorder(trace, traces::TraceLevel::spikes);
  recorder.begin_run(testing::synthetic_run_info(kSteps));
  testing::record_synthetic_examples(recorder, 5, kSteps);
  recorder.end_run();
  const auto result = run_python("tests/traces/check_trace.py", check_arguments(trace, "spikes", kSteps, 1) + " --examples 5");
  INFO(result.out << result.err);
  CHECK(result.exit_code == 0);
}

TEST_CASE("a run that throws leaves a readable FILE.partial holding the completed examples", "[traces][recorder][hdf5]") {
  const auto trace = fresh_folder("trace-throw") / "run.h5";
  try {
    traces::Hdf5Recorder recorder(trace, traces::TraceLevel::spikes);
    recorder.begin_run(testing::synthetic_run_info(kSteps));
    testing::record_synthetic_examples(recorder, 2, kSteps);
    recorder.begin_example(2, 3);
    throw std::runtime_error("the simulator failed mid-example");
  } catch (const std::runtime_error&) {
  }
  CHECK(!std::filesystem::exists(trace));
  const auto partial = traces::Hdf5Recorder::partial_path(trace);
  REQUIRE(std::filesystem::exists(partial));
  const auto result = run_python("tests/traces/check_trace.py", check_arguments(partial, "spikes", kSteps, 0) + " --examples 2");
  INFO(result.out << result.err);
  CHECK(result.exit_code == 0);
}

TEST_CASE("the trace's folder must exist", "[traces][recorder][hdf5]") {
  CHECK_THROWS_AS(traces::Hdf5Recorder("/nonexistent-folder-for-spikingbert/run.h5", traces::TraceLevel::summary),
                  io::InputError);
}

TEST_CASE("a run killed with SIGKILL leaves a trace h5py opens with every completed example", "[traces][recorder][hdf5][kill]") {
  const auto trace = fresh_folder("trace-kill") / "killed.h5";
  constexpr std::int64_t kKillSteps = 20;
  constexpr std::int64_t kExamplesBeforeKill = 4;
  int progress[2];
  REQUIRE(::pipe(progress) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // The child is a slow "simulator": 20 steps of 1 ms per example, reporting each completed example.
    ::close(progress[0]);
    try {
      traces::Hdf5Recorder recorder(trace, traces::TraceLevel::spikes);
      recorder.begin_run(testing::synthetic_run_info(kKillSteps));
      testing::record_synthetic_examples(
          recorder, 100000, kKillSteps,
          [&](std::int64_t example) {
            const char done = static_cast<char>(example & 0x7f);
            if (::write(progress[1], &done, 1) != 1) ::_exit(3);
          },
          std::chrono::microseconds{1000});
    } catch (...) {
      ::_exit(4);
    }
    ::_exit(5);  // never reached: the parent kills us first
  }
  ::close(progress[1]);
  std::int64_t completed = 0;
  char done = 0;
  while (completed < kExamplesBeforeKill && ::read(progress[0], &done, 1) == 1) ++completed;
  // Kill mid-example: 7 ms into the next example's 20 ms.
  std::this_thread::sleep_for(std::chrono::milliseconds{7});
  REQUIRE(::kill(child, SIGKILL) == 0);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  while (::read(progress[0], &done, 1) == 1) ++completed;  // examples finished before the kill landed
  ::close(progress[0]);
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
  REQUIRE(completed >= kExamplesBeforeKill);
  CHECK(!std::filesystem::exists(trace));
  const auto partial = traces::Hdf5Recorder::partial_path(trace);
  REQUIRE(std::filesystem::exists(partial));
  // Every example the child reported complete is in the file (its flush precedes its report).
  const auto result = run_python("tests/traces/check_trace.py",
                                 check_arguments(partial, "spikes", kKillSteps, 0) +
                                     " --min-examples " + std::to_string(completed));
  INFO(result.out << result.err);
  CHECK(result.exit_code == 0);
}

TEST_CASE("recorded examples survive the byte image and replay as the same calls", "[traces][recorder]") {
  // What a rank of a traced multi-rank run sends to rank 0 (docs/scaling.md "Traces").
  traces::MemoryRecorder original(traces::TraceLevel::spikes);
  original.begin_run(testing::synthetic_run_info(kSteps));
  testing::record_synthetic_examples(original, 3, kSteps);
  original.end_run();
  const auto bytes = traces::to_bytes(original.examples());
  const auto decoded = traces::from_bytes(bytes);
  REQUIRE(decoded.size() == 3);
  traces::MemoryRecorder replayed(traces::TraceLevel::spikes);
  replayed.begin_run(testing::synthetic_run_info(kSteps));
  for (const auto& example : decoded) traces::replay(example, kSteps, replayed);
  replayed.end_run();
  REQUIRE(replayed.examples().size() == 3);
  for (std::size_t e = 0; e < 3; ++e) {
    const auto& a = original.examples()[e];
    const auto& b = replayed.examples()[e];
    CHECK(a.example_index == b.example_index);
    CHECK(a.tokens == b.tokens);
    CHECK(a.word_pieces == b.word_pieces);
    CHECK(a.mean_asr == b.mean_asr);
    CHECK(a.final_asr == b.final_asr);
    for (std::size_t p = 0; p < a.spikes.size(); ++p) {
      CHECK(a.spikes[p].steps == b.spikes[p].steps);
      CHECK(a.spikes[p].node_ids == b.spikes[p].node_ids);
    }
  }
  auto truncated = bytes;
  truncated.pop_back();
  CHECK_THROWS_AS(traces::from_bytes(truncated), std::runtime_error);
}

TEST_CASE("a trace names its neuron model: every neuron parameter and the feedback flag are root attributes",
          "[traces][recorder][hdf5]") {
  const auto folder = fresh_folder("trace-neuron-model");
  const auto trace = folder / "run.h5";
  auto run = testing::synthetic_run_info(kSteps);
  run.neuron.vth = 0.75;
  run.neuron.leak = 0.875;
  run.neuron.refractory_steps = 3;
  run.feedback = true;
  {
    traces::Hdf5Recorder recorder(trace, traces::TraceLevel::summary);
    recorder.begin_run(run);
    testing::record_synthetic_examples(recorder, 1, kSteps);
    recorder.end_run();
  }
  const io::Hdf5Reader file(trace);
  CHECK(file.read_attribute_double("/", "vth") == 0.75);
  CHECK(file.read_attribute_double("/", "leak") == 0.875);
  CHECK(file.read_attribute_int("/", "refractory_steps") == 3);
  CHECK(file.read_attribute_int("/", "feedback") == 1);
  // Every key of the neuron model's parameters is there, so a parameter added later is recorded too.
  const auto neuron = io::neuron_parameters_json(run.neuron);
  for (const auto& [key, value] : neuron.items()) {
    INFO(key);
    CHECK(file.read_attribute_double("/", key) == value.get<double>());
  }
}
