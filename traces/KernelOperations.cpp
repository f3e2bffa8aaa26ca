#include "traces/KernelOperations.hpp"

namespace spikingbert::traces {

SublayerOperations sublayer_operations(const std::string& name, const sim::OperationCounts& counts, int value_bytes) {
  const auto bytes = static_cast<std::uint64_t>(value_bytes);
  SublayerOperations operations;
  operations.name = name;
  operations.spikes = counts.spikes;
  operations.synaptic_accumulates = counts.synaptic_events + counts.selected_accumulates;
  operations.multiply_accumulates = counts.macs;
  operations.other_operations = counts.additions + counts.multiplications + counts.exponentials + counts.divisions +
                                counts.square_roots + counts.error_functions;
  operations.weight_bytes_read = counts.synaptic_events * bytes;
  operations.state_bytes_read = counts.selected_accumulates * bytes;
  return operations;
}

std::uint64_t membrane_state_bytes(std::uint64_t neuron_steps, int value_bytes) {
  return neuron_steps * static_cast<std::uint64_t>(value_bytes);
}

}  // namespace spikingbert::traces
