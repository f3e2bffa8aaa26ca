// `spikingbert inspect --model DIR [--dot FILE]`: populations, sizes, parameters and the graph; for a

#include "commands/SharedOptions.hpp"
// checkpoint, also the chain of stages that made it (commands/Provenance.hpp). A BERT teacher or a
// general-distillation student (no task head) is shown by its config and provenance only.
#include "commands/Commands.hpp"
#include "commands/Provenance.hpp"

#include "io/AtomicFile.hpp"
#include "io/Error.hpp"
#include "models/ModelFiles.hpp"
#include "models/StudentInit.hpp"

#include <cstdio>
#include <fstream>
#include <iostream>

namespace spikingbert::tools {

namespace {

void print_provenance_of(const std::string& model_path) {
  const auto record = read_provenance(model_path);
  std::cout << "\nprovenance (newest stage first):\n";
  if (record.is_null()) {
    std::cout << "  none recorded (a Hugging Face folder, or a checkpoint written before provenance existed)\n";
  } else {
    print_provenance(std::cout, record, 1);
  }
  std::cout << std::flush;
}

void inspect_model(const std::string& model_path, const std::string& dot_path, int sequence) {
  const auto files = models::read_model_file(model_path);
  if (models::is_teacher_tensors(files.tensors) || files.tensors.count("classification.weight") == 0) {
    const auto& c = files.config;
    std::printf("%s: hidden %d, intermediate %d, heads %d, encoder layers %d, vocab %d, labels %d, task '%s'\n",
                models::is_teacher_tensors(files.tensors) ? "BERT teacher" : "SpikingBERT without task head (general distillation)",
                c.hidden_size, c.intermediate_size, c.num_attention_heads, c.num_hidden_layers, c.vocab_size,
                c.num_labels, c.task.c_str());
    std::fflush(stdout);
    print_provenance_of(model_path);
    return;
  }
  const auto model = models::load_spiking_bert(model_path);
  const auto& c = model.config();
  std::printf("SpikingBERT: hidden %d, intermediate %d, heads %d (head size %d), encoder layers %d, vocab %d, "
              "labels %d\n",
              c.hidden_size, c.intermediate_size, c.num_attention_heads, c.attention_head_size(), c.num_hidden_layers,
              c.vocab_size, c.num_labels);
  std::printf("neurons: V_th %g, leak %g, refractory steps %d, T (t_conv) %d; parameters (core + classifier) %lld\n",
              c.vth, c.leak, c.refractory_steps, c.t_conv, static_cast<long long>(model.parameter_count()));
  std::printf("feedback projection: %s\n", model.weights().feedback.weight ? "simulated (delay 1 step)"
                                          : c.feedback ? "connected, but its weight is zero (skipped)"
                                                       : "not connected (as the reference)");
  // The graph for one sentence of `sequence` tokens (the structure does not depend on the input).
  models::TokenBatch batch;
  batch.batch = 1;
  batch.sequence = sequence;
  batch.token_ids.assign(static_cast<std::size_t>(sequence), 0);
  batch.segment_ids.assign(static_cast<std::size_t>(sequence), 0);
  batch.attention_mask.assign(static_cast<std::size_t>(sequence), 1);
  const auto built = model.build_network(batch);
  const auto& network = built.network;
  std::printf("\n%-4s %-18s %8s %5s  %s\n", "id", "population", "width", "rank", "inputs");
  for (const auto p : network.update_order()) {
    const auto& population = network.population(p);
    std::string inputs;
    for (const int e : network.incoming(p)) {
      const auto& projection = network.projections()[static_cast<std::size_t>(e)];
      if (!inputs.empty()) inputs += ", ";
      inputs += network.population(projection.source).name;
      inputs += projection.kind == sim::ProjectionKind::kDense      ? " (dense)"
                : projection.kind == sim::ProjectionKind::kIdentity ? " (identity)"
                                                                     : " (transform input)";
    }
    for (const auto& t : population.transforms) inputs += " + " + t->name();
    if (!population.drive.empty()) inputs += "constant embedding current";
    std::printf("%-4d %-18s %8d %5d  %s\n", p, population.name.c_str(), population.width, network.rank(p),
                inputs.c_str());
  }
  if (!dot_path.empty()) {
    io::AtomicFile file(dot_path);
    std::ofstream(file.temporary_path()) << network.to_dot();
    file.commit();
    std::printf("\nwrote the graph to %s\n", dot_path.c_str());
  }
  std::fflush(stdout);
  print_provenance_of(model_path);
}

}  // namespace

void add_inspect_command(CLI::App& app) {
  auto model = std::make_shared<std::string>();
  auto dot = std::make_shared<std::string>();
  auto sequence = std::make_shared<int>(8);
  auto* command = app.add_subcommand("inspect", "Show a model's populations, parameters and graph");
  add_student_model_option(command, *model);
  command->add_option("--dot", *dot, "Write the network graph in GraphViz format to this file");
  command->add_option("--sequence-length", *sequence, "Tokens per sentence for the printed sizes")->capture_default_str();
  command->callback([model, dot, sequence] {
    default_to_shipped_student("inspect", *model);
    inspect_model(*model, *dot, *sequence);
  });
}

}  // namespace spikingbert::tools
