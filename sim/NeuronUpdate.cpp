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

// The steps of one call: step s reads current + s * stride and appends its fired indices to fired[s]
// (fired_counts[s] of them so far). Neurons are the outer loop and steps the inner one, so a neuron's
// membrane, refractory counter and spike count stay in registers for all steps of the block; each step's
// list stays ascending because neurons are visited in ascending order.
struct StepOutputs {
  int steps;
  const float* current;
  std::size_t stride;
  std::uint32_t* const* fired;
  std::uint32_t* fired_counts;
};

// Reference scalar form; also handles the tail that does not fill a vector. kRefractory: the model keeps a
// refractory counter per neuron (a template parameter, so the reference path has no extra work).
template <bool kRefractory>
void update_scalar(const NeuronModel& neuron, const StepOutputs& out, float* membrane, std::int32_t* refractory,
                   std::uint32_t* spike_count, int begin, int end, std::uint64_t& near_ties, float& smallest_margin) {
  const float threshold = static_cast<float>(neuron.vth), leak = static_cast<float>(neuron.leak);
  const std::int32_t period = neuron.refractory_steps;
  for (int j = begin; j < end; ++j) {
    float u = membrane[j];
    std::int32_t left = kRefractory ? refractory[j] : 0;
    std::uint32_t count = spike_count[j];
    for (int s = 0; s < out.steps; ++s) {
      if constexpr (kRefractory) {
        if (left > 0) {  // held: no integration, no leak, no comparison
          --left;
          continue;
        }
      }
      const float v = u + out.current[static_cast<std::size_t>(s) * out.stride + static_cast<std::size_t>(j)];
      const bool spike = v >= threshold;
      const float margin = spike ? v - threshold : threshold - v;
      near_ties += margin < kNearThresholdMargin;
      smallest_margin = margin < smallest_margin ? margin : smallest_margin;
      u = (spike ? v - threshold : v) * leak;
      if constexpr (kRefractory) left = spike ? period : 0;
      count += spike;
      out.fired[s][out.fired_counts[s]] = static_cast<std::uint32_t>(j);
      out.fired_counts[s] += spike;
    }
    membrane[j] = u;
    if constexpr (kRefractory) refractory[j] = left;
    spike_count[j] = count;
  }
}

template <bool kRefractory>
void update_all(const NeuronModel& neuron, const StepOutputs& out, float* membrane, std::int32_t* refractory,
                std::uint32_t* spike_count, int width, ThresholdStatistics& statistics) {
  std::uint64_t near_ties = 0;
  float smallest_margin = statistics.smallest_margin;
  int j = 0;
#if defined(__AVX512F__)
  const __m512 threshold = _mm512_set1_ps(static_cast<float>(neuron.vth));
  const __m512 leak = _mm512_set1_ps(static_cast<float>(neuron.leak));
  const __m512 tie = _mm512_set1_ps(kNearThresholdMargin);
  const __m512i period = _mm512_set1_epi32(neuron.refractory_steps);
  const __m512i zero = _mm512_setzero_si512();
  const __m512i one = _mm512_set1_epi32(1);
  __m512 smallest = _mm512_set1_ps(smallest_margin);
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  for (; j + 16 <= width; j += 16) {
    __m512 u = _mm512_loadu_ps(membrane + j);
    __m512i left = zero;
    if constexpr (kRefractory) left = _mm512_loadu_si512(refractory + j);
    __m512i counted_spikes = _mm512_loadu_si512(spike_count + j);
    const __m512i index = _mm512_add_epi32(lane, _mm512_set1_epi32(j));
    for (int s = 0; s < out.steps; ++s) {
      const __m512 v = _mm512_add_ps(u, _mm512_loadu_ps(out.current + static_cast<std::size_t>(s) * out.stride + j));
      __mmask16 active = 0xFFFF;
      if constexpr (kRefractory) active = _mm512_cmpeq_epi32_mask(left, zero);
      const __mmask16 spike = _mm512_mask_cmp_ps_mask(active, v, threshold, _CMP_GE_OQ);
      const __m512 above = _mm512_sub_ps(v, threshold);  // v - V_th
      const __m512 below = _mm512_sub_ps(threshold, v);  // V_th - v
      const __m512 margin = _mm512_mask_blend_ps(spike, below, above);
      near_ties += static_cast<std::uint64_t>(__builtin_popcount(_mm512_mask_cmp_ps_mask(active, margin, tie, _CMP_LT_OQ)));
      smallest = _mm512_mask_min_ps(smallest, active, margin, smallest);
      const __m512 updated = _mm512_mul_ps(_mm512_mask_blend_ps(spike, v, above), leak);
      if constexpr (kRefractory) {
        u = _mm512_mask_blend_ps(active, u, updated);
        left = _mm512_mask_blend_epi32(spike, _mm512_max_epi32(_mm512_sub_epi32(left, one), zero), period);
      } else {
        u = updated;
      }
      counted_spikes = _mm512_mask_add_epi32(counted_spikes, spike, counted_spikes, one);
      // Compress in a register, then store all 16 lanes: AMD Zen 4/5 microcode the compressing store to
      // memory (vpcompressd m512, tens of cycles), the register form is a single fast instruction. The 16
      // stored lanes fit: the step's count <= j and j + 16 <= width, the slot's capacity.
      _mm512_storeu_si512(out.fired[s] + out.fired_counts[s], _mm512_maskz_compress_epi32(spike, index));
      out.fired_counts[s] += static_cast<std::uint32_t>(__builtin_popcount(spike));
    }
    _mm512_storeu_ps(membrane + j, u);
    if constexpr (kRefractory) _mm512_storeu_si512(refractory + j, left);
    _mm512_storeu_si512(spike_count + j, counted_spikes);
  }
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, smallest);
  for (const float lane : lanes) smallest_margin = lane < smallest_margin ? lane : smallest_margin;
#elif defined(__AVX2__)
  // The same operations 8 neurons at a time (machines without AVX-512).
  const __m256 threshold = _mm256_set1_ps(static_cast<float>(neuron.vth));
  const __m256 leak = _mm256_set1_ps(static_cast<float>(neuron.leak));
  const __m256 tie = _mm256_set1_ps(kNearThresholdMargin);
  const __m256i period = _mm256_set1_epi32(neuron.refractory_steps);
  const __m256i zero = _mm256_setzero_si256();
  const __m256i one = _mm256_set1_epi32(1);
  __m256 smallest = _mm256_set1_ps(smallest_margin);
  for (; j + 8 <= width; j += 8) {
    __m256 u = _mm256_loadu_ps(membrane + j);
    __m256i left = zero;
    if constexpr (kRefractory) left = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(refractory + j));
    __m256i counted_spikes = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(spike_count + j));
    const __m256i first_index = _mm256_set1_epi32(j);
    for (int s = 0; s < out.steps; ++s) {
      const __m256 v = _mm256_add_ps(u, _mm256_loadu_ps(out.current + static_cast<std::size_t>(s) * out.stride + j));
      __m256 spike = _mm256_cmp_ps(v, threshold, _CMP_GE_OQ);
      __m256 active;
      if constexpr (kRefractory) {
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
        u = _mm256_blendv_ps(u, updated, active);
        left = _mm256_blendv_epi8(_mm256_max_epi32(_mm256_sub_epi32(left, one), zero), period, _mm256_castps_si256(spike));
      } else {
        u = updated;
      }
      // A spiking lane's mask is all ones, i.e. -1: subtracting it counts the spike.
      counted_spikes = _mm256_sub_epi32(counted_spikes, _mm256_castps_si256(spike));
      // All 8 lanes are stored; they fit for the same reason as above (the step's count <= j, j + 8 <= width).
      const int mask = _mm256_movemask_ps(spike);
      const __m256i lanes = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(kCompress.lanes[mask])));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out.fired[s] + out.fired_counts[s]),
                          _mm256_add_epi32(lanes, first_index));
      out.fired_counts[s] += static_cast<std::uint32_t>(__builtin_popcount(mask));
    }
    _mm256_storeu_ps(membrane + j, u);
    if constexpr (kRefractory) _mm256_storeu_si256(reinterpret_cast<__m256i*>(refractory + j), left);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(spike_count + j), counted_spikes);
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, smallest);
  for (const float lane : lanes) smallest_margin = lane < smallest_margin ? lane : smallest_margin;
#endif
  update_scalar<kRefractory>(neuron, out, membrane, refractory, spike_count, j, width, near_ties, smallest_margin);
  statistics.near_ties += near_ties;
  statistics.smallest_margin = smallest_margin;
}

}  // namespace

void update_neurons(const NeuronModel& neuron, int steps, const float* current, std::size_t current_stride,
                    float* membrane, std::int32_t* refractory, std::uint32_t* const* fired, std::uint32_t* fired_counts,
                    std::uint32_t* spike_count, int width, ThresholdStatistics& statistics) {
  for (int s = 0; s < steps; ++s) fired_counts[s] = 0;
  const StepOutputs out{steps, current, current_stride, fired, fired_counts};
  if (neuron.has_refractory_state())
    update_all<true>(neuron, out, membrane, refractory, spike_count, width, statistics);
  else
    update_all<false>(neuron, out, membrane, nullptr, spike_count, width, statistics);
}

bool NeuronModel::quiescent(const float* membrane, const std::int32_t* refractory, std::size_t count) const {
  // Branch-free OR reductions, so the compiler vectorises this pass over every membrane of the population.
  const float threshold = static_cast<float>(vth);
  int above = 0, nonzero = 0;
  for (std::size_t i = 0; i < count; ++i) {
    above |= membrane[i] >= threshold;
    nonzero |= membrane[i] != 0.0f;
  }
  int counting = 0;
  if (refractory != nullptr)
    for (std::size_t i = 0; i < count; ++i) counting |= refractory[i] != 0;
  return !above && (leak == 1.0 || !nonzero) && !counting;
}

}  // namespace spikingbert::sim
