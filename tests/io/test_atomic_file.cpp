#include "io/AtomicFile.hpp"
#include "io/Error.hpp"
#include "support/RunCommand.hpp"

#include <catch2/catch.hpp>

#include <fstream>

using spikingbert::io::AtomicFile;
using spikingbert::io::InputError;

TEST_CASE("AtomicFile leaves no output when not committed", "[io][atomic]") {
  const auto folder = spikingbert::testing::fresh_folder("atomic-abort");
  const auto destination = folder / "out.txt";
  std::filesystem::path temporary;
  {
    AtomicFile file(destination);
    temporary = file.temporary_path();
    std::ofstream(temporary) << "partial";
    REQUIRE(std::filesystem::exists(temporary));
  }
  CHECK_FALSE(std::filesystem::exists(destination));
  CHECK_FALSE(std::filesystem::exists(temporary));
}

TEST_CASE("AtomicFile replaces the destination on commit", "[io][atomic]") {
  const auto folder = spikingbert::testing::fresh_folder("atomic-commit");
  const auto destination = folder / "out.txt";
  spikingbert::io::write_text_atomically(destination, "old\n");
  spikingbert::io::write_text_atomically(destination, "new\n");
  CHECK(spikingbert::testing::read_whole_file(destination) == "new\n");
  CHECK(std::distance(std::filesystem::directory_iterator(folder), std::filesystem::directory_iterator()) == 1);
}

TEST_CASE("AtomicFile refuses a destination in a missing folder", "[io][atomic]") {
  CHECK_THROWS_AS(AtomicFile("/nonexistent-folder-xyz/out.txt"), InputError);
}

TEST_CASE("InputError formats FILE:PLACE: problem (expected ...)", "[io][error]") {
  const InputError error("dev.tsv", "line 4", "label 'x' is not a class", "0 or 1");
  CHECK(std::string(error.what()) == "dev.tsv:line 4: label 'x' is not a class (expected 0 or 1)");
}
