#include "models/GeluTransform.hpp"

#include <cmath>

#if defined(__AVX512F__) && defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 35))
#include <immintrin.h>
// glibc's vectorised erff (libmvec, linked through libm's AS_NEEDED script): 16 lanes per call, a few
// ulp like the scalar erff. The same code runs in both kernels, so they stay bit-identical.
extern "C" __m512 _ZGVeN16v_erff(__m512);
#define SPIKINGBERT_VECTOR_ERF 1
#endif

namespace spikingbert::models {

void GeluTransform::apply(const sim::TransformContext& context, float* current, sim::OperationCounts& counts) const {
  const float square_root_of_two = static_cast<float>(std::sqrt(2.0));  // math.sqrt(2.0) as a float32 operand
  int j = 0;
#ifdef SPIKINGBERT_VECTOR_ERF
  const __m512 divisor = _mm512_set1_ps(square_root_of_two);
  const __m512 half = _mm512_set1_ps(0.5f);
  const __m512 one = _mm512_set1_ps(1.0f);
  for (; j + 16 <= context.width; j += 16) {
    const __m512 x = _mm512_loadu_ps(current + j);
    const __m512 erf = _ZGVeN16v_erff(_mm512_div_ps(x, divisor));
    _mm512_storeu_ps(current + j, _mm512_mul_ps(_mm512_mul_ps(x, half), _mm512_add_ps(one, erf)));
  }
#endif
  for (; j < context.width; ++j) {
    const float x = current[j];
    current[j] = x * 0.5f * (1.0f + std::erf(x / square_root_of_two));
  }
  const auto n = static_cast<std::uint64_t>(context.width);
  counts.divisions += n;
  counts.error_functions += n;
  counts.multiplications += 2 * n;
  counts.additions += n;
}

}  // namespace spikingbert::models
