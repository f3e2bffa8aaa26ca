// tools/bench-vs-reference.sh needs PyTorch and the authors' checkout to measure anything, so the suite only
// checks that it refuses a wrong reference path before doing any work: one line, exit 2, nothing on stdout.
#include "support/RunCommand.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

using spikingbert::testing::fresh_folder;
using spikingbert::testing::run_shell;

namespace {
std::string bench_command(const std::string& reference) {
  std::string command = "'" SPIKINGBERT_SOURCE_DIR "/tools/bench-vs-reference.sh' --spikingbert '" SPIKINGBERT_EXECUTABLE
                        "' --reference '";
  command.append(reference).push_back('\'');
  return command;
}
}  // namespace

TEST_CASE("bench-vs-reference refuses a path that is not the authors' checkout with one line and exit 2",
          "[tools][bench-vs-reference]") {
  const auto empty_folder = fresh_folder("bench-vs-reference");
  for (const std::string reference : {empty_folder.string() + "/missing", empty_folder.string()}) {
    INFO(reference);
    const auto result = run_shell(bench_command(reference));
    CHECK(result.exit_code == 2);
    CHECK(result.out.empty());
    CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
    CHECK(result.err.rfind("bench-vs-reference: error: " + reference + ": no implicit_bert/models/"
                           "snn_ide_bert_classi_spike_2.py (expected the path of a NeuroCompLab-psu/SpikingBERT checkout)",
                           0) == 0);
  }
  std::filesystem::remove_all(empty_folder);
}
