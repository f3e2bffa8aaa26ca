// `spikingbert run-teacher --model CKPT --task T --data FILE [--json]`: the task's metrics on a GLUE file.

#include "commands/SharedOptions.hpp"
// --model may be an ensemble folder (train-teacher --members): logits are the members' mean, hidden states and
// scores member 0's (models/TeacherEnsemble.hpp).
// `spikingbert run-teacher --model CKPT|HF_DIR --inputs case.h5 --output OUT.h5 [--grad]`: the teacher's
// forward on given token ids, written in the layout of tests/data/teacher-tiny/case.h5:
//   hidden_states [layers+1, batch, seq, hidden] (embedding output first), attention_scores
//   [layers, batch, heads, seq, seq] (scaled, masked, pre-softmax), pooled [batch, hidden], logits
//   [batch, labels], all float32; with --grad, also loss (cross-entropy on `labels`, mean over the batch,
//   dropout off) and grad/<parameter name>, computed in float64.
#include "commands/Commands.hpp"
#include "commands/OptionChecks.hpp"

#include "commands/ShippedData.hpp"

#include "io/Error.hpp"
#include "io/GlueTask.hpp"
#include "io/GlueReader.hpp"
#include "io/Hdf5File.hpp"
#include "models/BertTeacherIo.hpp"
#include "models/TeacherEnsemble.hpp"
#include "training/Communicator.hpp"
#include "training/GlueTeacherData.hpp"
#include "training/TeacherSteps.hpp"
#include "training/CrossEntropyLoss.hpp"
#include "training/MseLoss.hpp"
#include "io/TokenBatchFile.hpp"

#include <nlohmann/json.hpp>
#include <tbb/global_control.h>

#include <chrono>
#include <iostream>
#include <memory>

namespace spikingbert::tools {

namespace {

struct RunTeacherOptions {
  std::vector<std::string> models;  // several with --task/--data: an ensemble, logits averaged
  std::string model, inputs, output, task, data, vocab;
  int max_seq_length = 0;
  bool grad = false, json = false;
  int threads = 0;
  int batch_size = 0;  // --batch-size
};

template <class Buffer>
io::Tensor stacked(const std::vector<const Buffer*>& parts, io::Shape shape) {
  io::Tensor tensor;
  tensor.shape = std::move(shape);
  for (const auto* part : parts) tensor.values.insert(tensor.values.end(), part->begin(), part->end());
  return tensor;
}

void run_on_inputs(const RunTeacherOptions& options) {
  if (!training::world().is_root()) return;  // one HDF5 batch, not sharded: rank 0 runs it (docs/scaling.md)
  // An ensemble folder writes member 0's hidden states, scores and pooled output with the mean logits
  // (models/TeacherEnsemble.hpp); --grad needs a single model.
  const auto member_paths = models::teacher_member_paths(options.model);
  if (options.grad && member_paths.size() != 1) {
    throw io::InputError(options.model, "--model", "an ensemble of " + std::to_string(member_paths.size()) + " members",
                         "a single teacher with --grad");
  }
  const auto teacher = models::TeacherEnsemble::load(std::filesystem::path(options.model));
  const auto& c = teacher.config();
  const auto batch = io::read_token_batch(options.inputs);
  io::check_token_ranges(batch, c.vocab_size, c.type_vocab_size, options.inputs);
  if (batch.sequence > teacher.max_sequence_length()) {
    throw io::InputError(options.inputs, "dataset 'input_ids'", "sequence length " + std::to_string(batch.sequence),
                         "at most max_position_embeddings = " + std::to_string(teacher.max_sequence_length()));
  }
  models::BertTeacherActivations<float> a;
  teacher.forward(batch, a);

  io::Hdf5Writer writer(options.output);
  const std::int64_t B = batch.batch, L = batch.sequence, H = c.hidden_size;
  std::vector<const models::AlignedVector<float>*> hidden, scores;
  for (const auto& h : a.hidden_states) hidden.push_back(&h);
  for (const auto& layer : a.layers) scores.push_back(&layer.scores);
  writer.write_tensor("hidden_states", stacked(hidden, {c.num_hidden_layers + 1, B, L, H}));
  writer.write_tensor("attention_scores", stacked(scores, {c.num_hidden_layers, B, c.num_attention_heads, L, L}));
  writer.write_tensor("pooled", io::Tensor{{B, H}, {a.pooled.begin(), a.pooled.end()}});
  writer.write_tensor("logits", io::Tensor{{B, c.num_labels}, {a.logits.begin(), a.logits.end()}});

  if (options.grad) {
    const io::Hdf5Reader reader(options.inputs);
    const auto labels_path = std::string(reader.has("inputs/input_ids") ? "inputs/" : "") + "labels";  // beside the ids
    if (!reader.has(labels_path)) {
      throw io::InputError(options.inputs, "dataset '" + labels_path + "'", "missing", "labels [batch] for --grad");
    }
    const auto labels = reader.read_ints(labels_path);
    if (labels.shape != io::Shape{B}) {
      throw io::InputError(options.inputs, "dataset 'labels'", "shape " + io::shape_to_string(labels.shape),
                           "[" + std::to_string(B) + "]");
    }
    const auto files = models::read_teacher_files(member_paths.front());
    auto exact = models::teacher_from_tensors<double>(files.config, files.tensors, files.source);
    models::BertTeacherActivations<double> activations;
    exact.forward(batch, activations);
    std::vector<double> d_logits(activations.logits.size(), 0.0);
    double loss = 0;
    if (c.num_labels == 1) {
      const std::vector<double> targets(labels.values.begin(), labels.values.end());
      loss = training::mse_loss(activations.logits.data(), targets.data(), B, d_logits.data());
    } else {
      for (std::size_t i = 0; i < labels.values.size(); ++i) {
        if (labels.values[i] < 0 || labels.values[i] >= c.num_labels) {
          throw io::InputError(options.inputs, "dataset 'labels'", "element " + std::to_string(i) + " is " +
                               std::to_string(labels.values[i]), "class indices in [0, num_labels)");
        }
      }
      loss = training::cross_entropy_loss(activations.logits.data(), labels.values.data(), B, c.num_labels,
                                          d_logits.data());
    }
    exact.zero_gradients();
    models::BertTeacher<double>::OutputGradients gradients;
    gradients.logits = d_logits.data();
    exact.backward(batch, activations, gradients);
    writer.write_doubles("loss", {}, {loss});
    for (const auto& parameter : exact.parameters()) {
      writer.write_doubles("grad/" + parameter.name, parameter.shape, {parameter.gradient.begin(), parameter.gradient.end()});
    }
  }
  writer.commit();
  std::cout << "run-teacher: " << B << " sequences of length " << L << " -> " << options.output << "\n";
}

// Evaluates the teacher (or an ensemble: the members' logits averaged) on a labeled GLUE file and prints the
// task's metrics (a JSON line with --json). teacher-calibration.md: averaging the logits of several small
// teachers is the reliable way past 82% on SST-2.
// The teacher's logits of every example, over the ranks of the job (issue 13): rank r predicts its share of
// whole batches, and the logits are gathered in example order, so they are those of one rank.
std::vector<float> teacher_predict_on_ranks(const models::BertTeacher<float>& model,
                                            const std::vector<training::EncodedExample>& examples, std::int64_t batch_size) {
  auto& world = training::world();
  if (world.size() == 1) return training::teacher_predict(model, examples, batch_size);
  const auto count = static_cast<std::int64_t>(examples.size());
  const auto share = training::share_of((count + batch_size - 1) / batch_size, world.rank(), world.size());
  const auto first = examples.begin() + std::min(count, share.begin * batch_size);
  const auto last = examples.begin() + std::min(count, share.end * batch_size);
  const auto mine = training::teacher_predict(model, std::vector<training::EncodedExample>(first, last), batch_size);
  return world.all_gather_concatenated<float>(mine);
}

void run_on_glue(const RunTeacherOptions& options) {
  const io::GlueTask task = io::parse_glue_task(options.task);
  const auto& task_info = io::glue_task_info(task);
  const std::int64_t expected_labels = task_info.num_labels();
  const auto tokenizer = io::BertTokenizer::from_file(options.vocab.empty() ? default_vocabulary_path()
                                                                            : std::filesystem::path(options.vocab));
  const auto dataset = io::read_glue_file(task, options.data, io::GlueLabels::present);
  models::MeanLogits mean_logits;  // the members' mean (models/TeacherEnsemble.hpp)
  std::vector<training::EncodedExample> examples;
  double seconds = 0;
  std::vector<std::filesystem::path> member_paths;
  for (const auto& path : options.models) {
    for (const auto& member : models::teacher_member_paths(path)) member_paths.push_back(member);
  }
  for (const auto& path : member_paths) {
    const auto files = models::read_teacher_files(path);
    const auto model = models::teacher_from_tensors<float>(files.config, files.tensors, files.source);
    if (model.config().num_labels != expected_labels) {
      throw io::InputError(files.source, "config 'num_labels'", std::to_string(model.config().num_labels) + " outputs",
                           std::to_string(expected_labels) + " for task " + task_info.name);
    }
    if (static_cast<std::int64_t>(tokenizer.vocabulary().size()) != model.config().vocab_size) {
      throw io::InputError(files.source, "config 'vocab_size'", std::to_string(model.config().vocab_size) + " tokens",
                           "the vocabulary's " + std::to_string(tokenizer.vocabulary().size()) + " (see --vocab)");
    }
    const int max_seq_length = options.max_seq_length > 0
                                   ? options.max_seq_length
                                   : static_cast<int>(std::min<std::int64_t>(task_info.default_max_length,
                                                                             model.config().max_position_embeddings));
    if (max_seq_length > model.config().max_position_embeddings) {
      throw io::InputError("command line", "--max-length", std::to_string(max_seq_length) + " tokens",
                           "at most the model's max_position_embeddings " +
                               std::to_string(model.config().max_position_embeddings));
    }
    examples = training::encode_glue_dataset(tokenizer, dataset, max_seq_length);
    const auto start = std::chrono::steady_clock::now();
    const auto member_logits = teacher_predict_on_ranks(model, examples, options.batch_size);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    mean_logits.add(member_logits);
  }
  const auto logits = mean_logits.mean();
  const auto metrics = training::glue_metrics_of(task, logits, examples);
  const auto examples_size = examples.size();
  const auto& info = task_info;
  if (options.json) {
    nlohmann::json summary;
    summary["command"] = "run-teacher";
    summary["task"] = info.name;
    summary["data"] = options.data;
    summary["examples"] = examples_size;
    summary["models"] = member_paths.size();
    for (const auto& [name, value] : metrics) summary["metrics"][name] = value;
    summary["seconds"] = seconds;
    summary["examples_per_second"] = static_cast<double>(examples_size * member_paths.size()) / std::max(seconds, 1e-9);
    std::cout << summary.dump() << "\n";
  } else {
    std::cout << info.name << " " << options.data << ": " << examples_size << " examples";
    for (const auto& [name, value] : metrics) std::cout << ", " << name << " " << value;
    std::cout << "\n";
  }
}

}  // namespace

void add_run_teacher_command(CLI::App& app) {
  auto* command = app.add_subcommand("run-teacher", "Evaluate a BERT teacher");
  auto options = std::make_shared<RunTeacherOptions>();
  command->add_option("--model", options->models,
                      "Native checkpoint, Hugging Face folder, or ensemble folder (ensemble.json); repeat with --task/--data "
                      "for an ensemble of all the members given")
      ->required();
  command->add_option("--inputs", options->inputs, "HDF5 file with inputs/{input_ids,segment_ids,attention_mask[,labels]} (docs/formats.md) or the same at the root");
  command->add_option("--output", options->output, "HDF5 file to write the outputs to (with --inputs)");
  command->add_flag("--grad", options->grad, "Also write loss and grad/<name> (float64, dropout off)");
  add_task_option(command, options->task, "GLUE task of --data");
  add_data_option(command, options->data, "Labelled GLUE TSV file to evaluate on");
  add_vocab_option(command, options->vocab);
  add_max_length_option(command, options->max_seq_length);
  add_simulation_batch_size_option(command, options->batch_size, "Examples per forward pass (throughput only: results do not depend on it)");
  add_json_option(command, options->json);
  add_threads_option(command, options->threads);
  add_quiet_option(command);
  command->callback([options] {
    const tbb::global_control limit(tbb::global_control::max_allowed_parallelism, options->threads);
    options->model = options->models.front();
    std::vector<std::filesystem::path> inputs(options->models.begin(), options->models.end());
    inputs.insert(inputs.end(), {options->inputs, options->data, options->vocab});
    check_outputs(inputs, {options->output});
    if (!options->task.empty() || !options->data.empty()) {
      if (options->task.empty() || options->data.empty()) {
        throw io::InputError("command line", options->task.empty() ? "--task" : "--data", "missing",
                             "both --task and --data to evaluate on a GLUE file");
      }
      run_on_glue(*options);
      return;
    }
    if (options->inputs.empty()) {
      throw io::InputError("command line", "--inputs", "no inputs given",
                           "--inputs case.h5 --output OUT.h5, or --task T --data FILE");
    }
    if (options->models.size() != 1) {
      throw io::InputError("command line", "--model", "several models given", "exactly one with --inputs");
    }
    if (options->output.empty()) {
      throw io::InputError("command line", "--output", "missing", "--output OUT.h5 with --inputs");
    }
    run_on_inputs(*options);
  });
}

}  // namespace spikingbert::tools
