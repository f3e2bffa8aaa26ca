#pragma once
// The event-driven kernel: populations are updated when a spike packet or their own drive schedules
// them (sim/EventScheduler.hpp); projections do work only for spikes that happened (one synaptic event
// per spike and target, sim/SparseProduct.hpp); non-spiking transforms run on the step's currents.
#include "sim/Network.hpp"
#include "sim/RunResult.hpp"

namespace spikingbert::sim {

// Simulates `network` (finalized) for options.steps steps from rest (u = 0) and returns counts,
// rates and final membranes. Deterministic: bit-identical results for any options.threads and any
// options.block_steps.
RunResult run_event_kernel(const Network& network, const KernelOptions& options);

}  // namespace spikingbert::sim
