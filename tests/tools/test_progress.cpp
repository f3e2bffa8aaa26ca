// Progress lines fit where stderr goes (tools/commands/Progress.hpp): piped, a sweep writes a full line
// at every tenth of the work, never a '\r' fragment; --quiet writes none.
#include "support/RunCommand.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>

using namespace spikingbert::testing;

namespace {

int progress_lines(const std::string& err) {
  std::istringstream lines(err);
  int count = 0;
  for (std::string line; std::getline(lines, line);) count += line.rfind("[", 0) == 0 ? 1 : 0;
  return count;
}

}  // namespace

TEST_CASE("a piped sweep writes at most eleven progress lines and no carriage returns, --quiet none",
          "[tools][sweep][progress]") {
  const auto folder = fresh_folder("progress");
  const std::string data = std::string(SPIKINGBERT_SOURCE_DIR) + "/data/glue/SST-2/dev.tsv";
  // 40 examples x 4 settings, one example per batch: 160 progress calls.
  const auto base = "sweep --random-model --task sst2 --data '" + data + "' --limit 40 --batch-size 1 --steps 2,3 --vth 1,2 " +
                    "--threads 1 --output '" + (folder / "rows.csv").string() + "'";
  const auto piped = run_spikingbert(base);
  INFO(piped.err);
  REQUIRE(piped.exit_code == 0);
  CHECK(piped.err.find('\r') == std::string::npos);
  CHECK(progress_lines(piped.err) >= 2);
  CHECK(progress_lines(piped.err) <= 11);
  CHECK(piped.err.find("[160/160 examples]") != std::string::npos);

  const auto quiet = run_spikingbert(base + " --quiet");
  INFO(quiet.err);
  REQUIRE(quiet.exit_code == 0);
  CHECK(progress_lines(quiet.err) == 0);
}

TEST_CASE("every long command accepts --quiet", "[tools][progress]") {
  for (const std::string command : {"run", "sweep", "grad", "bench", "run-teacher", "distill", "train-teacher"}) {
    const auto help = run_spikingbert(command + " --help");
    INFO(command);
    CHECK(help.exit_code == 0);
    CHECK(help.out.find("--quiet") != std::string::npos);
  }
}
