#include "models/SpikingBert.hpp"

#include "io/Error.hpp"
#include "models/GeluTransform.hpp"
#include "models/LayerNormTransform.hpp"
#include "models/SpikingAttention.hpp"
#include "sim/DenseKernel.hpp"
#include "sim/EventKernel.hpp"

namespace spikingbert::models {

namespace {
// Additive attention mask for padded keys (method doc §3: (1 - mask) * -10000).
constexpr float kMaskedKeyScore = -10000.0f;
// Delay of the feedback projection, last Output -> embedding neurons: the embedding neurons are updated first
// in a step and the last Output last (method doc §2.1 order), so the earliest Output spikes they can read are
// the previous step's; the reference's (disabled) feedback adds W_fb s_last of the previous step to u_0
// (method doc §1.3). A zero-delay loop would have no update order (sim::Network::finalize).
constexpr int kFeedbackDelaySteps = 1;
}  // namespace

SpikingBert::SpikingBert(SpikingBertConfig config, SpikingBertWeights weights)
    : config_(config), weights_(std::move(weights)) {
  config_.validate("model config");
  if (static_cast<int>(weights_.layers.size()) != config_.num_hidden_layers)
    throw io::InputError("model", "weights", "have " + std::to_string(weights_.layers.size()) + " encoder layers",
                         std::to_string(config_.num_hidden_layers));
  // Pack every projection once per model for the event kernel (sim/SparseProduct.hpp).
  std::vector<LinearWeights*> linears;
  for (auto& layer : weights_.layers)
    linears.insert(linears.end(), {&layer.key, &layer.value, &layer.query, &layer.self_output, &layer.intermediate,
                                   &layer.output});
  if (weights_.feedback.weight) linears.push_back(&weights_.feedback);
  for (LinearWeights* linear : linears)
    if (!linear->packed)
      linear->packed = std::make_shared<const sim::PackedWeights>(
          sim::pack_weights(linear->weight->data(), linear->inputs, linear->outputs));
}

std::vector<std::string> SpikingBert::sublayer_names(int layers) {
  std::vector<std::string> names{"embedding"};
  for (int k = 0; k < layers; ++k)
    for (const char* part : {"key", "value", "attention", "self_output", "intermediate", "output"})
      names.push_back(std::string("L").append(std::to_string(k)).append("_").append(part));
  return names;
}

int SpikingBert::sublayer_width(int sublayer) const {
  return sublayer > 0 && sublayer % 6 == 5 ? config_.intermediate_size : config_.hidden_size;
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
      layer_norm_row(row, hidden, weights_.embedding_norm.gamma->data(), weights_.embedding_norm.beta->data(),
                     static_cast<float>(config_.layer_norm_eps), unused);
    }
  return current;
}

SpikingBertNetwork SpikingBert::build_network(const TokenBatch& batch) const {
  validate(batch, "inputs");
  const int rows = static_cast<int>(batch.batch * batch.sequence);
  SpikingBertNetwork built{sim::Network(rows), {}};
  auto& network = built.network;
  const sim::NeuronModel neuron{config_.vth, config_.leak, config_.refractory_steps};
  const auto names = sublayer_names(config_.num_hidden_layers);
  const float eps = static_cast<float>(config_.layer_norm_eps);

  auto population = [&](int sublayer, const LinearWeights* linear) {
    sim::Population p;
    p.name = names[static_cast<std::size_t>(sublayer)];
    p.width = sublayer_width(sublayer);
    p.neuron = neuron;
    if (linear) p.bias = *linear->bias;
    return p;
  };
  auto dense = [&](sim::PopulationId from, sim::PopulationId to, const LinearWeights& linear, int delay = 0) {
    network.add_projection(sim::Projection::dense(from, to, linear.weight, delay, linear.packed));
  };
  auto identity = [&](sim::PopulationId from, sim::PopulationId to) {
    network.add_projection(sim::Projection::identity(from, to));
  };

  // Sub-layer 0: embedding neurons with the constant current E (method doc §1.2).
  auto embedding = population(0, nullptr);
  embedding.drive = embedding_current(batch);
  sim::PopulationId input = network.add_population(std::move(embedding));
  built.sublayers.push_back(input);

  auto mask = std::make_shared<std::vector<float>>(static_cast<std::size_t>(rows));
  for (int r = 0; r < rows; ++r)
    (*mask)[static_cast<std::size_t>(r)] = (1.0f - static_cast<float>(batch.attention_mask[static_cast<std::size_t>(r)])) * kMaskedKeyScore;

  for (int k = 0; k < config_.num_hidden_layers; ++k) {
    const auto& w = weights_.layers[static_cast<std::size_t>(k)];
    const int base = 6 * k;
    // Key, Value: W s_in + b (method doc §1.3, i%6 = 0, 1).
    const auto key = network.add_population(population(base + 1, &w.key));
    dense(input, key, w.key);
    const auto value = network.add_population(population(base + 2, &w.value));
    dense(input, value, w.value);
    // Attention: Q = W_Q s_in + b_Q as the current, then the attention transform (method doc §3).
    auto attention_population = population(base + 3, &w.query);
    attention_population.transforms.push_back(std::make_shared<SpikingAttention>(
        key, value, config_.num_attention_heads, config_.head_size(), static_cast<int>(batch.sequence), mask));
    const auto attention = network.add_population(std::move(attention_population));
    dense(input, attention, w.query);
    // SelfOutput: LN(W s_A + b + s_in) (i%6 = 3).
    auto self_output_population = population(base + 4, &w.self_output);
    self_output_population.transforms.push_back(
        std::make_shared<LayerNormTransform>(w.self_output_norm.gamma, w.self_output_norm.beta, eps));
    const auto self_output = network.add_population(std::move(self_output_population));
    dense(attention, self_output, w.self_output);
    identity(input, self_output);
    // Intermediate: GELU(W s_SO + b) (i%6 = 4).
    auto intermediate_population = population(base + 5, &w.intermediate);
    intermediate_population.transforms.push_back(std::make_shared<GeluTransform>());
    const auto intermediate = network.add_population(std::move(intermediate_population));
    dense(self_output, intermediate, w.intermediate);
    // Output: LN(W s_I + b + s_SO) (i%6 = 5).
    auto output_population = population(base + 6, &w.output);
    output_population.transforms.push_back(
        std::make_shared<LayerNormTransform>(w.output_norm.gamma, w.output_norm.beta, eps));
    const auto output = network.add_population(std::move(output_population));
    dense(intermediate, output, w.output);
    identity(self_output, output);
    built.sublayers.insert(built.sublayers.end(), {key, value, attention, self_output, intermediate, output});
    input = output;
  }
  // Feedback: the last Output's spikes of step t - 1 into the embedding neurons' current at step t (no bias).
  if (weights_.feedback.weight) dense(input, built.sublayers[0], weights_.feedback, kFeedbackDelaySteps);
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
  result.logits = classify(result.asr(6 * config_.num_hidden_layers), result.batch, result.sequence);
  return result;
}

std::int64_t SpikingBert::parameter_count() const {
  const std::int64_t h = config_.hidden_size, i = config_.intermediate_size;
  const std::int64_t embeddings = (config_.vocab_size + config_.max_position_embeddings + config_.type_vocab_size) * h + 2 * h;
  const std::int64_t layer = 4 * (h * h + h) + 2 * h + (h * i + i) + (i * h + h) + 2 * h;
  return embeddings + config_.num_hidden_layers * layer + config_.num_labels * (h + 1);
}

}  // namespace spikingbert::models
