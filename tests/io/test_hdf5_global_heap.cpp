// Files whose global heap (where variable-length strings live) is corrupt: Debian 12's libhdf5 segfaults or
// copies out of bounds on them inside H5Aread (found by fuzz_checkpoint). Hdf5Reader checks the heap first
// (io/Hdf5GlobalHeap.hpp), so they end as InputError, while intact files still read.
#include "io/Checkpoint.hpp"
#include "io/Error.hpp"
#include "io/Hdf5GlobalHeap.hpp"

#include <catch2/catch.hpp>

#include <string>

namespace {
std::string corpus(const std::string& name) {
  return std::string(SPIKINGBERT_SOURCE_DIR) + "/tests/fuzz/corpus/fuzz_checkpoint/" + name;
}
}  // namespace

TEST_CASE("Hdf5Reader: a global heap object larger than its collection is an InputError, not a crash", "[io][hdf5]") {
  for (const auto& [file, fragment] : std::vector<std::pair<std::string, std::string>>{
           {"regression-heap-object-overruns-memcpy.h5", "object 2 claims 8358680908399640687 bytes, more than the 4024 left"},
           {"regression-heap-free-space-overruns-segv.h5", "object 0 claims 18446744069414584320 bytes, more than the 4040 left"},
           {"regression-heap-object-overruns-2.h5", "object 2 claims 122045790683136 bytes"}}) {
    INFO(file);
    try {
      (void)spikingbert::io::read_checkpoint(corpus(file));
      FAIL("no InputError");
    } catch (const spikingbert::io::InputError& error) {
      CHECK(error.file() == corpus(file));
      CHECK(error.place() == "global heap at byte 2048");
      CHECK(std::string(error.what()).find(fragment) != std::string::npos);
      CHECK(error.expected() == "an intact HDF5 file");
    }
  }
  // Intact files pass the check: every seed of the corpus that is not a regression input.
  for (const auto* intact : {"valid.h5", "valid-f64-i32.h5", "bad-config.h5", "nested-group.h5"}) {
    INFO(intact);
    CHECK_NOTHROW(spikingbert::io::check_global_heap_collections(corpus(intact)));
  }
  CHECK_NOTHROW((void)spikingbert::io::read_checkpoint(corpus("valid.h5")));
}
