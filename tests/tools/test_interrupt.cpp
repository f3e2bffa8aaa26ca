// Stopping long commands with real processes and real signals (issue 7, crash safety):
//  - SIGINT (Ctrl-C) finishes the record in progress: `run --task --trace` closes and renames its trace,
//    which holds every completed example; `train-teacher` writes the state of the step just finished.
//    Both exit with 130 and one line `spikingbert: interrupted: ...`.
//  - `train-teacher` stopped by SIGINT or killed by SIGKILL, then resumed with --resume, ends with
//    parameters and Adam moments bit for bit equal to an uninterrupted run's (one thread).
#include "support/ChildProcess.hpp"
#include "support/RunCommand.hpp"

#include "io/Checkpoint.hpp"
#include "io/Hdf5File.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

using namespace spikingbert::testing;
namespace fs = std::filesystem;

namespace {

constexpr int kInterruptedExitCode = 130;  // 128 + SIGINT
constexpr int kTinyVocabularySize = 64;   // tests/data/tiny/config.json vocab_size

// The last non-empty line of a text (progress lines end in '\r', so split on both).
std::string last_line(const std::string& text) {
  std::string line, last;
  for (const char character : text) {
    if (character == '\n' || character == '\r') {
      if (!line.empty()) last = line;
      line.clear();
    } else {
      line += character;
    }
  }
  return line.empty() ? last : line;
}

// Examples done according to the last "[DONE/TOTAL examples]" progress line of `run --task`.
int examples_done(const std::string& err) {
  static const std::regex progress(R"(\[(\d+)/\d+ examples\])");
  int done = 0;
  for (auto match = std::sregex_iterator(err.begin(), err.end(), progress); match != std::sregex_iterator(); ++match)
    done = std::stoi((*match)[1]);
  return done;
}

}  // namespace

TEST_CASE("run --task --trace: SIGINT closes the trace with every completed example, exit 130", "[tools][interrupt]") {
  const auto folder = fresh_folder("interrupt-run");
  // The tiny model's 64-token vocabulary and 3000 SST-2 lines of its words: far longer than the wait below.
  {
    std::ofstream vocabulary(folder / "vocab.txt");
    vocabulary << "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n";
    for (int i = 5; i < kTinyVocabularySize; ++i) vocabulary << "w" << i << "\n";
    std::ofstream data(folder / "dev.tsv");
    data << "sentence\tlabel\n";
    for (int e = 0; e < 3000; ++e) data << "w" << 5 + e % 50 << " w" << 6 + e % 40 << " w" << 7 + e % 30 << "\t" << e % 2 << "\n";
  }
  const auto trace = folder / "trace.h5";
  ChildProcess run("run --model '" + test_data("tiny") + "' --task sst2 --data '" + (folder / "dev.tsv").string() +
                       "' --vocab '" + (folder / "vocab.txt").string() + "' --batch-size 1 --threads 1 --trace '" +
                       trace.string() + "'",
                   folder, "run");
  // Piped, progress lines come at the first example and every tenth of the run (commands/Progress.hpp).
  constexpr int kExamplesBeforeSignal = 1;
  REQUIRE(run.wait_until([&] { return examples_done(run.err()) >= kExamplesBeforeSignal; }));
  REQUIRE(run.running());
  run.signal(SIGINT);
  const int exit_code = run.wait();
  const auto err = run.err();
  INFO(err);
  CHECK(exit_code == kInterruptedExitCode);
  // How many examples were completed: the last line says it.
  static const std::regex stopped_after(R"(run stopped after (\d+) of)");
  std::smatch stopped;
  REQUIRE(std::regex_search(err, stopped, stopped_after));
  const int done = std::stoi(stopped[1]);
  CHECK(done >= examples_done(err));
  CHECK(done >= kExamplesBeforeSignal);
  CHECK(done < 3000);
  // One line says what was kept.
  CHECK(last_line(err) == "spikingbert: interrupted: run stopped after " + std::to_string(done) +
                              " of 3000 examples; trace " + trace.string() + " holds them");
  CHECK(err.find("internal error") == std::string::npos);
  // The trace is closed and renamed, and holds exactly the completed examples.
  CHECK_FALSE(fs::exists(trace.string() + ".partial"));
  REQUIRE(fs::exists(trace));
  const spikingbert::io::Hdf5Reader reader(trace);
  CHECK(reader.read_attribute_double("/", "examples_completed") == done);
  const auto index = reader.read_ints("examples/index");
  REQUIRE(index.values.size() == static_cast<std::size_t>(done));
  for (int e = 0; e < done; ++e) CHECK(index.values[static_cast<std::size_t>(e)] == e);
  fs::remove_all(folder);
}

namespace {

// Parameters and both Adam moments of a finished training state, by name.
spikingbert::io::TensorMap final_state(const fs::path& state) { return spikingbert::io::read_checkpoint(state).tensors; }

void check_bitwise_equal(const spikingbert::io::TensorMap& resumed, const spikingbert::io::TensorMap& straight) {
  REQUIRE(resumed.size() == straight.size());
  for (const auto& [name, tensor] : straight) {
    INFO(name);
    REQUIRE(resumed.count(name) == 1);
    CHECK(resumed.at(name).shape == tensor.shape);
    CHECK(resumed.at(name).values == tensor.values);  // float ==: bit for bit (no NaN in a finite training)
  }
}

}  // namespace

TEST_CASE("train-teacher stopped by SIGINT or SIGKILL and resumed ends bitwise where an uninterrupted run ends",
          "[tools][interrupt][teacher]") {
  const auto folder = fresh_folder("interrupt-teacher");
  const std::string source = SPIKINGBERT_SOURCE_DIR;
  // A 64-example dev file keeps the evaluations (every 4 steps) short.
  {
    std::ifstream full(source + "/data/glue/SST-2/dev.tsv");
    std::ofstream dev(folder / "dev.tsv");
    std::string line;
    for (int i = 0; i <= 64 && std::getline(full, line); ++i) dev << line << "\n";
  }
  // 1024 training examples (16 more held out for validation) / 16 per batch = 64 steps per epoch, 2 epochs,
  // an evaluation and state every 8 steps.
  const std::string training = "train-teacher --task sst2 --size tiny --epochs 2 --train-limit 1040 --validation-size 16"
                               " --batch-size 16"
                               " --evaluations-per-epoch 8 --learning-rate 1e-3 --threads 1 --dev '" +
                               (folder / "dev.tsv").string() + "' --output ";
  constexpr int kTotalSteps = 128;
  const auto straight = folder / "straight.h5";
  const auto uninterrupted = run_spikingbert(training + "'" + straight.string() + "' --quiet");
  INFO(uninterrupted.err);
  REQUIRE(uninterrupted.exit_code == 0);
  CHECK(nlohmann::json::parse(uninterrupted.out)["optimizer_steps"] == kTotalSteps);
  const auto expected = final_state(straight.string() + ".state");

  // A state exists once the first evaluation (step 8) is written; the signal comes after it.
  const auto state_written = [](const fs::path& checkpoint) {
    return [state = checkpoint.string() + ".state"] { return fs::exists(state); };
  };
  {  // SIGINT: the state of the step in progress is written, exit 130, --resume finishes.
    const auto checkpoint = folder / "interrupted.h5";
    ChildProcess run(training + "'" + checkpoint.string() + "'", folder, "sigint");
    REQUIRE(run.wait_until(state_written(checkpoint)));
    REQUIRE(run.running());
    run.signal(SIGINT);
    const int exit_code = run.wait();
    const auto err = run.err();
    INFO(err);
    CHECK(exit_code == kInterruptedExitCode);
    static const std::regex message(R"(spikingbert: interrupted: train-teacher stopped after step (\d+) of 128; --resume continues from (.*))");
    std::smatch match;
    const auto line = last_line(err);
    REQUIRE(std::regex_match(line, match, message));
    CHECK(match[2] == checkpoint.string() + ".state");
    const int stopped_at = std::stoi(match[1]);
    CHECK(stopped_at < kTotalSteps);
    // The state is of exactly that step, even when it is not an evaluation step.
    CHECK(spikingbert::io::read_checkpoint(checkpoint.string() + ".state").metadata.at("step") == std::to_string(stopped_at));
    CHECK(run.out().empty());  // the summary is printed only by a finished run

    const auto resumed = run_spikingbert(training + "'" + checkpoint.string() + "' --quiet --resume");
    INFO(resumed.err);
    REQUIRE(resumed.exit_code == 0);
    CHECK(nlohmann::json::parse(resumed.out)["optimizer_steps"] == kTotalSteps);
    check_bitwise_equal(final_state(checkpoint.string() + ".state"), expected);
  }
  {  // SIGKILL: --resume continues from the last evaluation's state.
    const auto checkpoint = folder / "killed.h5";
    ChildProcess run(training + "'" + checkpoint.string() + "' --quiet", folder, "sigkill");
    REQUIRE(run.wait_until(state_written(checkpoint)));
    REQUIRE(run.running());
    run.signal(SIGKILL);
    CHECK(run.wait() == 128 + SIGKILL);
    const auto killed_at = std::stoll(spikingbert::io::read_checkpoint(checkpoint.string() + ".state").metadata.at("step"));
    CHECK(killed_at < kTotalSteps);
    // No temporary is left under a final name: the state and the best checkpoint read back whole.
    CHECK_NOTHROW(spikingbert::io::read_checkpoint(checkpoint));

    const auto resumed = run_spikingbert(training + "'" + checkpoint.string() + "' --quiet --resume");
    INFO(resumed.err);
    REQUIRE(resumed.exit_code == 0);
    CHECK(nlohmann::json::parse(resumed.out)["optimizer_steps"] == kTotalSteps);
    check_bitwise_equal(final_state(checkpoint.string() + ".state"), expected);
    // The best checkpoint too: the best evaluation is the same whichever run reached it.
    check_bitwise_equal(spikingbert::io::read_checkpoint(checkpoint).tensors, spikingbert::io::read_checkpoint(straight).tensors);
  }
  fs::remove_all(folder);
}
