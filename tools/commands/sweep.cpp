// `spikingbert sweep --model DIR|--random-model --task T --data FILE --steps 4,8,16 --vth 0.5,1,2`: the
// GLUE set simulated at every (V_th, T) setting (issue 4 item 5), one CSV row each (traces/SweepCsv.hpp):
// the task metric, mean ASR per sub-layer, synaptic events, energy and e (paper Fig. 4a/4b).
#include "commands/ShardedGlue.hpp"
#include "commands/Commands.hpp"
#include "commands/OptionChecks.hpp"
#include "commands/Progress.hpp"
#include "commands/RunEnergy.hpp"
#include "commands/SharedOptions.hpp"
#include "commands/ShippedData.hpp"

#include "io/BertTokenizer.hpp"
#include "io/Error.hpp"
#include "io/GlueTask.hpp"
#include "models/GlueSimulation.hpp"
#include "models/ModelFiles.hpp"
#include "training/Communicator.hpp"
#include "traces/SweepCsv.hpp"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>

namespace spikingbert::tools {

namespace {

struct SweepOptions {
  std::string model;
  bool random_model = false;
  std::string task, data, vocab, output, steps, vth;
  std::string energy = "fp32";
  int limit = 0, threads = 0, batch = kSimulationBatchSize, max_length = 0;  // threads: add_threads_option's default
};

std::vector<std::string> split_list(const std::string& text, const std::string& option, const std::string& expected) {
  std::vector<std::string> items;
  std::size_t begin = 0;
  while (true) {
    const auto end = text.find(',', begin);
    items.push_back(text.substr(begin, end == std::string::npos ? std::string::npos : end - begin));
    if (end == std::string::npos) break;
    begin = end + 1;
  }
  for (const auto& item : items)
    if (item.empty()) throw io::InputError("command line", option, "empty entry in '" + text + "'", expected);
  return items;
}

// "4,8,16": every entry an integer >= 1.
std::vector<int> parse_steps(const std::string& text) {
  const std::string expected = "a comma-separated list of step counts >= 1, e.g. 4,8,16,32";
  if (text.empty()) throw io::InputError("command line", "--steps", "missing", expected);
  std::vector<int> steps;
  for (const auto& item : split_list(text, "--steps", expected)) {
    int value = 0;
    const auto [end, error] = std::from_chars(item.data(), item.data() + item.size(), value);
    if (error != std::errc() || end != item.data() + item.size() || value < 1)
      throw io::InputError("command line", "--steps", "'" + item + "' is not a step count", expected);
    steps.push_back(value);
  }
  return steps;
}

// "0.5,1,2": every entry a finite number > 0.
std::vector<double> parse_thresholds(const std::string& text) {
  const std::string expected = "a comma-separated list of thresholds V_th > 0, e.g. 0.5,1,2";
  if (text.empty()) throw io::InputError("command line", "--vth", "missing", expected);
  std::vector<double> thresholds;
  for (const auto& item : split_list(text, "--vth", expected)) {
    double value = 0.0;
    const auto [end, error] = std::from_chars(item.data(), item.data() + item.size(), value);
    if (error != std::errc() || end != item.data() + item.size() || !std::isfinite(value) || !(value > 0.0))
      throw io::InputError("command line", "--vth", "'" + item + "' is not a threshold > 0", expected);
    thresholds.push_back(value);
  }
  return thresholds;
}

void run_sweep(const SweepOptions& o) {
  if (o.random_model == !o.model.empty())
    throw io::InputError("command line", "--model", o.random_model ? "given with --random-model" : "missing",
                         "either --model DIR or --random-model");
  const auto steps = parse_steps(o.steps);
  for (const auto t : steps) check_time_steps("--steps", t);
  check_outputs({o.model, o.data, o.vocab, o.energy}, {o.output});
  const auto thresholds = parse_thresholds(o.vth);
  const io::GlueTask task = io::parse_glue_task(o.task);
  const auto& info = io::glue_task_info(task);
  const auto costs = energy_costs_from_option(o.energy);
  const std::string vocabulary_file = o.vocab.empty() ? default_vocabulary_path().string() : o.vocab;
  const auto tokenizer = io::BertTokenizer::from_file(vocabulary_file);
  std::optional<models::SpikingBert> loaded;
  if (o.random_model) {
    loaded.emplace(models::make_glue_random_model(static_cast<int>(tokenizer.vocabulary().size()), info.num_labels(), o.threads));
    std::fprintf(stderr, "%s\n", models::describe_glue_random_model().c_str());
  } else {
    loaded.emplace(models::load_spiking_bert(o.model));
  }
  const std::string model_source = o.random_model ? std::string("random model") : o.model;
  const auto set = models::load_glue_set(loaded->config(), model_source, task, o.data, tokenizer, vocabulary_file,
                                         {o.limit, o.max_length});
  if (!set.labeled) throw io::InputError(o.data, "labels", "the file has no labels", "a labelled dev or train file");
  const auto names = loaded->sublayers().names();
  // With --output the rows go to the file as they come (renamed into place at the end); without, the
  // table goes to stdout at the end and everything else to stderr.
  std::optional<traces::SweepCsv> table;
  // Rank 0 writes the outputs (docs/scaling.md); the other ranks only simulate their shares.
  if (!o.output.empty() && training::world().is_root()) table.emplace(o.output, names);
  std::vector<traces::SweepRow> rows;

  const int settings = static_cast<int>(steps.size() * thresholds.size());
  const int total = settings * set.encoded.count();
  int done_before = 0;
  const auto start = std::chrono::steady_clock::now();
  std::fprintf(stderr, "sweep of %s %s: %d examples x %d settings (V_th x T)\n", info.name.c_str(), o.data.c_str(),
               set.encoded.count(), settings);
  for (const double vth : thresholds) {
    const auto model = models::with_threshold(*loaded, vth);
    for (const int t : steps) {
      models::GlueSimulationOptions simulation;
      simulation.steps = t;
      simulation.threads = o.threads;
      simulation.batch = o.batch;
      simulation.final_residual = false;
      simulation.progress = [&](int done, int, double) {
        print_progress(done_before + done, total,
                       std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      };
      const auto result = simulate_glue_set_on_ranks(model, model_source, set, simulation);
      done_before += set.encoded.count();
      const auto energy = run_energy_report(model, result.counts, result.simulated_tokens, result.steps, costs);
      traces::SweepRow row;
      row.steps = t;
      row.vth = vth;
      row.examples = result.examples;
      // The task's first GLUE metric (accuracy for SST-2 and RTE; docs/traces.md §7).
      row.accuracy = result.metrics.empty() ? 0.0 : result.metrics.front().value;
      row.mean_steps = t;
      row.synaptic_events = result.synaptic_events;
      row.energy_pj = energy.snn_energy_pj;
      row.efficiency = energy.efficiency;
      row.asr = result.mean_asr;
      if (table) table->append(row);
      rows.push_back(row);
    }
  }
  const std::string metric = info.metrics.empty() ? "metric" : info.metrics.front();
  if (table) {
    table->commit();
    std::fprintf(stderr, "%d rows (column accuracy = %s): %s\n", settings, metric.c_str(), o.output.c_str());
    return;
  }
  std::cout << traces::SweepCsv::header(names) << '\n';
  for (const auto& row : rows) std::cout << traces::SweepCsv::format_row(row) << '\n';
  std::cout << std::flush;
}

}  // namespace

void add_sweep_command(CLI::App& app) {
  auto options = std::make_shared<SweepOptions>();
  auto* command = app.add_subcommand("sweep", "Sweep T and V_th on a GLUE file: accuracy, ASR, synaptic events, energy (CSV)");
  add_student_model_option(command, options->model);
  command->add_flag("--random-model", options->random_model,
                    "A small randomly initialised, UNTRAINED model (fixed seed) instead of --model");
  add_task_option(command, options->task, "GLUE task of --data")->required();
  add_data_option(command, options->data, "Labelled GLUE TSV file")->required();
  command->add_option("--steps", options->steps, "Comma-separated time steps T, e.g. 4,8,16,32,64,100")->required();
  command->add_option("--vth", options->vth, "Comma-separated thresholds V_th, e.g. 0.5,1,2")->required();
  command->add_option("--output", options->output, "CSV file to write (docs/traces.md §7); default: stdout");
  add_vocab_option(command, options->vocab);
  add_limit_option(command, options->limit);
  add_simulation_batch_size_option(command, options->batch);
  add_max_length_option(command, options->max_length);
  add_threads_option(command, options->threads);
  add_quiet_option(command);
  command->add_option("--energy", options->energy, "Energy costs: fp32, fp16, int8 or a JSON cost file")->capture_default_str();
  command->callback([options] {
    // Without --model (and without --random-model) the shipped SST-2 student is the model, as for `run`.
    if (!options->random_model) default_to_shipped_student("sweep", options->model);
    run_sweep(*options);
  });
}

}  // namespace spikingbert::tools
