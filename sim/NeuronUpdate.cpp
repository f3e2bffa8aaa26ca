// GCC 12 reports false "may be used uninitialized" warnings inside its own AVX-512 intrinsics headers.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "sim/NeuronModel.hpp"

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

namespace spikingbert::sim {

namespace {

#if !defined(__AVX512F__) && defined(__AVX2__)
// For every 8-bit spike mask, the ascending lane numbers of its set bits (then zeros): the AVX2 stand-in
// for AVX-512's register compress (one 8-byte load, widened to 8 indices).
struct CompressTable {
  alignas(64) std::uint8_t lanes[256][8] = {};
  constexpr CompressTable() {
    for (int mask = 0; mask < 256; ++mask) {
      int k = 0;
      for (int lane = 0; lane < 8; ++lane)
        if (mask & (1 << lane)) lanes[mask][k++] = static_cast<std::uint8_t>(lane);
    }
  }
};
constexpr CompressTable kCompress;
#endif

// Reference scalar form; also handles the tail that does not fill a vector. kRefractory: the model keeps a
// refractory counter per neuron (a template parameter, so the reference path has no extra work).
template <bool kRefractory>
std::uint32_t update_scalar(const NeuronModel& neuron, const float* current, float* membrane, std::int32_t* refractory,
                            std::uint32_t* fired, std::uint32_t* spike_count, int begin, int end, std::uint64_t& near_ties,
                            float& smallest_margin) {
  const float threshold = static_cast<float>(neuron.threshold), leak = static_cast<float>(neuron.leak);
  const std::int32_t period = neuron.refractory_steps;
  std::uint32_t fired_count = 0;
  for (int j = begin; j < end; ++j) {
    if constexpr (kRefractory) {
      if (refractory[j] > 0) {  // held: no integration, no leak, no comparison
        --refractory[j];
        continue;
      }
    }
    const float v = membrane[j] + current[j];
    const bool spike = v >= threshold;
    const float margin = spike ? v - threshold : threshold - v;
    near_ties += margin < kNearThresholdMargin;
    smallest_margin = margin < smallest_margin ? margin : smallest_margin;
    membrane[j] = (spike ? v - threshold : v) * leak;
    if constexpr (kRefractory) refractory[j] = spike ? period : 0;
    spike_count[j] += spike;
    fired[fired_count] = static_cast<std::uint32_t>(j);
    fired_count += spike;
  }
  return fired_count;
}

template <bool kRefractory>
std::uint32_t update_all(const NeuronModel& neuron, const float* current, float* membrane, std::int32_t* refractory,
                         std::uint32_t* fired, std::uint32_t* spike_count, int width, ThresholdStatistics& statistics) {
  std::uint64_t near_ties = 0;
  float smallest_margin = statistics.smallest_margin;
  std::uint32_t fired_count = 0;
  int j = 0;
#if defined(__AVX512F__)
  const __m512 threshold = _mm512_set1_ps(static_cast<float>(neuron.threshold));
  const __m512 leak = _mm512_set1_ps(static_cast<float>(neuron.leak));
  const __m512 tie = _mm512_set1_ps(kNearThresholdMargin);
  const __m512i period = _mm512_set1_epi32(neuron.refractory_steps);
  const __m512i zero = _mm512_setzero_si512();
  const __m512i one = _mm512_set1_epi32(1);
  __m512 smallest = _mm512_set1_ps(smallest_margin);
  __m512i index = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i sixteen = _mm512_set1_epi32(16);
  for (; j + 16 <= width; j += 16) {
    const __m512 u = _mm512_loadu_ps(membrane + j);
    const __m512 v = _mm512_add_ps(u, _mm512_loadu_ps(current + j));
    __mmask16 active = 0xFFFF;
    __m512i left = zero;
    if constexpr (kRefractory) {
      left = _mm512_loadu_si512(refractory + j);
      active = _mm512_cmpeq_epi32_mask(left, zero);
    }
    const __mmask16 spike = _mm512_mask_cmp_ps_mask(active, v, threshold, _CMP_GE_OQ);
    const __m512 above = _mm512_sub_ps(v, threshold);  // v - V_th
    const __m512 below = _mm512_sub_ps(threshold, v);  // V_th - v
    const __m512 margin = _mm512_mask_blend_ps(spike, below, above);
    near_ties += static_cast<std::uint64_t>(__builtin_popcount(_mm512_mask_cmp_ps_mask(active, margin, tie, _CMP_LT_OQ)));
    smallest = _mm512_mask_min_ps(smallest, active, margin, smallest);
    const __m512 updated = _mm512_mul_ps(_mm512_mask_blend_ps(spike, v, above), leak);
    if constexpr (kRefractory) {
      _mm512_storeu_ps(membrane + j, _mm512_mask_blend_ps(active, u, updated));
      const __m512i counted = _mm512_max_epi32(_mm512_sub_epi32(left, one), zero);
      _mm512_storeu_si512(refractory + j, _mm512_mask_blend_epi32(spike, counted, period));
    } else {
      _mm512_storeu_ps(membrane + j, updated);
    }
    // Compress in a register, then store all 16 lanes: AMD Zen 4/5 microcode the compressing store to
    // memory (vpcompressd m512, tens of cycles), the register form is a single fast instruction. The 16
    // stored lanes fit: fired_count <= j and j + 16 <= width, the slot's capacity.
    const __m512i counted_spikes = _mm512_loadu_si512(spike_count + j);
    _mm512_storeu_si512(spike_count + j, _mm512_mask_add_epi32(counted_spikes, spike, counted_spikes, one));
    _mm512_storeu_si512(fired + fired_count, _mm512_maskz_compress_epi32(spike, index));
    fired_count += static_cast<std::uint32_t>(__builtin_popcount(spike));
    index = _mm512_add_epi32(index, sixteen);
  }
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, smallest);
  for (const float lane : lanes) smallest_margin = lane < smallest_margin ? lane : smallest_margin;
#elif defined(__AVX2__)
  // The same operations 8 neurons at a time (machines without AVX-512).
  const __m256 threshold = _mm256_set1_ps(static_cast<float>(neuron.threshold));
  const __m256 leak = _mm256_set1_ps(static_cast<float>(neuron.leak));
  const __m256 tie = _mm256_set1_ps(kNearThresholdMargin);
  const __m256i period = _mm256_set1_epi32(neuron.refractory_steps);
  const __m256i zero = _mm256_setzero_si256();
  const __m256i one = _mm256_set1_epi32(1);
  __m256 smallest = _mm256_set1_ps(smallest_margin);
  for (; j + 8 <= width; j += 8) {
    const __m256 u = _mm256_loadu_ps(membrane + j);
    const __m256 v = _mm256_add_ps(u, _mm256_loadu_ps(current + j));
    __m256 spike = _mm256_cmp_ps(v, threshold, _CMP_GE_OQ);
    __m256 active;
    __m256i left;
    if constexpr (kRefractory) {
      left = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(refractory + j));
      active = _mm256_castsi256_ps(_mm256_cmpeq_epi32(left, zero));
      spike = _mm256_and_ps(spike, active);
    }
    const __m256 above = _mm256_sub_ps(v, threshold);  // v - V_th
    const __m256 below = _mm256_sub_ps(threshold, v);  // V_th - v
    const __m256 margin = _mm256_blendv_ps(below, above, spike);
    __m256 ties = _mm256_cmp_ps(margin, tie, _CMP_LT_OQ);
    if constexpr (kRefractory) {
      ties = _mm256_and_ps(ties, active);
      smallest = _mm256_blendv_ps(smallest, _mm256_min_ps(margin, smallest), active);
    } else {
      smallest = _mm256_min_ps(margin, smallest);  // NaN margins keep `smallest`, as the scalar form
    }
    near_ties += static_cast<std::uint64_t>(__builtin_popcount(_mm256_movemask_ps(ties)));
    const __m256 updated = _mm256_mul_ps(_mm256_blendv_ps(v, above, spike), leak);
    if constexpr (kRefractory) {
      _mm256_storeu_ps(membrane + j, _mm256_blendv_ps(u, updated, active));
      const __m256i counted = _mm256_max_epi32(_mm256_sub_epi32(left, one), zero);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(refractory + j),
                          _mm256_blendv_epi8(counted, period, _mm256_castps_si256(spike)));
    } else {
      _mm256_storeu_ps(membrane + j, updated);
    }
    // All 8 lanes are stored; they fit for the same reason as above (fired_count <= j, j + 8 <= width).
    // A spiking lane's mask is all ones, i.e. -1: subtracting it counts the spike.
    const __m256i counted_spikes = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(spike_count + j));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(spike_count + j),
                        _mm256_sub_epi32(counted_spikes, _mm256_castps_si256(spike)));
    const int mask = _mm256_movemask_ps(spike);
    const __m256i lanes = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(kCompress.lanes[mask])));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(fired + fired_count), _mm256_add_epi32(lanes, _mm256_set1_epi32(j)));
    fired_count += static_cast<std::uint32_t>(__builtin_popcount(mask));
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, smallest);
  for (const float lane : lanes) smallest_margin = lane < smallest_margin ? lane : smallest_margin;
#endif
  fired_count += update_scalar<kRefractory>(neuron, current, membrane, refractory, fired + fired_count, spike_count, j,
                                            width, near_ties, smallest_margin);
  statistics.near_ties += near_ties;
  statistics.smallest_margin = smallest_margin;
  return fired_count;
}

}  // namespace

std::uint32_t update_neurons(const NeuronModel& neuron, const float* current, float* membrane, std::int32_t* refractory,
                             std::uint32_t* fired, std::uint32_t* spike_count, int width, ThresholdStatistics& statistics) {
  if (neuron.has_refractory_state())
    return update_all<true>(neuron, current, membrane, refractory, fired, spike_count, width, statistics);
  return update_all<false>(neuron, current, membrane, nullptr, fired, spike_count, width, statistics);
}

std::string NeuronModel::invalid_reason() const {
  if (!(threshold > 0.0) || !std::isfinite(threshold)) return "threshold must be a finite V_th > 0";
  if (!(leak > 0.0 && leak <= 1.0)) return "leak must lie in (0, 1]";
  if (refractory_steps < 0) return "refractory_steps must not be negative";
  return {};
}

bool NeuronModel::quiescent(const float* membrane, const std::int32_t* refractory, std::size_t count) const {
  // Branch-free OR reductions, so the compiler vectorises this pass over every membrane of the population.
  const float vth = static_cast<float>(threshold);
  int above = 0, nonzero = 0;
  for (std::size_t i = 0; i < count; ++i) {
    above |= membrane[i] >= vth;
    nonzero |= membrane[i] != 0.0f;
  }
  int counting = 0;
  if (refractory != nullptr)
    for (std::size_t i = 0; i < count; ++i) counting |= refractory[i] != 0;
  return !above && (leak == 1.0 || !nonzero) && !counting;
}

}  // namespace spikingbert::sim
