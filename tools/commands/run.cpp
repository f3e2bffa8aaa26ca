// `spikingbert run --model DIR --inputs FILE.h5 --output OUT.h5`: simulates a SpikingBERT on token
// inputs and writes the reference's forward outputs (tiny README §13 names) plus operation counts.
#include "commands/Commands.hpp"

#include "io/Error.hpp"
#include "io/Hdf5File.hpp"
#include "models/ModelFiles.hpp"

#include <cstdio>
#include <iostream>
#include <limits>

namespace spikingbert::tools {

namespace {

struct RunOptions {
  std::string model, inputs, output, kernel = "event";
  int steps = 0;  // 0: the config's t_conv
  int threads = 1;
  int block_steps = 16;
};

// Columns of operations/counts, in this order.
const char* const kCountColumns =
    "spikes,synaptic_events,additions,multiplications,macs,exponentials,divisions,square_roots,error_functions,dense_macs";

std::vector<std::uint64_t> count_row(const sim::OperationCounts& c) {
  return {c.spikes,         c.synaptic_events, c.additions,      c.multiplications, c.macs,
          c.exponentials,   c.divisions,       c.square_roots,   c.error_functions, c.dense_macs};
}

void run_model(const RunOptions& o) {
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
  const auto result =
      model.forward(batch, options, o.kernel == "event" ? models::KernelKind::kEvent : models::KernelKind::kDense);

  io::Hdf5Writer out(o.output);
  const auto names = models::SpikingBert::sublayer_names(model.config().num_hidden_layers);
  const int sublayers = model.config().sublayer_count();
  // Counts fit uint16 as the reference stores them when T < 65536; wider otherwise.
  const int count_bytes = options.steps <= std::numeric_limits<std::uint16_t>::max() ? 2 : 4;
  std::vector<std::uint64_t> counts_table;
  for (int j = 0; j < sublayers; ++j) {
    char suffix[16];
    std::snprintf(suffix, sizeof suffix, "%02d", j);
    const io::Shape shape{batch.batch, batch.sequence, model.sublayer_width(j)};
    out.write_tensor(std::string("forward/asr/") + suffix, io::Tensor{shape, result.asr(j)});
    const auto& counts = result.spike_count(j);
    out.write_uints(std::string("forward/spike_count/") + suffix, shape,
                    std::vector<std::uint64_t>(counts.begin(), counts.end()), count_bytes);
    const auto row = count_row(result.run.populations[static_cast<std::size_t>(result.sublayers[static_cast<std::size_t>(j)])].counts);
    counts_table.insert(counts_table.end(), row.begin(), row.end());
  }
  out.write_tensor("forward/logits", io::Tensor{{batch.batch, model.config().num_labels}, result.logits});
  out.write_uints("operations/counts", {sublayers, static_cast<std::int64_t>(counts_table.size() / sublayers)},
                  counts_table, 8);
  out.write_attribute("operations/counts", "columns", std::string(kCountColumns));
  std::string joined;
  for (const auto& name : names) joined += (joined.empty() ? "" : ",") + name;
  out.write_attribute("operations/counts", "sublayers", joined);
  out.write_attribute("/", "t_conv", static_cast<std::int64_t>(options.steps));
  out.write_attribute("/", "kernel", o.kernel);
  out.write_attribute("/", "threads", static_cast<std::int64_t>(o.threads));
  out.write_attribute("/", "simulation_seconds", result.run.simulation_seconds);
  out.commit();

  const auto total = result.run.total_counts();
  std::printf("simulated %lld x %lld tokens for T = %d steps with the %s kernel in %.3f s\n",
              static_cast<long long>(batch.batch), static_cast<long long>(batch.sequence),
              options.steps, o.kernel.c_str(), result.run.simulation_seconds);
  std::printf("spikes %llu, synaptic events %llu; wrote %s\n", static_cast<unsigned long long>(total.spikes),
              static_cast<unsigned long long>(total.synaptic_events), o.output.c_str());
}

}  // namespace

void add_run_command(CLI::App& app) {
  auto options = std::make_shared<RunOptions>();
  auto* command = app.add_subcommand("run", "Simulate a spiking model on token inputs");
  command->add_option("--model", options->model, "Model directory (config.json + model.safetensors) or checkpoint")
      ->required();
  command->add_option("--inputs", options->inputs, "HDF5 file with inputs/{token_ids,segment_ids,attention_mask}")
      ->required();
  command->add_option("--output", options->output, "HDF5 file to write (forward/asr/NN, forward/spike_count/NN, ...)")
      ->required();
  command->add_option("--steps", options->steps, "Time steps T (default: the config's t_conv)");
  command->add_option("--threads", options->threads, "Threads (results do not depend on it)")->capture_default_str();
  command->add_option("--kernel", options->kernel, "event or dense")->capture_default_str();
  command->add_option("--block", options->block_steps, "Event kernel time block in steps")->capture_default_str();
  command->callback([options] { run_model(*options); });
}

}  // namespace spikingbert::tools
