#pragma once
// Exact operation counts of a simulation, counted by the kernel from the work it actually did
// (never estimated afterwards). Synaptic events are the accumulate operations of spike-driven
// projections: one per (spike, target neuron), so they equal sum(spikes) x fan-out (simulator
// anchors §7, "SynOps"). The other fields count the real-valued work of the non-spiking transforms
// (LayerNorm, GELU, attention) so an energy model can price them separately (method doc §8).
#include <cstdint>

namespace spikingbert::sim {

struct OperationCounts {
  std::uint64_t spikes = 0;            // neurons that fired
  std::uint64_t synaptic_events = 0;   // accumulates of a weight row into a target current (dense + identity)
  std::uint64_t selected_accumulates = 0;  // accumulates of a real value selected by a spike inside a transform
                                           // (attention: a Q entry per Key spike, a probability per Value spike)
  std::uint64_t additions = 0;         // other real additions/subtractions inside transforms
  std::uint64_t multiplications = 0;   // real multiplications inside transforms
  std::uint64_t macs = 0;              // real multiply-accumulates inside transforms
  std::uint64_t exponentials = 0;      // exp (softmax)
  std::uint64_t divisions = 0;         // divisions
  std::uint64_t square_roots = 0;      // sqrt (LayerNorm)
  std::uint64_t error_functions = 0;   // erf (GELU)
  std::uint64_t dense_macs = 0;        // dense twin only: multiply-accumulates of its per-step GEMMs

  OperationCounts& operator+=(const OperationCounts& other) {
    spikes += other.spikes;
    synaptic_events += other.synaptic_events;
    selected_accumulates += other.selected_accumulates;
    additions += other.additions;
    multiplications += other.multiplications;
    macs += other.macs;
    exponentials += other.exponentials;
    divisions += other.divisions;
    square_roots += other.square_roots;
    error_functions += other.error_functions;
    dense_macs += other.dense_macs;
    return *this;
  }
  bool operator==(const OperationCounts&) const = default;
};

}  // namespace spikingbert::sim
