#include "traces/KernelOperations.hpp"

namespace spikingbert::traces {

SublayerOperations sublayer_operations(const std::string& name, const sim::OperationCounts& counts) {
  SublayerOperations operations;
  operations.name = name;
  operations.spikes = counts.spikes;
  operations.synaptic_accumulates = counts.synaptic_events + counts.selected_accumulates;
  operations.multiply_accumulates = counts.macs;
  operations.other_operations = counts.additions + counts.multiplications + counts.exponentials + counts.divisions +
                                counts.square_roots + counts.error_functions;
  return operations;
}

}  // namespace spikingbert::traces
