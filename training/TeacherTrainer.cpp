#include "training/TeacherTrainer.hpp"

#include "io/Checkpoint.hpp"
#include "io/Error.hpp"
#include "models/BertTeacherIo.hpp"
#include "models/Dropout.hpp"
#include "training/Batching.hpp"
#include "training/Communicator.hpp"
#include "training/TeacherSteps.hpp"
#include "training/TrainingStateTensors.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>

namespace spikingbert::training {

namespace {

using Clock = std::chrono::steady_clock;

// Seed of epoch e's batch order, and of step s's dropout masks.
std::uint64_t epoch_seed(std::uint64_t seed, std::int64_t epoch) {
  return models::derive_seed(seed, 0x1000 + static_cast<std::uint64_t>(epoch));
}
std::uint64_t step_seed(std::uint64_t seed, std::int64_t step) {
  return models::derive_seed(seed ^ 0x5DEECE66DULL, static_cast<std::uint64_t>(step));
}

std::string duration_text(double seconds) {
  const auto total = static_cast<long>(std::max(0.0, seconds));
  char text[32];
  std::snprintf(text, sizeof text, "%ldh%02ldm%02lds", total / 3600, (total / 60) % 60, total % 60);
  return text;
}

// Training state: parameters, both moments and the counters, as a native checkpoint with prefixed names.
void save_state(const std::filesystem::path& path, const models::BertTeacher<float>& model,
                TeacherOptimizer& optimizer, std::int64_t step, const TeacherTrainingReport& report,
                const RunOptions& run_options) {
  io::Checkpoint state;
  store_run_options(run_options, state.metadata);
  state.config = models::teacher_file_config(model.config(), "");
  const auto& parameters = model.parameters();
  store_parameters_and_moments(parameters, optimizer, state.tensors);
  state.metadata["kind"] = "bert-teacher-training-state";
  state.metadata["step"] = std::to_string(step);
  state.metadata["best_step"] = std::to_string(report.best_step);
  char best[64];
  std::snprintf(best, sizeof best, "%.17g", report.best.selection);
  state.metadata["best_selection"] = best;
  state.metadata["best_summary"] = report.best.summary;
  io::write_checkpoint(path, state);
}

std::int64_t load_state(const std::filesystem::path& path, models::BertTeacher<float>& model,
                        TeacherOptimizer& optimizer, TeacherTrainingReport& report, std::int64_t total_steps,
                        const TeacherTrainingOptions& options) {
  const auto state = io::read_checkpoint(path);
  check_run_options(options.run_options, state.metadata, path.string());
  auto& parameters = model.parameters();
  restore_parameters_and_moments(state.tensors, path.string(), parameters, optimizer);
  auto metadata = [&](const std::string& key) {
    const auto found = state.metadata.find(key);
    if (found == state.metadata.end()) {
      throw io::InputError(path.string(), "metadata '" + key + "'", "missing", "a training state written by train-teacher");
    }
    return found->second;
  };
  const std::int64_t step = state_counter(state.metadata, "step", 0, total_steps, path.string());
  report.best_step = state_counter(state.metadata, "best_step", -1, step, path.string());
  report.best.selection = state_number(state.metadata, "best_selection", path.string());
  report.best.summary = metadata("best_summary");
  if (report.best_step >= 0 && !options.best_checkpoint.empty() && !std::filesystem::exists(options.best_checkpoint)) {
    throw io::InputError(options.best_checkpoint.string(), "file",
                         "missing: the interrupted run saved its best checkpoint (step " +
                             std::to_string(report.best_step) + ") here",
                         "the best checkpoint next to its state (or start anew without --resume)");
  }
  optimizer.set_steps(step);
  return step;
}

}  // namespace

TeacherTrainingReport train_teacher(models::BertTeacher<float>& model, const std::vector<EncodedExample>& train,
                                    const std::vector<EncodedExample>& dev, const DevMetric& metric,
                                    const BestModelSink& on_best, const TeacherTrainingOptions& options) {
  const auto batches_per_epoch = static_cast<std::int64_t>(
      shuffled_length_grouped_batches(train, options.batch_size, epoch_seed(options.seed, 0)).size());
  const auto total_steps = static_cast<std::int64_t>(std::llround(options.epochs * static_cast<double>(batches_per_epoch)));
  TeacherOptimizer optimizer(options.optimizer, options.adam, LinearWarmupSchedule{total_steps, options.warmup_fraction});
  optimizer.initialise(model.parameters());
  TeacherTrainingReport report;
  report.best.selection = -std::numeric_limits<double>::infinity();
  std::int64_t step = 0;
  if (options.resume) step = load_state(options.state_file, model, optimizer, report, total_steps, options);

  models::BertTeacherActivations<float> workspace;
  // Ctrl-C: every rank stops at the same step when any rank was asked to (mpirun forwards the signal, but
  // not at the same instant to every rank); collective, called at the same points on every rank.
  const auto stop_requested = [&] {
    const char mine = options.stop_requested && options.stop_requested() ? 1 : 0;
    if (world().size() == 1) return mine != 0;
    const auto all = world().all_gather_concatenated<char>(std::vector<char>{mine});
    return std::find(all.begin(), all.end(), char{1}) != all.end();
  };
  const auto start = Clock::now();
  std::int64_t examples_done = 0;
  double loss_sum = 0;
  std::int64_t loss_count = 0;
  while (step < total_steps) {
    const std::int64_t epoch = step / batches_per_epoch;
    const auto batches = shuffled_length_grouped_batches(train, options.batch_size, epoch_seed(options.seed, epoch));
    for (std::int64_t b = step % batches_per_epoch; b < batches_per_epoch; ++b) {
      const float loss = teacher_train_step(model, optimizer, train, batches[b], step_seed(options.seed, step), workspace);
      if (!std::isfinite(loss)) throw std::runtime_error("train-teacher: the loss became " + std::to_string(loss));
      loss_sum += loss;
      ++loss_count;
      examples_done += static_cast<std::int64_t>(batches[b].size());
      ++step;
      const bool epoch_end = b + 1 == batches_per_epoch || step == total_steps;  // for the progress line
      const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
      const double rate = examples_done / std::max(seconds, 1e-9);
      if (!options.quiet && world().is_root() && (step % 50 == 0 || epoch_end)) {
        const double remaining_examples = static_cast<double>(total_steps - step) * options.batch_size;
        std::fprintf(stderr, "\repoch %lld/%g step %lld/%lld loss %.4f %.0f examples/s ETA %s   ",
                     static_cast<long long>(epoch + 1), options.epochs,
                     static_cast<long long>(step), static_cast<long long>(total_steps),
                     loss_sum / std::max<std::int64_t>(loss_count, 1), rate,
                     duration_text(remaining_examples / std::max(rate, 1e-9)).c_str());
        io::set_progress_line_open(true);
      }
      // Exactly evaluations_per_epoch evaluations per epoch, evenly spaced, the last one at the epoch's end.
      const std::int64_t per_epoch = std::max<std::int64_t>(1, options.evaluations_per_epoch);
      const bool scheduled = (b + 1) * per_epoch / batches_per_epoch > b * per_epoch / batches_per_epoch;
      if (!scheduled && step != total_steps) {
        if (stop_requested()) {
          // Resuming from here gives the same parameters as never stopping: batches and dropout depend
          // only on (seed, step). Only the next evaluation's mean train loss covers fewer steps.
          if (!options.state_file.empty() && world().is_root()) save_state(options.state_file, model, optimizer, step, report, options.run_options);
          report.interrupted = true;
          break;
        }
        continue;
      }
      TeacherEvaluation evaluation;
      evaluation.step = step;
      evaluation.epoch = static_cast<double>(step) / static_cast<double>(batches_per_epoch);
      evaluation.train_loss = loss_sum / std::max<std::int64_t>(loss_count, 1);
      evaluation.score = metric(teacher_predict(model, dev, 128));
      loss_sum = 0;
      loss_count = 0;
      const bool best = evaluation.score.selection > report.best.selection;
      if (best) {
        report.best = evaluation.score;
        report.best_step = step;
        on_best(model, evaluation.score, step);
      }
      report.evaluations.push_back(evaluation);
      if (!options.quiet && world().is_root()) {
        std::fprintf(stderr, "\repoch %.2f step %lld train loss %.4f validation %s%s, %.0f examples/s\n", evaluation.epoch,
                     static_cast<long long>(step), evaluation.train_loss, evaluation.score.summary.c_str(),
                     best ? " (best)" : "", rate);
        io::set_progress_line_open(false);
      }
      if (!options.state_file.empty() && world().is_root()) save_state(options.state_file, model, optimizer, step, report, options.run_options);
      if (options.stop_after_step >= 0 && step >= options.stop_after_step) break;
      if (step == total_steps) break;
      if (stop_requested()) {  // the state of this step is written above
        report.interrupted = true;
        break;
      }
    }
    if (options.stop_after_step >= 0 && step >= options.stop_after_step) break;
    if (report.interrupted) break;
  }
  report.steps = step;
  report.total_steps = total_steps;
  report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  report.examples_per_second = examples_done / std::max(report.seconds, 1e-9);
  return report;
}

}  // namespace spikingbert::training
