#pragma once
// Inverted dropout with a counter-based generator: element i of a mask drawn with `seed` is kept when
// hash(seed, i) >= probability, and kept values are scaled by 1 / (1 - probability). The mask depends only
// on (seed, i), never on thread scheduling, so a training run is the same for any thread count.
// The mask is materialised once and used by both forward and backward.
#include "models/AlignedVector.hpp"

#include <algorithm>
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

// The dropout sites of an encoder, one independent mask stream each: `layer` -1 for the embedding and the
// head, else the encoder layer.
enum DropoutSite : std::uint64_t { kEmbeddingSite = 0, kAttentionSite = 1, kSelfOutputSite = 2, kOutputSite = 3,
                                   kPooledSite = 4, kSitesPerLayer = 8 };
inline std::uint64_t site_seed(std::uint64_t seed, std::int64_t layer, DropoutSite site) {
  return derive_seed(seed, static_cast<std::uint64_t>(layer + 1) * kSitesPerLayer + site);
}

// A site's mask for one pass: drawn when training with probability > 0, else left empty (dropout is the
// identity, and the passes below copy instead of multiplying).
template <class Scalar>
void draw_mask(AlignedVector<Scalar>& mask, std::int64_t count, double probability, bool training,
               std::uint64_t seed) {
  if (!training || probability <= 0.0) {
    mask.clear();
    return;
  }
  mask.resize(count);
  dropout_mask(mask.data(), count, probability, seed);
}

// out = in * mask, or a copy when the mask is empty.
template <class Scalar>
void apply_mask(Scalar* out, const Scalar* in, const AlignedVector<Scalar>& mask, std::int64_t count) {
  if (mask.empty()) std::copy(in, in + count, out);
  else dropout_forward(out, in, mask.data(), count);
}

// d_in += d_out * mask (or d_out when the mask is empty).
template <class Scalar>
void apply_mask_backward(Scalar* d_in, const Scalar* d_out, const AlignedVector<Scalar>& mask, std::int64_t count) {
  if (mask.empty()) {
    for (std::int64_t i = 0; i < count; ++i) d_in[i] += d_out[i];
  } else {
    dropout_backward(d_in, d_out, mask.data(), count);
  }
}

}  // namespace spikingbert::models
