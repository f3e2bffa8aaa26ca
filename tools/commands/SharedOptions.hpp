#pragma once
// The command line's one vocabulary (issue 15 item 5, issue 12 item 6): every option that more than one
// command takes is declared here, once, with one name, one meaning and one default, and every command
// declares it through these functions. docs/cli.md (its hand-written preamble, tools/cli-preamble.md)
// has the table of names.
//
// Names follow what most commands already used and what Hugging Face users know (`--learning-rate`,
// `--batch-size`, `--max-length`, `--seed`, `--weight-decay`). `--batch-size` is the number of examples
// processed together everywhere: in training it is the examples of one optimizer step (the results depend
// on it); in evaluation and simulation it is how many examples are simulated at once (throughput only, the
// results do not depend on it), like Hugging Face's per-device eval batch size. `--steps` is always the
// number of time steps T of the simulation; optimizer steps are `optimizer_steps` in the JSON summaries.
//
// Renamed options are refused with one line naming the new option (exit 2), not kept as silent aliases
// (add_renamed_options).
#include "training/TrainingLoop.hpp"

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

namespace spikingbert::tools {

// Examples per optimizer step of train-teacher and distill (the paper's batch of 32, method doc §6.4).
inline constexpr int kTrainingBatchSize = 32;
// Examples simulated at once by run, sweep, run-teacher and the dev evaluations of training: enough
// concurrent sentences to keep every thread busy (throughput only).
inline constexpr int kSimulationBatchSize = 32;

// --model: a spiking model folder or checkpoint. `model` stays empty when not given; resolve it with
// default_to_shipped_student.
CLI::Option* add_student_model_option(CLI::App* command, std::string& model);
// When `model` is empty: the shipped SST-2 student (models/pretrained/sst2/student.h5), with one line on
// stderr naming it. Throws io::InputError naming --model when nothing is shipped.
void default_to_shipped_student(const std::string& command, std::string& model);

// --task: a GLUE task name (io::glue_task_names).
CLI::Option* add_task_option(CLI::App* command, std::string& task, const std::string& what = "GLUE task");
// --data: a GLUE TSV file.
CLI::Option* add_data_option(CLI::App* command, std::string& data, const std::string& what);
// --vocab: a WordPiece vocabulary file (default: the shipped bert-base-uncased).
CLI::Option* add_vocab_option(CLI::App* command, std::string& vocab);
// --max-length N >= 1: tokens per example, [CLS] and [SEP] included; not given (0): the task's default
// (io::GlueTaskInfo::default_max_length). `what` replaces the description where a command uses the length
// differently (tokenize, data).
CLI::Option* add_max_length_option(CLI::App* command, int& max_length, const std::string& what = {});
// --batch-size N, examples per optimizer step (default kTrainingBatchSize).
CLI::Option* add_training_batch_size_option(CLI::App* command, int& batch_size);
// --batch-size N, examples simulated at once (default kSimulationBatchSize; results do not depend on it).
CLI::Option* add_simulation_batch_size_option(CLI::App* command, int& batch_size, const std::string& what = {});
// --learning-rate: the peak learning rate of the warm-up-then-decay schedule.
CLI::Option* add_learning_rate_option(CLI::App* command, double& learning_rate);
// --steps T: time steps of the simulation, 1 <= T <= io::kMaximumTimeSteps; not given (0): the model config's
// t_conv (run, grad).
CLI::Option* add_config_steps_option(CLI::App* command, int& steps);
// --seed.
CLI::Option* add_seed_option(CLI::App* command, std::uint64_t& seed, const std::string& what);
// --limit N: only the first N examples of --data (0 = all).
CLI::Option* add_limit_option(CLI::App* command, int& limit);
// --json: end stdout with one JSON summary line.
CLI::Option* add_json_option(CLI::App* command, bool& json);
// --threads N: 1 <= N <= kMaximumThreads worker threads, default all cores (results do not depend on it).
CLI::Option* add_threads_option(CLI::App* command, int& threads, const std::string& what = "Worker threads");
// --quiet: no progress lines on stderr (commands/Progress.hpp); also sets *quiet for a command that passes
// the flag on (the trainers).
CLI::Option* add_quiet_option(CLI::App* command, bool* quiet = nullptr);

// The options train-teacher and distill share: the schedule, the data, the resumable state, threads and
// quiet. The defaults of epochs and learning rate are each recipe's (set them before add_training_options);
// every other default is the same for both.
struct TrainingCommandOptions {
  std::string data_dir, vocab;
  double epochs = 1, learning_rate = 5e-5, warmup = 0.1, weight_decay = 0.01;
  int batch_size = kTrainingBatchSize, evaluations_per_epoch = 4, max_length = 0, threads = 0;
  std::int64_t train_limit = 0, validation_size = -1;  // -1: the default validation size
  std::uint64_t seed = 42;
  bool resume = false, quiet = false;
};
// Declares --epochs, --learning-rate, --warmup, --weight-decay, --batch-size, --evaluations-per-epoch,
// --seed, --data-dir, --vocab, --max-length, --train-limit, --validation-size, --resume, --threads, --quiet.
void add_training_options(CLI::App* command, TrainingCommandOptions& options, const std::string& seed_what);
// The training loop's options of one run writing `output` (its state at output.state) with `seed`: the
// shared values, and as RunOptions (training/ResumeChecks.hpp) every shared option that changes the run
// (not --threads, --quiet, --resume, --data-dir, --vocab), `max_length` as the command resolved it. The
// command appends its own run options.
// With --resume: io::InputError unless `state_file` exists (checked before any data is read).
void require_state_to_resume(const TrainingCommandOptions& options, const std::string& state_file, const std::string& command);
training::TrainingOptions training_loop_options(const TrainingCommandOptions& options, const std::string& output,
                                                std::uint64_t seed, int max_length);

// On every subcommand of `app`: each retired option name this subcommand does not use for something else
// (--batch, --lr, --max-seq-length, --seq, --file) fails with `command line:--OLD: was renamed (expected
// --NEW)`, exit 2. Hidden from --help.
void add_renamed_options(CLI::App& app);

}  // namespace spikingbert::tools
