#include "support/RunCommand.hpp"

#include <catch2/catch.hpp>

#include <fstream>

using spikingbert::testing::fresh_folder;
using spikingbert::testing::run_spikingbert;

namespace {
std::string shipped(const std::string& relative) {
  return "'" + std::string(SPIKINGBERT_SOURCE_DIR) + "/data/glue/" + relative + "'";
}
}  // namespace

TEST_CASE("spikingbert data summarises the shipped SST-2 dev set", "[tools][data]") {
  const auto result = run_spikingbert("data --task sst2 --data " + shipped("SST-2/dev.tsv"));
  CHECK(result.exit_code == 0);
  CHECK(result.out.find("examples: 872\n") != std::string::npos);
  // 428 negative, 444 positive (count of label column values in dev.tsv).
  CHECK(result.out.find("labels: 0: 428 (49.1%), 1: 444 (50.9%)\n") != std::string::npos);
  CHECK(result.out.find("tokens per example (with [CLS]/[SEP], before truncation): p50 ") != std::string::npos);
  CHECK(result.out.find(", max 55\n") != std::string::npos);  // the longest conformance SST-2 case
  // Without --max-length: the task's default, the length run, sweep and the trainers use (64 for SST-2).
  CHECK(result.out.find("truncated at --max-length 64: 0 examples\n") != std::string::npos);
}

TEST_CASE("a renamed option fails with one line naming the new option (docs/cli.md)", "[tools][cli]") {
  // Before any file is read or any other option checked; hidden from --help.
  const auto data = run_spikingbert("data --task sst2 --file " + shipped("SST-2/dev.tsv"));
  CHECK(data.exit_code == 2);
  CHECK(data.out.empty());
  CHECK(data.err == "spikingbert: error: command line:--file: was renamed (expected --data)\n");
  const auto distill = run_spikingbert("distill --lr 1e-3");
  CHECK(distill.exit_code == 2);
  CHECK(distill.err == "spikingbert: error: command line:--lr: was renamed (expected --learning-rate)\n");
  CHECK(run_spikingbert("distill --help").out.find("--lr") == std::string::npos);
}

TEST_CASE("spikingbert data summarises pair and regression tasks", "[tools][data]") {
  const auto stsb = run_spikingbert("data --task STS-B --data " + shipped("STS-B/dev.tsv"));
  CHECK(stsb.exit_code == 0);
  CHECK(stsb.out.find("examples: 1500\n") != std::string::npos);
  CHECK(stsb.out.find("scores: [0,1) ") != std::string::npos);
  const auto rte = run_spikingbert("data --task rte --data " + shipped("RTE/train.tsv") + " --max-length 128");
  CHECK(rte.exit_code == 0);
  CHECK(rte.out.find("examples: 2490\n") != std::string::npos);
  CHECK(rte.out.find("labels: entailment: 1249") != std::string::npos);
  CHECK(rte.out.find("truncated at --max-length 128: ") != std::string::npos);
}

TEST_CASE("spikingbert data reports a bad file with its line", "[tools][data][errors]") {
  const auto folder = fresh_folder("data-errors");
  const auto file = folder / "dev.tsv";
  std::ofstream(file) << "sentence\tlabel\ngood\t1\nbad\tpositive\n";
  const auto result = run_spikingbert("data --task sst2 --data '" + file.string() + "'");
  CHECK(result.exit_code == 2);
  CHECK(result.out.empty());
  CHECK(result.err == "spikingbert: error: " + file.string() + ":line 3: label 'positive' is not a class (expected 0 or 1)\n");
  CHECK(run_spikingbert("data --task nope --data '" + file.string() + "'").exit_code == 2);
  CHECK(run_spikingbert("data --task sst2").exit_code == 2);
}
