#include "models/VectorExp.hpp"

#include <cmath>
#include <cstdint>

namespace spikingbert::models {

#ifdef SPIKINGBERT_VECTOR_EXP
// expf as glibc's x86-64 FMA variant computes it: x N/ln2 = k + r, exp(x) = 2^(k/N) (1 + c2 r + c1 r^2 + c0 r^3)
// in double with fused multiply-adds at the same places, rounded once to float.
namespace {

constexpr int kExpTableBits = 5;
constexpr int kExpTableSize = 1 << kExpTableBits;
constexpr double kExpInvLn2Scaled = 0x1.71547652b82fep+0 * kExpTableSize;
constexpr double kExpShift = 0x1.8p+52;  // adding it rounds to an integer in the low mantissa bits
constexpr double kExpC0 = 0x1.c6af84b912394p-5 / (kExpTableSize * kExpTableSize * kExpTableSize);
constexpr double kExpC1 = 0x1.ebfce50fac4f3p-3 / (kExpTableSize * kExpTableSize);
constexpr double kExpC2 = 0x1.62e42ff0c52d6p-1 / kExpTableSize;
// 2^(i/32) as double bit patterns, less i << 47 (added back with k's integer part as the exponent).
alignas(64) constexpr std::int64_t kExpTable[kExpTableSize] = {
    0x3ff0000000000000, 0x3fefd9b0d3158574, 0x3fefb5586cf9890f, 0x3fef9301d0125b51, 0x3fef72b83c7d517b,
    0x3fef54873168b9aa, 0x3fef387a6e756238, 0x3fef1e9df51fdee1, 0x3fef06fe0a31b715, 0x3feef1a7373aa9cb,
    0x3feedea64c123422, 0x3feece086061892d, 0x3feebfdad5362a27, 0x3feeb42b569d4f82, 0x3feeab07dd485429,
    0x3feea47eb03a5585, 0x3feea09e667f3bcd, 0x3fee9f75e8ec5f74, 0x3feea11473eb0187, 0x3feea589994cce13,
    0x3feeace5422aa0db, 0x3feeb737b0cdc5e5, 0x3feec49182a3f090, 0x3feed503b23e255d, 0x3feee89f995ad3ad,
    0x3feeff76f2fb5e47, 0x3fef199bdd85529c, 0x3fef3720dcef9069, 0x3fef5818dcfba487, 0x3fef7c97337b9b5f,
    0x3fefa4afa2a490da, 0x3fefd0765b6e4540};
constexpr int kExpMantissaShift = 52 - kExpTableBits;

__m256d exp_of_doubles(__m256d x) {
  const __m256d inv_ln2_scaled = _mm256_set1_pd(kExpInvLn2Scaled);
  const __m256d shift = _mm256_set1_pd(kExpShift);
  __m256d k = _mm256_fmadd_pd(inv_ln2_scaled, x, shift);
  const __m256i k_bits = _mm256_castpd_si256(k);
  k = _mm256_sub_pd(k, shift);
  const __m256d r = _mm256_fmsub_pd(inv_ln2_scaled, x, k);
  const __m256i index = _mm256_and_si256(k_bits, _mm256_set1_epi64x(kExpTableSize - 1));
  const __m256i table = _mm256_i64gather_epi64(reinterpret_cast<const long long*>(kExpTable), index, 8);
  const __m256d scale = _mm256_castsi256_pd(_mm256_add_epi64(table, _mm256_slli_epi64(k_bits, kExpMantissaShift)));
  const __m256d cubic = _mm256_fmadd_pd(_mm256_set1_pd(kExpC0), r, _mm256_set1_pd(kExpC1));
  const __m256d r2 = _mm256_mul_pd(r, r);
  __m256d y = _mm256_fmadd_pd(_mm256_set1_pd(kExpC2), r, _mm256_set1_pd(1.0));
  y = _mm256_fmadd_pd(cubic, r2, y);
  return _mm256_mul_pd(y, scale);
}

}  // namespace

__m256 exp8_in_range(__m256 x) {
  const __m128 low = _mm256_cvtpd_ps(exp_of_doubles(_mm256_cvtps_pd(_mm256_castps256_ps128(x))));
  const __m128 high = _mm256_cvtpd_ps(exp_of_doubles(_mm256_cvtps_pd(_mm256_extractf128_ps(x, 1))));
  return _mm256_insertf128_ps(_mm256_castps128_ps256(low), high, 1);
}


namespace {
// glibc computes every x in [kLowest, kHighest] by the table path above; outside it (overflow, underflow to
// 0, inf, NaN) each lane takes the scalar std::exp.
constexpr float kLowest = -0x1.9fe368p6f;  // log(2^-150): below, expf is 0
constexpr float kHighest = 0x1.62e42ep6f;  // log(2^128): above, expf overflows
}  // namespace

__m256 exp8(__m256 x) {
  // Ordered compares: NaN lanes are not in range.
  const __m256 in_range = _mm256_and_ps(_mm256_cmp_ps(x, _mm256_set1_ps(kLowest), _CMP_GE_OQ),
                                        _mm256_cmp_ps(x, _mm256_set1_ps(kHighest), _CMP_LE_OQ));
  __m256 result = exp8_in_range(x);
  if (_mm256_movemask_ps(in_range) != 0xff) {
    alignas(32) float lanes[8], values[8];
    _mm256_store_ps(lanes, x);
    _mm256_store_ps(values, result);
    const int mask = _mm256_movemask_ps(in_range);
    for (int lane = 0; lane < 8; ++lane)
      if ((mask >> lane & 1) == 0) values[lane] = std::exp(lanes[lane]);
    result = _mm256_load_ps(values);
  }
  return result;
}
#endif

void exp_float(const float* in, float* out, std::size_t count) {
  std::size_t i = 0;
#ifdef SPIKINGBERT_VECTOR_EXP
  constexpr std::size_t kLanes = 8;
  for (; i + kLanes <= count; i += kLanes) _mm256_storeu_ps(out + i, exp8(_mm256_loadu_ps(in + i)));
#endif
  for (; i < count; ++i) out[i] = std::exp(in[i]);
}

}  // namespace spikingbert::models
