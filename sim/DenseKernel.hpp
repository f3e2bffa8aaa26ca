#pragma once
// The dense clock-driven twin: every step, every population, in update order, computes its current
// with Eigen matrix products of the 0/1 spike matrix [rows x inputs] (all tokens batched in one GEMM)
// and the weights, then the same bias/drive/identity/transforms and neuron update as the event kernel.
// It is the oracle in tests (same float32 sums as the event kernel, see sim/DepthBlocking.hpp) and the
// fair baseline in benchmarks (it is what the reference does on CPU).
#include "sim/Network.hpp"
#include "sim/RunResult.hpp"

namespace spikingbert::sim {

// options.block_steps is ignored (always step order). OperationCounts::dense_macs counts the GEMM work
// the twin did; synaptic_events are derived from the spikes it multiplied (spikes x fan-out, one per
// identity spike), so every count the event kernel reports is the same for the same network.
RunResult run_dense_kernel(const Network& network, const KernelOptions& options);

}  // namespace spikingbert::sim
