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
#include <stdexcept>
#include <type_traits>

#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

namespace spikingbert::models {

namespace {
constexpr int kRandomModelCalibrationRounds = 3;  // models/RandomSpikingBert.hpp
}  // namespace

SpikingBert make_glue_random_model(int vocab_size, int num_labels, int threads) {
  io::ModelConfig config;
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
  io::ModelConfig config = model.config();
  config.vth = vth;
  return SpikingBert(config, model.weights());
}

int GlueSet::num_labels() const { return io::glue_task_info(task).num_labels(); }

GlueSet load_glue_set(const io::ModelConfig& config, const std::string& model_source, io::GlueTask task,
                      const std::filesystem::path& data, const io::BertTokenizer& tokenizer,
                      const std::string& vocabulary_source, const GlueSetOptions& options) {
  if (options.limit < 0) throw io::InputError("command line", "--limit", "must not be negative", ">= 0 (0 = all)");
  if (options.max_length < 0) throw io::InputError("command line", "--max-length", "must not be negative", ">= 1");
  return make_glue_set(config, model_source, io::read_glue_file(task, data), tokenizer, vocabulary_source, options);
}

GlueSet make_glue_set(const io::ModelConfig& config, const std::string& model_source, io::GlueDataset dataset,
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
                       : std::min(info.default_max_length, config.max_position_embeddings);
  if (set.max_length > config.max_position_embeddings)
    throw io::InputError("command line", "--max-length", std::to_string(set.max_length) + " tokens",
                         "at most the model's max_position_embeddings " + std::to_string(config.max_position_embeddings));
  if (options.limit > 0 && static_cast<std::size_t>(options.limit) < dataset.examples.size())
    dataset.examples.resize(static_cast<std::size_t>(options.limit));
  set.labeled = dataset.labeled;
  set.encoded = io::encode_glue_examples(tokenizer, dataset.examples, set.max_length);
  return set;
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
  if (!set.labeled || set.encoded.count() == 0) return {};
  if (set.is_regression()) return io::glue_regression_metrics(predicted_scores, set.encoded.scores);
  return io::glue_metrics(set.task, predictions, set.encoded.labels);
}

SpikingBertEquilibrium<float> steady_state_map(const SpikingBert& model, const std::string& model_source) {
  return SpikingBertEquilibrium<float>(model.config(),
                                       weights_to_tensors(model.config(), model.weights()), model_source);
}

namespace {

// What one example's simulation leaves for the set's totals (reduced on the calling thread in example
// order, so the sums do not depend on which thread simulated what).
struct ExampleOutcome {
  ForwardResult forward;
  std::vector<std::uint64_t> sublayer_spikes;       // per sub-layer
  std::vector<std::int64_t> residual_units;  // per sub-layer, when the final residual is asked (kResidualUnit)
  std::vector<double> residual_max;          // per sub-layer
};

ExampleOutcome simulate_example(const SpikingBert& model, const TokenBatch& example, const sim::KernelOptions& kernel,
                                const SpikingBertEquilibrium<float>* equilibrium) {
  ExampleOutcome outcome;
  outcome.forward = model.forward(example, kernel, KernelKind::kEvent);
  const auto& forward = outcome.forward;
  const auto sublayers = forward.sublayers.size();
  outcome.sublayer_spikes.resize(sublayers);
  for (std::size_t j = 0; j < sublayers; ++j)
    outcome.sublayer_spikes[j] = forward.run.populations[static_cast<std::size_t>(forward.sublayers[j])].counts.spikes;
  if (equilibrium) {
    // The steady-state map with the SNN's final rates as inputs (implicit-style evaluation, method doc
    // §4): the residual |a_j(T) - f_j(a(T))| per sub-layer at the last step (method doc §9.3).
    std::vector<std::vector<float>> final_rates;
    std::vector<const float*> given;
    for (std::size_t j = 0; j < sublayers; ++j) final_rates.push_back(forward.asr(static_cast<int>(j)));
    for (const auto& rates : final_rates) given.push_back(rates.data());
    EquilibriumActivations<float> steady;
    equilibrium->forward(example, steady, {}, given);
    outcome.residual_units.assign(sublayers, 0);
    outcome.residual_max.assign(sublayers, 0.0);
    for (std::size_t j = 0; j < sublayers; ++j)
      for (std::size_t i = 0; i < final_rates[j].size(); ++i) {
        const double difference = std::abs(static_cast<double>(final_rates[j][i]) - static_cast<double>(steady.rates[j][i]));
        // llround(difference / kResidualUnit) for 0 <= difference <= 1 (the quotient, scaled by a power of
        // two, is exact and below 2^53, so is its distance to the truncation): a library call per neuron less.
        const double scaled = difference / kResidualUnit;
        auto units = static_cast<std::int64_t>(scaled);
        if (scaled - static_cast<double>(units) >= 0.5) ++units;
        outcome.residual_units[j] += units;
        outcome.residual_max[j] = std::max(outcome.residual_max[j], difference);
      }
  }
  return outcome;
}

// Means from the sums (method doc §2.2: spikes / (real-token neurons x steps run); §9.3: mean
// |a_j(T) - f_j(a(T))|) and the task metric from the per-example predictions.
void summarise(GlueSimulationResult& result, const GlueSet& set) {
  const auto sublayers = result.real_token_spikes.size();
  result.mean_asr.assign(sublayers, 0.0);
  for (std::size_t j = 0; j < sublayers; ++j) {
    if (result.real_token_neuron_steps[j] > 0) result.mean_asr[j] = result.real_token_spikes[j] / result.real_token_neuron_steps[j];
  }
  result.final_residual_mean_abs.assign(result.residual_units.size(), 0.0);
  for (std::size_t j = 0; j < result.residual_units.size(); ++j) {
    if (result.residual_elements[j] > 0)
      result.final_residual_mean_abs[j] =
          static_cast<double>(result.residual_units[j]) * kResidualUnit / result.residual_elements[j];
  }
  std::int64_t total_steps = 0;
  for (const auto steps : result.example_steps) total_steps += steps;
  result.mean_steps = result.examples > 0 ? static_cast<double>(total_steps) / result.examples : 0.0;
  result.metrics.clear();
  if (!result.stopped) result.metrics = glue_set_metrics(set, result.predictions, result.predicted_scores);
}

}  // namespace

GlueSimulationResult simulate_glue_set(const SpikingBert& model, const std::string& model_source, const GlueSet& set,
                                       const GlueSimulationOptions& options, GlueExampleHook* hook) {
  if (options.threads < 1) throw io::InputError("command line", "--threads", "must be positive", ">= 1");
  if (options.batch < 1) throw io::InputError("command line", "--batch-size", "must be positive", ">= 1");
  if (options.steps < 0) throw io::InputError("command line", "--steps", "must be positive", ">= 1");
  const auto& config = model.config();
  const int num_labels = set.num_labels();
  const bool regression = set.is_regression();
  sim::KernelOptions kernel;
  kernel.steps = options.steps > 0 ? options.steps : config.t_conv;
  kernel.block_steps = options.block_steps;
  const auto sublayers = static_cast<std::size_t>(model.sublayers().size());

  GlueSimulationResult result;
  result.examples = set.encoded.count();
  result.steps = kernel.steps;
  result.counts.resize(sublayers);
  result.real_token_spikes.assign(sublayers, 0.0);
  result.real_token_neuron_steps.assign(sublayers, 0.0);
  if (options.final_residual) {
    result.final_residual_max.assign(sublayers, 0.0);
    result.residual_units.assign(sublayers, 0);
    result.residual_elements.assign(sublayers, 0.0);
  }
  std::optional<SpikingBertEquilibrium<float>> built_map;
  const SpikingBertEquilibrium<float>* equilibrium = nullptr;
  if (options.final_residual) {
    equilibrium = options.steady_state;
    if (!equilibrium) equilibrium = &built_map.emplace(steady_state_map(model, model_source));
  }

  tbb::task_arena arena(options.threads);
  const auto start = std::chrono::steady_clock::now();
  const auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  for (int first = 0; first < set.encoded.count(); first += options.batch) {
    const int count = std::min(options.batch, set.encoded.count() - first);
    std::vector<TokenBatch> examples;
    std::vector<sim::KernelOptions> kernels(static_cast<std::size_t>(count), kernel);
    for (int b = 0; b < count; ++b) {
      examples.push_back(set.encoded.real_tokens(first + b));
      model.validate(examples.back(), set.data);
    }
    for (int b = 0; b < count; ++b) {
      auto& options_b = kernels[static_cast<std::size_t>(b)];
      // One example per thread; an example alone in its round (--batch-size 1) gets every thread instead. The
      // kernel's results do not depend on its thread count.
      options_b.threads = count == 1 ? options.threads : 1;
      if (hook) {
        auto watch = hook->begin_example(examples[static_cast<std::size_t>(b)], first + b);
        options_b.observer = watch.observer;
        options_b.stop_after = std::move(watch.stop_after);
      }
    }
    std::vector<ExampleOutcome> outcomes(static_cast<std::size_t>(count));
    arena.execute([&] {
      tbb::parallel_for(
          tbb::blocked_range<int>(0, count, 1),
          [&](const tbb::blocked_range<int>& range) {
            for (int b = range.begin(); b != range.end(); ++b) {
              const auto i = static_cast<std::size_t>(b);
              outcomes[i] = simulate_example(model, examples[i], kernels[i], equilibrium);
            }
          },
          tbb::simple_partitioner());
    });
    for (int b = 0; b < count; ++b) {
      const auto i = static_cast<std::size_t>(b);
      const auto& outcome = outcomes[i];
      const auto& forward = outcome.forward;
      const auto tokens = examples[i].rows();
      for (std::size_t j = 0; j < sublayers; ++j) {
        result.counts[j] += forward.run.populations[static_cast<std::size_t>(forward.sublayers[j])].counts;
        result.real_token_spikes[j] += static_cast<double>(outcome.sublayer_spikes[j]);
        result.real_token_neuron_steps[j] += static_cast<double>(tokens) * model.sublayers().width(static_cast<int>(j)) *
                                      static_cast<double>(forward.run.steps);
        if (equilibrium) {
          result.residual_units[j] += outcome.residual_units[j];
          result.residual_elements[j] += static_cast<double>(tokens) * model.sublayers().width(static_cast<int>(j));
          result.final_residual_max[j] = std::max(result.final_residual_max[j], outcome.residual_max[j]);
        }
      }
      const auto totals = forward.run.total_counts();
      result.synaptic_events += totals.synaptic_events;
      result.example_synaptic_events.push_back(totals.synaptic_events);
      result.example_spikes.push_back(totals.spikes);
      result.example_steps.push_back(forward.run.steps);
      result.logits.insert(result.logits.end(), forward.logits.begin(), forward.logits.end());
      const int predicted = predicted_classes(forward.logits, 1, num_labels, regression).front();
      if (regression) result.predicted_scores.push_back(forward.logits.front());
      result.predictions.push_back(predicted);
      result.simulated_tokens.push_back(tokens);
      if (hook) hook->end_example(examples[i], forward, first + b, predicted);
    }
    if (options.progress) options.progress(first + count, set.encoded.count(), elapsed());
    if (options.stop_requested && first + count < set.encoded.count() && options.stop_requested()) {
      result.stopped = true;
      result.examples = first + count;
      break;
    }
  }
  result.seconds = elapsed();
  summarise(result, set);
  return result;
}

GlueSet glue_subset(const GlueSet& set, int first, int count) {
  GlueSet subset = set;
  subset.encoded = set.encoded.examples(first, count);
  return subset;
}

GlueSimulationResult merge_glue_results(const GlueSet& set, const std::vector<GlueSimulationResult>& parts) {
  if (parts.empty()) throw std::invalid_argument("merge_glue_results: no parts");
  GlueSimulationResult merged;
  merged.steps = parts.front().steps;
  const auto sublayers = parts.front().counts.size();
  const bool residual = !parts.front().residual_units.empty();
  merged.counts.resize(sublayers);
  merged.real_token_spikes.assign(sublayers, 0.0);
  merged.real_token_neuron_steps.assign(sublayers, 0.0);
  if (residual) {
    merged.residual_units.assign(sublayers, 0);
    merged.residual_elements.assign(sublayers, 0.0);
    merged.final_residual_max.assign(sublayers, 0.0);
  }
  for (const auto& part : parts) {
    merged.examples += part.examples;
    merged.stopped = merged.stopped || part.stopped;
    merged.seconds = std::max(merged.seconds, part.seconds);
    merged.synaptic_events += part.synaptic_events;
    merged.predictions.insert(merged.predictions.end(), part.predictions.begin(), part.predictions.end());
    merged.predicted_scores.insert(merged.predicted_scores.end(), part.predicted_scores.begin(), part.predicted_scores.end());
    merged.simulated_tokens.insert(merged.simulated_tokens.end(), part.simulated_tokens.begin(), part.simulated_tokens.end());
    merged.logits.insert(merged.logits.end(), part.logits.begin(), part.logits.end());
    merged.example_steps.insert(merged.example_steps.end(), part.example_steps.begin(), part.example_steps.end());
    merged.example_synaptic_events.insert(merged.example_synaptic_events.end(), part.example_synaptic_events.begin(),
                                          part.example_synaptic_events.end());
    merged.example_spikes.insert(merged.example_spikes.end(), part.example_spikes.begin(), part.example_spikes.end());
    for (std::size_t j = 0; j < sublayers; ++j) {
      merged.counts[j] += part.counts[j];
      merged.real_token_spikes[j] += part.real_token_spikes[j];
      merged.real_token_neuron_steps[j] += part.real_token_neuron_steps[j];
      if (residual) {
        merged.residual_units[j] += part.residual_units[j];
        merged.residual_elements[j] += part.residual_elements[j];
        merged.final_residual_max[j] = std::max(merged.final_residual_max[j], part.final_residual_max[j]);
      }
    }
  }
  summarise(merged, set);
  return merged;
}

}  // namespace spikingbert::models
