// `spikingbert run --model DIR --inputs FILE.h5 --output OUT.h5`: simulates a SpikingBERT on token
// inputs and writes the reference's forward outputs (tiny README §13 names) plus operation counts.
#include "commands/Commands.hpp"
#include "commands/OptionChecks.hpp"
#include "commands/SharedOptions.hpp"
#include "commands/ShippedData.hpp"
#include "commands/RunEnergy.hpp"
#include "commands/RunGlue.hpp"
#include "commands/RunMetadata.hpp"
#include "commands/TraceSession.hpp"

#include "training/Communicator.hpp"
#include "io/Error.hpp"
#include "io/GlueTask.hpp"
#include "io/Hdf5File.hpp"
#include "models/GlueSimulation.hpp"
#include "models/ModelFiles.hpp"
#include "models/PaddedBatchForward.hpp"

#include <cstdio>
#include <iostream>
#include <algorithm>
#include <limits>
#include <optional>

namespace spikingbert::tools {

namespace {

// Hands each example of `run --inputs` to the trace session, as `run --task` does (commands/RunGlue.cpp).
class ExampleTraceHook final : public models::GlueExampleHook {
 public:
  explicit ExampleTraceHook(TraceSession& trace) : trace_(trace) {}
  models::GlueExampleWatch begin_example(const models::TokenBatch& example, int index) override {
    return {trace_.begin_batch(example, index), {}};
  }
  void end_example(const models::TokenBatch& example, const models::ForwardResult& result, int index, int predicted) override {
    trace_.end_batch(example, result, index, {predicted}, {-1});
  }

 private:
  TraceSession& trace_;
};

struct RunOptions {
  std::string model, inputs, output, kernel = "event";
  int steps = 0;  // 0: the config's t_conv
  int threads = 1;
  int block_steps = 16;
  std::string trace, trace_level = "summary", energy = "fp32", energy_json;
};

// Columns of operations/counts, in this order.
const char* const kCountColumns =
    "spikes,synaptic_events,additions,multiplications,macs,exponentials,divisions,square_roots,error_functions,dense_macs,selected_accumulates";

std::vector<std::uint64_t> count_row(const sim::OperationCounts& c) {
  return {c.spikes,         c.synaptic_events, c.additions,      c.multiplications, c.macs,
          c.exponentials,   c.divisions,       c.square_roots,   c.error_functions, c.dense_macs,
          c.selected_accumulates};
}

void run_model(const RunOptions& o) {
  if (!training::world().is_root()) return;  // one HDF5 batch, not sharded: rank 0 runs it (docs/scaling.md)
  if (o.kernel != "event" && o.kernel != "dense")
    throw io::InputError("command line", "--kernel", "unknown kernel '" + o.kernel + "'", "event or dense");
  if (o.threads < 1) throw io::InputError("command line", "--threads", "must be positive", ">= 1");
  if (o.block_steps < 1) throw io::InputError("command line", "--block", "must be positive", ">= 1");
  const auto model = models::load_spiking_bert(o.model);
  const auto batch = models::read_token_batch(o.inputs);
  model.validate(batch, o.inputs);
  sim::KernelOptions options;
  options.steps = o.steps > 0 ? o.steps : model.config().t_conv;
  if (o.steps < 0) throw io::InputError("command line", "--steps", "must be positive", ">= 1");
  options.threads = o.threads;
  options.block_steps = o.block_steps;
  const auto costs = energy_costs_from_option(o.energy);
  std::optional<TraceSession> trace;
  // A trace records every step's convergence residual (docs/traces.md /summary): the steady-state map is
  // evaluated at each step's rates, which needs the kernel's calls in step order.
  std::optional<models::SpikingBertEquilibrium<float>> steady_state;
  std::optional<ExampleTraceHook> hook;
  if (!o.trace.empty()) {
    steady_state.emplace(models::steady_state_map(model, o.model));
    trace.emplace(o.trace, o.trace_level, model, o.model, "", options.steps, &*steady_state,
                  traces::kDefaultConvergenceTolerance, static_cast<int>(batch.batch));
    hook.emplace(*trace);
    if (trace->needs_step_order()) options.block_steps = 1;
  }
  // Every example alone at its real length: no neuron for a padded position (docs/formats.md).
  const auto result = models::forward_real_tokens(model, batch, options,
                                                  o.kernel == "event" ? models::KernelKind::kEvent : models::KernelKind::kDense,
                                                  o.inputs, hook ? &*hook : nullptr);
  if (trace) trace->finish();
  const auto real_tokens = models::real_lengths(batch, o.inputs);

  io::Hdf5Writer out(o.output);
  const auto names = model.sublayers().names();
  const int sublayers = model.sublayers().size();
  // Counts fit uint16 as the reference stores them when T < 65536; wider otherwise.
  const int count_bytes = options.steps <= std::numeric_limits<std::uint16_t>::max() ? 2 : 4;
  std::vector<std::uint64_t> counts_table;
  for (int j = 0; j < sublayers; ++j) {
    // Self-describing (docs/formats.md): datasets are named after their sub-layer, with axes, units and
    // the position in simulation order (the reference's case.h5 numbers them 00..12 in that order).
    const auto& name = names[static_cast<std::size_t>(j)];
    const io::Shape shape{batch.batch, batch.sequence, model.sublayers().width(j)};
    out.write_tensor("forward/asr/" + name, io::Tensor{shape, models::asr_nan_at_padding(result, batch, j, model.sublayers().width(j))});
    const auto& counts = result.spike_count(j);
    out.write_uints("forward/spike_count/" + name, shape, std::vector<std::uint64_t>(counts.begin(), counts.end()),
                    count_bytes);
    for (const auto* kind : {"forward/asr/", "forward/spike_count/"}) {
      const std::string path = std::string(kind) + name;
      out.write_attribute(path, "sublayer_index", static_cast<std::int64_t>(j));
      out.write_attribute(path, "axes", std::string("example, token, neuron"));
    }
    out.write_attribute("forward/asr/" + name, "units",
                        std::string("spikes per step (count x float32(1/T)); NaN at padded positions (no neuron)"));
    out.write_attribute("forward/asr/" + name, "description", std::string("final ASR of every neuron (method doc section 2.2)"));
    out.write_attribute("forward/spike_count/" + name, "units",
                        std::string("spikes in T steps; 0 at padded positions (no neuron)"));
    const auto row = count_row(result.run.populations[static_cast<std::size_t>(result.sublayers[static_cast<std::size_t>(j)])].counts);
    counts_table.insert(counts_table.end(), row.begin(), row.end());
  }
  out.write_tensor("forward/logits", io::Tensor{{batch.batch, model.config().num_labels}, result.logits});
  out.write_uints("operations/counts", {sublayers, static_cast<std::int64_t>(counts_table.size() / sublayers)},
                  counts_table, 8);
  out.write_attribute("operations/counts", "columns", std::string(kCountColumns));
  out.write_strings("operations/sublayers", names);  // the row labels of operations/counts
  out.write_attribute("operations/sublayers", "description", std::string("row labels of operations/counts"));
  out.write_attribute("/", "t_conv", static_cast<std::int64_t>(options.steps));
  out.write_attribute("/", "kernel", o.kernel);
  out.write_attribute("/", "threads", static_cast<std::int64_t>(o.threads));
  out.write_attribute("/", "simulation_seconds", result.run.simulation_seconds);
  out.write_attribute("/", "batch", static_cast<std::int64_t>(batch.batch));
  out.write_attribute("/", "sublayers", names);  // simulation order
  out.write_attribute("forward/logits", "axes", std::string("example, label"));
  out.write_attribute("forward/logits", "description",
                      std::string("ReLU(final Output ASR at token 0) W_c^T + b_c (method doc section 1.4)"));
  out.write_attribute("operations/counts", "axes", std::string("sublayer, counter"));
  out.write_attribute("operations/counts", "units", std::string("operations summed over the run (docs/energy.md)"));
  write_provenance(out);
  write_energy_costs(out, costs);
  out.commit();

  const auto total = result.run.total_counts();
  std::int64_t simulated_tokens = 0;
  for (const auto tokens : real_tokens) simulated_tokens += tokens;
  std::printf("simulated %lld examples (%lld real tokens, padding not simulated) for T = %d steps with the %s kernel in %.3f s\n",
              static_cast<long long>(batch.batch), static_cast<long long>(simulated_tokens), options.steps,
              o.kernel.c_str(), result.run.simulation_seconds);
  std::printf("spikes %llu, synaptic events %llu; wrote %s\n", static_cast<unsigned long long>(total.spikes),
              static_cast<unsigned long long>(total.synaptic_events), o.output.c_str());
  if (!o.trace.empty()) std::printf("trace (%s level): %s\n", o.trace_level.c_str(), o.trace.c_str());
  std::vector<sim::OperationCounts> sublayer_counts;
  for (int j = 0; j < sublayers; ++j)
    sublayer_counts.push_back(result.run.populations[static_cast<std::size_t>(result.sublayers[static_cast<std::size_t>(j)])].counts);
  std::fflush(stdout);
  print_run_energy(run_energy_report(model, sublayer_counts, real_tokens, options.steps, costs),
                   o.energy_json);
}

}  // namespace

void add_run_command(CLI::App& app) {
  auto options = std::make_shared<RunOptions>();
  auto glue = std::make_shared<RunGlueOptions>();
  auto* command = app.add_subcommand("run", "Simulate a spiking model on token inputs or on a GLUE file");
  add_student_model_option(command, options->model);
  command->add_flag("--random-model", glue->random_model,
                    "With --task: a small randomly initialised, UNTRAINED model (fixed seed) instead of --model");
  command->add_option("--inputs", options->inputs, "HDF5 file with inputs/{input_ids,segment_ids,attention_mask} (docs/formats.md; tokenize --output FILE.h5 makes one)");
  command->add_option("--output", options->output, "HDF5 file to write (forward/asr/<sub-layer>, forward/spike_count/<sub-layer>, ...)")
      ->check(output_file_in_existing_folder());
  add_task_option(command, glue->task, "GLUE task of --data");
  add_data_option(command, glue->data, "GLUE TSV file to simulate (labels give the task metric)");
  add_vocab_option(command, glue->vocab);
  add_limit_option(command, glue->limit);
  add_simulation_batch_size_option(command, glue->batch);
  command->add_option("--predictions", glue->predictions,
                      "With --task: write one CSV row per example (index, label, prediction, steps, events, spikes, logits)")
      ->check(output_file_in_existing_folder());
  add_max_length_option(command, glue->max_length);
  add_json_option(command, glue->json);
  add_config_steps_option(command, options->steps);
  add_threads_option(command, options->threads);
  add_quiet_option(command);
  command->add_option("--kernel", options->kernel, "event or dense (with --inputs)")->capture_default_str();
  command->add_option("--block", options->block_steps, "Event kernel time block in steps")->capture_default_str();
  command->add_option("--trace", options->trace, "Write an HDF5 trace (docs/traces.md)")->check(output_file_in_existing_folder());
  command->add_option("--trace-level", options->trace_level, "summary, neurons or spikes")->capture_default_str();
  command->add_option("--energy", options->energy, "Energy costs: fp32, fp16, int8 or a JSON cost file")->capture_default_str();
  command->add_option("--energy-json", options->energy_json, "Write the energy report as JSON")
      ->check(output_file_in_existing_folder());
  auto* converge_tol = command->add_option("--converge-tol", glue->converge_tol,
                                           "With --task: residual tolerance of the convergence report (default 0.01) "
                                           "and of --steps-max's stopping rule");
  auto* steps_max = command->add_option("--steps-max", glue->steps_max,
                                        "With --task: adaptive steps, each example stops when stable (at most T_max)");
  auto* stable_steps = command->add_option("--stable-steps", glue->stable_steps,
                                           "With --steps-max: steps k the label and residual must stay stable (default 5)");
  command->callback([options, glue, converge_tol, steps_max, stable_steps] {
    glue->converge_tol_given = converge_tol->count() > 0;
    glue->steps_max_given = steps_max->count() > 0;
    glue->stable_steps_given = stable_steps->count() > 0;
    // Without --model (and without --random-model) the shipped SST-2 student is the model (issue 6 item 3).
    if (!glue->random_model) default_to_shipped_student("run", options->model);
    // Before any work: every output writable, none of them an input (a model, the data, a cost file).
    check_outputs({options->model, options->inputs, glue->data, options->energy},
                  {options->output, options->trace, options->energy_json});
    if (!glue->task.empty() || !glue->data.empty()) {
      if (glue->task.empty() || glue->data.empty())
        throw io::InputError("command line", glue->task.empty() ? "--task" : "--data", "missing",
                             "both --task and --data to simulate a GLUE file");
      if (!options->inputs.empty() || !options->output.empty())
        throw io::InputError("command line", "--inputs", "given with --task", "either --inputs/--output or --task/--data");
      glue->model = options->model;
      glue->steps = options->steps;
      glue->threads = options->threads;
      glue->trace = options->trace;
      glue->trace_level = options->trace_level;
      glue->energy = options->energy;
      glue->energy_json = options->energy_json;
      run_spiking_glue(*glue);
      return;
    }
    if (glue->random_model)
      throw io::InputError("command line", "--random-model", "given without --task", "--task T --data FILE");
    for (const auto* option : {converge_tol, steps_max, stable_steps})
      if (option->count() > 0)
        throw io::InputError("command line", option->get_name(), "given without --task", "--task T --data FILE");
    if (options->model.empty()) throw io::InputError("command line", "--model", "missing", "--model DIR");
    if (options->inputs.empty() || options->output.empty())
      throw io::InputError("command line", options->inputs.empty() ? "--inputs" : "--output", "missing",
                           "--inputs FILE.h5 --output OUT.h5, or --task T --data FILE");
    run_model(*options);
  });
}

}  // namespace spikingbert::tools
