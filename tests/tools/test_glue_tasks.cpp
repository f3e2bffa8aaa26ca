// Every GLUE task through the commands with the user's data (issue 14 item 3), on the tiny files in each
// task's format under tests/data/glue-tiny (README there): train-teacher (--data-dir) selects on the validation
// split and reports each task's GLUE metrics on dev once (MNLI: matched and mismatched); run-teacher
// reproduces them; distill does the same for a spiking student, which `run` reproduces; sweep runs the task.
#include "support/RunCommand.hpp"

#include "io/Checkpoint.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

using spikingbert::testing::fresh_folder;
using spikingbert::testing::run_spikingbert;
namespace fs = std::filesystem;

namespace {

struct TaskCase {
  std::string task, folder;
  std::vector<std::string> dev_sets;   // names in the summaries ("dev", or MNLI's two)
  std::vector<std::string> dev_files;  // the files they come from
  std::vector<std::string> metrics;    // the task's GLUE metrics
};

const std::vector<TaskCase>& task_cases() {
  static const std::vector<TaskCase> cases = {
      {"cola", "CoLA", {"dev"}, {"dev.tsv"}, {"mcc"}},
      {"sst2", "SST-2", {"dev"}, {"dev.tsv"}, {"accuracy"}},
      {"mrpc", "MRPC", {"dev"}, {"dev.tsv"}, {"accuracy", "f1"}},
      {"stsb", "STS-B", {"dev"}, {"dev.tsv"}, {"pearson", "spearman"}},
      {"qqp", "QQP", {"dev"}, {"dev.tsv"}, {"accuracy", "f1"}},
      {"mnli", "MNLI", {"dev_matched", "dev_mismatched"}, {"dev_matched.tsv", "dev_mismatched.tsv"}, {"accuracy"}},
      {"mnli-mm", "MNLI", {"dev"}, {"dev_mismatched.tsv"}, {"accuracy"}},
      {"qnli", "QNLI", {"dev"}, {"dev.tsv"}, {"accuracy"}},
      {"rte", "RTE", {"dev"}, {"dev.tsv"}, {"accuracy"}},
      {"wnli", "WNLI", {"dev"}, {"dev.tsv"}, {"accuracy"}},
  };
  return cases;
}

std::string last_line(const std::string& text) {
  std::istringstream lines(text);
  std::string line, last;
  while (std::getline(lines, line)) if (!line.empty()) last = line;
  return last;
}

}  // namespace

TEST_CASE("all GLUE tasks: train-teacher, run-teacher, distill, run and sweep with --data-dir", "[tools][glue]") {
  const auto folder = fresh_folder("glue-tasks");
  const std::string data = spikingbert::testing::test_data("glue-tiny");
  for (const auto& c : task_cases()) {
    INFO("task " << c.task);
    const auto teacher = (folder / (c.task + "-teacher.h5")).string();
    auto result = run_spikingbert("train-teacher --task " + c.task + " --data-dir " + data +
                                  " --size tiny --epochs 2 --batch-size 8 --learning-rate 1e-3 --evaluations-per-epoch 1"
                                  " --validation-size 4 --quiet --output " + teacher);
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    const auto trained = nlohmann::json::parse(result.out);
    CHECK(trained["validation_examples"] == 4);
    CHECK(trained["training_examples"] == 20);  // 24 rows (QQP: one short row skipped, as the reference)
    const auto saved = spikingbert::io::read_checkpoint(teacher);
    CHECK(nlohmann::json::parse(saved.metadata.at("dev")) == trained["dev"]);
    CHECK(saved.metadata.count("validation") == 1);
    REQUIRE(trained["dev"].size() == c.dev_sets.size());

    const auto student = (folder / (c.task + "-student.h5")).string();
    result = run_spikingbert("distill --teacher " + teacher + " --task " + c.task + " --data-dir " + data +
                             " --stage pred --steps 4 --batch-size 8 --epochs 1 --evaluations-per-epoch 1 --learning-rate 1e-3"
                             " --validation-size 4 --quiet --output " + student);
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    const auto distilled = nlohmann::json::parse(result.out);
    CHECK(distilled["validation_examples"] == 4);
    REQUIRE(distilled["dev"].size() == c.dev_sets.size());

    for (std::size_t d = 0; d < c.dev_sets.size(); ++d) {
      const auto& name = c.dev_sets[d];
      const std::string dev_file = data + "/" + c.folder + "/" + c.dev_files[d];
      INFO(name);
      const auto& teacher_dev = trained["dev"][name];
      const auto& student_dev = distilled["dev"][name];
      for (const auto& metric : c.metrics) {
        INFO(metric);
        CHECK(teacher_dev.contains(metric));
        CHECK(student_dev.contains(metric));
      }
      CHECK(teacher_dev.size() == c.metrics.size());
      CHECK(student_dev.size() == c.metrics.size() + 1);  // + examples

      // The dev numbers are what the evaluation commands report for the saved checkpoints.
      result = run_spikingbert("run-teacher --model " + teacher + " --task " + c.task + " --json --data " + dev_file);
      INFO(result.err);
      REQUIRE(result.exit_code == 0);
      const auto evaluated = nlohmann::json::parse(result.out);
      for (const auto& metric : c.metrics) CHECK(evaluated["metrics"][metric] == teacher_dev[metric]);

      result = run_spikingbert("run --model " + student + " --task " + c.task + " --json --data " + dev_file);
      INFO(result.err);
      REQUIRE(result.exit_code == 0);
      const auto simulated = nlohmann::json::parse(last_line(result.out));
      for (const auto& metric : c.metrics) CHECK(simulated["metrics"][metric] == student_dev[metric]);
    }

    result = run_spikingbert("sweep --model " + student + " --task " + c.task + " --steps 2,4 --vth 1 --data " + data + "/" +
                             c.folder + "/" + c.dev_files.front());
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    CHECK(std::count(result.out.begin(), result.out.end(), '\n') == 3);  // header and two rows
  }
  fs::remove_all(folder);
}
