#include "support/RunCommand.hpp"

#include <catch2/catch.hpp>

using spikingbert::testing::run_spikingbert;

TEST_CASE("spikingbert --version prints the version", "[tools][cli]") {
  const auto result = run_spikingbert("--version");
  CHECK(result.exit_code == 0);
  CHECK(result.out.find(SPIKINGBERT_VERSION) != std::string::npos);
}

TEST_CASE("spikingbert --help lists the subcommands", "[tools][cli]") {
  const auto result = run_spikingbert("--help");
  CHECK(result.exit_code == 0);
  for (const char* name : {"tokenize", "data", "run", "sweep", "train-teacher", "distill", "convert", "inspect"}) {
    INFO(name);
    CHECK(result.out.find(name) != std::string::npos);
  }
}

TEST_CASE("an unknown option exits with code 2", "[tools][cli]") {
  const auto result = run_spikingbert("--no-such-option");
  CHECK(result.exit_code == 2);
}
