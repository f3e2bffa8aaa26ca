// `spikingbert distill --teacher CKPT [--teacher CKPT ...] --task sst2|stsb|rte --stage ikd|pred|labels
// --steps T --gradient MODE --output CKPT [--init CKPT] [--resume]`: trains a spiking student by
// distillation (issue 6, method doc §6) with the loop of training/StudentTrainer: loss on the event-kernel
// rates at T steps, gradient through the steady-state map (docs/gradients.md), dev evaluation with the
// event-driven simulator, the best dev checkpoint written atomically, CKPT.state for --resume.
// Several --teacher: an ensemble (logits averaged for prediction KD; the first gives hidden states and
// attention scores).
#include "commands/ShardedGlue.hpp"
#include "commands/Commands.hpp"
#include "commands/OptionChecks.hpp"
#include "commands/ShippedData.hpp"

#include "io/Checkpoint.hpp"
#include "io/Error.hpp"
#include "io/GlueReader.hpp"
#include "models/BertTeacherIo.hpp"
#include "models/GlueSimulation.hpp"
#include "models/ModelFiles.hpp"
#include "models/StudentInit.hpp"
#include "training/Communicator.hpp"
#include "training/GlueTeacherData.hpp"
#include "training/StudentTrainer.hpp"

#include <nlohmann/json.hpp>
#include <tbb/global_control.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <memory>
#include <sstream>

namespace spikingbert::tools {

namespace {

// The reference's max_seq_length: 64 for SST-2, 128 for the other tasks (method doc §6.4).
constexpr int kSst2MaxLength = 64;
constexpr int kDefaultMaxLength = 128;
// Examples per event-kernel simulation in dev evaluation (any value gives the same logits).
constexpr int kEvaluationBatch = 32;

struct DistillOptions {
  std::vector<std::string> teachers;
  std::string task, stage, gradient = "implicit", output, init, data_dir, vocab;
  int steps = 16, batch = 32, evaluations_per_epoch = 4, threads = 1, max_seq_length = 0;
  double epochs = 1, learning_rate = 5e-5, temperature = 1.0, warmup = 0.1, weight_decay = 0.01;
  std::int64_t train_limit = 0, dev_limit = 0;
  std::uint64_t seed = 42;
  bool resume = false, quiet = false;
};

void require(bool condition, const std::string& option, const std::string& problem, const std::string& expected) {
  if (!condition) throw io::InputError("command line", option, problem, expected);
}

void distill(const DistillOptions& o) {
  // 1. Options.
  const auto stage = training::parse_distill_stage(o.stage, "--stage");
  const auto mode = training::parse_gradient_mode(o.gradient, "--gradient");
  const io::GlueTask task = io::parse_glue_task(o.task);
  const auto& info = io::glue_task_info(task);
  require(task == io::GlueTask::sst2 || task == io::GlueTask::stsb || task == io::GlueTask::rte, "--task",
          "task '" + o.task + "' is not supported by distill", "sst2, stsb or rte");
  require(o.steps >= 1, "--steps", "must be positive (got " + std::to_string(o.steps) + ")", ">= 1 time steps");
  check_time_steps("--steps", o.steps);
  require(o.threads >= 1 && o.threads <= kMaximumThreads, "--threads", "is " + std::to_string(o.threads),
          "a thread count >= 1 (at most " + std::to_string(kMaximumThreads) + ")");
  require(o.max_seq_length >= 0, "--max-seq-length", "is " + std::to_string(o.max_seq_length), "a positive token count");
  require(o.batch >= 1, "--batch", "must be positive", ">= 1");
  require(o.epochs > 0 && std::isfinite(o.epochs), "--epochs", "must be positive", "> 0");
  require(o.learning_rate > 0 && std::isfinite(o.learning_rate), "--lr", "must be positive", "> 0");
  require(o.temperature > 0 && std::isfinite(o.temperature), "--temperature", "must be positive", "> 0");
  require(o.evaluations_per_epoch >= 1, "--evaluations-per-epoch", "must be positive", ">= 1");
  require(!o.teachers.empty(), "--teacher", "missing", "at least one teacher checkpoint");
  const std::string state_file = o.output + ".state";
  std::vector<std::filesystem::path> inputs(o.teachers.begin(), o.teachers.end());
  inputs.insert(inputs.end(), {o.init, o.vocab, o.data_dir});
  check_outputs(inputs, {o.output, state_file});
  if (o.resume && !std::filesystem::exists(state_file)) {
    throw io::InputError(state_file, "file", "no training state to resume",
                         "a state written by an earlier distill run with the same --output");
  }

  // 2. Teachers (the same vocabulary and labels; the first is the internal-layer teacher).
  const std::int64_t num_labels = info.is_regression() ? 1 : static_cast<std::int64_t>(info.labels.size());
  std::vector<models::BertTeacher<float>> teachers;
  io::ModelConfig lead_config;
  for (const auto& path : o.teachers) {
    if (!std::filesystem::exists(path)) throw io::InputError(path, "file", "does not exist", "a teacher checkpoint (--teacher)");
    const auto files = models::read_teacher_files(path);
    if (files.config.num_labels != num_labels) {
      throw io::InputError(path, "config 'num_labels'", std::to_string(files.config.num_labels) + " outputs",
                           std::to_string(num_labels) + " for task " + info.name);
    }
    if (!teachers.empty() && files.config.vocab_size != lead_config.vocab_size) {
      throw io::InputError(path, "config 'vocab_size'", std::to_string(files.config.vocab_size),
                           "the first teacher's " + std::to_string(lead_config.vocab_size));
    }
    if (teachers.empty()) lead_config = files.config;
    teachers.push_back(models::teacher_from_tensors<float>(files.config, files.tensors, files.source));
  }

  // 3. The student: from --init (a teacher checkpoint mapped onto the student names, or a student), else
  // random with the lead teacher's shape.
  io::ModelConfig student_config;
  std::unique_ptr<models::SpikingBertEquilibrium<float>> student;
  if (!o.init.empty()) {
    if (!std::filesystem::exists(o.init)) throw io::InputError(o.init, "file", "does not exist", "a checkpoint (--init)");
    const auto files = models::read_model_file(o.init);
    if (models::is_teacher_tensors(files.tensors)) {
      student_config = models::student_config_of_teacher(files.config, o.steps);
      student = std::make_unique<models::SpikingBertEquilibrium<float>>(models::equilibrium_config(student_config), o.seed);
      models::initialise_student_from_teacher(*student, files.tensors, files.source);
    } else {
      student_config = files.config;
      student = std::make_unique<models::SpikingBertEquilibrium<float>>(models::equilibrium_config(student_config),
                                                                         files.tensors, files.source);
    }
  } else {
    student_config = models::student_config_of_teacher(lead_config, o.steps);
    student = std::make_unique<models::SpikingBertEquilibrium<float>>(models::equilibrium_config(student_config), o.seed);
  }
  student_config.t_conv = o.steps;
  student_config.task = info.name;
  const std::string student_source = o.init.empty() ? std::string("student") : o.init;
  if (student_config.num_labels != num_labels) {
    throw io::InputError(student_source, "config 'num_labels'", std::to_string(student_config.num_labels) + " outputs",
                         std::to_string(num_labels) + " for task " + info.name);
  }
  if (student_config.vocab_size != lead_config.vocab_size) {
    throw io::InputError(student_source, "config 'vocab_size'", std::to_string(student_config.vocab_size),
                         "the teacher's " + std::to_string(lead_config.vocab_size));
  }
  if (stage == training::DistillStage::internal_layers) {
    if (student_config.hidden_size != lead_config.hidden_size ||
        student_config.num_attention_heads != lead_config.num_attention_heads) {
      throw io::InputError(student_source, "config 'hidden_size'/'num_attention_heads'",
                           std::to_string(student_config.hidden_size) + "/" + std::to_string(student_config.num_attention_heads),
                           "the first teacher's " + std::to_string(lead_config.hidden_size) + "/" +
                               std::to_string(lead_config.num_attention_heads) + " for --stage ikd");
    }
    if (student_config.num_hidden_layers > lead_config.num_hidden_layers) {
      throw io::InputError(student_source, "config 'num_hidden_layers'", std::to_string(student_config.num_hidden_layers),
                           "at most the teacher's " + std::to_string(lead_config.num_hidden_layers) + " for --stage ikd");
    }
  }
  const auto snn_config = models::config_from(student_config);

  // 4. Data: WordPiece ids of the full vocabulary (teacher and student share it).
  auto glue_file = [&](const std::string& name) {
    if (!o.data_dir.empty()) return std::filesystem::path(o.data_dir) / info.folder / name;
    return find_shipped_data("glue/" + info.folder + "/" + name, "--data-dir");
  };
  const auto vocab_path = o.vocab.empty() ? default_vocabulary_path() : std::filesystem::path(o.vocab);
  const auto tokenizer = io::BertTokenizer::from_file(vocab_path);
  if (static_cast<std::int64_t>(tokenizer.vocabulary().size()) != student_config.vocab_size) {
    throw io::InputError(vocab_path.string(), "vocabulary", std::to_string(tokenizer.vocabulary().size()) + " tokens",
                         "the models' vocab_size " + std::to_string(student_config.vocab_size) + " (see --vocab)");
  }
  const int positions = std::min(student_config.max_position_embeddings, lead_config.max_position_embeddings);
  const int max_length = o.max_seq_length > 0 ? o.max_seq_length
                                              : std::min(task == io::GlueTask::sst2 ? kSst2MaxLength : kDefaultMaxLength, positions);
  require(max_length <= positions, "--max-seq-length", std::to_string(max_length) + " tokens",
          "at most the models' max_position_embeddings " + std::to_string(positions));
  auto encode = [&](const std::filesystem::path& file, std::int64_t limit) {
    auto dataset = io::read_glue_file(task, file, io::GlueLabels::present);
    if (limit > 0 && static_cast<std::int64_t>(dataset.examples.size()) > limit) dataset.examples.resize(limit);
    return training::encode_glue_dataset(tokenizer, dataset, max_length);
  };
  const auto train = encode(glue_file("train.tsv"), o.train_limit);
  // The dev set as `run --task` loads and simulates it (models/GlueSimulation), so the score distill selects
  // with is exactly what `spikingbert run --model CKPT --task ...` reports.
  models::GlueSetOptions dev_options;
  dev_options.limit = static_cast<int>(o.dev_limit);
  dev_options.max_length = max_length;
  const auto dev = models::load_glue_set(snn_config, student_source, task, glue_file(info.dev_file), tokenizer,
                                         vocab_path.string(), dev_options);
  const auto dev_count = dev.encoded.lengths.size();
  require(static_cast<std::int64_t>(train.size()) >= o.batch, "--batch",
          std::to_string(o.batch) + " is more than the " + std::to_string(train.size()) + " training examples",
          "a batch no larger than the training set");

  // 5. Dev evaluation with the event-driven simulator; the best student written atomically.
  const training::StudentDevEvaluator evaluate = [&](const models::SpikingBert& snn) {
    models::GlueSimulationOptions simulation;
    simulation.steps = o.steps;
    simulation.threads = o.threads;
    simulation.batch = kEvaluationBatch;
    simulation.final_residual = false;
    const auto result = simulate_glue_set_on_ranks(snn, student_source, dev, simulation);
    // Accuracy for SST-2 and RTE; the mean of Pearson and Spearman for STS-B (method doc §6.4).
    training::DevScore score;
    std::ostringstream summary;
    double total = 0;
    for (const auto& metric : result.metrics) {
      summary << (summary.tellp() > 0 ? " " : "") << metric.name << " " << metric.value;
      total += metric.value;
    }
    score.selection = info.is_regression() ? total / static_cast<double>(std::max<std::size_t>(result.metrics.size(), 1))
                                           : result.metrics.front().value;
    score.summary = summary.str();
    return score;
  };
  const training::StudentBestSink save_best = [&](const models::SpikingBertEquilibrium<float>& best,
                                                  const training::DevScore& score, std::int64_t step) {
    if (!training::world().is_root()) return;  // every rank holds the same student; rank 0 writes it
    io::Checkpoint checkpoint;
    checkpoint.config = student_config;
    checkpoint.tensors = best.tensors();
    checkpoint.metadata = {{"kind", "spikingbert-student"}, {"task", info.name}, {"stage", training::to_string(stage)},
                           {"gradient", training::to_string(mode)}, {"steps", std::to_string(o.steps)},
                           {"step", std::to_string(step)}, {"dev", score.summary}, {"seed", std::to_string(o.seed)}};
    io::write_checkpoint(o.output, checkpoint);
  };

  training::StudentTrainingOptions options;
  options.stage = stage;
  options.gradient = mode;
  options.time_steps = o.steps;
  options.epochs = o.epochs;
  options.batch_size = o.batch;
  options.adam.learning_rate = o.learning_rate;
  options.adam.weight_decay = o.weight_decay;
  options.warmup_fraction = o.warmup;
  options.temperature = o.temperature;
  options.seed = o.seed;
  options.evaluations_per_epoch = o.evaluations_per_epoch;
  options.threads = o.threads;
  options.state_file = state_file;
  options.resume = o.resume;
  options.quiet = o.quiet;
  options.best_checkpoint = o.output;
  // Every option that changes the run (ResumeChecks.hpp); --threads and --quiet do not.
  options.run_options = {{"--task", info.name}, {"--steps", std::to_string(o.steps)}, {"--batch", std::to_string(o.batch)},
                         {"--epochs", training::option_text(o.epochs)}, {"--lr", training::option_text(o.learning_rate)},
                         {"--temperature", training::option_text(o.temperature)}, {"--warmup", training::option_text(o.warmup)},
                         {"--weight-decay", training::option_text(o.weight_decay)}, {"--seed", std::to_string(o.seed)},
                         {"--evaluations-per-epoch", std::to_string(o.evaluations_per_epoch)},
                         {"--max-seq-length", std::to_string(max_length)}, {"--train-limit", std::to_string(o.train_limit)},
                         {"--dev-limit", std::to_string(o.dev_limit)}, {"--teacher", std::to_string(o.teachers.size()) + " file(s)"}};
  std::vector<const models::BertTeacher<float>*> teacher_pointers;
  for (const auto& teacher : teachers) teacher_pointers.push_back(&teacher);
  if (!o.quiet && training::world().is_root()) {
    std::cerr << "distill: " << info.name << ", stage " << training::to_string(stage) << ", gradient "
              << training::to_string(mode) << ", T = " << o.steps << ", " << teachers.size() << " teacher(s), "
              << train.size() << " training and " << dev_count << " dev examples\n";
  }
  const auto report = training::train_student(*student, snn_config, teacher_pointers, train, evaluate, save_best, options);

  nlohmann::json summary;
  summary["command"] = "distill";
  summary["task"] = info.name;
  summary["stage"] = training::to_string(stage);
  summary["gradient"] = training::to_string(mode);
  summary["time_steps"] = o.steps;
  summary["output"] = o.output;
  summary["best_dev"] = report.best.summary;
  summary["best_selection"] = report.best.selection;
  summary["best_step"] = report.best_step;
  summary["steps"] = report.steps;
  summary["seconds"] = std::round(report.seconds * 10) / 10;
  summary["examples_per_second"] = std::round(report.examples_per_second * 10) / 10;
  if (mode == training::GradientMode::feedback) summary["max_adjoint_iterations"] = report.max_adjoint_iterations;
  nlohmann::json evaluations = nlohmann::json::array();
  for (const auto& evaluation : report.evaluations) {
    evaluations.push_back({{"epoch", std::round(evaluation.epoch * 100) / 100}, {"step", evaluation.step},
                           {"train_loss", evaluation.train_loss.total}, {"prediction", evaluation.train_loss.prediction},
                           {"attention", evaluation.train_loss.attention}, {"hidden", evaluation.train_loss.hidden},
                           {"dev", evaluation.score.summary}, {"selection", evaluation.score.selection}});
  }
  summary["evaluations"] = evaluations;
  std::cout << summary.dump() << "\n";
}

}  // namespace

void add_distill_command(CLI::App& app) {
  auto* command = app.add_subcommand("distill", "Distil a BERT teacher into a spiking student");
  auto o = std::make_shared<DistillOptions>();
  command->add_option("--teacher", o->teachers, "Teacher checkpoint; repeat for an ensemble (logits averaged)")->required();
  command->add_option("--task", o->task, "GLUE task: sst2, stsb or rte")->required();
  command->add_option("--stage", o->stage, "ikd (attention + hidden MSE), pred (soft CE) or labels (CE; MSE for STS-B)")->required();
  command->add_option("--steps", o->steps, "Time steps T of the event-kernel simulation")->capture_default_str();
  command->add_option("--gradient", o->gradient, "analog-twin, implicit or feedback")->capture_default_str();
  command->add_option("--output", o->output, "Student checkpoint to write (best dev); CKPT.state holds the resumable state")->required();
  command->add_option("--init", o->init, "Start from this checkpoint: a student, or a teacher of the same shape (weights mapped)");
  command->add_flag("--resume", o->resume, "Continue from CKPT.state");
  command->add_option("--epochs", o->epochs, "Epochs (may be fractional)")->capture_default_str();
  command->add_option("--lr", o->learning_rate, "Peak learning rate (BertAdam, linear warm-up then decay)")->capture_default_str();
  command->add_option("--warmup", o->warmup, "Warm-up fraction of the steps")->capture_default_str()->check(CLI::Range(0.0, 0.999));
  command->add_option("--weight-decay", o->weight_decay, "Decoupled weight decay (not biases or LayerNorm)")->capture_default_str();
  command->add_option("--batch", o->batch, "Examples per step")->capture_default_str();
  command->add_option("--temperature", o->temperature, "Temperature of prediction-layer KD")->capture_default_str();
  command->add_option("--evaluations-per-epoch", o->evaluations_per_epoch, "Dev evaluations per epoch")->capture_default_str();
  command->add_option("--threads", o->threads, "Threads (results do not depend on it)")->capture_default_str();
  command->add_option("--seed", o->seed, "Seed of shuffling and of the random initialisation")->capture_default_str();
  command->add_option("--data-dir", o->data_dir, "GLUE folder (default: the shipped data/glue)");
  command->add_option("--vocab", o->vocab, "WordPiece vocabulary (default: bert-base-uncased)");
  command->add_option("--max-seq-length", o->max_seq_length, "Tokens per example (default 64 for SST-2, else 128)");
  command->add_option("--train-limit", o->train_limit, "Use only the first N training examples (0 = all)");
  command->add_option("--dev-limit", o->dev_limit, "Evaluate on the first N dev examples (0 = all)");
  command->add_flag("--quiet", o->quiet, "No progress lines");
  command->callback([o] {
    std::unique_ptr<tbb::global_control> limit;
    if (o->threads > 0) limit = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism, o->threads);
    distill(*o);
  });
}

}  // namespace spikingbert::tools
