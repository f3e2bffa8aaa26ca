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
#include "sim/OperationCounts.hpp"
#include "traces/EnergyModel.hpp"

#include <string>

namespace spikingbert::traces {

SublayerOperations sublayer_operations(const std::string& name, const sim::OperationCounts& counts);

}  // namespace spikingbert::traces
