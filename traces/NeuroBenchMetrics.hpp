#pragma once
// NeuroBench's static and workload metrics (NeuroBench harness, neurobench.metrics; docs/energy.md §6 maps
// each to its definition) for a SpikingBERT run, computed from the kernel's exact per-sub-layer counters,
// and, under labelled names of their own, the operations NeuroBench does not count (spike-by-spike
// attention products, residual adds, softmax, LayerNorm, GELU). Workload metrics are per sample
// (summed over the run, divided by the examples), as NeuroBench normalises them.
#include "models/SpikingBert.hpp"
#include "sim/OperationCounts.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

namespace spikingbert::traces {

struct NeuroBenchMetrics {
  std::int64_t examples = 0;  // samples the workload metrics are normalised by; 0: not computed
  // Static metrics.
  std::int64_t footprint_bytes = 0;   // Footprint: parameters x bytes per stored value (float32)
  std::int64_t parameter_count = 0;   // ParameterCount
  double connection_sparsity = 0.0;   // ConnectionSparsity: zero weights / weights of the Linear layers
  // Workload metrics, per sample.
  double activation_sparsity = 0.0;                                       // ActivationSparsity
  std::vector<std::pair<std::string, double>> activation_sparsity_by_layer;  // ActivationSparsityByLayer
  double effective_macs = 0.0;   // SynapticOperations.Effective_MACs (classifier on real-valued ASR)
  double effective_acs = 0.0;    // SynapticOperations.Effective_ACs (Linear layers driven by spikes)
  double dense_synops = 0.0;     // SynapticOperations.Dense
  double membrane_updates = 0.0;         // MembraneUpdates
  double effective_neuron_ops = 0.0;     // NeuronOperations."Effective Neuron Ops"
  double dense_neuron_ops = 0.0;         // NeuronOperations."Neuron Dense Ops"
  // Not counted by NeuroBench (no Linear module / not a spiking layer), per sample.
  double attention_spike_accumulates = 0.0;  // Q entries selected by K spikes, probabilities selected by V spikes
  double residual_accumulates = 0.0;         // identity (residual) spike adds into SelfOutput and Output
  double softmax_operations = 0.0;           // real operations in the Attention sub-layers (scores, softmax)
  double layer_norm_operations = 0.0;        // real operations in the SelfOutput and Output sub-layers
  double gelu_operations = 0.0;              // real operations in the Intermediate sub-layers
  double embedding_operations = 0.0;         // real operations in the embedding sub-layer (constant drive adds)
  double key_value_bias_additions = 0.0;     // bias additions of the Key and Value neurons
  // (the softmax, LayerNorm and GELU fields include their sub-layer's bias additions: the kernel counts them together)
};

// snnTorch's Leaky neuron with subtractive reset costs 4 operations per membrane update
// (neurobench neuron_ops_reset_operations["Leaky"]["subtract"]); an IF neuron is a Leaky with beta = 1.
inline constexpr double kNeuronOperationsPerUpdate = 4.0;

// counts[j]: sub-layer j's counters summed over the run (any kernel: spikes, selected accumulates and the
// transforms' operations are the same in both); tokens_per_example: rows simulated per example;
// steps_per_example: steps each example ran (empty: `steps` each).
NeuroBenchMetrics neurobench_metrics(const models::SpikingBert& model, const std::vector<sim::OperationCounts>& counts,
                                     const std::vector<std::int64_t>& tokens_per_example, int steps,
                                     const std::vector<std::int64_t>& steps_per_example = {});

// {"Footprint", "ParameterCount", "ConnectionSparsity", "ActivationSparsity", "ActivationSparsityByLayer",
//  "SynapticOperations": {"Effective_MACs", "Effective_ACs", "Dense"}, "MembraneUpdates",
//  "NeuronOperations": {"Effective Neuron Ops", "Neuron Dense Ops"}, "per": "sample", "examples",
//  "not_counted_by_neurobench": {...}}
nlohmann::json to_json(const NeuroBenchMetrics& metrics);
void print_neurobench_metrics(std::ostream& out, const NeuroBenchMetrics& metrics);

}  // namespace spikingbert::traces
