#pragma once
// Checks erf_float and exp_float (models/VectorErf.hpp, VectorExp.hpp) against the C library's std::erf and
// std::exp of a float over a range of float32 bit patterns, bit for bit (NaNs included), and times both:
// `spikingbert bench --vector-math` runs it on all 2^32 patterns, tests/models/test_vector_erf.cpp on samples.
#include <cstdint>
#include <vector>

namespace spikingbert::models {

enum class VectorMathFunction { erf, exp };

struct VectorMathCheckResult {
  std::uint64_t inputs = 0;
  std::uint64_t mismatches = 0;
  std::vector<std::uint32_t> first_mismatches;  // bit patterns of up to kMaxListed inputs that differ
  double vector_seconds = 0.0;                  // the vector function over all inputs (summed over threads)
  double library_seconds = 0.0;                 // the library function per input (summed over threads)
  static constexpr std::size_t kMaxListed = 16;
};

// Every bit pattern in [first, first + count) (count <= 2^32 - first), split across `threads` threads.
VectorMathCheckResult check_vector_math_range(VectorMathFunction function, std::uint64_t first, std::uint64_t count, int threads);

// The given bit patterns, on the calling thread.
VectorMathCheckResult check_vector_math_inputs(VectorMathFunction function, const std::vector<std::uint32_t>& patterns);

}  // namespace spikingbert::models
