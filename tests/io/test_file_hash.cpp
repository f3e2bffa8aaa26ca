// File fingerprints of provenance records (io/FileHash.hpp): FNV-1a 64 against its published test vectors,
// and folder fingerprints that change with a file's name or content.
#include "io/Error.hpp"
#include "io/FileHash.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

using namespace spikingbert;
namespace fs = std::filesystem;

TEST_CASE("FNV-1a 64: the reference test vectors", "[io][provenance]") {
  CHECK(io::fnv1a64("", 0) == 0xcbf29ce484222325ULL);
  CHECK(io::fnv1a64("a", 1) == 0xaf63dc4c8601ec8cULL);
  CHECK(io::fnv1a64("foobar", 6) == 0x85944171f73967e8ULL);
  // Chunked hashing continues the same hash.
  CHECK(io::fnv1a64("bar", 3, io::fnv1a64("foo", 3)) == io::fnv1a64("foobar", 6));
}

TEST_CASE("file fingerprints: 16 hex digits of the bytes, folders by names and contents", "[io][provenance]") {
  const auto folder = fs::temp_directory_path() / "spikingbert-file-hash";
  fs::remove_all(folder);
  fs::create_directories(folder);
  std::ofstream(folder / "a.txt") << "foobar";
  CHECK(io::file_fingerprint(folder / "a.txt") == "85944171f73967e8");
  const auto before = io::file_fingerprint(folder);
  CHECK(before.size() == 16);
  std::ofstream(folder / "b.txt") << "x";
  const auto with_b = io::file_fingerprint(folder);
  CHECK(with_b != before);
  fs::rename(folder / "b.txt", folder / "c.txt");
  CHECK(io::file_fingerprint(folder) != with_b);
  CHECK_THROWS_AS(io::file_fingerprint(folder / "missing.txt"), io::InputError);
  fs::remove_all(folder);
}
