// GCC 12 reports false "may be used uninitialized" warnings inside its own AVX-512 intrinsics headers.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "sim/NeuronModel.hpp"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace spikingbert::sim {

namespace {

// Reference scalar form; also handles the tail that does not fill a vector.
std::uint32_t update_scalar(const NeuronModel& neuron, const float* current, float* membrane, std::uint32_t* fired,
                            int begin, int end, std::uint64_t& near_ties, float& smallest_margin) {
  const float threshold = neuron.threshold, leak = neuron.leak;
  const bool to_zero = neuron.reset == ResetMode::kToZero;
  std::uint32_t fired_count = 0;
  for (int j = begin; j < end; ++j) {
    const float v = membrane[j] + current[j];
    const bool spike = v >= threshold;
    const float margin = spike ? v - threshold : threshold - v;
    near_ties += margin < kNearThresholdMargin;
    smallest_margin = margin < smallest_margin ? margin : smallest_margin;
    membrane[j] = to_zero ? (spike ? 0.0f : v * leak) : (spike ? v - threshold : v) * leak;
    fired[fired_count] = static_cast<std::uint32_t>(j);
    fired_count += spike;
  }
  return fired_count;
}

}  // namespace

std::uint32_t update_neurons(const NeuronModel& neuron, const float* current, float* membrane, std::uint32_t* fired,
                             int width, ThresholdStatistics& statistics) {
  std::uint64_t near_ties = 0;
  float smallest_margin = statistics.smallest_margin;
  std::uint32_t fired_count = 0;
  int j = 0;
#if defined(__AVX512F__)
  const __m512 threshold = _mm512_set1_ps(neuron.threshold);
  const __m512 leak = _mm512_set1_ps(neuron.leak);
  const __m512 tie = _mm512_set1_ps(kNearThresholdMargin);
  const __m512 zero = _mm512_setzero_ps();
  __m512 smallest = _mm512_set1_ps(smallest_margin);
  __m512i index = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i sixteen = _mm512_set1_epi32(16);
  const bool to_zero = neuron.reset == ResetMode::kToZero;
  for (; j + 16 <= width; j += 16) {
    const __m512 v = _mm512_add_ps(_mm512_loadu_ps(membrane + j), _mm512_loadu_ps(current + j));
    const __mmask16 spike = _mm512_cmp_ps_mask(v, threshold, _CMP_GE_OQ);
    const __m512 above = _mm512_sub_ps(v, threshold);  // v - V_th
    const __m512 below = _mm512_sub_ps(threshold, v);  // V_th - v
    const __m512 margin = _mm512_mask_blend_ps(spike, below, above);
    near_ties += static_cast<std::uint64_t>(__builtin_popcount(_mm512_cmp_ps_mask(margin, tie, _CMP_LT_OQ)));
    smallest = _mm512_min_ps(margin, smallest);
    const __m512 updated = to_zero ? _mm512_mask_blend_ps(spike, _mm512_mul_ps(v, leak), zero)
                                   : _mm512_mul_ps(_mm512_mask_blend_ps(spike, v, above), leak);
    _mm512_storeu_ps(membrane + j, updated);
    // Compress in a register, then store all 16 lanes: AMD Zen 4/5 microcode the compressing store to
    // memory (vpcompressd m512, tens of cycles), the register form is a single fast instruction. The 16
    // stored lanes fit: fired_count <= j and j + 16 <= width, the slot's capacity.
    _mm512_storeu_si512(fired + fired_count, _mm512_maskz_compress_epi32(spike, index));
    fired_count += static_cast<std::uint32_t>(__builtin_popcount(spike));
    index = _mm512_add_epi32(index, sixteen);
  }
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, smallest);
  for (const float lane : lanes) smallest_margin = lane < smallest_margin ? lane : smallest_margin;
#endif
  fired_count += update_scalar(neuron, current, membrane, fired + fired_count, j, width, near_ties, smallest_margin);
  statistics.near_ties += near_ties;
  statistics.smallest_margin = smallest_margin;
  return fired_count;
}

}  // namespace spikingbert::sim
