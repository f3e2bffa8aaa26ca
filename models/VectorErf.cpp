#include "models/VectorErf.hpp"

#include "models/VectorExp.hpp"

namespace spikingbert::models {

#ifdef SPIKINGBERT_VECTOR_ERF
namespace {

// The algorithm's ranges, as float32 bit patterns of |x| (compared as int32: |x| has no sign bit).
constexpr int kUnderflowScaledBelow = 0x04000000;  // |x| < 2^-119: erf(x) = (16x + 16 efx x)/16, no spurious underflow
constexpr int kLinearBelow = 0x31800000;           // |x| < 2^-28: erf(x) = x + efx x
constexpr int kSmallBelow = 0x3f580000;            // |x| < 0.84375: x + x R(x^2)/S(x^2)
constexpr int kMiddleBelow = 0x3fa00000;           // |x| < 1.25: erx + P(|x|-1)/Q(|x|-1), erx = erf(1) rounded
constexpr int kTailSplitBelow = 0x4036db6e;        // |x| < 1/0.35: first tail rational, else the second
constexpr int kSaturatedFrom = 0x40c00000;         // 6 <= |x| < inf: erf(x) = +-1 (1 - 1e-30 rounds to 1)
constexpr int kNonFiniteFrom = 0x7f800000;         // inf, NaN
constexpr std::uint32_t kTailMantissaCut = 0xfffff000u;  // z = |x| with its low 12 bits cleared: z*z is exact

// erf(x) = x + efx x near 0: efx = 2/sqrt(pi) - 1.
constexpr float kEfx = 0x1.06eba8p-3f;
constexpr float kEfx16 = 16.0f * kEfx;  // exact (power of two)
constexpr float kErx = 0x1.b0ac16p-1f;  // 0.845062911, erf(1) to float
constexpr float kTailOffset = 0.5625f;  // exp(-z^2 - 0.5625) * exp(... + R/S)

// Rational coefficients, lowest degree first (the SunPro erff's pp, qq, pa, qa, ra, sa, rb, sb). Each
// denominator's leading 1 is its constant term.
constexpr float kSmallNumerator[] = {0x1.06eba8p-3f, -0x1.4cd7d6p-2f, -0x1.d2a51ep-6f, -0x1.7a2912p-8f,
                                     -0x1.8ead62p-16f};
constexpr float kSmallDenominator[] = {1.0f, 0x1.97779cp-2f, 0x1.0a54c6p-4f, 0x1.4d022cp-8f, 0x1.15dc92p-13f,
                                       -0x1.09c434p-18f};
constexpr float kMiddleNumerator[] = {-0x1.359b8cp-9f, 0x1.a8d00ap-2f, -0x1.7d241p-2f, 0x1.45fca8p-2f,
                                      -0x1.c63984p-4f, 0x1.22a366p-5f, -0x1.1bf38p-9f};
constexpr float kMiddleDenominator[] = {1.0f, 0x1.b3e662p-4f, 0x1.14af0ap-1f, 0x1.2635cep-4f, 0x1.02660ep-3f,
                                        0x1.bedc26p-7f, 0x1.88b546p-7f};
// The two tail rationals share one Horner loop with per-lane coefficients; the second, one degree lower,
// gets a leading zero (0*s + c = c exactly, so its values do not change).
constexpr int kTailNumeratorTerms = 8;
constexpr float kTailNumeratorNear[kTailNumeratorTerms] = {-0x1.434126p-7f, -0x1.63416ep-1f, -0x1.51e044p+3f,
                                                           -0x1.f300aep+5f, -0x1.44cb18p+7f, -0x1.7135cep+7f,
                                                           -0x1.452656p+6f, -0x1.3a0efcp+3f};
constexpr float kTailNumeratorFar[kTailNumeratorTerms] = {-0x1.434124p-7f, -0x1.993ba8p-1f, -0x1.1c2096p+4f,
                                                          -0x1.4145d4p+7f, -0x1.3ec882p+9f, -0x1.004616p+10f,
                                                          -0x1.e384eap+8f, 0.0f};
constexpr int kTailDenominatorTerms = 9;
constexpr float kTailDenominatorNear[kTailDenominatorTerms] = {1.0f, 0x1.3a6b9cp+4f, 0x1.1350c6p+7f,
                                                               0x1.b290dep+8f, 0x1.42b192p+9f, 0x1.ad0216p+8f,
                                                               0x1.b28a3ep+6f, 0x1.a47ef8p+2f, -0x1.eeff2ep-5f};
constexpr float kTailDenominatorFar[kTailDenominatorTerms] = {1.0f, 0x1.e568b2p+4f, 0x1.45cae2p+8f,
                                                              0x1.802eb2p+10f, 0x1.8ffb76p+11f, 0x1.3f219cp+11f,
                                                              0x1.da874ep+8f, -0x1.670e24p+4f, 0.0f};

// c[0] + v (c[1] + v (... + v c[n-1])), innermost first: one rounding per multiply and per add.
template <std::size_t N>
__m256 horner(__m256 v, const float (&c)[N]) {
  __m256 t = _mm256_set1_ps(c[N - 1]);
  for (std::size_t k = N - 1; k-- > 0;) t = _mm256_add_ps(_mm256_mul_ps(t, v), _mm256_set1_ps(c[k]));
  return t;
}

// The same with coefficients chosen per lane: far lanes take `far`, the others `near`.
template <std::size_t N>
__m256 horner_select(__m256 v, const float (&near)[N], const float (&far)[N], __m256 far_lanes) {
  const auto coefficient = [&](std::size_t k) {
    return _mm256_blendv_ps(_mm256_set1_ps(near[k]), _mm256_set1_ps(far[k]), far_lanes);
  };
  __m256 t = coefficient(N - 1);
  for (std::size_t k = N - 1; k-- > 0;) t = _mm256_add_ps(_mm256_mul_ps(t, v), coefficient(k));
  return t;
}

// erf of K vectors at once, in place. K > 1 interleaves independent chains: the Horner steps and divisions
// are latency-bound, so two vectors in flight nearly halve the time per value (perf, GELU of the main job).
// Every lane of the K vectors in [2^-28, 0.84375) (the GELU's usual case: 86% of its 16-value groups in the
// main job): only the small-range rational is evaluated, with the general path's operations for those lanes.
template <int K>
bool all_lanes_small(const __m256 (&values)[K]) {
  const __m256i magnitude_mask = _mm256_set1_epi32(0x7fffffff);
  int outside = 0;
  for (int k = 0; k < K; ++k) {
    const __m256i ix = _mm256_and_si256(_mm256_castps_si256(values[k]), magnitude_mask);
    const __m256i below_linear = _mm256_cmpgt_epi32(_mm256_set1_epi32(kLinearBelow), ix);
    const __m256i not_small = _mm256_cmpgt_epi32(ix, _mm256_set1_epi32(kSmallBelow - 1));
    outside |= _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_or_si256(below_linear, not_small)));
  }
  return outside == 0;
}

template <int K>
void erf_small_vectors(__m256 (&values)[K]) {
  __m256 z[K], numerator[K], denominator[K];
  for (int k = 0; k < K; ++k) z[k] = _mm256_mul_ps(values[k], values[k]);
  for (int k = 0; k < K; ++k) numerator[k] = horner(z[k], kSmallNumerator);
  for (int k = 0; k < K; ++k) denominator[k] = horner(z[k], kSmallDenominator);
  for (int k = 0; k < K; ++k) {
    const __m256 quotient = _mm256_div_ps(numerator[k], denominator[k]);
    values[k] = _mm256_add_ps(values[k], _mm256_mul_ps(values[k], quotient));
  }
}

template <int K>
void erf_vectors(__m256 (&values)[K]) {
  if (all_lanes_small(values)) {
    erf_small_vectors(values);
    return;
  }
  const __m256 sign_bit = _mm256_set1_ps(-0.0f);
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 all_ones = _mm256_castsi256_ps(_mm256_set1_epi32(-1));
  __m256 x[K], sign[K], ax[K], small[K], middle[K], tail[K], non_finite[K], quotient[K], result[K];
  __m256i ix[K];
  int tail_lanes = 0, non_finite_lanes = 0;
  for (int k = 0; k < K; ++k) {
    x[k] = values[k];
    sign[k] = _mm256_and_ps(x[k], sign_bit);
    ax[k] = _mm256_andnot_ps(sign_bit, x[k]);
    ix[k] = _mm256_castps_si256(ax[k]);
    small[k] = _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(kSmallBelow), ix[k]));
    const __m256 below_middle = _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(kMiddleBelow), ix[k]));
    const __m256 below_saturated = _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(kSaturatedFrom), ix[k]));
    middle[k] = _mm256_andnot_ps(small[k], below_middle);
    tail[k] = _mm256_andnot_ps(below_middle, below_saturated);
    non_finite[k] = _mm256_andnot_ps(
        _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(kNonFiniteFrom), ix[k])), all_ones);
    tail_lanes |= _mm256_movemask_ps(tail[k]);
    non_finite_lanes |= _mm256_movemask_ps(non_finite[k]);
  }
  // |x| < 1.25: one division serves both rationals.
  __m256 z[K], s[K], numerator[K], denominator[K];
  for (int k = 0; k < K; ++k) {
    z[k] = _mm256_mul_ps(x[k], x[k]);
    s[k] = _mm256_sub_ps(ax[k], one);
  }
  for (int k = 0; k < K; ++k)
    numerator[k] = _mm256_blendv_ps(horner(z[k], kSmallNumerator), horner(s[k], kMiddleNumerator), middle[k]);
  for (int k = 0; k < K; ++k)
    denominator[k] = _mm256_blendv_ps(horner(z[k], kSmallDenominator), horner(s[k], kMiddleDenominator), middle[k]);
  for (int k = 0; k < K; ++k) quotient[k] = _mm256_div_ps(numerator[k], denominator[k]);
  for (int k = 0; k < K; ++k) {
    result[k] = _mm256_add_ps(x[k], _mm256_mul_ps(x[k], quotient[k]));
    // -erx - q = -(erx + q) exactly: rounding to nearest is symmetric.
    result[k] = _mm256_blendv_ps(result[k], _mm256_xor_ps(_mm256_add_ps(_mm256_set1_ps(kErx), quotient[k]), sign[k]),
                                 middle[k]);
    const __m256 linear = _mm256_add_ps(x[k], _mm256_mul_ps(_mm256_set1_ps(kEfx), x[k]));
    const __m256 scaled = _mm256_mul_ps(_mm256_set1_ps(1.0f / 16.0f),
                                        _mm256_add_ps(_mm256_mul_ps(_mm256_set1_ps(16.0f), x[k]),
                                                      _mm256_mul_ps(_mm256_set1_ps(kEfx16), x[k])));
    result[k] = _mm256_blendv_ps(result[k], linear,
                                 _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(kLinearBelow), ix[k])));
    result[k] = _mm256_blendv_ps(result[k], scaled,
                                 _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(kUnderflowScaledBelow), ix[k])));
    const __m256 saturated_or_more = _mm256_andnot_ps(
        _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(kSaturatedFrom), ix[k])), all_ones);
    result[k] = _mm256_blendv_ps(result[k], _mm256_or_ps(one, sign[k]), saturated_or_more);
  }
  if (tail_lanes != 0) {
    // 1.25 <= |x| < 6: erf = 1 - exp(-z^2 - 0.5625) exp((z - |x|)(z + |x|) + R/S) / |x|, s = 1/x^2.
    __m256 inverse_square[K], far[K], r[K], q[K], cut[K], first[K], second[K];
    for (int k = 0; k < K; ++k) {
      inverse_square[k] = _mm256_div_ps(one, _mm256_mul_ps(ax[k], ax[k]));
      far[k] = _mm256_andnot_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(kTailSplitBelow), ix[k])),
                                all_ones);
      cut[k] = _mm256_castsi256_ps(_mm256_and_si256(ix[k], _mm256_set1_epi32(static_cast<int>(kTailMantissaCut))));
    }
    for (int k = 0; k < K; ++k) r[k] = horner_select(inverse_square[k], kTailNumeratorNear, kTailNumeratorFar, far[k]);
    for (int k = 0; k < K; ++k)
      q[k] = horner_select(inverse_square[k], kTailDenominatorNear, kTailDenominatorFar, far[k]);
    for (int k = 0; k < K; ++k)
      first[k] = exp8_in_range(_mm256_sub_ps(_mm256_mul_ps(_mm256_xor_ps(cut[k], sign_bit), cut[k]), _mm256_set1_ps(kTailOffset)));
    for (int k = 0; k < K; ++k)
      second[k] = exp8_in_range(_mm256_add_ps(_mm256_mul_ps(_mm256_sub_ps(cut[k], ax[k]), _mm256_add_ps(cut[k], ax[k])),
                                     _mm256_div_ps(r[k], q[k])));
    for (int k = 0; k < K; ++k) {
      const __m256 complement = _mm256_div_ps(_mm256_mul_ps(first[k], second[k]), ax[k]);
      result[k] = _mm256_blendv_ps(result[k], _mm256_xor_ps(_mm256_sub_ps(one, complement), sign[k]), tail[k]);
    }
  }
  if (non_finite_lanes != 0) {
    // +-1 + 1/x: +-1 for +-inf, the (quieted) NaN itself for a NaN, as the scalar code.
    for (int k = 0; k < K; ++k)
      result[k] = _mm256_blendv_ps(result[k], _mm256_add_ps(_mm256_or_ps(one, sign[k]), _mm256_div_ps(one, x[k])),
                                   non_finite[k]);
  }
  for (int k = 0; k < K; ++k) values[k] = result[k];
}

}  // namespace

__m256 erf8(__m256 x) {
  __m256 values[1] = {x};
  erf_vectors(values);
  return values[0];
}

void erf16(__m256& low, __m256& high) {
  __m256 values[2] = {low, high};
  erf_vectors(values);
  low = values[0];
  high = values[1];
}
#endif

void erf_float(const float* in, float* out, std::size_t count) {
  std::size_t i = 0;
#ifdef SPIKINGBERT_VECTOR_ERF
  constexpr std::size_t kLanes = 8;
  for (; i + 2 * kLanes <= count; i += 2 * kLanes) {
    __m256 low = _mm256_loadu_ps(in + i), high = _mm256_loadu_ps(in + i + kLanes);
    erf16(low, high);
    _mm256_storeu_ps(out + i, low);
    _mm256_storeu_ps(out + i + kLanes, high);
  }
  for (; i + kLanes <= count; i += kLanes) _mm256_storeu_ps(out + i, erf8(_mm256_loadu_ps(in + i)));
#endif
  for (; i < count; ++i) out[i] = std::erf(in[i]);
}

}  // namespace spikingbert::models
