// The validation split of honest model selection (training/ValidationSplit.hpp): its default size, that it
// is a fixed, seeded partition of the training examples, and that splitting keeps every example once.
#include "training/ValidationSplit.hpp"

#include <catch2/catch.hpp>

#include <numeric>
#include <set>

using namespace spikingbert;

TEST_CASE("validation split: default size is 10% of the training file, at least 1, at most 1000", "[training][validation]") {
  CHECK(training::default_validation_size(0) == 0);
  CHECK(training::default_validation_size(1) == 0);
  CHECK(training::default_validation_size(2) == 1);
  CHECK(training::default_validation_size(24) == 2);
  CHECK(training::default_validation_size(2490) == 249);
  CHECK(training::default_validation_size(67349) == 1000);  // SST-2
}

TEST_CASE("validation split: seeded, distinct, ascending indices, a partition that keeps order", "[training][validation]") {
  const auto indices = training::validation_indices(100, 10);
  REQUIRE(indices.size() == 10);
  CHECK(std::is_sorted(indices.begin(), indices.end()));
  CHECK(std::set<std::int64_t>(indices.begin(), indices.end()).size() == 10);
  CHECK(indices.front() >= 0);
  CHECK(indices.back() < 100);
  CHECK(training::validation_indices(100, 10) == indices);                      // fixed seed: the same split
  CHECK(training::validation_indices(100, 10, training::kValidationSeed + 1) != indices);
  CHECK(indices != std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});    // not the file's head
  // The Fisher-Yates draw pinned: a change here changes every shipped split (docs/training.md).
  // Computed independently (a Python mt19937_64 and the same Fisher-Yates loop).
  CHECK(indices == std::vector<std::int64_t>{6, 7, 10, 27, 29, 43, 51, 52, 61, 99});
  CHECK_THROWS_AS(training::validation_indices(5, 6), std::invalid_argument);

  std::vector<int> all(100);
  std::iota(all.begin(), all.end(), 0);
  std::vector<int> held_out;
  training::split_off(all, indices, held_out);
  CHECK(all.size() == 90);
  REQUIRE(held_out.size() == 10);
  for (std::size_t i = 0; i < held_out.size(); ++i) CHECK(held_out[i] == indices[i]);
  CHECK(std::is_sorted(all.begin(), all.end()));
  for (const int kept : all) CHECK(std::find(indices.begin(), indices.end(), kept) == indices.end());
}
