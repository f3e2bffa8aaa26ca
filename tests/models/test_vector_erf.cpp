// The vectorised erf and exp are the C library's erff and expf bit for bit, and the event kernel's GELU is
// the scalar formula bit for bit. `spikingbert bench --vector-math` checks all 2^32 inputs; this samples
// ~4.5 million per function, including every range boundary of the algorithms, zeros, denormals,
// infinities and NaNs.
#include "models/Gelu.hpp"
#include "models/GeluTransform.hpp"
#include "models/VectorErf.hpp"
#include "models/VectorMathCheck.hpp"

#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>
#include <sstream>
#include <vector>

using namespace spikingbert::models;

namespace {

std::vector<std::uint32_t> sampled_patterns() {
  std::vector<std::uint32_t> patterns;
  // |x| bit patterns where the algorithm changes branch, and the ends of float ranges.
  const std::uint32_t boundaries[] = {0x00000000, 0x00000001, 0x00800000, 0x04000000, 0x31800000, 0x3f580000,
                                      0x3f800000, 0x3fa00000, 0x4036db6e, 0x40c00000, 0x41e00000, 0x7f7fffff,
                                      0x7f800000, 0x7fc00000, 0x7fffffff,
                                      // expf: |x| >= 88 leaves the table path; log(2^128), log(2^-150)
                                      0x42b00000, 0x42b17218, 0x42cff1b4};
  constexpr std::uint32_t kAround = 4096;  // patterns on each side of a boundary
  for (const std::uint32_t sign : {0u, 0x80000000u}) {
    for (const std::uint32_t boundary : boundaries) {
      const std::uint32_t low = boundary < kAround ? 0 : boundary - kAround;
      const std::uint32_t high = boundary > 0x7fffffff - kAround ? 0x7fffffff : boundary + kAround;
      for (std::uint32_t p = low; p <= high; ++p) patterns.push_back(sign | p);
    }
  }
  std::mt19937 random(20261203);
  constexpr int kUniformPatterns = 1 << 21;  // any bit pattern
  for (int i = 0; i < kUniformPatterns; ++i) patterns.push_back(random());
  // Where GELU's argument lives: x / sqrt(2) for currents in [-8, 8].
  std::uniform_real_distribution<float> typical(-8.0f, 8.0f);
  constexpr int kTypicalInputs = 1 << 21;
  for (int i = 0; i < kTypicalInputs; ++i) patterns.push_back(std::bit_cast<std::uint32_t>(typical(random)));
  // Where expf's argument lives: softmax scores less their maximum, down to underflow.
  std::uniform_real_distribution<float> exponent(-110.0f, 90.0f);
  constexpr int kExponentInputs = 1 << 20;
  for (int i = 0; i < kExponentInputs; ++i) patterns.push_back(std::bit_cast<std::uint32_t>(exponent(random)));
  return patterns;
}

}  // namespace

TEST_CASE("vector erf and exp: bit for bit the library's erff and expf on sampled inputs and every range boundary", "[models][erf]") {
  const auto patterns = sampled_patterns();
  for (const auto function : {VectorMathFunction::erf, VectorMathFunction::exp}) {
    const VectorMathCheckResult result = check_vector_math_inputs(function, patterns);
    std::ostringstream listed;
    for (auto p : result.first_mismatches) listed << std::hex << p << ' ';
    INFO((function == VectorMathFunction::erf ? "erf" : "exp") << ", vectorised: " << kVectorErf
                                                               << "; first differing inputs (bit patterns): " << listed.str());
    CHECK(result.inputs == patterns.size());
    CHECK(result.mismatches == 0);
    // A range check on a few chunks, through the threaded path of `bench --vector-math`.
    const VectorMathCheckResult range = check_vector_math_range(function, 0x3f000000, 3 << 16, 2);
    CHECK(range.inputs == 3u << 16);
    CHECK(range.mismatches == 0);
  }

  // The event kernel's GELU: x * 0.5 * (1 + erf(x / sqrt(2))) in float, for every width's tail handling.
  std::mt19937 random(7);
  std::uniform_real_distribution<float> current(-6.0f, 6.0f);
  const GeluTransform gelu;
  for (const int width : {1, 7, 8, 9, 16, 24, 64, 131}) {
    std::vector<float> values(static_cast<std::size_t>(width));
    for (auto& v : values) v = current(random);
    std::vector<float> expected = values;
    const float square_root_of_two = static_cast<float>(std::sqrt(2.0));
    for (auto& x : expected) x = x * 0.5f * (1.0f + std::erf(x / square_root_of_two));
    spikingbert::sim::TransformContext context;
    context.width = width;
    spikingbert::sim::OperationCounts counts;
    gelu.apply(context, values.data(), counts);
    for (int j = 0; j < width; ++j)
      CHECK(std::bit_cast<std::uint32_t>(values[static_cast<std::size_t>(j)]) ==
            std::bit_cast<std::uint32_t>(expected[static_cast<std::size_t>(j)]));
    CHECK(counts.error_functions == static_cast<std::uint64_t>(width));
  }

  // The float GELU of the steady-state map and training, forward and backward, over more than one block.
  constexpr int kCount = 600;
  std::vector<float> in(kCount), upstream(kCount), out(kCount), d_in(kCount, 0.25f);
  for (auto& v : in) v = current(random);
  for (auto& v : upstream) v = current(random);
  gelu_forward(out.data(), in.data(), kCount);
  gelu_backward(d_in.data(), upstream.data(), in.data(), kCount);
  const float inv_sqrt2 = static_cast<float>(1.0 / std::numbers::sqrt2);
  const float inv_sqrt_2pi = static_cast<float>(std::numbers::inv_sqrtpi / std::numbers::sqrt2);
  for (int i = 0; i < kCount; ++i) {
    const float x = in[static_cast<std::size_t>(i)];
    const float y = x * 0.5f * (1.0f + std::erf(x * inv_sqrt2));
    const float cdf = 0.5f * (1.0f + std::erf(x * inv_sqrt2));
    const float pdf = inv_sqrt_2pi * std::exp(-0.5f * x * x);
    const float d = 0.25f + upstream[static_cast<std::size_t>(i)] * (cdf + x * pdf);
    CHECK(std::bit_cast<std::uint32_t>(out[static_cast<std::size_t>(i)]) == std::bit_cast<std::uint32_t>(y));
    CHECK(std::bit_cast<std::uint32_t>(d_in[static_cast<std::size_t>(i)]) == std::bit_cast<std::uint32_t>(d));
  }
}
