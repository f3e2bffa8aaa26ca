#include "commands/SharedOptions.hpp"

#include "commands/OptionChecks.hpp"
#include "training/ResumeChecks.hpp"
#include "commands/Progress.hpp"
#include "commands/ShippedData.hpp"
#include "io/Error.hpp"
#include "io/GlueTask.hpp"
#include "io/ModelConfig.hpp"

#include <cstdio>
#include <filesystem>

namespace spikingbert::tools {

namespace {

// Retired option names and their replacements (issue 15 item 5). A retired name fails with one line naming
// the new option rather than being kept as a silent alias.
struct Renamed {
  const char* old_name;
  const char* new_name;
};
constexpr Renamed kRenamedOptions[] = {
    {"--batch", "--batch-size"},        {"--lr", "--learning-rate"}, {"--max-seq-length", "--max-length"},
    {"--seq", "--sequence-length"},     {"--file", "--data"},
};

std::string default_max_length_text() {
  return "default " + std::to_string(io::kSst2MaxLength) + " for SST-2, else " + std::to_string(io::kDefaultGlueMaxLength);
}

}  // namespace

CLI::Option* add_student_model_option(CLI::App* command, std::string& model) {
  return command->add_option("--model", model,
                             "Spiking model: directory (config.json + model.safetensors) or checkpoint (default: the shipped SST-2 student)");
}

void default_to_shipped_student(const std::string& command, std::string& model) {
  if (!model.empty()) return;
  const auto shipped = shipped_default_model();
  if (shipped.empty()) {
    throw io::InputError("command line", "--model", "not given, and no shipped student (models/pretrained/sst2/student.h5) was found",
                         "--model DIR or checkpoint");
  }
  model = shipped.string();
  std::fprintf(stderr, "%s: no --model given, using the shipped SST-2 student %s\n", command.c_str(), model.c_str());
}

CLI::Option* add_task_option(CLI::App* command, std::string& task, const std::string& what) {
  return command->add_option("--task", task, what + ": " + io::glue_task_names());
}

CLI::Option* add_data_option(CLI::App* command, std::string& data, const std::string& what) {
  return command->add_option("--data", data, what);
}

CLI::Option* add_vocab_option(CLI::App* command, std::string& vocab) {
  return command->add_option("--vocab", vocab, "WordPiece vocabulary (default: the shipped bert-base-uncased)");
}

CLI::Option* add_max_length_option(CLI::App* command, int& max_length, const std::string& what) {
  return command
      ->add_option("--max-length", max_length,
                   what.empty() ? "Tokens per example, [CLS]/[SEP] included (" + default_max_length_text() + ")" : what)
      ->check(positive_integer("--max-length", "a positive token count (" + default_max_length_text() + ")"));
}

CLI::Option* add_training_batch_size_option(CLI::App* command, int& batch_size) {
  batch_size = kTrainingBatchSize;
  return command->add_option("--batch-size", batch_size, "Examples per optimizer step")
      ->capture_default_str()
      ->check(positive_integer("--batch-size", "examples per optimizer step >= 1"));
}

CLI::Option* add_simulation_batch_size_option(CLI::App* command, int& batch_size, const std::string& what) {
  if (batch_size == 0) batch_size = kSimulationBatchSize;
  return command
      ->add_option("--batch-size", batch_size,
                   what.empty() ? "Examples simulated at once (throughput only: results do not depend on it)" : what)
      ->capture_default_str()
      ->check(positive_integer("--batch-size", "examples simulated at once >= 1"));
}

CLI::Option* add_learning_rate_option(CLI::App* command, double& learning_rate) {
  return command->add_option("--learning-rate", learning_rate, "Peak learning rate (linear warm-up, then linear decay)")
      ->capture_default_str()
      ->check(positive_number("--learning-rate", "a finite rate > 0"));
}

CLI::Option* add_config_steps_option(CLI::App* command, int& steps) {
  return command->add_option("--steps", steps, "Time steps T (default: the config's t_conv)")
      ->check(positive_integer("--steps", "T >= 1 (at most " + std::to_string(io::kMaximumTimeSteps) +
                                              "); without --steps the config's t_conv",
                               io::kMaximumTimeSteps));
}

CLI::Option* add_seed_option(CLI::App* command, std::uint64_t& seed, const std::string& what) {
  return command->add_option("--seed", seed, what)->capture_default_str();
}

CLI::Option* add_limit_option(CLI::App* command, int& limit) {
  return command->add_option("--limit", limit, "Only the first N examples of --data (0 = all)");
}

CLI::Option* add_json_option(CLI::App* command, bool& json) {
  return command->add_flag("--json", json, "End stdout with one JSON summary line");
}

CLI::Option* add_threads_option(CLI::App* command, int& threads, const std::string& what) {
  threads = all_cores();
  return command->add_option("--threads", threads, what + " (default: all cores; results do not depend on it)")
      ->check(positive_integer("--threads",
                               "a thread count >= 1 (at most " + std::to_string(kMaximumThreads) + "); without --threads all " +
                                   std::to_string(all_cores()) + " cores",
                               kMaximumThreads));
}

CLI::Option* add_quiet_option(CLI::App* command, bool* quiet) {
  return command->add_flag_callback(
      "--quiet",
      [quiet] {
        set_progress_quiet(true);
        if (quiet) *quiet = true;
      },
      "No progress lines on stderr");
}

void add_training_options(CLI::App* command, TrainingCommandOptions& o, const std::string& seed_what) {
  command->add_option("--epochs", o.epochs, "Epochs (may be fractional)")
      ->capture_default_str()
      ->check(positive_number("--epochs", "a finite number of epochs > 0"));
  add_learning_rate_option(command, o.learning_rate);
  command->add_option("--warmup", o.warmup, "Warm-up fraction of the optimizer steps")->capture_default_str()->check(CLI::Range(0.0, 0.999));
  command->add_option("--weight-decay", o.weight_decay, "Decoupled weight decay (not biases or LayerNorm)")->capture_default_str();
  add_training_batch_size_option(command, o.batch_size);
  command->add_option("--evaluations-per-epoch", o.evaluations_per_epoch, "Validation evaluations per epoch")
      ->capture_default_str()
      ->check(positive_integer("--evaluations-per-epoch", "evaluations per epoch >= 1"));
  add_seed_option(command, o.seed, seed_what);
  command->add_option("--data-dir", o.data_dir, "GLUE folder (default: the shipped data/glue)");
  add_vocab_option(command, o.vocab);
  add_max_length_option(command, o.max_length);
  command->add_option("--train-limit", o.train_limit, "Use only the first N training examples (0 = all), validation included");
  command->add_option("--validation-size", o.validation_size,
                      "Examples held out of the training file for selection (default 10%, at most 1000; fixed seed)")
      ->check(positive_integer("--validation-size", "at least 1 example held out for selection"));
  command->add_flag("--resume", o.resume, "Continue from OUTPUT.state");
  add_threads_option(command, o.threads);
  add_quiet_option(command, &o.quiet);
}

void require_state_to_resume(const TrainingCommandOptions& options, const std::string& state_file, const std::string& command) {
  if (options.resume && !std::filesystem::exists(state_file)) {
    throw io::InputError(state_file, "file", "no training state to resume",
                         "a state written by an earlier " + command + " run with the same --output");
  }
}

training::TrainingOptions training_loop_options(const TrainingCommandOptions& o, const std::string& output,
                                                std::uint64_t seed, int max_length) {
  training::TrainingOptions options;
  options.epochs = o.epochs;
  options.batch_size = o.batch_size;
  options.adam.learning_rate = o.learning_rate;
  options.adam.weight_decay = o.weight_decay;
  options.warmup_fraction = o.warmup;
  options.seed = seed;
  options.evaluations_per_epoch = o.evaluations_per_epoch;
  options.state_file = output + ".state";
  options.resume = o.resume;
  options.quiet = o.quiet;
  options.best_checkpoint = output;
  options.run_options = {{"--epochs", training::option_text(o.epochs)}, {"--batch-size", std::to_string(o.batch_size)},
                         {"--learning-rate", training::option_text(o.learning_rate)}, {"--warmup", training::option_text(o.warmup)},
                         {"--weight-decay", training::option_text(o.weight_decay)}, {"--seed", std::to_string(seed)},
                         {"--evaluations-per-epoch", std::to_string(o.evaluations_per_epoch)},
                         {"--max-length", std::to_string(max_length)}, {"--train-limit", std::to_string(o.train_limit)}};
  return options;
}

void add_renamed_options(CLI::App& app) {
  for (auto* command : app.get_subcommands([](CLI::App*) { return true; })) {
    for (const auto& renamed : kRenamedOptions) {
      if (command->get_option_no_throw(renamed.old_name) != nullptr) continue;  // the command's own option
      const std::string old_name = renamed.old_name, new_name = renamed.new_name;
      command
          ->add_option_function<std::string>(
              old_name,
              [old_name, new_name](const std::string&) {
                throw io::InputError("command line", old_name, "was renamed", new_name);
              },
              "")
          ->expected(0, 1)
          ->group("");  // hidden from --help
    }
  }
}

}  // namespace spikingbert::tools
