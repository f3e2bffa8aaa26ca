#pragma once
// The kernel's exact operation counters (sim::OperationCounts) as the energy model's SublayerOperations
// (docs/energy.md §2). Mapping:
//   spikes               <- spikes
//   synaptic_accumulates <- synaptic_events + selected_accumulates: every addition a binary spike
//                           triggers. synaptic_events: one weight accumulate per (spike, target) of a
//                           projection. selected_accumulates: the attention's spike-selected sums, a real
//                           Query entry added per Key spike (Q·K_spikesᵀ) and a real probability added per
//                           Value spike (P·V_spikes); the other operand is binary, so these are
//                           accumulates, not multiply-accumulates (docs/energy.md §2). Both are the
//                           kernel's counts, unchanged.
//   multiply_accumulates <- macs
//   other_operations     <- additions + multiplications + exponentials + divisions + square_roots +
//                           error_functions (LayerNorm, GELU, softmax, scaling, residual adds).
//   weight_bytes_read    <- synaptic_events x value_bytes: each projection accumulate reads one weight.
//   state_bytes_read     <- selected_accumulates x value_bytes: each spike-selected sum reads one real
//                           value (a Q entry or a probability). The membrane potentials every neuron
//                           reads each step are not in the counters; add them with membrane_state_bytes.
#include "sim/OperationCounts.hpp"
#include "traces/EnergyModel.hpp"

#include <string>

namespace spikingbert::traces {

SublayerOperations sublayer_operations(const std::string& name, const sim::OperationCounts& counts, int value_bytes);

// Bytes of membrane state read by `neuron_steps` neuron updates (one potential per neuron per step,
// method doc §2.1): neuron_steps x value_bytes.
std::uint64_t membrane_state_bytes(std::uint64_t neuron_steps, int value_bytes);

}  // namespace spikingbert::traces
