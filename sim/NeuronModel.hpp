#pragma once
// The neuron model shared by every population, as one unit (NEST style): its parameters, its per-neuron
// state, its update (update_neurons, scalar and vector paths in sim/NeuronUpdate.cpp), its quiescence
// rule (when the event kernel may skip it) and its steady-state rate sigma(I) with sigma'(I), the T -> infinity
// firing rate under a constant current I. The kernels, the steady-state map (models/SpikingBertEquilibrium),
// the gradient modes (training/) and the residual observers (traces/) all ask this object; nothing else
// knows what a neuron does. docs/neuron-models.md derives the rates; adding a model: docs/architecture.md.
//
// Three models, chosen by the parameters (method doc §2.1 for the reference):
//   IF (the reference): leak = 1, refractory_steps = 0;  sigma(I) = clamp(I / V_th, 0, 1)      (neuron-models eq. 1)
//   LIF: 0 < leak < 1, the membrane multiplied by `leak` after the reset                 (neuron-models eq. 4)
//   absolute refractory period: refractory_steps = R > 0 steps after a spike in which the neuron neither
//   integrates its input nor leaks (its membrane is held); with IF or LIF                 (neuron-models eq. 2, 5)
#include "io/NeuronParameters.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>

namespace spikingbert::sim {

// The parameters (vth, leak, refractory_steps) are the base io::NeuronParameters: declared, read from
// config.json, validated and written back in io/NeuronParameters.hpp (io cannot see sim), so a model config
// converts to its neuron model without a field-by-field copy. Kept in double as configured; the update
// computes in float32 with their float32 values, the steady-state map in its own Scalar.
struct NeuronModel : io::NeuronParameters {

  // The reference model (IF, no refractory period): the update and the map take their original paths.
  bool is_reference() const { return leak == 1.0 && refractory_steps == 0; }
  // Whether the model keeps a refractory counter per neuron (state beyond the membrane).
  bool has_refractory_state() const { return refractory_steps > 0; }
  // Empty if the parameters are valid, else what is wrong (callers add their file and place).
  std::string invalid_reason() const {
    const auto problem = io::neuron_parameter_problem(*this);
    return problem ? problem->key + " " + problem->found + " (expected " + problem->expected + ")" : std::string();
  }

  // Quiescence: the event kernel may skip a population without input for a step iff no neuron can spike or
  // change without input: no membrane at or above V_th (NaN is not), with a leak every membrane at rest, and
  // no neuron counting down a refractory period. `refractory` may be null when the model has no such state.
  bool quiescent(const float* membrane, const std::int32_t* refractory, std::size_t count) const;

  // Steady-state rate sigma(I) and its derivative (docs/neuron-models.md). In steps of integration from rest to
  // threshold k(I) (k = V_th / I for IF, eq. 3 for LIF; at least 1 step), sigma = 1 / (k + R): the IF
  // reference is sigma = clamp(I / V_th, 0, 1) with sigma' = 1/V_th on [0, V_th] inclusive (method doc §4,
  // §5.2, as torch.clamp). Computed in Scalar (float for training, double for gradient checks).
  template <class Scalar>
  void rates(Scalar* out, const Scalar* current, std::int64_t count) const;
  // d_current[i] += sigma'(current[i]) * d_rate[i].
  template <class Scalar>
  void rates_backward(Scalar* d_current, const Scalar* d_rate, const Scalar* current, std::int64_t count) const;
  template <class Scalar>
  Scalar rate(Scalar current) const;
  template <class Scalar>
  Scalar rate_derivative(Scalar current) const;
  // sup_I sigma'(I): 1/V_th for IF with or without a refractory period (eq. 2'), unbounded for LIF (eq. 4':
  // the rate rises with infinite slope at the rheobase (1 - leak) V_th). The feedback projection's contraction
  // bound ||W_fb||_2 <= 1 / sup sigma' (docs/gradients.md) uses it.
  double largest_rate_derivative() const {
    return leak < 1.0 ? std::numeric_limits<double>::infinity() : 1.0 / vth;
  }
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

// `steps` consecutive steps of `width` neurons (method doc §2.1, in the reference order), in float32:
//   v = u + I;  s = (v >= V_th);  u = (v - V_th*s) * leak;
// with a refractory period (refractory != null: steps left per neuron) a neuron with steps left only counts
// one down (no integration, no leak, no spike) and a spike sets its count to R.
// Step s reads its input current at current + s * current_stride, writes the indices of the neurons that
// fired, ascending, to fired[s] (room for `width`) and how many to fired_counts[s]; each neuron's
// spike_count gains its spikes. With AVX-512, 16 neurons per instruction and a register compress of the
// fired indices (with AVX2 only: 8 neurons and a table of compress patterns), all steps of a neuron group in
// registers; the arithmetic is the same IEEE float32 operations in every path, so results are
// bit-identical. Threshold statistics count only the comparisons made (not those of refractory neurons).
void update_neurons(const NeuronModel& neuron, int steps, const float* current, std::size_t current_stride,
                    float* membrane, std::int32_t* refractory, std::uint32_t* const* fired, std::uint32_t* fired_counts,
                    std::uint32_t* spike_count, int width, ThresholdStatistics& statistics);

// ---- steady-state rate (docs/neuron-models.md) ----

template <class Scalar>
Scalar NeuronModel::rate(Scalar current) const {
  const Scalar threshold = static_cast<Scalar>(vth);
  if (is_reference()) return std::clamp(current / threshold, Scalar(0), Scalar(1));  // eq. 1
  const Scalar steps = static_cast<Scalar>(refractory_steps);
  const Scalar saturated = Scalar(1) / (Scalar(1) + steps);  // one spike per R + 1 steps, I >= V_th
  if (current >= threshold) return saturated;
  if (leak == 1.0) {  // eq. 2: I (1 - sigma R) = V_th sigma
    return current <= Scalar(0) ? Scalar(0) : current / (threshold + steps * current);
  }
  const Scalar rheobase = static_cast<Scalar>(1.0 - leak) * threshold;  // I/(1 - leak) = V_th: never reached below
  if (current <= rheobase) return Scalar(0);
  const Scalar k = std::log1p(-rheobase / current) / static_cast<Scalar>(std::log(leak));  // eq. 3
  return Scalar(1) / (k + steps);  // eq. 4 / 5
}

template <class Scalar>
Scalar NeuronModel::rate_derivative(Scalar current) const {
  const Scalar threshold = static_cast<Scalar>(vth);
  if (is_reference()) {
    const Scalar scaled = current / threshold;
    return scaled >= Scalar(0) && scaled <= Scalar(1) ? Scalar(1) / threshold : Scalar(0);
  }
  // The saturation kink is inclusive, as the reference's clamp (method doc §5.2).
  if (current > threshold) return Scalar(0);
  const Scalar steps = static_cast<Scalar>(refractory_steps);
  if (leak == 1.0) {  // eq. 2': V_th / (V_th + R I)^2 on [0, V_th]
    if (current < Scalar(0)) return Scalar(0);
    const Scalar denominator = threshold + steps * current;
    return threshold / (denominator * denominator);
  }
  const Scalar rheobase = static_cast<Scalar>(1.0 - leak) * threshold;
  if (current <= rheobase) return Scalar(0);
  const Scalar log_leak = static_cast<Scalar>(std::log(leak));
  const Scalar k = std::log1p(-rheobase / current) / log_leak;
  const Scalar denominator = k + steps;
  // eq. 4': -k'(I) / (k + R)^2 with k'(I) = rheobase / (I (I - rheobase) ln leak).
  return -rheobase / (current * (current - rheobase) * log_leak * denominator * denominator);
}

template <class Scalar>
void NeuronModel::rates(Scalar* out, const Scalar* current, std::int64_t count) const {
  if (is_reference()) {  // the reference's clamp, as a plain loop the compiler vectorises (method doc §4)
    const Scalar threshold = static_cast<Scalar>(vth);
    for (std::int64_t i = 0; i < count; ++i) out[i] = std::clamp(current[i] / threshold, Scalar(0), Scalar(1));
    return;
  }
  for (std::int64_t i = 0; i < count; ++i) out[i] = rate(current[i]);
}

template <class Scalar>
void NeuronModel::rates_backward(Scalar* d_current, const Scalar* d_rate, const Scalar* current,
                                 std::int64_t count) const {
  if (is_reference()) {
    const Scalar threshold = static_cast<Scalar>(vth);
    for (std::int64_t i = 0; i < count; ++i) {
      const Scalar scaled = current[i] / threshold;
      if (scaled >= Scalar(0) && scaled <= Scalar(1)) d_current[i] += d_rate[i] / threshold;
    }
    return;
  }
  for (std::int64_t i = 0; i < count; ++i) d_current[i] += rate_derivative(current[i]) * d_rate[i];
}

}  // namespace spikingbert::sim
