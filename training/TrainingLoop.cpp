#include "training/TrainingLoop.hpp"

#include "io/Checkpoint.hpp"
#include "io/Error.hpp"
#include "models/Dropout.hpp"
#include "training/Batching.hpp"
#include "training/Communicator.hpp"
#include "training/LinearWarmupSchedule.hpp"
#include "training/TrainingStateTensors.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

namespace spikingbert::training {

namespace {

using Clock = std::chrono::steady_clock;

// Seed of epoch e's batch order.
std::uint64_t epoch_seed(std::uint64_t seed, std::int64_t epoch) {
  return models::derive_seed(seed, 0x1000 + static_cast<std::uint64_t>(epoch));
}

std::string duration_text(double seconds) {
  const auto total = static_cast<long>(std::max(0.0, seconds));
  char text[32];
  std::snprintf(text, sizeof text, "%ldh%02ldm%02lds", total / 3600, (total / 60) % 60, total % 60);
  return text;
}

// "loss 0.6931" or "loss 0.6931 (prediction 0.6931 attention 0 hidden 0)".
std::string loss_text(const std::vector<std::string>& names, const std::vector<double>& terms) {
  std::string text;
  char number[32];
  for (std::size_t i = 0; i < terms.size(); ++i) {
    std::snprintf(number, sizeof number, "%.4f", terms[i]);
    if (i == 0) text += std::string("loss ") + number;
    else text += (i == 1 ? " (" : " ") + names[i] + " " + number + (i + 1 == terms.size() ? ")" : "");
  }
  return text;
}

void save_state(const std::filesystem::path& path, Trainee& trainee, Optimizer& optimizer, std::int64_t step,
                const TrainingReport& report, const TrainingOptions& options) {
  io::Checkpoint state;
  state.config = trainee.state_config();
  store_parameters_and_moments(trainee.parameters(), optimizer, state.tensors);
  store_run_options(options.run_options, state.metadata);
  state.metadata["kind"] = trainee.description().state_kind;
  state.metadata["step"] = std::to_string(step);
  state.metadata["best_step"] = std::to_string(report.best_step);
  state.metadata["best_selection"] = option_text(report.best.selection);
  state.metadata["best_summary"] = report.best.summary;
  io::write_checkpoint(path, state);
}

// Restores parameters, moments and counters from options.state_file; returns the step it continues from.
std::int64_t load_state(Trainee& trainee, Optimizer& optimizer, TrainingReport& report, std::int64_t total_steps,
                        const TrainingOptions& options) {
  const auto& path = options.state_file;
  const auto& description = trainee.description();
  const std::string written_by = "a training state written by " + description.command;
  const auto state = io::read_checkpoint(path);
  auto metadata = [&](const std::string& key) {
    const auto found = state.metadata.find(key);
    if (found == state.metadata.end()) throw io::InputError(path.string(), "metadata '" + key + "'", "missing", written_by);
    return found->second;
  };
  if (metadata("kind") != description.state_kind) {
    throw io::InputError(path.string(), "metadata 'kind'", "is '" + metadata("kind") + "'",
                         "'" + description.state_kind + "', " + written_by);
  }
  check_run_options(options.run_options, state.metadata, path.string());
  restore_parameters_and_moments(state.tensors, path.string(), trainee.parameters(), optimizer);
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

TrainingReport run_training_loop(Trainee& trainee, const std::vector<EncodedExample>& train, const TrainingOptions& options) {
  const auto& description = trainee.description();
  const auto batches_per_epoch = static_cast<std::int64_t>(
      shuffled_length_grouped_batches(train, options.batch_size, epoch_seed(options.seed, 0)).size());
  if (batches_per_epoch == 0) throw std::invalid_argument(description.command + ": no training batches");
  const auto total_steps = std::max<std::int64_t>(
      1, static_cast<std::int64_t>(std::llround(options.epochs * static_cast<double>(batches_per_epoch))));
  Optimizer optimizer(options.optimizer, options.adam, LinearWarmupSchedule{total_steps, options.warmup_fraction});
  optimizer.initialise(trainee.parameters());
  TrainingReport report;
  report.loss_names = description.loss_names;
  report.total_steps = total_steps;
  report.best.selection = -std::numeric_limits<double>::infinity();
  std::int64_t step = 0;
  if (options.resume) step = load_state(trainee, optimizer, report, total_steps, options);
  const bool writes_state = !options.state_file.empty() && world().is_root();  // rank 0 writes (docs/scaling.md)
  const bool prints = !options.quiet && world().is_root();

  // Ctrl-C: every rank stops at the same step when any rank was asked to (mpirun forwards the signal, but
  // not at the same instant to every rank); collective, called at the same points on every rank.
  const auto stop_requested = [&] {
    const char mine = options.stop_requested && options.stop_requested() ? 1 : 0;
    if (world().size() == 1) return mine != 0;
    const auto all = world().all_gather_concatenated<char>(std::vector<char>{mine});
    return std::find(all.begin(), all.end(), char{1}) != all.end();
  };
  const std::size_t terms = description.loss_names.size();
  const auto start = Clock::now();
  std::int64_t examples_done = 0, loss_count = 0;
  std::vector<double> loss_sum(terms, 0.0);
  const std::int64_t per_epoch = std::max<std::int64_t>(1, options.evaluations_per_epoch);
  while (step < total_steps && !report.interrupted) {
    const std::int64_t epoch = step / batches_per_epoch;
    const auto batches = shuffled_length_grouped_batches(train, options.batch_size, epoch_seed(options.seed, epoch));
    for (std::int64_t b = step % batches_per_epoch; b < batches_per_epoch && step < total_steps; ++b) {
      const auto loss = trainee.train_step(batches[b], step, optimizer);
      if (!std::isfinite(loss.front())) throw std::runtime_error(description.command + ": the loss became " + std::to_string(loss.front()));
      for (std::size_t i = 0; i < terms; ++i) loss_sum[i] += loss[i];
      ++loss_count;
      examples_done += static_cast<std::int64_t>(batches[b].size());
      ++step;

      const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
      const double rate = static_cast<double>(examples_done) / std::max(seconds, 1e-9);
      const double count = static_cast<double>(std::max<std::int64_t>(loss_count, 1));
      std::vector<double> mean_loss(terms);
      for (std::size_t i = 0; i < terms; ++i) mean_loss[i] = loss_sum[i] / count;
      const double epochs_done = static_cast<double>(step) / static_cast<double>(batches_per_epoch);
      if (prints && (step % description.progress_every_steps == 0 || b + 1 == batches_per_epoch || step == total_steps)) {
        const double remaining_examples = static_cast<double>(total_steps - step) * static_cast<double>(options.batch_size);
        std::fprintf(stderr, "\repoch %.2f/%g step %lld/%lld %s %.1f examples/s ETA %s   ", epochs_done, options.epochs,
                     static_cast<long long>(step), static_cast<long long>(total_steps),
                     loss_text(description.loss_names, mean_loss).c_str(), rate,
                     duration_text(remaining_examples / std::max(rate, 1e-9)).c_str());
        io::set_progress_line_open(true);
      }
      // Exactly evaluations_per_epoch evaluations per epoch, evenly spaced, the last one at the epoch's end.
      const bool scheduled = (b + 1) * per_epoch / batches_per_epoch > b * per_epoch / batches_per_epoch;
      if (!scheduled && step != total_steps) {
        if (stop_requested()) {
          // Resuming from here gives the same parameters as never stopping: batches depend only on
          // (seed, step). Only the next evaluation's mean train loss covers fewer steps.
          if (writes_state) save_state(options.state_file, trainee, optimizer, step, report, options);
          report.interrupted = true;
          break;
        }
        continue;
      }
      TrainingEvaluation evaluation;
      evaluation.step = step;
      evaluation.epoch = epochs_done;
      evaluation.train_loss = mean_loss;
      evaluation.score = trainee.evaluate();
      std::fill(loss_sum.begin(), loss_sum.end(), 0.0);
      loss_count = 0;
      const bool best = evaluation.score.selection > report.best.selection;
      if (best) {
        report.best = evaluation.score;
        report.best_step = step;
        trainee.on_best(evaluation.score, step);
      }
      report.evaluations.push_back(evaluation);
      if (prints) {
        std::fprintf(stderr, "\repoch %.2f step %lld train %s validation %s%s, %.1f examples/s\n", evaluation.epoch,
                     static_cast<long long>(step), loss_text(description.loss_names, mean_loss).c_str(),
                     evaluation.score.summary.c_str(), best ? " (best)" : "", rate);
        io::set_progress_line_open(false);
      }
      if (writes_state) save_state(options.state_file, trainee, optimizer, step, report, options);
      if (options.stop_after_step >= 0 && step >= options.stop_after_step) break;
      if (step == total_steps) break;
      if (stop_requested()) {  // the state of this step is written above
        report.interrupted = true;
        break;
      }
    }
    if (options.stop_after_step >= 0 && step >= options.stop_after_step) break;
  }
  report.steps = step;
  report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  report.examples_per_second = static_cast<double>(examples_done) / std::max(report.seconds, 1e-9);
  return report;
}

}  // namespace spikingbert::training
