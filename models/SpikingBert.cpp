#include "models/SpikingBert.hpp"

#include "io/Error.hpp"
#include "models/GeluTransform.hpp"
#include "models/LayerNormTransform.hpp"
#include "models/SpikingAttention.hpp"
#include "sim/DenseKernel.hpp"
#include "sim/EventKernel.hpp"

#include <tbb/parallel_for.h>

namespace spikingbert::models {

namespace {
// Additive attention mask for padded keys (method doc §3: (1 - mask) * -10000).
constexpr float kMaskedKeyScore = -10000.0f;
}  // namespace

SpikingBert::SpikingBert(io::ModelConfig config, SpikingBertWeights weights)
    : config_(std::move(config)), sublayers_(config_), weights_(std::move(weights)) {
  io::validate_model_config(config_, "model config");
  if (static_cast<int>(weights_.sublayers.size()) != sublayers_.size())
    throw io::InputError("model", "weights", "have " + std::to_string(weights_.sublayers.size()) + " sub-layers",
                         std::to_string(sublayers_.size()));
  // Pack every projection once per model for the event kernel (sim/SparseProduct.hpp); sub-layers in
  // parallel (copies: the same for any thread count), as the student's network is rebuilt every training step.
  tbb::parallel_for(std::size_t{0}, weights_.sublayers.size(), [&](std::size_t s) {
    LinearWeights& linear = weights_.sublayers[s].linear;
    if (linear.weight && !linear.packed)
      linear.packed = std::make_shared<const sim::PackedWeights>(
          sim::pack_weights(linear.weight->data(), linear.inputs, linear.outputs));
  });
  if (weights_.feedback.weight && !weights_.feedback.packed)
    weights_.feedback.packed = std::make_shared<const sim::PackedWeights>(
        sim::pack_weights(weights_.feedback.weight->data(), weights_.feedback.inputs, weights_.feedback.outputs));
}

void SpikingBert::validate(const TokenBatch& batch, const std::string& source) const {
  if (batch.batch <= 0 || batch.sequence <= 0)
    throw io::InputError(source, "inputs", "empty batch", "[batch, seq] with batch, seq > 0");
  if (batch.sequence > config_.max_position_embeddings)
    throw io::InputError(source, "inputs", "sequence length " + std::to_string(batch.sequence) + " exceeds the model's",
                         "<= max_position_embeddings = " + std::to_string(config_.max_position_embeddings));
  const auto tokens = static_cast<std::size_t>(batch.batch) * static_cast<std::size_t>(batch.sequence);
  const std::pair<const char*, const std::vector<std::int64_t>*> fields[] = {
      {"inputs/input_ids", &batch.token_ids},
      {"inputs/segment_ids", &batch.segment_ids},
      {"inputs/attention_mask", &batch.attention_mask}};
  for (const auto& [name, values] : fields)
    if (values->size() != tokens)
      throw io::InputError(source, name, "has " + std::to_string(values->size()) + " values",
                           std::to_string(tokens) + " ([batch, seq])");
  for (std::size_t i = 0; i < tokens; ++i) {
    if (batch.token_ids[i] < 0 || batch.token_ids[i] >= config_.vocab_size)
      throw io::InputError(source, "inputs/input_ids[" + std::to_string(i) + "]",
                           "token id " + std::to_string(batch.token_ids[i]) + " outside the vocabulary",
                           "0 <= id < " + std::to_string(config_.vocab_size));
    if (batch.segment_ids[i] < 0 || batch.segment_ids[i] >= config_.type_vocab_size)
      throw io::InputError(source, "inputs/segment_ids[" + std::to_string(i) + "]",
                           "segment " + std::to_string(batch.segment_ids[i]) + " out of range",
                           "0 <= segment < " + std::to_string(config_.type_vocab_size));
    if (batch.attention_mask[i] != 0 && batch.attention_mask[i] != 1)
      throw io::InputError(source, "inputs/attention_mask[" + std::to_string(i) + "]",
                           "value " + std::to_string(batch.attention_mask[i]), "0 or 1");
  }
}

std::vector<float> SpikingBert::embedding_current(const TokenBatch& batch) const {
  const int hidden = config_.hidden_size;
  std::vector<float> current(static_cast<std::size_t>(batch.batch) * batch.sequence * hidden);
  sim::OperationCounts unused;
  for (int b = 0; b < batch.batch; ++b)
    for (int s = 0; s < batch.sequence; ++s) {
      const auto token = static_cast<std::size_t>(b) * batch.sequence + static_cast<std::size_t>(s);
      const float* word = weights_.word_embeddings->data() + static_cast<std::size_t>(batch.token_ids[token]) * hidden;
      // Position ids are 0..S-1 for every sequence, padding included (tiny README §4).
      const float* position = weights_.position_embeddings->data() + static_cast<std::size_t>(s) * hidden;
      const float* type = weights_.token_type_embeddings->data() + static_cast<std::size_t>(batch.segment_ids[token]) * hidden;
      float* row = current.data() + token * hidden;
      for (int j = 0; j < hidden; ++j) row[j] = word[j] + position[j] + type[j];
      const auto& norm = weights_.sublayers.front().norm;
      layer_norm_row(row, hidden, norm.gamma->data(), norm.beta->data(),
                     static_cast<float>(config_.layer_norm_eps), unused);
    }
  return current;
}

SpikingBertNetwork SpikingBert::build_network(const TokenBatch& batch) const {
  validate(batch, "inputs");
  const int rows = static_cast<int>(batch.batch * batch.sequence);
  SpikingBertNetwork built{sim::Network(rows), {}};
  auto& network = built.network;
  const sim::NeuronModel neuron = neuron_model(config_);
  const float eps = static_cast<float>(config_.layer_norm_eps);
  auto mask = std::make_shared<std::vector<float>>(static_cast<std::size_t>(rows));
  for (int r = 0; r < rows; ++r)
    (*mask)[static_cast<std::size_t>(r)] = (1.0f - static_cast<float>(batch.attention_mask[static_cast<std::size_t>(r)])) * kMaskedKeyScore;

  // One population per sub-layer, its projections as the table lists them (method doc §1.3, §3).
  const auto table_populations = sublayers_.populations();
  for (const auto& sublayer : sublayers_) {
    const auto& w = weights_.sublayers[static_cast<std::size_t>(sublayer.index)];
    sim::Population population;
    population.name = sublayer.name;
    population.width = sublayer.width;
    population.neuron = neuron;
    if (w.linear.bias) population.bias = *w.linear.bias;
    auto source = [&](EdgeRole role) {
      for (const auto& edge : sublayer.inputs)
        if (edge.role == role) return built.sublayers[static_cast<std::size_t>(edge.from)];
      throw std::logic_error("SpikingBert: sub-layer " + sublayer.name + " lacks an input");
    };
    switch (sublayer.kind) {
      case SubLayerKind::embedding:  // the constant current E (method doc §1.2)
        population.drive = embedding_current(batch);
        break;
      case SubLayerKind::attention:  // Q = W_Q s_in + b_Q is the current; the transform attends (method doc §3)
        population.transforms.push_back(std::make_shared<SpikingAttention>(
            source(EdgeRole::attention_key), source(EdgeRole::attention_value), config_.num_attention_heads,
            config_.attention_head_size(), static_cast<int>(batch.sequence), mask));
        break;
      case SubLayerKind::self_output:
      case SubLayerKind::output:
        population.transforms.push_back(std::make_shared<LayerNormTransform>(w.norm.gamma, w.norm.beta, eps));
        break;
      case SubLayerKind::intermediate:
        population.transforms.push_back(std::make_shared<GeluTransform>());
        break;
      case SubLayerKind::key:
      case SubLayerKind::value: break;
    }
    const auto id = network.add_population(std::move(population));
    if (id != table_populations[static_cast<std::size_t>(sublayer.index)])  // what traces/ rely on
      throw std::logic_error("SpikingBert: sub-layer " + sublayer.name + " is not its table population");
    built.sublayers.push_back(id);
    for (const auto& edge : sublayer.inputs) {
      const auto from = built.sublayers[static_cast<std::size_t>(edge.from)];
      if (edge.role == EdgeRole::dense)
        network.add_projection(sim::Projection::dense(from, id, w.linear.weight, edge.delay_steps, w.linear.packed));
      else if (edge.role == EdgeRole::residual)
        network.add_projection(sim::Projection::identity(from, id));
    }
  }
  // Feedback: the last Output's spikes of step t - delay into the embedding neurons' current at step t (no bias).
  if (weights_.feedback.weight) {
    const auto& feedback = sublayers_.feedback();
    network.add_projection(sim::Projection::dense(built.sublayers[static_cast<std::size_t>(feedback.from)],
                                                  built.sublayers[static_cast<std::size_t>(feedback.to)],
                                                  weights_.feedback.weight, feedback.delay_steps,
                                                  weights_.feedback.packed));
  }
  network.finalize();
  return built;
}

std::vector<float> SpikingBert::classify(const std::vector<float>& last_output_asr, int batch, int sequence) const {
  const int hidden = config_.hidden_size, labels = config_.num_labels;
  std::vector<float> logits(static_cast<std::size_t>(batch) * labels);
  for (int b = 0; b < batch; ++b) {
    const float* cls = last_output_asr.data() + static_cast<std::size_t>(b) * sequence * hidden;  // token 0
    for (int c = 0; c < labels; ++c) {
      const float* w = weights_.classifier_weight->data() + static_cast<std::size_t>(c) * hidden;
      float sum = 0.0f;
      for (int j = 0; j < hidden; ++j) sum += std::max(cls[j], 0.0f) * w[j];
      logits[static_cast<std::size_t>(b) * labels + c] = sum + (*weights_.classifier_bias)[static_cast<std::size_t>(c)];
    }
  }
  return logits;
}

ForwardResult SpikingBert::forward(const TokenBatch& batch, const sim::KernelOptions& options, KernelKind kernel) const {
  auto built = build_network(batch);
  ForwardResult result;
  result.batch = static_cast<int>(batch.batch);
  result.sequence = static_cast<int>(batch.sequence);
  result.sublayers = built.sublayers;
  result.run = kernel == KernelKind::kEvent ? sim::run_event_kernel(built.network, options)
                                            : sim::run_dense_kernel(built.network, options);
  result.steps = result.run.steps;  // fewer than options.steps when options.stop_after ended the run
  result.logits = classify(result.asr(sublayers_.last_output()), result.batch, result.sequence);
  return result;
}

std::int64_t SpikingBert::parameter_count() const {
  const std::int64_t h = config_.hidden_size, i = config_.intermediate_size;
  const std::int64_t embeddings = (config_.vocab_size + config_.max_position_embeddings + config_.type_vocab_size) * h + 2 * h;
  const std::int64_t layer = 4 * (h * h + h) + 2 * h + (h * i + i) + (i * h + h) + 2 * h;
  return embeddings + config_.num_hidden_layers * layer + config_.num_labels * (h + 1);
}

}  // namespace spikingbert::models
