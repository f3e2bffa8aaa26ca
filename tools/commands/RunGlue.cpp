#include "commands/RunGlue.hpp"
#include "commands/Interrupt.hpp"

#include "commands/RunEnergy.hpp"
#include "commands/ShippedData.hpp"
#include "commands/TraceSession.hpp"
#include "io/BertTokenizer.hpp"
#include "io/Error.hpp"
#include "io/GlueEncoding.hpp"
#include "io/GlueMetrics.hpp"
#include "io/GlueReader.hpp"
#include "io/GlueTask.hpp"
#include "models/ModelFiles.hpp"
#include "models/RandomSpikingBert.hpp"
#include "models/SpikingBertEquilibrium.hpp"
#include "traces/Convergence.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>

namespace spikingbert::tools {

namespace {

// The --random-model: small enough that the SST-2 dev set runs in about a minute on 2 cores, with the
// bert-base-uncased vocabulary. Its weights are random (models/RandomSpikingBert.hpp), calibrated so
// every sub-layer fires at about kRandomModelTargetAsr (the paper's ~0.15, method doc §10 item 10).
constexpr int kRandomModelHidden = 64;
constexpr int kRandomModelIntermediate = 128;
constexpr int kRandomModelHeads = 2;
constexpr int kRandomModelLayers = 2;
constexpr int kRandomModelPositions = 128;
constexpr int kRandomModelSteps = 32;  // default T
constexpr double kRandomModelTargetAsr = 0.15;
constexpr std::uint32_t kRandomModelSeed = 20240229;

// Default tokens per example: the reference's max_seq_length for SST-2 (64) and the other tasks (128).
constexpr int kSst2MaxLength = 64;
constexpr int kDefaultMaxLength = 128;

models::SpikingBert random_model(int vocab_size, int num_labels, int threads) {
  models::SpikingBertConfig config;
  config.vocab_size = vocab_size;
  config.hidden_size = kRandomModelHidden;
  config.intermediate_size = kRandomModelIntermediate;
  config.num_attention_heads = kRandomModelHeads;
  config.num_hidden_layers = kRandomModelLayers;
  config.max_position_embeddings = kRandomModelPositions;
  config.num_labels = num_labels;
  config.t_conv = kRandomModelSteps;
  return models::make_random_spiking_bert(config, kRandomModelTargetAsr, kRandomModelSeed, 3, threads);
}

// Rows [first, first + count) of the encoded examples, cut to the longest real length among them:
// padded tokens are masked out of attention (method doc §1.3), so dropping trailing padding does not
// change the real tokens' spikes and saves simulating neurons that only pad.
models::TokenBatch slice_batch(const io::EncodedBatch& all, int first, int count, bool trim_padding) {
  int longest = 1;
  for (int i = first; i < first + count; ++i) longest = std::max(longest, all.lengths[static_cast<std::size_t>(i)]);
  if (!trim_padding) longest = all.max_seq_length;
  models::TokenBatch batch;
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

void print_progress(int done, int total, double seconds) {
  const double eta = done > 0 ? seconds / done * (total - done) : 0.0;
  std::fprintf(stderr, "\r[%d/%d examples] %.1f s elapsed, ETA %.1f s   ", done, total, seconds, eta);
  if (done == total) std::fprintf(stderr, "\n");
  std::fflush(stderr);
}

}  // namespace

void run_spiking_glue(const RunGlueOptions& o) {
  if (o.threads < 1) throw io::InputError("command line", "--threads", "must be positive", ">= 1");
  if (o.batch < 1) throw io::InputError("command line", "--batch", "must be positive", ">= 1");
  if (o.limit < 0) throw io::InputError("command line", "--limit", "must not be negative", ">= 0 (0 = all)");
  if (o.steps < 0) throw io::InputError("command line", "--steps", "must be positive", ">= 1");
  if (o.random_model == !o.model.empty())
    throw io::InputError("command line", "--model", o.random_model ? "given with --random-model" : "missing",
                         "either --model DIR or --random-model");
  const io::GlueTask task = io::parse_glue_task(o.task);
  const auto& info = io::glue_task_info(task);
  const int num_labels = info.is_regression() ? 1 : static_cast<int>(info.labels.size());
  const auto tokenizer =
      io::BertTokenizer::from_file(o.vocab.empty() ? default_vocabulary_path() : std::filesystem::path(o.vocab));
  auto dataset = io::read_glue_file(task, o.data);
  if (o.limit > 0 && static_cast<std::size_t>(o.limit) < dataset.examples.size()) dataset.examples.resize(static_cast<std::size_t>(o.limit));
  const int vocabulary_size = static_cast<int>(tokenizer.vocabulary().size());

  std::optional<models::SpikingBert> loaded;
  if (o.random_model) {
    loaded.emplace(random_model(vocabulary_size, num_labels, o.threads));
    std::printf("model: RANDOMLY INITIALISED, UNTRAINED (seed %u): hidden %d, intermediate %d, %d heads, %d layers, "
                "calibrated to ASR %.2f -- its accuracy is chance level\n",
                kRandomModelSeed, kRandomModelHidden, kRandomModelIntermediate, kRandomModelHeads, kRandomModelLayers,
                kRandomModelTargetAsr);
  } else {
    loaded.emplace(models::load_spiking_bert(o.model));
  }
  const models::SpikingBert& model = *loaded;
  const auto& config = model.config();
  const std::string model_source = o.random_model ? std::string("random model") : o.model;
  if (config.num_labels != num_labels)
    throw io::InputError(model_source, "config 'num_labels'", std::to_string(config.num_labels) + " outputs",
                         std::to_string(num_labels) + " for task " + info.name);
  // Every id the tokenizer can produce must be an embedding row (a smaller model vocabulary would
  // index out of the table): the vocabulary file must have exactly the model's vocab_size entries.
  if (vocabulary_size != config.vocab_size)
    throw io::InputError(o.vocab.empty() ? default_vocabulary_path().string() : o.vocab, "vocabulary",
                         std::to_string(vocabulary_size) + " tokens",
                         "the model's vocab_size " + std::to_string(config.vocab_size) + " (see --vocab)");
  const int max_length = o.max_length > 0 ? o.max_length
                                          : std::min(task == io::GlueTask::sst2 ? kSst2MaxLength : kDefaultMaxLength,
                                                     config.max_position_embeddings);
  if (max_length > config.max_position_embeddings)
    throw io::InputError("command line", "--max-length", std::to_string(max_length) + " tokens",
                         "at most the model's max_position_embeddings " + std::to_string(config.max_position_embeddings));
  const auto encoded = io::encode_glue_examples(tokenizer, dataset.examples, max_length);

  sim::KernelOptions kernel;
  kernel.steps = o.steps > 0 ? o.steps : config.t_conv;
  kernel.threads = o.threads;
  const int sublayers = config.sublayer_count();
  const auto names = models::SpikingBert::sublayer_names(config.num_hidden_layers);
  std::vector<double> real_token_spikes(static_cast<std::size_t>(sublayers), 0.0);
  std::vector<double> real_token_neurons(static_cast<std::size_t>(sublayers), 0.0);
  std::vector<sim::OperationCounts> counts(static_cast<std::size_t>(sublayers));
  std::vector<int> predictions;
  std::vector<double> predicted_scores;
  std::uint64_t synaptic_events = 0;

  // A trace holds [seq, width] maps of one fixed seq, so traced runs simulate every example at the
  // full --max-length; untraced runs cut each batch's trailing padding.
  const bool tracing = !o.trace.empty();
  const auto costs = energy_costs_from_option(o.energy);
  // The steady-state map with the SNN's final rates as inputs (implicit-style evaluation, method doc §4):
  // the residual |a_j(T) - f_j(a(T))| per sub-layer at the last step (method doc §9.3).
  const models::SpikingBertEquilibrium<float> equilibrium(
      models::equilibrium_config(models::model_config_from(config)), models::weights_to_tensors(config, model.weights()),
      model_source);
  std::vector<double> residual_sum(static_cast<std::size_t>(sublayers), 0.0), residual_max(static_cast<std::size_t>(sublayers), 0.0);
  std::vector<double> residual_elements(static_cast<std::size_t>(sublayers), 0.0);
  std::optional<TraceSession> trace;
  if (tracing) trace.emplace(o.trace, o.trace_level, model, model_source, info.name, kernel.steps, max_length);
  std::vector<std::int64_t> simulated_tokens;  // per example, for the dense ANN comparison

  const InterruptScope interrupts;  // Ctrl-C ends the run after the batch in progress (commands/Interrupt.hpp)
  const auto start = std::chrono::steady_clock::now();
  const auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  for (int first = 0; first < encoded.count; first += o.batch) {
    const int count = std::min(o.batch, encoded.count - first);
    const auto batch = slice_batch(encoded, first, count, !tracing);
    model.validate(batch, o.data);
    if (trace) kernel.observer = trace->begin_batch(count);
    const auto result = model.forward(batch, kernel, models::KernelKind::kEvent);
    for (int j = 0; j < sublayers; ++j) {
      const auto& spike_count = result.spike_count(j);
      const auto width = static_cast<std::size_t>(model.sublayer_width(j));
      for (std::size_t row = 0; row < static_cast<std::size_t>(batch.rows()); ++row) {
        if (batch.attention_mask[row] == 0) continue;
        for (std::size_t n = 0; n < width; ++n) real_token_spikes[static_cast<std::size_t>(j)] += spike_count[row * width + n];
        real_token_neurons[static_cast<std::size_t>(j)] += static_cast<double>(width);
      }
      counts[static_cast<std::size_t>(j)] += result.run.populations[static_cast<std::size_t>(result.sublayers[static_cast<std::size_t>(j)])].counts;
    }
    synaptic_events += result.run.total_counts().synaptic_events;
    {
      std::vector<std::vector<float>> final_rates;
      std::vector<const float*> given;
      for (int j = 0; j < sublayers; ++j) final_rates.push_back(result.asr(j));
      for (const auto& rates : final_rates) given.push_back(rates.data());
      models::EquilibriumActivations<float> steady;
      equilibrium.forward(batch, steady, {}, given);
      for (std::size_t j = 0; j < final_rates.size(); ++j) {
        const auto norms = traces::residual_norms(final_rates[j], std::span<const float>(steady.rates[j].data(), final_rates[j].size()));
        residual_sum[j] += norms.mean_abs * static_cast<double>(final_rates[j].size());
        residual_elements[j] += static_cast<double>(final_rates[j].size());
        residual_max[j] = std::max(residual_max[j], norms.max_abs);
      }
    }
    for (int b = 0; b < count; ++b) {
      const float* logits = result.logits.data() + static_cast<std::size_t>(b) * static_cast<std::size_t>(num_labels);
      if (info.is_regression()) predicted_scores.push_back(logits[0]);
      else predictions.push_back(static_cast<int>(std::max_element(logits, logits + num_labels) - logits));
      simulated_tokens.push_back(batch.sequence);
    }
    if (trace) {
      std::vector<std::int64_t> tokens, predicted, labels;
      for (int b = first; b < first + count; ++b) {
        tokens.push_back(encoded.lengths[static_cast<std::size_t>(b)]);
        predicted.push_back(info.is_regression() ? -1 : predictions[static_cast<std::size_t>(b)]);
        labels.push_back(encoded.labels[static_cast<std::size_t>(b)]);
      }
      trace->end_batch(result, first, tokens, predicted, labels);
    }
    print_progress(first + count, encoded.count, elapsed());
    if (interrupt_requested() && first + count < encoded.count) {  // Ctrl-C: keep the finished batches
      if (trace) trace->finish();
      throw Interrupted("run stopped after " + std::to_string(first + count) + " of " + std::to_string(encoded.count) +
                        " examples" + (trace && trace->writes_file() ? "; trace " + o.trace + " holds them" : ""));
    }
  }
  const double seconds = elapsed();
  if (trace) trace->finish();

  // Mean ASR over the neurons of real (unpadded) tokens: spikes / (neurons * T) (method doc §2.2).
  std::vector<double> mean_asr(static_cast<std::size_t>(sublayers));
  for (std::size_t j = 0; j < mean_asr.size(); ++j)
    mean_asr[j] = real_token_neurons[j] > 0 ? real_token_spikes[j] / (real_token_neurons[j] * kernel.steps) : 0.0;
  std::vector<io::MetricValue> metrics;
  if (dataset.labeled && encoded.count > 0) {
    if (info.is_regression()) metrics = io::glue_regression_metrics(predicted_scores, encoded.scores);
    else metrics = io::glue_metrics(task, predictions, encoded.labels);
  }

  std::printf("%s %s: %d examples, T = %d steps, %.2f s (%.1f examples/s)\n", info.name.c_str(), o.data.c_str(),
              encoded.count, kernel.steps, seconds, encoded.count / std::max(seconds, 1e-9));
  if (metrics.empty()) std::printf("no labels: no metric\n");
  for (const auto& metric : metrics) std::printf("%s %.4f\n", metric.name.c_str(), metric.value);
  std::printf("mean ASR per sub-layer (real tokens):\n");
  double asr_sum = 0.0;
  for (int j = 0; j < sublayers; ++j) {
    std::printf("  %-18s %.4f\n", names[static_cast<std::size_t>(j)].c_str(), mean_asr[static_cast<std::size_t>(j)]);
    asr_sum += mean_asr[static_cast<std::size_t>(j)];
  }
  std::printf("  %-18s %.4f\n", "mean", asr_sum / sublayers);
  std::printf("residual at the final step |a_j(T) - f_j(a(T))| (steady-state map at the SNN rates; all simulated tokens):\n");
  std::printf("  %-18s %10s %10s\n", "sub-layer", "mean abs", "max abs");
  for (int j = 0; j < sublayers; ++j) {
    const auto i = static_cast<std::size_t>(j);
    std::printf("  %-18s %10.4f %10.4f\n", names[i].c_str(), residual_elements[i] > 0 ? residual_sum[i] / residual_elements[i] : 0.0,
                residual_max[i]);
  }
  std::printf("synaptic events: %llu\n", static_cast<unsigned long long>(synaptic_events));
  if (trace && trace->writes_file()) std::printf("trace (%s level): %s\n", o.trace_level.c_str(), o.trace.c_str());
  const auto energy = run_energy_report(model, counts, simulated_tokens, kernel.steps, costs);
  print_run_energy(energy, o.energy_json);

  if (o.json) {
    nlohmann::json summary;
    summary["command"] = "run";
    summary["task"] = info.name;
    summary["data"] = o.data;
    summary["model"] = o.random_model ? nlohmann::json("random (untrained)") : nlohmann::json(o.model);
    summary["examples"] = encoded.count;
    summary["steps"] = kernel.steps;
    for (const auto& metric : metrics) summary[metric.name] = metric.value;
    if (!metrics.empty()) summary["metric"] = {{"name", metrics.front().name}, {"value", metrics.front().value}};
    nlohmann::json asr_object;
    for (int j = 0; j < sublayers; ++j) asr_object[names[static_cast<std::size_t>(j)]] = mean_asr[static_cast<std::size_t>(j)];
    summary["mean_asr"] = asr_object;
    summary["synaptic_events"] = synaptic_events;
    nlohmann::json residual_object;
    for (int j = 0; j < sublayers; ++j) {
      const auto i = static_cast<std::size_t>(j);
      residual_object[names[i]] = residual_elements[i] > 0 ? residual_sum[i] / residual_elements[i] : 0.0;
    }
    summary["final_residual_mean_abs"] = residual_object;
    summary["seconds"] = seconds;
    summary["energy_pj"] = energy.snn_energy_pj;
    summary["ann_energy_pj"] = energy.ann_energy_pj;
    summary["efficiency"] = energy.efficiency;
    std::cout << std::flush;
    std::printf("%s\n", summary.dump().c_str());
  }
}

}  // namespace spikingbert::tools
