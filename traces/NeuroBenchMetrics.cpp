#include "traces/NeuroBenchMetrics.hpp"

#include <iomanip>
#include <ostream>

namespace spikingbert::traces {

namespace {

// Real-valued operations a transform counted (everything but spikes and synaptic/selected accumulates).
std::uint64_t real_operations(const sim::OperationCounts& c) {
  return c.additions + c.multiplications + c.macs + c.exponentials + c.divisions + c.square_roots + c.error_functions;
}

void count_zeros(const models::SharedFloats& weights, std::uint64_t& zeros, std::uint64_t& total) {
  for (const float w : *weights) zeros += w == 0.0f ? 1 : 0;
  total += weights->size();
}

}  // namespace

NeuroBenchMetrics neurobench_metrics(const models::SpikingBert& model, const std::vector<sim::OperationCounts>& counts,
                                     const std::vector<std::int64_t>& tokens_per_example, int steps,
                                     const std::vector<std::int64_t>& steps_per_example) {
  const auto& config = model.config();
  const auto& table = model.sublayers();
  const auto hidden = static_cast<double>(config.hidden_size);
  const auto labels = static_cast<double>(config.num_labels);
  NeuroBenchMetrics m;
  m.examples = static_cast<std::int64_t>(tokens_per_example.size());
  m.parameter_count = model.parameter_count();
  m.footprint_bytes = m.parameter_count * static_cast<std::int64_t>(sizeof(float));  // weights are held as float32

  // ConnectionSparsity over the Linear layers: Key, Value, Query, SelfOutput, Intermediate, Output dense
  // weights of every encoder layer and the classifier (embeddings are lookups, not Linear layers).
  std::uint64_t zeros = 0, weights = 0;
  for (const auto& sublayer : model.weights().sublayers)
    if (sublayer.linear.weight) count_zeros(sublayer.linear.weight, zeros, weights);
  count_zeros(model.weights().classifier_weight, zeros, weights);
  m.connection_sparsity = weights > 0 ? static_cast<double>(zeros) / static_cast<double>(weights) : 0.0;
  if (m.examples == 0) return m;

  // Token-steps: every simulated token's neurons are integrated at every step (method doc §2.1).
  double token_steps = 0.0;
  for (std::size_t e = 0; e < tokens_per_example.size(); ++e)
    token_steps += static_cast<double>(tokens_per_example[e]) *
                   static_cast<double>(steps_per_example.empty() ? steps : steps_per_example.at(e));
  const double samples = static_cast<double>(m.examples);
  auto spikes = [&](int sublayer) { return static_cast<double>(counts.at(static_cast<std::size_t>(sublayer)).spikes); };

  double all_spikes = 0.0, all_neuron_steps = 0.0;
  for (std::size_t j = 0; j < counts.size(); ++j) {
    const double neuron_steps = token_steps * model.sublayers().width(static_cast<int>(j));
    all_spikes += spikes(static_cast<int>(j));
    all_neuron_steps += neuron_steps;
    m.activation_sparsity_by_layer.emplace_back(table[static_cast<int>(j)].name,
                                                neuron_steps > 0 ? 1.0 - spikes(static_cast<int>(j)) / neuron_steps : 0.0);
    const auto& c = counts[j];
    m.attention_spike_accumulates += static_cast<double>(c.selected_accumulates);
    const double operations = static_cast<double>(real_operations(c));
    switch (table[static_cast<int>(j)].kind) {
      case models::SubLayerKind::embedding: m.embedding_operations += operations; break;
      case models::SubLayerKind::attention: m.softmax_operations += operations; break;
      case models::SubLayerKind::self_output:
      case models::SubLayerKind::output: m.layer_norm_operations += operations; break;
      case models::SubLayerKind::intermediate: m.gelu_operations += operations; break;
      case models::SubLayerKind::key:
      case models::SubLayerKind::value: m.key_value_bias_additions += operations; break;  // bias adds only
    }
  }
  m.activation_sparsity = all_neuron_steps > 0 ? 1.0 - all_spikes / all_neuron_steps : 0.0;
  m.membrane_updates = all_neuron_steps / samples;
  m.effective_neuron_ops = kNeuronOperationsPerUpdate * m.membrane_updates;
  m.dense_neuron_ops = kNeuronOperationsPerUpdate * all_neuron_steps / samples;

  // Synaptic operations of the Linear layers (method doc §1.3): every spike of a sub-layer's dense input
  // reaches its width targets (layer k's input spikes reach Key, Value and Query, ...). Binary inputs:
  // accumulates. Residual spikes (identity projections) are not a Linear layer: counted apart. All terms
  // are integers below 2^53, so the sums are exact in any order.
  double accumulates = 0.0, residual = 0.0, dense_per_token_step = 0.0;
  for (const auto& sublayer : table) {
    for (const auto& edge : sublayer.inputs) {
      if (edge.role == models::EdgeRole::dense) accumulates += spikes(edge.from) * sublayer.width;
      if (edge.role == models::EdgeRole::residual) residual += spikes(edge.from);
    }
    dense_per_token_step += static_cast<double>(sublayer.linear_inputs) * sublayer.width;  // 0 for the embedding
  }
  m.effective_acs = accumulates / samples;
  m.residual_accumulates = residual / samples;
  // The classifier reads real-valued ASRs once per example: multiply-accumulates, hidden x labels.
  m.effective_macs = hidden * labels;
  m.dense_synops = (token_steps * dense_per_token_step) / samples + hidden * labels;
  m.attention_spike_accumulates /= samples;
  m.softmax_operations /= samples;
  m.layer_norm_operations /= samples;
  m.gelu_operations /= samples;
  m.embedding_operations /= samples;
  m.key_value_bias_additions /= samples;
  return m;
}

nlohmann::json to_json(const NeuroBenchMetrics& m) {
  nlohmann::json by_layer = nlohmann::json::object();
  for (const auto& [name, sparsity] : m.activation_sparsity_by_layer) by_layer[name] = sparsity;
  return {{"per", "sample"},
          {"examples", m.examples},
          {"Footprint", m.footprint_bytes},
          {"ParameterCount", m.parameter_count},
          {"ConnectionSparsity", m.connection_sparsity},
          {"ActivationSparsity", m.activation_sparsity},
          {"ActivationSparsityByLayer", by_layer},
          {"SynapticOperations", {{"Effective_MACs", m.effective_macs}, {"Effective_ACs", m.effective_acs}, {"Dense", m.dense_synops}}},
          {"MembraneUpdates", m.membrane_updates},
          {"NeuronOperations", {{"Effective Neuron Ops", m.effective_neuron_ops}, {"Neuron Dense Ops", m.dense_neuron_ops}}},
          {"not_counted_by_neurobench",
           {{"attention_spike_accumulates", m.attention_spike_accumulates},
            {"residual_accumulates", m.residual_accumulates},
            {"softmax_operations", m.softmax_operations},
            {"layer_norm_operations", m.layer_norm_operations},
            {"gelu_operations", m.gelu_operations},
            {"embedding_operations", m.embedding_operations},
            {"key_value_bias_additions", m.key_value_bias_additions}}}};
}

void print_neurobench_metrics(std::ostream& out, const NeuroBenchMetrics& m) {
  const auto flags = out.flags();
  out << "NeuroBench metrics (per sample over " << m.examples << " examples; docs/energy.md §6):\n"
      << std::setprecision(6) << "  Footprint " << m.footprint_bytes << " bytes, ParameterCount " << m.parameter_count
      << ", ConnectionSparsity " << m.connection_sparsity << "\n"
      << "  ActivationSparsity " << m.activation_sparsity << ", MembraneUpdates " << m.membrane_updates << "\n"
      << "  SynapticOperations: Effective_ACs " << m.effective_acs << ", Effective_MACs " << m.effective_macs << ", Dense "
      << m.dense_synops << "\n"
      << "  NeuronOperations: Effective " << m.effective_neuron_ops << ", Dense " << m.dense_neuron_ops << "\n"
      << "  not counted by NeuroBench: attention spike accumulates " << m.attention_spike_accumulates << ", residual "
      << m.residual_accumulates << ", softmax " << m.softmax_operations << ", LayerNorm " << m.layer_norm_operations
      << ", GELU " << m.gelu_operations << "\n";
  out.flags(flags);
}

}  // namespace spikingbert::traces
