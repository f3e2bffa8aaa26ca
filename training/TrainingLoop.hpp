#pragma once
// The one training loop of train-teacher and distill (issue 12 item 6; method doc §6.4 recipe): seeded
// length-grouped batches, BertAdam or AdamW with linear warm-up then decay, evaluations evenly spaced within
// each epoch (the last at the epoch's end), the best model handed to the trainer, a resumable state written
// atomically after every evaluation (and at Ctrl-C), progress lines on stderr. A run resumed from its state
// continues exactly as if never interrupted: batches depend only on (seed, step), and the state holds the
// parameters, both Adam moments and the counters, exactly (training/TrainingStateTensors.hpp).
//
// What differs between the trainers is a Trainee: its parameters, its optimizer step on a batch and its
// evaluation (training/TeacherTrainer.hpp, training/StudentTrainer.hpp).
//
// Resume safety (docs/errors.md "Resume"): the state records its kind and the options that define the run
// (RunOptions); --resume refuses a state of another kind or of other options.
#include "io/ModelConfig.hpp"
#include "models/Parameter.hpp"
#include "training/AdamSettings.hpp"
#include "training/EncodedExample.hpp"
#include "training/Optimizer.hpp"
#include "training/ResumeChecks.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace spikingbert::training {

// The options of a training run that both trainers share.
struct TrainingOptions {
  double epochs = 1;  // may be fractional: training stops after max(1, round(epochs * batches per epoch)) steps
  std::int64_t batch_size = 32;
  OptimizerKind optimizer = OptimizerKind::bert_adam;
  AdamSettings adam;
  double warmup_fraction = 0.1;
  std::uint64_t seed = 42;
  std::int64_t evaluations_per_epoch = 4;
  std::filesystem::path state_file;  // resumable state (parameters, moments, counters); empty = none
  bool resume = false;               // continue from state_file
  RunOptions run_options;            // stored in the state; --resume refuses other values (ResumeChecks.hpp)
  std::filesystem::path best_checkpoint;  // where the trainer writes the best model; --resume requires it once a best exists
  bool quiet = false;                // no progress lines
  std::int64_t stop_after_step = -1; // stop early (as if killed) after this step's evaluation; -1 = run to the end
  // Polled after every step (Ctrl-C, tools/commands/Interrupt.hpp): when it returns true on any rank the
  // loop writes the state of the step just finished and returns with report.interrupted set.
  std::function<bool()> stop_requested;
};

// The dev metric of a model: the value that selects the best model (higher is better) and a printable
// summary ("accuracy 0.8211").
struct DevScore {
  double selection = 0;
  std::string summary;
};

struct TrainingEvaluation {
  std::int64_t step = 0;
  double epoch = 0;
  std::vector<double> train_loss;  // each loss term's mean over the steps since the previous evaluation
  DevScore score;
};

struct TrainingReport {
  std::vector<std::string> loss_names;  // of TrainingEvaluation::train_loss (Trainee::Description)
  std::vector<TrainingEvaluation> evaluations;
  DevScore best;
  std::int64_t best_step = -1;
  std::int64_t steps = 0;
  std::int64_t total_steps = 0;
  double seconds = 0;
  double examples_per_second = 0;
  bool interrupted = false;  // stopped by stop_requested before the last step (state written at `steps`)
};

// What the loop trains: one trainer's model, its step and its evaluation.
class Trainee {
 public:
  struct Description {
    std::string command;     // "train-teacher", "distill": messages name it
    std::string state_kind;  // metadata 'kind' of its training states; --resume checks it
    // The loss terms train_step returns; the first is the loss minimised. Also the summaries' JSON keys.
    std::vector<std::string> loss_names;
    std::int64_t progress_every_steps = 10;  // progress lines (steps of different cost need different rates)
  };

  virtual ~Trainee() = default;
  virtual const Description& description() const = 0;
  // The parameters the optimizer updates and the state stores.
  virtual std::vector<models::Parameter<float>>& parameters() = 0;
  // The model's configuration, stored in the state (what `inspect` shows of it).
  virtual io::ModelConfig state_config() const = 0;
  // One optimizer step on the training examples `batch`, the run's step-th (0-based); returns the batch's
  // loss terms. Collective under MPI.
  virtual std::vector<double> train_step(const std::vector<std::int64_t>& batch, std::int64_t step, Optimizer& optimizer) = 0;
  // The current model on the selection set. Collective under MPI.
  virtual DevScore evaluate() = 0;
  // Called with the score whenever the current model is the best so far.
  virtual void on_best(const DevScore& score, std::int64_t step) = 0;
};

// Trains `trainee` on `train` (the examples train_step's batches index). Throws io::InputError for a state
// that --resume cannot continue, std::runtime_error when the loss stops being finite.
TrainingReport run_training_loop(Trainee& trainee, const std::vector<EncodedExample>& train, const TrainingOptions& options);

}  // namespace spikingbert::training
