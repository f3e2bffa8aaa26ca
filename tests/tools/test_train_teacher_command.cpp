// train-teacher end to end on a slice of SST-2: the saved checkpoint has the full WordPiece vocabulary and,
// evaluated by run-teacher on dev, reproduces exactly the dev accuracy the trainer reported for it.
#include "support/RunCommand.hpp"

#include "io/Checkpoint.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>

using spikingbert::testing::fresh_folder;
using spikingbert::testing::run_spikingbert;

TEST_CASE("train-teacher then run-teacher --task: the best checkpoint reproduces its dev score", "[tools][teacher]") {
  const auto folder = fresh_folder("train-teacher");
  const auto checkpoint = (folder / "teacher.h5").string();
  const std::string source = SPIKINGBERT_SOURCE_DIR;
  auto result = run_spikingbert("train-teacher --task sst2 --size tiny --epochs 2 --train-limit 256 --batch-size 32"
                                " --learning-rate 1e-3 --evaluations-per-epoch 1 --quiet --output " + checkpoint);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const auto summary = nlohmann::json::parse(result.out);
  CHECK(summary["steps"] == 16);
  CHECK(summary["evaluations"].size() == 2);
  CHECK(std::filesystem::exists(checkpoint + ".state"));
  const auto saved = spikingbert::io::read_checkpoint(checkpoint);
  CHECK(saved.config.vocab_size == 30522);
  CHECK(saved.tensors.at("bert.embeddings.word_embeddings.weight").shape == spikingbert::io::Shape{30522, 32});

  result = run_spikingbert("run-teacher --model " + checkpoint + " --task sst2 --json --data " + source +
                           "/data/glue/SST-2/dev.tsv");
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const auto evaluation = nlohmann::json::parse(result.out);
  CHECK(evaluation["examples"] == 872);
  CHECK(evaluation["metrics"]["accuracy"].get<double>() == summary["best_selection"].get<double>());

  result = run_spikingbert("train-teacher --task sst2 --size huge --output " + checkpoint);
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("--size") != std::string::npos);
}
