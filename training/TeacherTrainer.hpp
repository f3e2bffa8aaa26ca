#pragma once
// The teacher's training loop (issue 5, method doc §6.4 recipe): seeded length-grouped batches, BertAdam or
// AdamW with linear warm-up then decay, dropout masks from (seed, step), dev evaluation several times per
// epoch with the task's metric, the best model handed to a callback, and a resumable training state
// written atomically after every evaluation. A run resumed from its state continues exactly as if never
// interrupted: batches and dropout depend only on (seed, step).
#include "models/BertTeacher.hpp"
#include "training/EncodedExample.hpp"
#include "training/ResumeChecks.hpp"
#include "training/TeacherOptimizer.hpp"

#include <filesystem>
#include <limits>
#include <functional>
#include <string>
#include <vector>

namespace spikingbert::training {

struct TeacherTrainingOptions {
  double epochs = 2;  // may be fractional: training stops after round(epochs * batches per epoch) steps
  std::int64_t batch_size = 32;
  OptimizerKind optimizer = OptimizerKind::bert_adam;
  AdamSettings adam;
  double warmup_fraction = 0.1;
  std::uint64_t seed = 42;
  std::int64_t evaluations_per_epoch = 4;
  std::filesystem::path state_file;  // resumable state (parameters, moments, step); empty = none
  bool resume = false;               // continue from state_file
  RunOptions run_options;            // stored in the state; --resume refuses other values (ResumeChecks.hpp)
  std::filesystem::path best_checkpoint;  // where on_best writes; --resume requires it once a best exists
  bool quiet = false;                // no progress lines
  std::int64_t stop_after_step = -1; // stop early (as if killed) after this step; -1 = run to the end
  // Polled after every step (Ctrl-C, tools/commands/Interrupt.hpp): when it returns true the trainer
  // writes the state of the step just finished and returns with report.interrupted set.
  std::function<bool()> stop_requested;
};

// The dev metric of a model's dev logits: the value that selects the best model (higher is better) and a
// printable summary ("accuracy 0.8211").
struct DevScore {
  double selection = 0;
  std::string summary;
};
using DevMetric = std::function<DevScore(const std::vector<float>& dev_logits)>;
// Called with the model whenever it is the best so far on dev.
using BestModelSink = std::function<void(const models::BertTeacher<float>& model, const DevScore& score,
                                         std::int64_t step)>;

struct TeacherEvaluation {
  std::int64_t step = 0;
  double epoch = 0;
  double train_loss = 0;  // mean over the steps since the previous evaluation
  DevScore score;
};

struct TeacherTrainingReport {
  std::vector<TeacherEvaluation> evaluations;
  DevScore best;
  std::int64_t best_step = -1;
  std::int64_t steps = 0;
  double seconds = 0;
  double examples_per_second = 0;
  bool interrupted = false;  // stopped by stop_requested before the last step (state written at `steps`)
  std::int64_t total_steps = 0;
};

TeacherTrainingReport train_teacher(models::BertTeacher<float>& model, const std::vector<EncodedExample>& train,
                                    const std::vector<EncodedExample>& dev, const DevMetric& metric,
                                    const BestModelSink& on_best, const TeacherTrainingOptions& options);

}  // namespace spikingbert::training
