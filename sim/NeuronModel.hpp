#pragma once
// The integrate-and-fire neuron shared by every population (method doc §2.1; tiny README §6).
#include <cstdint>

namespace spikingbert::sim {

enum class ResetMode {
  kSubtract,  // u <- v - V_th after a spike (the reference's soft reset)
  kToZero,    // u <- 0 after a spike
};

struct NeuronModel {
  float threshold = 1.0f;  // V_th, in units of input current
  float leak = 1.0f;       // multiplies the membrane after the reset; 1 = IF, 0 < leak < 1 = LIF
  ResetMode reset = ResetMode::kSubtract;
};

// A threshold comparison closer than this is a "near tie": a different (equally valid) float32
// summation order could flip it. Kernels count them so a disagreement can be explained (tiny README §12).
inline constexpr float kNearThresholdMargin = 1e-5f;

// Statistics of the threshold comparisons of one population.
struct ThresholdStatistics {
  std::uint64_t near_ties = 0;          // comparisons with |v - V_th| < kNearThresholdMargin
  float smallest_margin = 3.0e38f;      // min |v - V_th| over all comparisons
  void merge(const ThresholdStatistics& other) {
    near_ties += other.near_ties;
    if (other.smallest_margin < smallest_margin) smallest_margin = other.smallest_margin;
  }
};

// One step of `width` neurons (method doc §2.1, in the reference order):
//   v = u + I;  s = (v >= V_th);  u = (v - V_th*s) * leak     (or u = 0 if s, for kToZero).
// Writes the indices of the neurons that fired, ascending, to `fired` (room for `width`) and returns
// how many. With AVX-512, 16 neurons per instruction and a register compress of the fired indices (with
// AVX2 only: 8 neurons and a table of compress patterns); the arithmetic is the same IEEE float32
// operations in every path, so results are bit-identical.
std::uint32_t update_neurons(const NeuronModel& neuron, const float* current, float* membrane, std::uint32_t* fired,
                             int width, ThresholdStatistics& statistics);

}  // namespace spikingbert::sim
