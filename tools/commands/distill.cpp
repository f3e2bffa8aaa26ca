// `spikingbert distill --teacher CKPT [--teacher CKPT ...] --task TASK --stage ikd|pred|labels
// --steps T --gradient MODE --output CKPT [--init CKPT] [--resume]`: trains a spiking student by
// distillation (issue 6, method doc §6) with the loop of training/StudentTrainer: loss on the event-kernel
// rates at T steps, gradient through the steady-state map (docs/gradients.md), evaluation with the
// event-driven simulator, the best checkpoint written atomically, CKPT.state for --resume.
// Several --teacher: an ensemble (logits averaged for prediction KD; the first gives hidden states and
// attention scores). Any of the nine GLUE tasks (issue 14 item 3).
// Honest selection (issue 14 item 4, training/ValidationSplit.hpp): the best checkpoint is chosen on a
// validation split carved from the training file; the dev set (MNLI: matched and mismatched) is simulated
// once, at the end, with the chosen checkpoint, and reported separately (summary "dev", metadata "dev").
// Student shape (issue 14 item 1): --student-layers/-hidden/-intermediate/-heads (default: the teacher's);
// without --init the student starts from the lead teacher's layers under TinyBERT's uniform mapping when the
// widths agree (models/StudentInit.hpp), else at random; a narrower student gets W_td to the teacher's width.
// --stage general --corpus FILE (issue 14 item 2): TinyBERT's general distillation on plain text, internal-
// layer KD only, no task head; there is no task metric, so the checkpoint after the last step is kept, and
// its output initialises task distillation (--init).
// Every checkpoint records its provenance (commands/Provenance.hpp).
#include "commands/ShardedGlue.hpp"
#include "commands/Commands.hpp"
#include "commands/Interrupt.hpp"
#include "commands/OptionChecks.hpp"
#include "commands/SharedOptions.hpp"
#include "commands/SummaryJson.hpp"
#include "commands/Provenance.hpp"
#include "commands/ShippedData.hpp"

#include "io/Checkpoint.hpp"
#include "io/Error.hpp"
#include "io/GlueReader.hpp"
#include "io/TextCorpus.hpp"
#include "models/BertTeacherIo.hpp"
#include "models/GlueSimulation.hpp"
#include "models/ModelFiles.hpp"
#include "models/StudentInit.hpp"
#include "training/Communicator.hpp"
#include "training/GeneralCorpus.hpp"
#include "training/GlueTeacherData.hpp"
#include "training/StudentTrainer.hpp"
#include "training/ValidationSplit.hpp"

#include <nlohmann/json.hpp>
#include <tbb/global_control.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

namespace spikingbert::tools {

namespace {

constexpr const char* kGeneralStage = "general";
constexpr const char* kClassifierPrefix = "classification.";

// The shared defaults (TrainingCommandOptions) are the paper's recipe: 1 epoch at a peak rate of 5e-5.
struct DistillOptions : TrainingCommandOptions {
  std::vector<std::string> teachers;
  std::string task, stage, gradient = "implicit", output, init, corpus;
  int steps = 16;
  models::StudentShape shape;
  double temperature = 1.0;
  std::int64_t dev_limit = 0;
};

void require(bool condition, const std::string& option, const std::string& problem, const std::string& expected) {
  if (!condition) throw io::InputError("command line", option, problem, expected);
}

bool shape_given(const models::StudentShape& shape) {
  return shape.layers > 0 || shape.hidden > 0 || shape.intermediate > 0 || shape.heads > 0;
}

// The student and where its weights came from.
struct Student {
  io::ModelConfig config;
  std::unique_ptr<models::SpikingBertEquilibrium<float>> map;
  std::string initialised_from;
};

// A student checkpoint's tensors into a fresh student of `config`: everything but the task head, which keeps
// its random initialisation when the checkpoint has none (a general-distillation student) or one for another
// label count.
Student student_from_student(const DistillOptions& o, const std::string& path, const models::ModelFile& files,
                             std::int64_t num_labels) {
  Student student;
  student.config = files.config;
  student.config.num_labels = static_cast<int>(num_labels);
  student.map = std::make_unique<models::SpikingBertEquilibrium<float>>(student.config, o.seed);
  const bool head_fits = files.tensors.count("classification.weight") > 0 && files.config.num_labels == num_labels;
  for (auto& parameter : student.map->parameters()) {
    const bool head = parameter.name.rfind(kClassifierPrefix, 0) == 0;
    if (head && !head_fits) continue;
    const auto found = files.tensors.find(parameter.name);
    const bool optional = parameter.name.rfind("fit_dense.", 0) == 0 || parameter.name.rfind("pooler_layer.", 0) == 0 ||
                          parameter.name == student.map->feedback_weight_name();
    if (found == files.tensors.end() && optional) continue;
    const auto& tensor = io::require_tensor(files.tensors, parameter.name, parameter.shape, path);
    parameter.value.assign(tensor.values.begin(), tensor.values.end());
  }
  student.initialised_from = head_fits ? "student " + path : "student " + path + " (new task head)";
  return student;
}

Student make_student(const DistillOptions& o, const io::ModelConfig& lead_config, const io::TensorMap& lead_tensors,
                     std::int64_t num_labels) {
  if (!o.init.empty()) {
    if (!std::filesystem::exists(o.init)) throw io::InputError(o.init, "file", "does not exist", "a checkpoint (--init)");
    const auto files = models::read_model_file(o.init);
    if (!models::is_teacher_tensors(files.tensors)) {
      require(!shape_given(o.shape), "--student-layers", "given with a student --init",
              "the shape of the --init student, or a teacher --init");
      return student_from_student(o, o.init, files, num_labels);
    }
    Student student;
    student.config = models::student_config_of_teacher(files.config, o.steps, o.shape);
    student.config.num_labels = static_cast<int>(num_labels);
    if (!models::can_initialise_from_teacher(student.config, files.config)) {
      throw io::InputError(o.init, "config", "the teacher's widths differ from the student's",
                           "a teacher of the student's hidden, intermediate and heads (--init), or no --init");
    }
    student.map = std::make_unique<models::SpikingBertEquilibrium<float>>(student.config, o.seed);
    models::initialise_student_from_teacher(*student.map, files.tensors, files.config.num_hidden_layers, files.source);
    student.initialised_from = "teacher " + o.init + " (uniform layer mapping)";
    return student;
  }
  Student student;
  student.config = models::student_config_of_teacher(lead_config, o.steps, o.shape);
  student.config.num_labels = static_cast<int>(num_labels);
  student.map = std::make_unique<models::SpikingBertEquilibrium<float>>(student.config, o.seed);
  const bool head_fits = lead_config.num_labels == num_labels;
  if (models::can_initialise_from_teacher(student.config, lead_config) && head_fits) {
    models::initialise_student_from_teacher(*student.map, lead_tensors, lead_config.num_hidden_layers, o.teachers.front());
    student.initialised_from = "teacher " + o.teachers.front() + " (uniform layer mapping)";
  } else {
    student.initialised_from = "random (seed " + std::to_string(o.seed) + ")";
  }
  return student;
}

void distill(const DistillOptions& o) {
  // 1. Options.
  const bool general = o.stage == kGeneralStage;
  const auto stage = general ? training::DistillStage::internal_layers : training::parse_distill_stage(o.stage, "--stage");
  const auto mode = training::parse_gradient_mode(o.gradient, "--gradient");
  std::optional<io::GlueTask> task;
  if (general) {
    require(!o.corpus.empty(), "--corpus", "missing", "a plain-text corpus for --stage general");
    require(o.task.empty(), "--task", "given with --stage general", "no task: general distillation has no task head");
  } else {
    require(!o.task.empty(), "--task", "missing", "a GLUE task: " + io::glue_task_names());
    require(o.corpus.empty(), "--corpus", "given without --stage general", "--corpus only with --stage general");
    task = io::parse_glue_task(o.task);
  }
  require(o.steps >= 1, "--steps", "must be positive (got " + std::to_string(o.steps) + ")", ">= 1 time steps");
  check_time_steps("--steps", o.steps);
  require(o.temperature > 0 && std::isfinite(o.temperature), "--temperature", "must be positive", "> 0");
  for (const auto& [value, name] : {std::pair{o.shape.layers, "--student-layers"}, {o.shape.hidden, "--student-hidden"},
                                    {o.shape.intermediate, "--student-intermediate"}, {o.shape.heads, "--student-heads"}}) {
    require(value >= 0, name, "must be positive (got " + std::to_string(value) + ")", ">= 1");
  }
  require(!o.teachers.empty(), "--teacher", "missing", "at least one teacher checkpoint");
  const std::string state_file = o.output + ".state";
  std::vector<std::filesystem::path> inputs(o.teachers.begin(), o.teachers.end());
  inputs.insert(inputs.end(), {o.init, o.vocab, o.data_dir});
  check_outputs(inputs, {o.output, state_file});
  require_state_to_resume(o, state_file, "distill");

  // 2. Teachers (the same vocabulary and labels; the first is the internal-layer teacher).
  const io::GlueTaskInfo* info = task ? &io::glue_task_info(*task) : nullptr;
  std::int64_t num_labels = info ? info->num_labels() : 0;
  std::vector<models::BertTeacher<float>> teachers;
  io::ModelConfig lead_config;
  io::TensorMap lead_tensors;
  for (const auto& path : o.teachers) {
    if (!std::filesystem::exists(path)) throw io::InputError(path, "file", "does not exist", "a teacher checkpoint (--teacher)");
    auto files = models::read_teacher_files(path);
    if (teachers.empty() && general) num_labels = files.config.num_labels;  // unused: no task head
    if (files.config.num_labels != num_labels) {
      throw io::InputError(path, "config 'num_labels'", std::to_string(files.config.num_labels) + " outputs",
                           std::to_string(num_labels) + (info ? " for task " + info->name : " as the first teacher"));
    }
    if (!teachers.empty() && files.config.vocab_size != lead_config.vocab_size) {
      throw io::InputError(path, "config 'vocab_size'", std::to_string(files.config.vocab_size),
                           "the first teacher's " + std::to_string(lead_config.vocab_size));
    }
    teachers.push_back(models::teacher_from_tensors<float>(files.config, files.tensors, files.source));
    if (teachers.size() == 1) {
      lead_config = files.config;
      lead_tensors = std::move(files.tensors);
    }
  }
  if (general && o.teachers.size() > 1) {
    throw io::InputError("command line", "--teacher", "several teachers with --stage general",
                         "one teacher: internal-layer KD uses the first only");
  }

  // 3. The student.
  Student built = make_student(o, lead_config, lead_tensors, num_labels);
  lead_tensors.clear();
  io::ModelConfig& student_config = built.config;
  auto& student = built.map;
  student_config.t_conv = o.steps;
  student_config.task = info ? info->name : "";
  const std::string student_source = o.init.empty() ? std::string("student") : o.init;
  if (student_config.vocab_size != lead_config.vocab_size) {
    throw io::InputError(student_source, "config 'vocab_size'", std::to_string(student_config.vocab_size),
                         "the teacher's " + std::to_string(lead_config.vocab_size));
  }
  if (stage == training::DistillStage::internal_layers) {
    const auto fit = student_config.fit_width();
    if (fit != lead_config.hidden_size || student_config.num_attention_heads != lead_config.num_attention_heads) {
      throw io::InputError(student_source, "config 'fit_size'/'num_attention_heads'",
                           std::to_string(fit) + "/" + std::to_string(student_config.num_attention_heads),
                           "the first teacher's hidden size and heads " + std::to_string(lead_config.hidden_size) + "/" +
                               std::to_string(lead_config.num_attention_heads) + " for internal-layer KD");
    }
    if (student_config.num_hidden_layers > lead_config.num_hidden_layers) {
      throw io::InputError(student_source, "config 'num_hidden_layers'", std::to_string(student_config.num_hidden_layers),
                           "at most the teacher's " + std::to_string(lead_config.num_hidden_layers) + " for internal-layer KD");
    }
  }
  // The network trained is the network simulated (docs/gradients.md "feedback"): feedback mode connects the
  // feedback projection, and the checkpoint's config records it for every later run; another mode on a student
  // that has it connected would differentiate a network without it.
  if (student_config.feedback && mode != training::GradientMode::feedback)
    throw io::InputError(student_source, "config 'feedback'", "is true: the student simulates its feedback projection",
                         "--gradient feedback");
  student_config.feedback = mode == training::GradientMode::feedback;
  const auto snn_config = student_config;

  // 4. Data: WordPiece ids of the full vocabulary (teacher and student share it).
  auto glue_file = [&](const std::string& name) {
    if (!o.data_dir.empty()) return std::filesystem::path(o.data_dir) / info->folder / name;
    return find_shipped_data("glue/" + info->folder + "/" + name, "--data-dir");
  };
  const auto vocab_path = o.vocab.empty() ? default_vocabulary_path() : std::filesystem::path(o.vocab);
  const auto tokenizer = io::BertTokenizer::from_file(vocab_path);
  if (static_cast<std::int64_t>(tokenizer.vocabulary().size()) != student_config.vocab_size) {
    throw io::InputError(vocab_path.string(), "vocabulary", std::to_string(tokenizer.vocabulary().size()) + " tokens",
                         "the models' vocab_size " + std::to_string(student_config.vocab_size) + " (see --vocab)");
  }
  const int positions = std::min(student_config.max_position_embeddings, lead_config.max_position_embeddings);
  const int max_length = o.max_length > 0 ? o.max_length
                                              : std::min(info ? info->default_max_length : io::kDefaultGlueMaxLength, positions);
  require(max_length <= positions, "--max-length", std::to_string(max_length) + " tokens",
          "at most the models' max_position_embeddings " + std::to_string(positions));
  std::vector<training::EncodedExample> train;
  std::vector<std::filesystem::path> data_files;
  std::optional<models::GlueSet> validation;
  std::vector<std::pair<std::string, std::filesystem::path>> dev_files;  // (name, file)
  std::int64_t validation_count = 0;
  if (general) {
    data_files.push_back(o.corpus);
    train = training::pack_corpus(tokenizer, io::read_text_corpus(o.corpus), max_length);
    if (o.train_limit > 0 && static_cast<std::int64_t>(train.size()) > o.train_limit) train.resize(o.train_limit);
  } else {
    const auto train_path = glue_file("train.tsv");
    data_files.push_back(train_path);
    auto dataset = io::read_glue_file(*task, train_path, io::GlueLabels::present);
    if (o.train_limit > 0 && static_cast<std::int64_t>(dataset.examples.size()) > o.train_limit) dataset.examples.resize(o.train_limit);
    const auto count = static_cast<std::int64_t>(dataset.examples.size());
    validation_count = o.validation_size >= 0 ? o.validation_size : training::default_validation_size(count);
    require(validation_count >= 1 && validation_count < count, "--validation-size",
            std::to_string(validation_count) + " of " + std::to_string(count) + " training examples",
            "at least 1 and fewer than the training examples");
    io::GlueDataset held_out = dataset;
    held_out.examples.clear();
    held_out.file = train_path.string() + " (validation split)";
    training::split_off(dataset.examples, training::validation_indices(count, validation_count), held_out.examples);
    train = training::encode_glue_dataset(tokenizer, dataset, max_length);
    models::GlueSetOptions set_options;
    set_options.max_length = max_length;
    validation = models::make_glue_set(snn_config, student_source, std::move(held_out), tokenizer, vocab_path.string(), set_options);
    for (const auto& dev_set : info->dev_sets) dev_files.emplace_back(dev_set.name, glue_file(dev_set.file));  // MNLI: both
    for (const auto& [name, file] : dev_files) {
      if (!std::filesystem::exists(file)) throw io::InputError(file.string(), "file", "does not exist", "the task's dev file (--data-dir)");
      data_files.push_back(file);
    }
  }
  require(static_cast<std::int64_t>(train.size()) >= o.batch_size, "--batch-size",
          std::to_string(o.batch_size) + " is more than the " + std::to_string(train.size()) + " training examples",
          "a batch no larger than the training set");

  // 5. Provenance, evaluation on the validation split, the best student written atomically.
  std::vector<ProvenanceParent> parents;
  for (const auto& teacher : o.teachers) parents.push_back({"teacher", teacher});
  if (!o.init.empty()) parents.push_back({"init", o.init});
  const nlohmann::json seeds = {{"seed", o.seed}, {"validation_seed", training::kValidationSeed}};
  const std::string stage_name = general ? std::string(kGeneralStage) : training::to_string(stage);
  const auto provenance = provenance_record("distill " + stage_name, seeds, data_files, parents).dump();
  auto simulation_options = [&] {
    models::GlueSimulationOptions simulation;
    simulation.steps = o.steps;
    simulation.threads = o.threads;
    simulation.batch = kSimulationBatchSize;  // any value gives the same logits
    simulation.final_residual = false;
    return simulation;
  };
  std::int64_t general_evaluations = 0;
  const training::StudentDevEvaluator evaluate = [&](const models::SpikingBert& snn) {
    training::DevScore score;
    if (general) {  // no task metric: every evaluation is the newest, so the last one is kept
      score.selection = static_cast<double>(++general_evaluations);
      score.summary = "general: no task metric, the latest checkpoint is kept";
      return score;
    }
    const auto result = simulate_glue_set_on_ranks(snn, student_source, *validation, simulation_options());
    score.selection = info->selection(result.metrics);
    score.summary = io::metrics_text(result.metrics);
    return score;
  };
  const training::StudentBestSink save_best = [&](const models::SpikingBertEquilibrium<float>& best,
                                                  const training::DevScore& score, std::int64_t step) {
    if (!training::world().is_root()) return;  // every rank holds the same student; rank 0 writes it
    io::Checkpoint checkpoint;
    checkpoint.config = student_config;
    checkpoint.tensors = best.tensors();
    if (general) {  // no task head
      std::erase_if(checkpoint.tensors, [](const auto& entry) { return entry.first.rfind(kClassifierPrefix, 0) == 0; });
    }
    checkpoint.metadata = {{"kind", general ? "spikingbert-general-student" : "spikingbert-student"},
                           {"task", info ? info->name : ""}, {"stage", stage_name},
                           {"gradient", training::to_string(mode)}, {"steps", std::to_string(o.steps)},
                           {"step", std::to_string(step)}, {"validation", score.summary},
                           {"seed", std::to_string(o.seed)}, {kProvenanceKey, provenance}};
    io::write_checkpoint(o.output, checkpoint);
  };

  training::StudentTrainingOptions options;
  options.stage = stage;
  options.gradient = mode;
  options.time_steps = o.steps;
  static_cast<training::TrainingOptions&>(options) = training_loop_options(o, o.output, o.seed, max_length);
  options.temperature = o.temperature;
  options.threads = o.threads;
  options.stop_requested = interrupt_requested;  // Ctrl-C: the state of the step in progress is written
  // Distillation's own options that change the run (training/ResumeChecks.hpp).
  options.run_options.insert(options.run_options.end(),
                             {{"--task", info ? info->name : std::string("general")}, {"--corpus", o.corpus},
                              {"--stage", stage_name}, {"--gradient", training::to_string(mode)},
                              {"--steps", std::to_string(o.steps)}, {"--temperature", training::option_text(o.temperature)},
                              {"--dev-limit", std::to_string(o.dev_limit)},
                              {"--teacher", std::to_string(o.teachers.size()) + " file(s)"}});
  if (!o.quiet && training::world().is_root()) {
    std::cerr << "distill: " << (info ? info->name : std::string("general (") + o.corpus + ")") << ", stage " << stage_name
              << ", gradient " << training::to_string(mode) << ", T = " << o.steps << ", " << teachers.size()
              << " teacher(s), student " << student_config.num_hidden_layers << "x" << student_config.hidden_size
              << " from " << built.initialised_from << ", " << train.size() << " training and " << validation_count
              << " validation examples\n";
  }
  const models::TeacherEnsemble ensemble(std::move(teachers), "--teacher");
  const auto report = training::train_student(*student, snn_config, ensemble, train, evaluate, save_best, options);
  if (report.interrupted) {
    throw Interrupted("distill stopped after step " + std::to_string(report.steps) + " of " + std::to_string(report.total_steps) +
                      "; --resume continues from " + state_file);
  }

  // 6. The dev set(s), once, with the selected checkpoint; recorded in its metadata.
  nlohmann::json dev = nlohmann::json::object();
  if (!general) {
    training::world().barrier();  // rank 0 has written the best checkpoint before any rank reads it
    auto checkpoint = io::read_checkpoint(o.output);
    const auto best_model = models::load_spiking_bert(o.output);
    models::GlueSetOptions dev_options;
    dev_options.limit = static_cast<int>(o.dev_limit);
    dev_options.max_length = max_length;
    for (const auto& [name, file] : dev_files) {
      const auto set = models::load_glue_set(best_model.config(), o.output, *task, file, tokenizer, vocab_path.string(), dev_options);
      const auto result = simulate_glue_set_on_ranks(best_model, o.output, set, simulation_options());
      dev[name] = metrics_json(result.metrics);
      dev[name]["examples"] = result.examples;
      if (!o.quiet && training::world().is_root()) std::cerr << "distill: " << name << " (measured once, after selection) " << io::metrics_text(result.metrics) << "\n";
    }
    checkpoint.metadata["dev"] = dev.dump();
    if (training::world().is_root()) io::write_checkpoint(o.output, checkpoint);
  }

  nlohmann::json summary = training_json(report);
  summary["command"] = "distill";
  summary["task"] = info ? info->name : "";
  summary["stage"] = stage_name;
  summary["gradient"] = training::to_string(mode);
  summary["steps"] = o.steps;  // T; the optimizer's are optimizer_steps (docs/cli.md)
  summary["output"] = o.output;
  summary["student"] = {{"layers", student_config.num_hidden_layers}, {"hidden", student_config.hidden_size},
                        {"intermediate", student_config.intermediate_size}, {"heads", student_config.num_attention_heads},
                        {"initialised_from", built.initialised_from}};
  summary["training_examples"] = train.size();
  summary["validation_examples"] = validation_count;
  summary["dev"] = dev;
  if (mode == training::GradientMode::feedback) summary["max_adjoint_iterations"] = report.max_adjoint_iterations;
  std::cout << summary.dump() << "\n";
}

}  // namespace

void add_distill_command(CLI::App& app) {
  auto* command = app.add_subcommand("distill", "Distil a BERT teacher into a spiking student");
  auto o = std::make_shared<DistillOptions>();
  command->add_option("--teacher", o->teachers, "Teacher checkpoint; repeat for an ensemble (logits averaged)")->required();
  add_task_option(command, o->task, "GLUE task (not with --stage general)");
  command->add_option("--stage", o->stage,
                      "general (plain-text --corpus, internal layers, no task head), ikd (attention + hidden MSE), "
                      "pred (soft CE) or labels (CE; MSE for STS-B)")->required();
  command->add_option("--corpus", o->corpus, "With --stage general: plain text, one sentence or paragraph a line");
  command->add_option("--steps", o->steps, "Time steps T of the event-kernel simulation")->capture_default_str();
  command->add_option("--gradient", o->gradient, "analog-twin, implicit or feedback")->capture_default_str();
  command->add_option("--output", o->output, "Student checkpoint to write (best on validation); CKPT.state holds the resumable state")->required();
  command->add_option("--init", o->init, "Start from this checkpoint: a student (a general one gets a new task head), or a "
                                         "teacher of the student's widths (layers mapped)");
  command->add_option("--student-layers", o->shape.layers, "Student encoder layers (default: the teacher's)");
  command->add_option("--student-hidden", o->shape.hidden, "Student hidden size (default: the teacher's; narrower: W_td)");
  command->add_option("--student-intermediate", o->shape.intermediate, "Student intermediate size (default: the teacher's)");
  command->add_option("--student-heads", o->shape.heads, "Student attention heads (default: the teacher's)");
  command->add_option("--temperature", o->temperature, "Temperature of prediction-layer KD")->capture_default_str();
  command->add_option("--dev-limit", o->dev_limit, "Evaluate on the first N dev examples (0 = all)");
  add_training_options(command, *o, "Seed of shuffling and of the random initialisation");
  command->callback([o] {
    const tbb::global_control limit(tbb::global_control::max_allowed_parallelism, o->threads);
    const InterruptScope interrupts;  // Ctrl-C: the state of the step in progress is written, then exit 130
    distill(*o);
  });
}

}  // namespace spikingbert::tools
