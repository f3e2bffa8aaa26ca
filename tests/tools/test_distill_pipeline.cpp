// The paper's pipeline at a small scale (issue 14 items 1, 2, 5): general distillation on a plain-text corpus
// into a shallower, narrower student (W_td to the teacher's width, no task head), task distillation from it
// (a new task head), a student of fewer layers initialised from the teacher's mapped layers, and the chain of
// stages that `inspect` prints from the provenance each checkpoint records.
#include "support/RunCommand.hpp"
#include "tools/RandomTeacher.hpp"

#include "io/Checkpoint.hpp"
#include "io/FileHash.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>

using namespace spikingbert;
using spikingbert::testing::fresh_folder;
using spikingbert::testing::run_spikingbert;
using spikingbert::testing::write_random_teacher;
namespace fs = std::filesystem;

namespace {

// 60 lines of 3..14 English words: about 24 sequences of 32 tokens.
std::string write_corpus(const fs::path& folder) {
  const char* words[] = {"the", "film", "was", "a", "good", "story", "about", "people", "who", "run", "far", "and",
                         "never", "stop", "in", "city", "with", "bright", "dark", "music"};
  const auto path = folder / "corpus.txt";
  std::ofstream out(path);
  for (int line = 0; line < 60; ++line) {
    const int count = 3 + (line * 5) % 12;
    for (int w = 0; w < count; ++w) out << (w > 0 ? " " : "") << words[(line * 7 + w * 3) % 20];
    out << (line % 10 == 9 ? "\n\n" : "\n");  // blank lines are skipped
  }
  return path.string();
}

}  // namespace

TEST_CASE("distill --stage general into a 2-layer, narrower student, then task distillation from it, inspect "
          "prints the chain", "[tools][distill][general]") {
  const auto folder = fresh_folder("distill-general");
  const auto teacher = write_random_teacher(folder, 3, 4);
  const auto corpus = write_corpus(folder);
  const auto general = (folder / "general.h5").string();
  auto result = run_spikingbert("distill --stage general --corpus " + corpus + " --teacher " + teacher +
                                " --student-layers 2 --student-hidden 16 --student-intermediate 32 --max-length 32"
                                " --steps 4 --batch-size 8 --epochs 2 --evaluations-per-epoch 1 --learning-rate 1e-3 --quiet --output " + general);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const auto summary = nlohmann::json::parse(result.out);
  CHECK(summary["stage"] == "general");
  CHECK(summary["student"]["layers"] == 2);
  CHECK(summary["student"]["hidden"] == 16);
  CHECK(summary["student"]["initialised_from"].get<std::string>().rfind("random", 0) == 0);
  CHECK(summary["training_examples"].get<int>() >= 10);
  REQUIRE(summary["evaluations"].size() == 2);
  const auto& first = summary["evaluations"][0];
  const auto& last = summary["evaluations"][1];
  CHECK(first["prediction"] == 0);
  CHECK(first["hidden"].get<double>() > 0);
  CHECK(first["attention"].get<double>() > 0);
  CHECK(last["hidden"].get<double>() < first["hidden"].get<double>());
  CHECK(summary["best_optimizer_step"] == summary["optimizer_steps"]);  // no task metric: the last checkpoint is kept
  const auto saved = io::read_checkpoint(general);
  CHECK(saved.metadata.at("kind") == "spikingbert-general-student");
  CHECK(saved.tensors.count("classification.weight") == 0);
  CHECK(saved.tensors.at("fit_dense.weight").shape == io::Shape{32, 16});  // student 16 -> teacher 32
  CHECK(saved.config.fit_size == 32);

  // Task distillation from the general student: its encoder, a new task head.
  const auto task = (folder / "task.h5").string();
  result = run_spikingbert("distill --stage pred --task sst2 --init " + general + " --teacher " + teacher +
                           " --train-limit 40 --validation-size 8 --dev-limit 16 --steps 4 --batch-size 8 --epochs 1"
                           " --evaluations-per-epoch 1 --learning-rate 1e-3 --quiet --output " + task);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const auto task_summary = nlohmann::json::parse(result.out);
  CHECK(task_summary["student"]["layers"] == 2);
  CHECK(task_summary["student"]["hidden"] == 16);
  CHECK(task_summary["student"]["initialised_from"].get<std::string>().find("new task head") != std::string::npos);
  const auto student = io::read_checkpoint(task);
  for (const auto* name : {"network_s1.dense.weight", "network_x.word_embeddings.weight"}) {
    INFO(name);
    CHECK(student.tensors.at(name).shape == saved.tensors.at(name).shape);
  }

  // The chain: task stage <- general stage <- teacher, with command lines, data fingerprints and code version.
  result = run_spikingbert("inspect --model " + task);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const auto& out = result.out;
  const auto task_stage = out.find("stage: distill pred");
  const auto general_stage = out.find("stage: distill general");
  REQUIRE(task_stage != std::string::npos);
  REQUIRE(general_stage != std::string::npos);
  CHECK(task_stage < general_stage);
  CHECK(out.find("command: spikingbert distill --stage general --corpus " + corpus) != std::string::npos);
  CHECK(out.find("data: " + corpus + " (fnv1a64 " + io::file_fingerprint(corpus) + ")") != std::string::npos);
  CHECK(out.find("init: " + general + " (fnv1a64 " + io::file_fingerprint(general) + ")") != std::string::npos);
  CHECK(out.find("teacher: " + teacher) != std::string::npos);
  CHECK(out.find("code: ") != std::string::npos);
  CHECK(out.find("\"validation_seed\":14") != std::string::npos);
  result = run_spikingbert("inspect --model " + general);
  REQUIRE(result.exit_code == 0);
  CHECK(result.out.find("without task head") != std::string::npos);

  // Option errors: one line, exit 2.
  for (const std::string& bad : {"--stage general --teacher " + teacher + " --output x.h5",
                                "--stage general --corpus " + corpus + " --task sst2 --teacher " + teacher + " --output x.h5",
                                "--stage pred --task sst2 --corpus " + corpus + " --teacher " + teacher + " --output x.h5",
                                "--stage ikd --task sst2 --init " + teacher + " --student-hidden 16 --teacher " + teacher +
                                    " --output x.h5"}) {
    INFO(bad);
    result = run_spikingbert("distill " + bad);
    CHECK(result.exit_code == 2);
    CHECK(result.err.rfind("spikingbert: error: ", 0) == 0);
  }
  fs::remove_all(folder);
}

TEST_CASE("distill --student-layers: a shallower student starts from the teacher's uniformly mapped layers",
          "[tools][distill]") {
  const auto folder = fresh_folder("distill-shape");
  const auto teacher = write_random_teacher(folder, 4, 4);
  const auto output = (folder / "student.h5").string();
  // One step at a tiny learning rate: the weights stay (nearly) where they started.
  auto result = run_spikingbert("distill --stage ikd --task sst2 --teacher " + teacher + " --student-layers 2"
                                " --train-limit 24 --validation-size 8 --dev-limit 8 --steps 4 --batch-size 16 --epochs 1"
                                " --evaluations-per-epoch 1 --learning-rate 1e-12 --warmup 0 --quiet --output " + output);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const auto summary = nlohmann::json::parse(result.out);
  CHECK(summary["student"]["layers"] == 2);
  CHECK(summary["student"]["initialised_from"].get<std::string>().find("uniform layer mapping") != std::string::npos);
  const auto student = io::read_checkpoint(output);
  const auto original = io::read_checkpoint(teacher);
  // Student layer 0 <- teacher layer 1, student layer 1 <- teacher layer 3 (of 4).
  for (const auto& [student_name, teacher_name] :
       {std::pair<std::string, std::string>{"network_s6.dense.weight", "bert.encoder.layer.1.output.dense.weight"},
        {"network_s7.dense.weight", "bert.encoder.layer.3.attention.self.key.weight"}}) {
    INFO(student_name);
    const auto& a = student.tensors.at(student_name).values;
    const auto& b = original.tensors.at(teacher_name).values;
    REQUIRE(a.size() == b.size());
    double largest = 0;
    for (std::size_t i = 0; i < a.size(); ++i) largest = std::max(largest, std::abs(double(a[i]) - double(b[i])));
    CHECK(largest < 1e-6);
  }
  fs::remove_all(folder);
}
