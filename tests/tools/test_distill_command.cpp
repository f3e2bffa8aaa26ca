// distill end to end on a slice of SST-2 with a small random teacher (full WordPiece vocabulary): the three
// stages chain through --init, the checkpoint chosen on the validation split is a student `run` accepts and
// reproduces the dev accuracy distill measured once at the end, the output does not depend on the thread
// count, and a run stopped with Ctrl-C (SIGINT) and resumed ends with bit-identical parameters (the shared
// training loop, training/TrainingLoop.hpp; SIGKILL is tested on train-teacher, tools/test_interrupt.cpp).
#include "support/RunCommand.hpp"
#include "RandomTeacher.hpp"

#include "io/Checkpoint.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <string>
#include <thread>

using namespace spikingbert;
using spikingbert::testing::fresh_folder;
using spikingbert::testing::run_shell;
using spikingbert::testing::run_spikingbert;
using spikingbert::testing::same_tensors;
using spikingbert::testing::write_random_teacher;
namespace fs = std::filesystem;

namespace {

// The small run every test uses: 64 training sentences in batches of 16 (4 steps per epoch), 16 validation
// sentences (held out of the first 80 of the training file), 48 dev sentences.
std::string small_run(const std::string& teacher, const std::string& output, const std::string& extra) {
  return "distill --teacher " + teacher + " --task sst2 --steps 8 --train-limit 80 --validation-size 16 --dev-limit 48 --batch-size 16"
         " --learning-rate 1e-3 --quiet --output " + output + " " + extra;
}

// Where the last non-empty line of `text` starts (run --json prints its summary last).
std::size_t last_line_start(const std::string& text) {
  const auto end = text.find_last_not_of('\n');
  const auto newline = text.rfind('\n', end);
  return newline == std::string::npos ? 0 : newline + 1;
}

// Waits until the process is gone or a zombie (its parent, the shell, has exited; init reaps it), at most 10 s.
void wait_until_gone(int pid) {
  const auto stat = fs::path("/proc") / std::to_string(pid) / "stat";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!fs::exists(stat)) return;
    const auto text = testing::read_whole_file(stat);
    const auto close = text.rfind(')');
    if (close != std::string::npos && close + 2 < text.size() && text[close + 2] == 'Z') return;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace

TEST_CASE("distill: ikd -> pred -> labels chain through --init; run reproduces the dev accuracy", "[tools][distill]") {
  const auto folder = fresh_folder("distill-stages");
  const auto teacher = write_random_teacher(folder, 1);
  const std::string source = SPIKINGBERT_SOURCE_DIR;
  std::string previous = teacher;  // ikd starts from the teacher's weights mapped onto the student
  for (const std::string stage : {"ikd", "pred", "labels"}) {
    const auto output = (folder / (stage + ".h5")).string();
    const auto result = run_spikingbert(small_run(teacher, output, "--stage " + stage + " --epochs 1 --evaluations-per-epoch 2"
                                                  " --gradient analog-twin --init " + previous));
    INFO(stage << ": " << result.err);
    REQUIRE(result.exit_code == 0);
    const auto summary = nlohmann::json::parse(result.out);
    CHECK(summary["optimizer_steps"] == 4);
    CHECK(summary["evaluations"].size() == 2);
    const auto& first = summary["evaluations"][0];
    if (stage == "ikd") {
      CHECK(first["attention"].get<double>() > 0);
      CHECK(first["hidden"].get<double>() > 0);
      CHECK(first["prediction"].get<double>() == 0);
    } else {
      CHECK(first["prediction"].get<double>() > 0);
      CHECK(first["attention"].get<double>() == 0);
      CHECK(first["hidden"].get<double>() == 0);
    }
    const auto saved = io::read_checkpoint(output);
    CHECK(saved.metadata.at("kind") == "spikingbert-student");
    CHECK(saved.metadata.at("stage") == stage);
    CHECK(saved.config.t_conv == 8);
    CHECK(saved.tensors.count("network_x.word_embeddings.weight") == 1);
    CHECK(saved.tensors.count("classification.weight") == 1);
    CHECK(fs::exists(output + ".state"));

    // The event-driven `run` on the same dev sentences gives exactly the accuracy distill measured once.
    const auto run = run_spikingbert("run --model " + output + " --task sst2 --limit 48 --json --data " + source +
                                     "/data/glue/SST-2/dev.tsv");
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    const auto evaluation = nlohmann::json::parse(run.out.substr(last_line_start(run.out)));
    CHECK(evaluation["metrics"]["accuracy"].get<double>() == summary["dev"]["dev"]["accuracy"].get<double>());
    CHECK(summary["dev"]["dev"]["examples"] == 48);
    CHECK(summary["validation_examples"] == 16);
    CHECK(summary["best_validation"].get<std::string>().rfind("accuracy ", 0) == 0);
    CHECK(nlohmann::json::parse(saved.metadata.at("dev")) == summary["dev"]);
    previous = output;
  }
  fs::remove_all(folder);
}

TEST_CASE("distill: the same checkpoint for 1, 2, 4 and 8 threads (ensemble of two teachers)", "[tools][distill]") {
  const auto folder = fresh_folder("distill-threads");
  const auto teacher = write_random_teacher(folder, 1);
  const auto second = write_random_teacher(folder, 2);
  io::TensorMap reference;
  for (const int threads : {1, 2, 4, 8}) {
    const auto output = (folder / ("student" + std::to_string(threads) + ".h5")).string();
    const auto result = run_spikingbert(small_run(teacher, output, "--teacher " + second + " --stage pred --init " + teacher +
                                                  " --epochs 1 --evaluations-per-epoch 1 --threads " + std::to_string(threads)));
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    const auto tensors = io::read_checkpoint(output).tensors;
    if (threads == 1) reference = tensors;
    else CHECK(same_tensors(tensors, reference));
  }
  fs::remove_all(folder);
}

TEST_CASE("distill --resume after Ctrl-C (SIGINT) ends with bit-identical parameters", "[tools][distill]") {
  const auto folder = fresh_folder("distill-resume");
  const auto teacher = write_random_teacher(folder, 1);
  const std::string options = "--stage pred --init " + teacher + " --epochs 3 --evaluations-per-epoch 4 --threads 1";
  const auto straight = (folder / "straight.h5").string();
  auto result = run_spikingbert(small_run(teacher, straight, options));
  INFO(result.err);
  REQUIRE(result.exit_code == 0);

  // Start the same run in the background, SIGINT it as soon as its first training state is on disk: it writes
  // the state of the step in progress and exits 130 with one line naming the step.
  const auto killed = (folder / "killed.h5").string();
  std::string background = "'";  // appended piecewise: GCC 12 warns falsely (-Wrestrict) on "'" + s + "'"
  background += SPIKINGBERT_EXECUTABLE;
  background += "' ";
  background += small_run(teacher, killed, options);
  background += " >/dev/null 2>'";
  background += (folder / "stderr.txt").string();
  background += "' & echo $!";
  result = run_shell(background);
  REQUIRE(result.exit_code == 0);
  const auto pid = std::stoi(result.out);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!fs::exists(killed + ".state") && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  REQUIRE(fs::exists(killed + ".state"));
  const bool was_running = ::kill(pid, SIGINT) == 0;
  CHECK(was_running);  // still training when stopped (12 steps, the state appears after the first evaluation)
  wait_until_gone(pid);
  const auto before_resume = io::read_checkpoint(killed + ".state");
  const auto stopped_at = before_resume.metadata.at("step");
  CHECK(std::stoll(stopped_at) < 12);
  const auto err = testing::read_whole_file(folder / "stderr.txt");
  INFO(err);
  CHECK(err.find("spikingbert: interrupted: distill stopped after step " + stopped_at + " of 12; --resume continues from " +
                 killed + ".state\n") != std::string::npos);

  result = run_spikingbert(small_run(teacher, killed, options + " --resume"));
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(nlohmann::json::parse(result.out)["optimizer_steps"] == 12);
  CHECK(same_tensors(io::read_checkpoint(killed + ".state").tensors, io::read_checkpoint(straight + ".state").tensors));
  CHECK(same_tensors(io::read_checkpoint(killed).tensors, io::read_checkpoint(straight).tensors));
  fs::remove_all(folder);
}
