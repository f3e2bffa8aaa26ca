#include "models/GlueSimulation.hpp"

#include "io/Error.hpp"
#include "io/GlueReader.hpp"
#include "models/ModelFiles.hpp"
#include "models/RandomSpikingBert.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>

namespace spikingbert::models {

namespace {
constexpr int kRandomModelCalibrationRounds = 3;  // models/RandomSpikingBert.hpp
}  // namespace

SpikingBert make_glue_random_model(int vocab_size, int num_labels, int threads) {
  SpikingBertConfig config;
  config.vocab_size = vocab_size;
  config.hidden_size = kGlueRandomModelHidden;
  config.intermediate_size = kGlueRandomModelIntermediate;
  config.num_attention_heads = kGlueRandomModelHeads;
  config.num_hidden_layers = kGlueRandomModelLayers;
  config.max_position_embeddings = kGlueRandomModelPositions;
  config.num_labels = num_labels;
  config.t_conv = kGlueRandomModelSteps;
  return make_random_spiking_bert(config, kGlueRandomModelTargetAsr, kGlueRandomModelSeed,
                                  kRandomModelCalibrationRounds, threads);
}

std::string describe_glue_random_model() {
  char text[320];
  std::snprintf(text, sizeof text,
                "model: RANDOMLY INITIALISED, UNTRAINED (seed %u): hidden %d, intermediate %d, %d heads, %d layers, "
                "calibrated to ASR %.2f -- its accuracy is chance level",
                kGlueRandomModelSeed, kGlueRandomModelHidden, kGlueRandomModelIntermediate, kGlueRandomModelHeads,
                kGlueRandomModelLayers, kGlueRandomModelTargetAsr);
  return text;
}

SpikingBert with_threshold(const SpikingBert& model, double vth) {
  if (!(vth > 0.0) || !std::isfinite(vth))
    throw io::InputError("command line", "--vth", "threshold " + std::to_string(vth), "a finite V_th > 0");
  SpikingBertConfig config = model.config();
  config.vth = vth;
  return SpikingBert(config, model.weights());
}

int GlueSet::num_labels() const {
  const auto& info = io::glue_task_info(task);
  return info.is_regression() ? 1 : static_cast<int>(info.labels.size());
}

GlueSet load_glue_set(const SpikingBertConfig& config, const std::string& model_source, io::GlueTask task,
                      const std::filesystem::path& data, const io::BertTokenizer& tokenizer,
                      const std::string& vocabulary_source, const GlueSetOptions& options) {
  if (options.limit < 0) throw io::InputError("command line", "--limit", "must not be negative", ">= 0 (0 = all)");
  if (options.max_length < 0) throw io::InputError("command line", "--max-length", "must not be negative", ">= 1");
  return make_glue_set(config, model_source, io::read_glue_file(task, data), tokenizer, vocabulary_source, options);
}

GlueSet make_glue_set(const SpikingBertConfig& config, const std::string& model_source, io::GlueDataset dataset,
                      const io::BertTokenizer& tokenizer, const std::string& vocabulary_source,
                      const GlueSetOptions& options) {
  if (options.limit < 0) throw io::InputError("command line", "--limit", "must not be negative", ">= 0 (0 = all)");
  if (options.max_length < 0) throw io::InputError("command line", "--max-length", "must not be negative", ">= 1");
  const io::GlueTask task = dataset.task;
  GlueSet set;
  set.task = task;
  set.data = dataset.file;
  const auto& info = io::glue_task_info(task);
  if (config.num_labels != set.num_labels())
    throw io::InputError(model_source, "config 'num_labels'", std::to_string(config.num_labels) + " outputs",
                         std::to_string(set.num_labels()) + " for task " + info.name);
  // Every id the tokenizer can produce must be an embedding row (a smaller model vocabulary would
  // index out of the table): the vocabulary file must have exactly the model's vocab_size entries.
  const int vocabulary_size = static_cast<int>(tokenizer.vocabulary().size());
  if (vocabulary_size != config.vocab_size)
    throw io::InputError(vocabulary_source, "vocabulary", std::to_string(vocabulary_size) + " tokens",
                         "the model's vocab_size " + std::to_string(config.vocab_size) + " (see --vocab)");
  set.max_length = options.max_length > 0
                       ? options.max_length
                       : std::min(task == io::GlueTask::sst2 ? kSst2MaxLength : kDefaultGlueMaxLength,
                                  config.max_position_embeddings);
  if (set.max_length > config.max_position_embeddings)
    throw io::InputError("command line", "--max-length", std::to_string(set.max_length) + " tokens",
                         "at most the model's max_position_embeddings " + std::to_string(config.max_position_embeddings));
  if (options.limit > 0 && static_cast<std::size_t>(options.limit) < dataset.examples.size())
    dataset.examples.resize(static_cast<std::size_t>(options.limit));
  set.labeled = dataset.labeled;
  set.encoded = io::encode_glue_examples(tokenizer, dataset.examples, set.max_length);
  return set;
}

TokenBatch glue_batch(const GlueSet& set, int first, int count, bool trim_padding) {
  const auto& all = set.encoded;
  int longest = 1;
  for (int i = first; i < first + count; ++i) longest = std::max(longest, all.lengths[static_cast<std::size_t>(i)]);
  if (!trim_padding) longest = all.max_seq_length;
  TokenBatch batch;
  batch.batch = count;
  batch.sequence = longest;
  for (int i = first; i < first + count; ++i) {
    const auto row = all.row(i);
    for (int k = 0; k < longest; ++k) {
      batch.token_ids.push_back(all.input_ids[row + static_cast<std::size_t>(k)]);
      batch.segment_ids.push_back(all.segment_ids[row + static_cast<std::size_t>(k)]);
      batch.attention_mask.push_back(all.attention_mask[row + static_cast<std::size_t>(k)]);
    }
  }
  return batch;
}

std::vector<int> predicted_classes(std::span<const float> logits, int batch, int num_labels, bool regression) {
  std::vector<int> predicted;
  for (int b = 0; b < batch; ++b) {
    const float* row = logits.data() + static_cast<std::size_t>(b) * static_cast<std::size_t>(num_labels);
    predicted.push_back(regression ? -1 : static_cast<int>(std::max_element(row, row + num_labels) - row));
  }
  return predicted;
}

std::vector<io::MetricValue> glue_set_metrics(const GlueSet& set, std::span<const int> predictions,
                                              std::span<const double> predicted_scores) {
  if (!set.labeled || set.encoded.count == 0) return {};
  if (set.is_regression()) return io::glue_regression_metrics(predicted_scores, set.encoded.scores);
  return io::glue_metrics(set.task, predictions, set.encoded.labels);
}

SpikingBertEquilibrium<float> steady_state_map(const SpikingBert& model, const std::string& model_source) {
  return SpikingBertEquilibrium<float>(equilibrium_config(model_config_from(model.config())),
                                       weights_to_tensors(model.config(), model.weights()), model_source);
}

GlueSimulationResult simulate_glue_set(const SpikingBert& model, const std::string& model_source, const GlueSet& set,
                                       const GlueSimulationOptions& options, GlueBatchHook* hook) {
  if (options.threads < 1) throw io::InputError("command line", "--threads", "must be positive", ">= 1");
  if (options.batch < 1) throw io::InputError("command line", "--batch", "must be positive", ">= 1");
  if (options.steps < 0) throw io::InputError("command line", "--steps", "must be positive", ">= 1");
  const auto& config = model.config();
  const int num_labels = set.num_labels();
  const bool regression = set.is_regression();
  sim::KernelOptions kernel;
  kernel.steps = options.steps > 0 ? options.steps : config.t_conv;
  kernel.threads = options.threads;
  kernel.block_steps = options.block_steps;
  const auto sublayers = static_cast<std::size_t>(config.sublayer_count());

  GlueSimulationResult result;
  result.examples = set.encoded.count;
  result.steps = kernel.steps;
  result.counts.resize(sublayers);
  std::vector<double> real_token_spikes(sublayers, 0.0), real_token_neurons(sublayers, 0.0);
  std::vector<double> residual_sum(sublayers, 0.0), residual_elements(sublayers, 0.0);
  if (options.final_residual) result.final_residual_max.assign(sublayers, 0.0);
  std::optional<SpikingBertEquilibrium<float>> built_map;
  const SpikingBertEquilibrium<float>* equilibrium = nullptr;
  if (options.final_residual) {
    equilibrium = options.steady_state;
    if (!equilibrium) equilibrium = &built_map.emplace(steady_state_map(model, model_source));
  }

  const auto start = std::chrono::steady_clock::now();
  const auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  for (int first = 0; first < set.encoded.count; first += options.batch) {
    const int count = std::min(options.batch, set.encoded.count - first);
    const auto batch = glue_batch(set, first, count, options.trim_padding);
    model.validate(batch, set.data);
    kernel.observer = hook ? hook->begin_batch(batch, first, count) : nullptr;
    const auto forward = model.forward(batch, kernel, KernelKind::kEvent);
    for (std::size_t j = 0; j < sublayers; ++j) {
      const auto& spike_count = forward.spike_count(static_cast<int>(j));
      const auto width = static_cast<std::size_t>(model.sublayer_width(static_cast<int>(j)));
      for (std::size_t row = 0; row < static_cast<std::size_t>(batch.rows()); ++row) {
        if (batch.attention_mask[row] == 0) continue;
        for (std::size_t n = 0; n < width; ++n) real_token_spikes[j] += spike_count[row * width + n];
        real_token_neurons[j] += static_cast<double>(width);
      }
      result.counts[j] += forward.run.populations[static_cast<std::size_t>(forward.sublayers[j])].counts;
    }
    result.synaptic_events += forward.run.total_counts().synaptic_events;
    if (equilibrium) {
      // The steady-state map with the SNN's final rates as inputs (implicit-style evaluation, method doc
      // §4): the residual |a_j(T) - f_j(a(T))| per sub-layer at the last step (method doc §9.3).
      std::vector<std::vector<float>> final_rates;
      std::vector<const float*> given;
      for (std::size_t j = 0; j < sublayers; ++j) final_rates.push_back(forward.asr(static_cast<int>(j)));
      for (const auto& rates : final_rates) given.push_back(rates.data());
      EquilibriumActivations<float> steady;
      equilibrium->forward(batch, steady, {}, given);
      for (std::size_t j = 0; j < sublayers; ++j) {
        for (std::size_t i = 0; i < final_rates[j].size(); ++i) {
          const double difference =
              std::abs(static_cast<double>(final_rates[j][i]) - static_cast<double>(steady.rates[j][i]));
          residual_sum[j] += difference;
          result.final_residual_max[j] = std::max(result.final_residual_max[j], difference);
        }
        residual_elements[j] += static_cast<double>(final_rates[j].size());
      }
    }
    const auto predicted = predicted_classes(forward.logits, count, num_labels, regression);
    for (int b = 0; b < count; ++b) {
      if (regression) result.predicted_scores.push_back(forward.logits[static_cast<std::size_t>(b)]);
      result.predictions.push_back(predicted[static_cast<std::size_t>(b)]);
      result.simulated_tokens.push_back(batch.sequence);
    }
    if (hook) hook->end_batch(batch, forward, first, count, predicted);
    if (options.progress) options.progress(first + count, set.encoded.count, elapsed());
    if (options.stop_requested && first + count < set.encoded.count && options.stop_requested()) {
      result.stopped = true;
      result.examples = first + count;
      break;
    }
  }
  result.seconds = elapsed();

  result.mean_asr.resize(sublayers);
  for (std::size_t j = 0; j < sublayers; ++j)
    result.mean_asr[j] = real_token_neurons[j] > 0 ? real_token_spikes[j] / (real_token_neurons[j] * kernel.steps) : 0.0;
  if (options.final_residual) {
    result.final_residual_mean_abs.resize(sublayers);
    for (std::size_t j = 0; j < sublayers; ++j)
      result.final_residual_mean_abs[j] = residual_elements[j] > 0 ? residual_sum[j] / residual_elements[j] : 0.0;
  }
  if (!result.stopped) result.metrics = glue_set_metrics(set, result.predictions, result.predicted_scores);
  return result;
}

}  // namespace spikingbert::models
