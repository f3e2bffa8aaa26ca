// `spikingbert train-teacher --task TASK --size small|medium|base --epochs N --output CKPT`: trains a BERT
// teacher from scratch on any GLUE task (issue 5, issue 14 item 3; recipe in teacher-calibration.md and method
// doc §6.4). The best checkpoint on the validation split carved from the training file is kept (written
// atomically whenever it improves; training/ValidationSplit.hpp); the dev set (MNLI: matched and mismatched) is
// evaluated once at the end with that checkpoint and reported separately (issue 14 item 4). The training state
// next to it (CKPT.state) lets --resume continue a killed run exactly.
// `--members N --output DIR` trains an ensemble instead: DIR/member-K.h5 (seed --seed + K, each its best
// checkpoint on validation) and the manifest DIR/ensemble.json (models/TeacherEnsemble.hpp), then prints the
// validation and dev metrics of the members' mean logits. STS-B targets are standardised for training
// (training/TeacherTargetScaling.hpp). Every checkpoint records its provenance (commands/Provenance.hpp).
#include "commands/Commands.hpp"
#include "commands/OptionChecks.hpp"
#include "commands/SharedOptions.hpp"
#include "commands/SummaryJson.hpp"
#include "commands/Interrupt.hpp"
#include "commands/Provenance.hpp"
#include "commands/ShippedData.hpp"

#include "io/Checkpoint.hpp"
#include "io/Error.hpp"
#include "io/GlueReader.hpp"
#include "models/BertTeacherIo.hpp"
#include "models/TeacherEnsemble.hpp"
#include "training/Communicator.hpp"
#include "training/GlueTeacherData.hpp"
#include "training/TeacherSteps.hpp"
#include "training/TeacherTargetScaling.hpp"
#include "training/TeacherTrainer.hpp"
#include "training/ValidationSplit.hpp"

#include <nlohmann/json.hpp>
#include <tbb/global_control.h>

#include <cmath>
#include <iostream>
#include <memory>

namespace spikingbert::tools {

namespace {

// The recipe's defaults (teacher-calibration.md): 1.5 epochs at a peak learning rate of 5e-4.
constexpr double kDefaultEpochs = 1.5;
constexpr double kDefaultLearningRate = 5e-4;

struct TrainTeacherOptions : TrainingCommandOptions {
  TrainTeacherOptions() {
    epochs = kDefaultEpochs;
    learning_rate = kDefaultLearningRate;
  }
  std::string task, size = "small", output, train_file, dev_file, optimizer = "bertadam", pooling = "mean";
  double dropout = 0.1, beta2 = 0.999;
  int members = 0;
  bool no_prune = false;
};

// The data and model shape every member of a run shares: encoded examples (compact ids for training), the
// pruned vocabulary and, for regression, the target standardisation.
struct PreparedData {
  io::GlueTask task{};
  std::vector<training::EncodedExample> train;       // compact ids; labels standardised for regression
  std::vector<training::EncodedExample> validation;  // held out of the training file, compact ids, labels as read
  std::vector<training::EncodedExample> validation_full;  // the same with ordinary WordPiece ids
  // Dev sets (name, examples with ordinary ids and labels as in the file), evaluated once at the end.
  std::vector<std::pair<std::string, std::vector<training::EncodedExample>>> dev;
  std::vector<std::filesystem::path> data_files;     // for provenance
  training::VocabularyPruning pruning;
  training::TargetScaling scaling;                   // identity for classification
  io::ModelConfig config;                  // compact vocabulary
  io::ModelConfig full_config;             // the saved teacher's: full vocabulary
};

PreparedData prepare(const TrainTeacherOptions& o) {
  PreparedData data;
  data.task = io::parse_glue_task(o.task);
  const auto& info = io::glue_task_info(data.task);
  auto glue_file = [&](const std::string& explicit_file, const std::string& name, const std::string& option) {
    if (!explicit_file.empty()) return std::filesystem::path(explicit_file);
    if (!o.data_dir.empty()) return std::filesystem::path(o.data_dir) / info.folder / name;
    return find_shipped_data("glue/" + info.folder + "/" + name, option);
  };
  const auto train_path = glue_file(o.train_file, "train.tsv", "--train");
  // MNLI: the matched and the mismatched dev sets, both reported (unless --dev names one file).
  std::vector<std::pair<std::string, std::filesystem::path>> dev_paths;
  if (o.dev_file.empty()) {
    for (const auto& dev_set : info.dev_sets) dev_paths.emplace_back(dev_set.name, glue_file("", dev_set.file, "--dev"));
  } else {
    dev_paths.emplace_back("dev", o.dev_file);
  }
  const auto vocab_path = o.vocab.empty() ? default_vocabulary_path() : std::filesystem::path(o.vocab);
  const int max_seq_length = o.max_length > 0 ? o.max_length : info.default_max_length;
  if (o.optimizer != "bertadam" && o.optimizer != "adamw") {
    throw io::InputError("command line", "--optimizer", "unknown optimizer '" + o.optimizer + "'", "bertadam or adamw");
  }
  if (o.pooling != "mean" && o.pooling != "cls") {
    throw io::InputError("command line", "--pooling", "unknown pooling '" + o.pooling + "'", "mean or cls");
  }

  const auto tokenizer = io::BertTokenizer::from_file(vocab_path);
  data.train = training::encode_glue_dataset(tokenizer, io::read_glue_file(data.task, train_path, io::GlueLabels::present), max_seq_length);
  if (o.train_limit > 0 && static_cast<std::int64_t>(data.train.size()) > o.train_limit) data.train.resize(o.train_limit);
  const auto count = static_cast<std::int64_t>(data.train.size());
  const std::int64_t validation_count = o.validation_size >= 0 ? o.validation_size : training::default_validation_size(count);
  if (validation_count < 1 || validation_count >= count) {
    throw io::InputError("command line", "--validation-size",
                         std::to_string(validation_count) + " of " + std::to_string(count) + " training examples",
                         "at least 1 and fewer than the training examples");
  }
  training::split_off(data.train, training::validation_indices(count, validation_count), data.validation_full);
  data.data_files.push_back(train_path);
  for (const auto& [name, path] : dev_paths) {
    data.dev.emplace_back(name, training::encode_glue_dataset(tokenizer, io::read_glue_file(data.task, path, io::GlueLabels::present),
                                                              max_seq_length));
    data.data_files.push_back(path);
  }

  if (o.no_prune) {
    data.pruning.kept.resize(tokenizer.vocabulary().size());
    for (std::size_t i = 0; i < data.pruning.kept.size(); ++i) data.pruning.kept[i] = static_cast<std::int64_t>(i);
    data.pruning.compact_of = data.pruning.kept;
  } else {
    data.pruning = training::prune_vocabulary(data.train, tokenizer);
  }
  data.validation = data.validation_full;
  training::to_compact_ids(data.train, data.pruning);
  training::to_compact_ids(data.validation, data.pruning);
  if (info.is_regression()) {
    data.scaling = training::standardisation_of(data.train);
    training::standardise_targets(data.train, data.scaling);
  }

  auto& config = data.config;
  config = io::model_size_preset(o.size, "command line", "--size");
  config.vocab_size = data.pruning.size();
  config.max_position_embeddings = std::max(max_seq_length, 64);
  config.num_labels = info.num_labels();
  config.hidden_dropout_prob = o.dropout;
  config.attention_probs_dropout_prob = o.dropout;
  config.pad_token_id = tokenizer.pad_id();
  config.pooling = o.pooling == "mean" ? io::Pooling::mean : io::Pooling::first_token;
  data.full_config = config;
  data.full_config.vocab_size = static_cast<std::int64_t>(tokenizer.vocabulary().size());
  return data;
}

// Trains one teacher with `seed`, keeping its best dev checkpoint at `output` (state at output.state).
// The dev sets' metrics of a teacher (or ensemble) checkpoint, as {name: {metric: value}} and one line.
template <class Teacher>
std::pair<nlohmann::json, std::string> dev_metrics(const Teacher& teacher, const PreparedData& data) {
  constexpr std::int64_t kEvaluationBatch = 128;  // any value gives the same logits
  nlohmann::json json = nlohmann::json::object();
  std::string line;
  for (const auto& [name, examples] : data.dev) {
    const auto logits = training::teacher_predict(teacher, examples, kEvaluationBatch);
    const auto score = training::glue_dev_metric(data.task, examples)(logits);
    for (const auto& [metric, value] : training::glue_metrics_of(data.task, logits, examples)) json[name][metric] = value;
    line += (line.empty() ? "" : "; ") + name + " " + score.summary;
  }
  return {json, line};
}

// Evaluates the chosen checkpoint on dev once and records the result in its metadata.
std::pair<nlohmann::json, std::string> measure_dev_once(const std::string& path, const PreparedData& data) {
  training::world().barrier();  // rank 0 has written the checkpoint before any rank reads it
  auto checkpoint = io::read_checkpoint(path);
  const auto files = models::read_teacher_files(path);
  const auto teacher = models::teacher_from_tensors<float>(files.config, files.tensors, files.source);
  auto result = dev_metrics(teacher, data);
  checkpoint.metadata["dev"] = result.first.dump();
  if (training::world().is_root()) io::write_checkpoint(path, checkpoint);
  training::world().barrier();  // no rank reads it again before it is complete
  return result;
}

training::TeacherTrainingReport train_member(const TrainTeacherOptions& o, const PreparedData& data, std::uint64_t seed,
                                             const std::string& output, bool resume) {
  const auto& info = io::glue_task_info(data.task);
  models::BertTeacher<float> model(data.config, seed);
  const auto provenance =
      provenance_record("train-teacher", {{"seed", seed}, {"validation_seed", training::kValidationSeed}}, data.data_files, {})
          .dump();
  // The saved teacher has the full WordPiece vocabulary, so it takes ordinary token ids, and predicts in
  // the task's units (regression head rescaled, training/TeacherTargetScaling.hpp).
  const training::BestModelSink save_best = [&](const models::BertTeacher<float>& best, const training::DevScore& score,
                                                std::int64_t step) {
    if (!training::world().is_root()) return;  // every rank holds the same teacher; rank 0 writes it
    io::Checkpoint checkpoint;
    checkpoint.config = models::teacher_file_config(data.full_config, info.name);
    checkpoint.tensors = models::teacher_tensors(best);
    auto& word = checkpoint.tensors.at("bert.embeddings.word_embeddings.weight");
    word.values = training::expand_word_embeddings(word.values, data.pruning, data.config.hidden_size);
    word.shape = {data.full_config.vocab_size, data.config.hidden_size};
    if (info.is_regression()) training::rescale_regression_head(checkpoint.tensors, data.scaling);
    checkpoint.metadata = {{"kind", "bert-teacher"}, {"task", info.name}, {"step", std::to_string(step)},
                           {"validation", score.summary}, {"seed", std::to_string(seed)}, {kProvenanceKey, provenance}};
    io::write_checkpoint(output, checkpoint);
  };

  training::TeacherTrainingOptions options;
  static_cast<training::TrainingOptions&>(options) = training_loop_options(o, output, seed, o.max_length);
  options.resume = resume;
  options.optimizer = o.optimizer == "adamw" ? training::OptimizerKind::adamw : training::OptimizerKind::bert_adam;
  options.adam.beta2 = o.beta2;
  // The teacher's own options that change the run (training/ResumeChecks.hpp).
  options.run_options.insert(options.run_options.end(),
                             {{"--task", info.name}, {"--size", o.size}, {"--optimizer", o.optimizer},
                              {"--beta2", training::option_text(o.beta2)}, {"--dropout", training::option_text(o.dropout)},
                              {"--pooling", o.pooling}, {"--no-prune", o.no_prune ? "on" : "off"}});
  if (!o.quiet) {
    std::cerr << "train-teacher: " << info.name << ", seed " << seed << ", " << data.train.size() << " training and "
              << data.validation.size() << " validation examples, vocabulary " << data.pruning.size() << " pieces, "
              << model.parameter_count() << " parameters\n";
  }
  options.stop_requested = interrupt_requested;  // Ctrl-C: the state of the step in progress is written
  auto report = training::train_teacher(model, data.train, data.validation,
                                        training::glue_dev_metric(data.task, data.validation), save_best, options);
  if (report.interrupted)
    throw Interrupted("train-teacher stopped after step " + std::to_string(report.steps) + " of " +
                      std::to_string(report.total_steps) + "; --resume continues from " + options.state_file.string());
  return report;
}

void train(const TrainTeacherOptions& o) {
  check_outputs({o.train_file, o.dev_file, o.vocab, o.data_dir},
                o.members == 0 ? std::vector<std::filesystem::path>{o.output, o.output + ".state"}
                               : std::vector<std::filesystem::path>{});
  if (o.members == 0) require_state_to_resume(o, o.output + ".state", "train-teacher");
  const PreparedData data = prepare(o);
  const auto& info = io::glue_task_info(data.task);
  if (o.members == 0) {
    const auto report = train_member(o, data, o.seed, o.output, o.resume);
    const auto [dev, dev_line] = measure_dev_once(o.output, data);
    if (!o.quiet) std::cerr << "train-teacher: " << dev_line << " (measured once, after selection)\n";
    nlohmann::json summary = training_json(report);
    summary["command"] = "train-teacher";
    summary["task"] = info.name;
    summary["output"] = o.output;
    summary["training_examples"] = data.train.size();
    summary["validation_examples"] = data.validation.size();
    summary["dev"] = dev;
    std::cout << summary.dump() << "\n";
    return;
  }

  // An ensemble (teacher-calibration.md: the mean logits of 5 small teachers reach ~82% on SST-2): member k
  // is an ordinary run with seed --seed + k, kept as DIR/member-k.h5 (its best dev checkpoint); the manifest
  // DIR/ensemble.json lists the members finished so far, so a killed run leaves a usable ensemble and
  // --resume continues the member that was interrupted.
  const std::filesystem::path folder(o.output);
  if (std::filesystem::exists(folder) && !std::filesystem::is_directory(folder)) {
    throw io::InputError(o.output, "--output", "is a file", "a folder for the members of an ensemble (--members)");
  }
  std::filesystem::create_directories(folder);
  models::EnsembleManifest manifest;
  manifest.task = info.name;
  manifest.info["logits"] = "mean of the members' logits; hidden states and attention scores from member 0";
  nlohmann::json members = nlohmann::json::array();
  double seconds = 0;
  for (int k = 0; k < o.members; ++k) {
    const std::uint64_t seed = o.seed + static_cast<std::uint64_t>(k);
    const std::string file = "member-" + std::to_string(k) + ".h5";
    const std::string path = (folder / file).string();
    const bool resume = o.resume && std::filesystem::exists(path + ".state");
    const auto report = train_member(o, data, seed, path, resume);
    const auto [member_dev, member_dev_line] = measure_dev_once(path, data);
    seconds += report.seconds;
    nlohmann::json info_json = {{"seed", seed}, {"best_validation", report.best.summary}, {"best_optimizer_step", report.best_step},
                                {"dev", member_dev}};
    manifest.members.push_back({file, info_json});
    if (training::world().is_root()) write_ensemble_manifest(folder, manifest);
    auto member = training_json(report);
    member.update({{"file", file}, {"seed", seed}, {"dev", member_dev}});
    members.push_back(member);
    if (!o.quiet) {
      std::cerr << "train-teacher: member " << k << " best validation " << report.best.summary << ", " << member_dev_line << "\n";
    }
  }
  training::world().barrier();  // rank 0 has written every member before any rank reads them
  const auto ensemble = models::TeacherEnsemble::load(folder);
  constexpr std::int64_t kEvaluationBatch = 128;  // any value gives the same logits
  const auto validation = training::glue_dev_metric(data.task, data.validation_full)(
      training::teacher_predict(ensemble, data.validation_full, kEvaluationBatch));
  const auto [dev, dev_line] = dev_metrics(ensemble, data);
  manifest.info["validation"] = validation.summary;
  manifest.info["dev"] = dev;
  if (training::world().is_root()) write_ensemble_manifest(folder, manifest);
  if (!o.quiet && training::world().is_root()) {
    std::cerr << "train-teacher: ensemble of " << o.members << " validation " << validation.summary << ", " << dev_line
              << " (measured once)\n";
  }
  nlohmann::json summary;
  summary["command"] = "train-teacher";
  summary["task"] = info.name;
  summary["output"] = o.output;
  summary["members"] = members;
  summary["ensemble_validation"] = validation.summary;
  summary["ensemble_selection"] = validation.selection;
  summary["ensemble_dev"] = dev;
  summary["seconds"] = std::round(seconds * 10) / 10;
  std::cout << summary.dump() << "\n";
}

}  // namespace

void add_train_teacher_command(CLI::App& app) {
  auto* command = app.add_subcommand("train-teacher", "Train a BERT teacher from scratch on a GLUE task");
  auto o = std::make_shared<TrainTeacherOptions>();
  add_task_option(command, o->task)->required();
  command->add_option("--size", o->size, "Model shape: " + io::model_size_preset_names())->capture_default_str();
  command->add_option("--output", o->output,
                      "Checkpoint to write (best dev model; CKPT.state holds the resumable state), or with --members "
                      "the ensemble folder")->required();
  command->add_option("--members", o->members,
                      "Train an ensemble of N teachers (seeds --seed, --seed+1, ...) into the folder --output: "
                      "member-K.h5 and ensemble.json")->check(CLI::Range(1, 64));
  command->add_option("--train", o->train_file, "Training TSV (default: <data-dir>/<task>/train.tsv)");
  command->add_option("--dev", o->dev_file, "Dev TSV, evaluated once at the end (default: <data-dir>/<task>/dev.tsv; "
                                           "MNLI: dev_matched.tsv and dev_mismatched.tsv)");
  command->add_option("--optimizer", o->optimizer, "bertadam (method doc §6.4) or adamw")->capture_default_str();
  command->add_option("--beta2", o->beta2, "Adam beta2")->capture_default_str();
  command->add_option("--dropout", o->dropout, "Hidden and attention dropout")->capture_default_str()->check(CLI::Range(0.0, 0.95));
  command->add_option("--pooling", o->pooling, "mean (better from scratch) or cls (Hugging Face)")->capture_default_str();
  command->add_flag("--no-prune", o->no_prune, "Keep the whole WordPiece vocabulary");
  add_training_options(command, *o, "Seed of initialisation, shuffling and dropout");
  command->callback([o] {
    const tbb::global_control limit(tbb::global_control::max_allowed_parallelism, o->threads);
    const InterruptScope interrupts;  // Ctrl-C: the state of the step in progress is written, then exit 130
    train(*o);
  });
}

}  // namespace spikingbert::tools
