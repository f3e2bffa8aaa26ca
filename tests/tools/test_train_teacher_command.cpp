// train-teacher end to end on a slice of SST-2: the saved checkpoint (chosen on the validation split) has the
// full WordPiece vocabulary and, evaluated by run-teacher on dev, reproduces exactly the dev accuracy the
// trainer measured once for it at the end.
#include "support/RunCommand.hpp"

#include "io/Checkpoint.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>

using spikingbert::testing::fresh_folder;
using spikingbert::testing::run_spikingbert;

TEST_CASE("train-teacher then run-teacher --task: the chosen checkpoint reproduces its dev score", "[tools][teacher]") {
  const auto folder = fresh_folder("train-teacher");
  const auto checkpoint = (folder / "teacher.h5").string();
  const std::string source = SPIKINGBERT_SOURCE_DIR;
  auto result = run_spikingbert("train-teacher --task sst2 --size tiny --epochs 2 --train-limit 256 --batch-size 32"
                                " --learning-rate 1e-3 --evaluations-per-epoch 1 --quiet --output " + checkpoint);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const auto summary = nlohmann::json::parse(result.out);
  CHECK(summary["optimizer_steps"] == 16);
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
  CHECK(evaluation["metrics"]["accuracy"].get<double>() == summary["dev"]["dev"]["accuracy"].get<double>());
  CHECK(summary["validation_examples"] == 26);  // 10% of the 256 examples, held out of training
  CHECK(summary["training_examples"] == 230);
  CHECK(summary["best_validation"].get<std::string>().rfind("accuracy ", 0) == 0);

  result = run_spikingbert("train-teacher --task sst2 --size huge --output " + checkpoint);
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("--size") != std::string::npos);
}

TEST_CASE("train-teacher --members: an ensemble folder whose dev score run-teacher reproduces, convert compacts it",
          "[tools][teacher]") {
  const auto folder = fresh_folder("train-teacher-ensemble");
  const auto ensemble = (folder / "ensemble").string();
  const std::string source = SPIKINGBERT_SOURCE_DIR;
  const std::string common = " --task sst2 --size tiny --epochs 1 --train-limit 256 --batch-size 32 --learning-rate 1e-3"
                             " --evaluations-per-epoch 2 --quiet";
  auto result = run_spikingbert("train-teacher" + common + " --members 2 --seed 7 --output " + ensemble);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const auto summary = nlohmann::json::parse(result.out);
  REQUIRE(summary["members"].size() == 2);
  CHECK(summary["members"][0]["seed"] == 7);
  CHECK(summary["members"][1]["seed"] == 8);
  CHECK(std::filesystem::exists(folder / "ensemble" / "member-0.h5"));
  CHECK(std::filesystem::exists(folder / "ensemble" / "member-1.h5"));
  CHECK(std::filesystem::exists(folder / "ensemble" / "ensemble.json"));

  // Member 0 is exactly the single run with the same seed.
  const auto single = (folder / "single.h5").string();
  result = run_spikingbert("train-teacher" + common + " --seed 7 --output " + single);
  REQUIRE(result.exit_code == 0);
  CHECK(nlohmann::json::parse(result.out)["best_selection"] == summary["members"][0]["best_selection"]);

  // run-teacher on the folder gives the ensemble's dev score the trainer printed (mean logits).
  const std::string dev = source + "/data/glue/SST-2/dev.tsv";
  result = run_spikingbert("run-teacher --model " + ensemble + " --task sst2 --json --data " + dev);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  auto evaluation = nlohmann::json::parse(result.out);
  CHECK(evaluation["models"] == 2);
  CHECK(evaluation["metrics"]["accuracy"].get<double>() == summary["ensemble_dev"]["dev"]["accuracy"].get<double>());

  // Compact: pruning the vocabulary to the training pieces changes no prediction (the dropped rows are
  // copies of [UNK]'s, because the members were trained with the pruned vocabulary); float16 nearly none.
  const auto pruned = (folder / "pruned").string();
  result = run_spikingbert("convert --input " + ensemble + " --output " + pruned + " --prune-vocab-from " + source +
                           "/data/glue/SST-2/train.tsv");
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const auto conversion = nlohmann::json::parse(result.out);
  CHECK(conversion["members"][0]["changed_rows"] == 0);
  CHECK(conversion["members"][0]["dropped_rows"].get<int>() > 10000);
  CHECK(std::filesystem::file_size(folder / "pruned" / "member-0.h5") <
        std::filesystem::file_size(folder / "ensemble" / "member-0.h5") / 2);  // 11.6k of 30.5k rows
  for (const auto* member : {"member-0.h5", "member-1.h5"}) {
    const auto original = spikingbert::io::read_checkpoint(folder / "ensemble" / member);
    const auto compact = spikingbert::io::read_checkpoint(folder / "pruned" / member);
    REQUIRE(compact.tensors.size() == original.tensors.size());
    for (const auto& [name, tensor] : original.tensors) {
      INFO(name);
      CHECK(compact.tensors.at(name).shape == tensor.shape);
      CHECK(compact.tensors.at(name).values == tensor.values);  // bitwise: the same model
    }
  }
  result = run_spikingbert("run-teacher --model " + pruned + " --task sst2 --json --data " + dev);
  REQUIRE(result.exit_code == 0);
  CHECK(nlohmann::json::parse(result.out)["metrics"]["accuracy"] == evaluation["metrics"]["accuracy"]);

  const auto half = (folder / "half.h5").string();
  result = run_spikingbert("convert --input " + ensemble + "/member-0.h5 --output " + half + " --float16 --prune-vocab-from " +
                           source + "/data/glue/SST-2/train.tsv");
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  result = run_spikingbert("run-teacher --model " + half + " --task sst2 --json --data " + dev);
  REQUIRE(result.exit_code == 0);
  const double half_accuracy = nlohmann::json::parse(result.out)["metrics"]["accuracy"];
  CHECK(std::abs(half_accuracy - summary["members"][0]["dev"]["dev"]["accuracy"].get<double>()) <= 2.0 / 872);

  result = run_spikingbert("convert --input " + ensemble + " --output " + ensemble);
  CHECK(result.exit_code == 2);
  std::filesystem::remove_all(folder);
}
