#include "models/GeluTransform.hpp"

#include "models/VectorErf.hpp"

#include <cmath>

namespace spikingbert::models {

namespace {

// GELU of `count` floats in place.
void gelu_in_place(float* current, int count) {
  const float square_root_of_two = static_cast<float>(std::sqrt(2.0));  // math.sqrt(2.0) as a float32 operand
  int j = 0;
#ifdef SPIKINGBERT_VECTOR_ERF
  // 16 then 8 lanes, the same float operations in the same order as the scalar loop below, and erf16/erf8
  // are the library's erff bit for bit (models/VectorErf.hpp): every value equals the scalar code's.
  constexpr int kLanes = 8;
  const __m256 divisor = _mm256_set1_ps(square_root_of_two);
  const __m256 half = _mm256_set1_ps(0.5f);
  const __m256 one = _mm256_set1_ps(1.0f);
  const auto gelu = [&](__m256 x, __m256 erf) { return _mm256_mul_ps(_mm256_mul_ps(x, half), _mm256_add_ps(one, erf)); };
  for (; j + 2 * kLanes <= count; j += 2 * kLanes) {
    const __m256 low = _mm256_loadu_ps(current + j), high = _mm256_loadu_ps(current + j + kLanes);
    __m256 erf_low = _mm256_div_ps(low, divisor), erf_high = _mm256_div_ps(high, divisor);
    erf16(erf_low, erf_high);
    _mm256_storeu_ps(current + j, gelu(low, erf_low));
    _mm256_storeu_ps(current + j + kLanes, gelu(high, erf_high));
  }
  for (; j + kLanes <= count; j += kLanes) {
    const __m256 x = _mm256_loadu_ps(current + j);
    _mm256_storeu_ps(current + j, gelu(x, erf8(_mm256_div_ps(x, divisor))));
  }
#endif
  for (; j < count; ++j) {
    const float x = current[j];
    current[j] = x * 0.5f * (1.0f + std::erf(x / square_root_of_two));
  }
}

void count_operations(std::uint64_t n, sim::OperationCounts& counts) {
  counts.divisions += n;
  counts.error_functions += n;
  counts.multiplications += 2 * n;
  counts.additions += n;
}

}  // namespace

void GeluTransform::apply(const sim::TransformContext& context, float* current, sim::OperationCounts& counts) const {
  gelu_in_place(current, context.width);
  count_operations(static_cast<std::uint64_t>(context.width), counts);
}

void GeluTransform::apply_groups(const sim::TransformContext& context, int groups, float* current,
                                 sim::OperationCounts& counts) const {
  // Row groups are single rows, contiguous: one pass over all of them (the same operations per value).
  gelu_in_place(current, groups * context.width);
  count_operations(static_cast<std::uint64_t>(groups) * static_cast<std::uint64_t>(context.width), counts);
}

}  // namespace spikingbert::models
