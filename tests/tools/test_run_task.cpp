// `spikingbert run --task/--data` as a user runs it, on the tiny conformance model (vocab_size 64):
// the test writes a 64-token vocabulary and a small SST-2 file made of its words.
#include "io/Hdf5File.hpp"
#include "support/RunCommand.hpp"
#include "TinyGlue.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

using namespace spikingbert::testing;


TEST_CASE("run --task simulates a GLUE file and reports metric, ASR and synaptic events", "[tools][run]") {
  const auto folder = fresh_folder("run-task");
  const auto vocab = write_tiny_vocabulary(folder), data = write_small_sst2(folder);
  const auto base = "run --model '" + test_data("tiny") + "' --task sst2 --data '" + data + "' --vocab '" + vocab +
                    "' --steps 20 --json";
  const auto one = run_spikingbert(base + " --batch-size 1 --threads 1");
  INFO(one.err);
  REQUIRE(one.exit_code == 0);
  const auto summary = last_json_line(one.out);
  CHECK(summary["examples"] == 6);
  const double accuracy = summary["metrics"]["accuracy"];
  CHECK(accuracy >= 0.0);
  CHECK(accuracy <= 1.0);
  // Accuracy is a multiple of 1/6 (six examples).
  CHECK(std::abs(accuracy * 6 - std::round(accuracy * 6)) < 1e-9);
  REQUIRE(summary["mean_asr"].size() == 13);
  for (const auto& [name, asr] : summary["mean_asr"].items()) {
    INFO(name);
    CHECK(asr.get<double>() >= 0.0);
    CHECK(asr.get<double>() <= 1.0);
  }
  CHECK(summary["synaptic_events_total"].get<std::uint64_t>() > 0);
  CHECK(summary["seconds"].get<double>() >= 0.0);
  CHECK(one.err.find("ETA") != std::string::npos);
  CHECK(one.out.find("L1_output") != std::string::npos);

  // Batching (with its padding trimmed per batch) and threads change neither predictions nor the
  // real tokens' rates: padded keys are masked out of attention.
  const auto batched = run_spikingbert(base + " --batch-size 4 --threads 2");
  REQUIRE(batched.exit_code == 0);
  const auto other = last_json_line(batched.out);
  CHECK(other["metrics"]["accuracy"] == summary["metrics"]["accuracy"]);
  CHECK(other["mean_asr"] == summary["mean_asr"]);

  // Final-step residuals of the steady-state map at the SNN rates: a linear sub-layer's (the embedding
  // neurons, driven by a constant current) shrinks like 1/T (method doc §10.2), so 10x the steps gives
  // a clearly smaller residual.
  REQUIRE(summary["final_residual_mean_abs"].size() == 13);
  const auto longer = run_spikingbert("run --model '" + test_data("tiny") + "' --task sst2 --data '" + data +
                                      "' --vocab '" + vocab + "' --steps 200 --json");
  REQUIRE(longer.exit_code == 0);
  const double short_residual = summary["final_residual_mean_abs"]["embedding"];
  const double long_residual = last_json_line(longer.out)["final_residual_mean_abs"]["embedding"];
  CHECK(short_residual > 0.0);
  CHECK(long_residual < 0.5 * short_residual);

  const auto limited = run_spikingbert(base + " --limit 2");
  REQUIRE(limited.exit_code == 0);
  CHECK(last_json_line(limited.out)["examples"] == 2);
}

TEST_CASE("run --task rejects a vocabulary that does not match the model, and missing options", "[tools][run]") {
  const auto folder = fresh_folder("run-task-bad");
  const auto data = write_small_sst2(folder);
  const auto big_vocab = write_tiny_vocabulary(folder, kTinyVocabularySize + 1);
  const auto wrong = run_spikingbert("run --model '" + test_data("tiny") + "' --task sst2 --data '" + data +
                                     "' --vocab '" + big_vocab + "'");
  CHECK(wrong.exit_code == 2);
  CHECK(wrong.err.find("vocab_size 64") != std::string::npos);
  // The default vocabulary (30522 tokens) does not fit the tiny model either.
  const auto default_vocab = run_spikingbert("run --model '" + test_data("tiny") + "' --task sst2 --data '" + data + "'");
  CHECK(default_vocab.exit_code == 2);
  // Without --model: the shipped SST-2 student when the tree has one (tools/train-default.sh), else an error.
  const auto no_model = run_spikingbert("run --task sst2 --data '" + data + "'");
  if (std::filesystem::exists(std::string(SPIKINGBERT_SOURCE_DIR) + "/models/pretrained/sst2/student.h5")) {
    CHECK(no_model.exit_code == 0);
    CHECK(no_model.err.find("using the shipped SST-2 student") != std::string::npos);
  } else {
    CHECK(no_model.exit_code == 2);
    CHECK(no_model.err.find("--random-model") != std::string::npos);
  }
  const auto half = run_spikingbert("run --model '" + test_data("tiny") + "' --task sst2");
  CHECK(half.exit_code == 2);
}
