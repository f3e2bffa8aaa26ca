#pragma once
// Checks erf_float (models/VectorErf.hpp) against the C library's std::erf(float) over a range of float32
// bit patterns, bit for bit (NaNs included), and times both: `spikingbert bench --erf` runs it on all
// 2^32 patterns, tests/models/test_vector_erf.cpp on samples.
#include <cstdint>
#include <vector>

namespace spikingbert::models {

struct ErfCheckResult {
  std::uint64_t inputs = 0;
  std::uint64_t mismatches = 0;
  std::vector<std::uint32_t> first_mismatches;  // bit patterns of up to kMaxListed inputs that differ
  double vector_seconds = 0.0;                  // erf_float over all inputs (summed over threads)
  double library_seconds = 0.0;                 // std::erf per input (summed over threads)
  static constexpr std::size_t kMaxListed = 16;
};

// Every bit pattern in [first, first + count) (count <= 2^32 - first), split across `threads` threads.
ErfCheckResult check_erf_range(std::uint64_t first, std::uint64_t count, int threads);

// The given bit patterns, on the calling thread.
ErfCheckResult check_erf_inputs(const std::vector<std::uint32_t>& patterns);

}  // namespace spikingbert::models
