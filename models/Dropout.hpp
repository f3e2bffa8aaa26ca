#pragma once
// Inverted dropout with a counter-based generator: element i of a mask drawn with `seed` is kept when
// hash(seed, i) >= probability, and kept values are scaled by 1 / (1 - probability). The mask depends only
// on (seed, i), never on thread scheduling, so a training run is the same for any thread count.
// The mask is materialised once and used by both forward and backward.
#include <cstdint>
#include <vector>

namespace spikingbert::models {

// SplitMix64 finaliser: a bijective mix with full avalanche, the standard seed scrambler.
inline std::uint64_t mix_bits(std::uint64_t value) {
  value += 0x9E3779B97F4A7C15ULL;
  value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9ULL;
  value = (value ^ (value >> 27)) * 0x94D049BB133111EBULL;
  return value ^ (value >> 31);
}

// Derives an independent seed for one dropout site (layer, place) from a step's seed.
inline std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t site) {
  return mix_bits(seed ^ mix_bits(site + 0x632BE59BD9B4E019ULL));
}

// Uniform in [0, 1) from the top 53 bits of hash(seed, index).
inline double uniform_at(std::uint64_t seed, std::uint64_t index) {
  constexpr double kTwoToMinus53 = 1.0 / 9007199254740992.0;
  return static_cast<double>(mix_bits(seed ^ mix_bits(index)) >> 11) * kTwoToMinus53;
}

// Fills mask[0..count) with 0 (dropped) or 1/(1-probability) (kept). probability in [0, 1).
template <class Scalar>
void dropout_mask(Scalar* mask, std::int64_t count, double probability, std::uint64_t seed) {
  const Scalar keep_scale = static_cast<Scalar>(1.0 / (1.0 - probability));
  for (std::int64_t i = 0; i < count; ++i) {
    mask[i] = uniform_at(seed, static_cast<std::uint64_t>(i)) >= probability ? keep_scale : Scalar(0);
  }
}

template <class Scalar>
void dropout_forward(Scalar* out, const Scalar* in, const Scalar* mask, std::int64_t count) {
  for (std::int64_t i = 0; i < count; ++i) out[i] = in[i] * mask[i];
}

template <class Scalar>
void dropout_backward(Scalar* d_in, const Scalar* d_out, const Scalar* mask, std::int64_t count) {
  for (std::int64_t i = 0; i < count; ++i) d_in[i] += d_out[i] * mask[i];
}

}  // namespace spikingbert::models
