#pragma once
// The kernel's exact operation counters (sim::OperationCounts) as the energy model's SublayerOperations
// (docs/energy.md §2). Mapping:
//   spikes               <- spikes
//   synaptic_accumulates <- synaptic_events (one weight accumulate per (spike, target); the kernel's
//                           count, unchanged, so the report's accumulates are the kernel's)
//   multiply_accumulates <- macs
//   other_operations     <- additions + multiplications + exponentials + divisions + square_roots +
//                           error_functions (LayerNorm, GELU, softmax, scaling, residual adds). The
//                           attention's spike-selected sums (Q values picked by Key spikes, probabilities
//                           picked by Value spikes) are counted by the kernel among its `additions`, so
//                           they land here: with the presets (E_other = 0) they cost nothing; price them
//                           with a cost file's other_operation_pj.
#include "sim/OperationCounts.hpp"
#include "traces/EnergyModel.hpp"

#include <string>

namespace spikingbert::traces {

SublayerOperations sublayer_operations(const std::string& name, const sim::OperationCounts& counts);

}  // namespace spikingbert::traces
