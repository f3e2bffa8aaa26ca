#include "training/StudentTrainer.hpp"

#include "io/Checkpoint.hpp"
#include "io/Error.hpp"
#include "models/Dropout.hpp"
#include "models/ModelFiles.hpp"
#include "models/SpikingBertWeights.hpp"
#include "training/BertAdam.hpp"
#include "training/Batching.hpp"
#include "training/Communicator.hpp"
#include "training/DistillationLosses.hpp"
#include "training/ExampleSum.hpp"
#include "training/LinearWarmupSchedule.hpp"
#include "training/SpectralNorm.hpp"
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

// Progress lines every this many steps (a student step simulates T steps, so it is slower than a teacher's).
constexpr std::int64_t kProgressEverySteps = 10;
// Power iterations for ||W_fb||_2 (feedback mode): converged afresh every step, so the projection needs no
// state between steps and a resumed run projects exactly as an uninterrupted one.
constexpr double kSpectralNormTolerance = 1e-9;
constexpr int kSpectralNormMaxIterations = 2000;
constexpr const char* kStateKind = "spikingbert-student-training-state";

// Seed of epoch e's batch order (the same derivation as the teacher's trainer).
std::uint64_t epoch_seed(std::uint64_t seed, std::int64_t epoch) {
  return models::derive_seed(seed, 0x1000 + static_cast<std::uint64_t>(epoch));
}

std::string duration_text(double seconds) {
  const auto total = static_cast<long>(std::max(0.0, seconds));
  char text[32];
  std::snprintf(text, sizeof text, "%ldh%02ldm%02lds", total / 3600, (total / 60) % 60, total % 60);
  return text;
}

std::string number_text(double value) {
  char text[64];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

// Training state: parameters, both moments and the counters, as a native checkpoint with prefixed names.
void save_state(const std::filesystem::path& path, const models::SpikingBertEquilibrium<float>& student,
                const io::ModelConfig& config, BertAdam<float>& optimizer, std::int64_t step,
                const StudentTrainingReport& report, const StudentTrainingOptions& options) {
  io::Checkpoint state;
  state.config = config;
  const auto& parameters = student.parameters();
  store_parameters_and_moments(parameters, optimizer, state.tensors);
  store_run_options(options.run_options, state.metadata);
  state.metadata["kind"] = kStateKind;
  state.metadata["stage"] = to_string(options.stage);
  state.metadata["gradient"] = to_string(options.gradient);
  state.metadata["step"] = std::to_string(step);
  state.metadata["best_step"] = std::to_string(report.best_step);
  state.metadata["best_selection"] = number_text(report.best.selection);
  state.metadata["best_summary"] = report.best.summary;
  io::write_checkpoint(path, state);
}

std::int64_t load_state(const std::filesystem::path& path, models::SpikingBertEquilibrium<float>& student,
                        BertAdam<float>& optimizer, StudentTrainingReport& report, const StudentTrainingOptions& options,
                        std::int64_t total_steps) {
  const auto state = io::read_checkpoint(path);
  auto metadata = [&](const std::string& key) {
    const auto found = state.metadata.find(key);
    if (found == state.metadata.end()) {
      throw io::InputError(path.string(), "metadata '" + key + "'", "missing", "a training state written by distill");
    }
    return found->second;
  };
  if (metadata("kind") != kStateKind) {
    throw io::InputError(path.string(), "metadata 'kind'", "is '" + metadata("kind") + "'", kStateKind);
  }
  for (const auto& [key, expected] : {std::pair<std::string, std::string>{"stage", to_string(options.stage)},
                                      {"gradient", to_string(options.gradient)}}) {
    if (metadata(key) != expected) {
      throw io::InputError(path.string(), "metadata '" + key + "'", "is '" + metadata(key) + "'",
                           "'" + expected + "' as on this command line (resume with the same options)");
    }
  }
  check_run_options(options.run_options, state.metadata, path.string());
  auto& parameters = student.parameters();
  restore_parameters_and_moments(state.tensors, path.string(), parameters, optimizer);
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

// Keeps ||W_fb||_2 <= V_th after an update (method doc: feedback weight spectral norm bounded; docs/gradients.md).
void project_feedback_weight(models::SpikingBertEquilibrium<float>& student) {
  auto& weight = student.parameter(student.feedback_weight_name());
  const auto H = static_cast<Eigen::Index>(student.config().hidden_size);
  Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> matrix(weight.value.data(), H, H);
  SpectralNorm norm(H, H);
  const double sigma = norm.converge(matrix, kSpectralNormTolerance, kSpectralNormMaxIterations);
  const double bound = student.config().vth;
  if (sigma > bound) matrix *= static_cast<float>(bound / sigma);
}

}  // namespace

std::string to_string(DistillStage stage) {
  switch (stage) {
    case DistillStage::internal_layers: return "ikd";
    case DistillStage::prediction: return "pred";
    case DistillStage::labels: return "labels";
  }
  return "unknown";
}

DistillStage parse_distill_stage(const std::string& name, const std::string& place) {
  if (name == "ikd") return DistillStage::internal_layers;
  if (name == "pred") return DistillStage::prediction;
  if (name == "labels") return DistillStage::labels;
  throw io::InputError("command line", place, "unknown stage '" + name + "'", "ikd, pred or labels");
}

models::SpikingBert spiking_bert_of(const models::SpikingBertEquilibrium<float>& student,
                                    const io::ModelConfig& config) {
  return models::SpikingBert(config, models::weights_from_parameters(config, student.parameters(), "student"));
}

std::vector<float> student_predict(const models::SpikingBert& snn, const std::vector<EncodedExample>& examples,
                                   std::int64_t batch_size, int time_steps, int threads) {
  sim::KernelOptions kernel;
  kernel.steps = time_steps;
  kernel.threads = threads;
  std::vector<float> logits;
  logits.reserve(examples.size() * static_cast<std::size_t>(snn.config().num_labels));
  for (const auto& indices : sequential_batches(static_cast<std::int64_t>(examples.size()), batch_size)) {
    const auto forward = snn.forward(make_batch(examples, indices), kernel, models::KernelKind::kEvent);
    logits.insert(logits.end(), forward.logits.begin(), forward.logits.end());
  }
  return logits;
}

StudentTrainingReport train_student(models::SpikingBertEquilibrium<float>& student,
                                    const io::ModelConfig& snn_config,
                                    const std::vector<const models::BertTeacher<float>*>& teachers,
                                    const std::vector<EncodedExample>& train, const StudentDevEvaluator& evaluate,
                                    const StudentBestSink& on_best, const StudentTrainingOptions& options) {
  const auto& c = student.config();
  if (teachers.empty()) throw std::invalid_argument("train_student: need at least one teacher");
  for (const auto* teacher : teachers) {
    const auto& t = teacher->config();
    if (t.vocab_size != c.vocab_size || t.num_labels != c.num_labels) {
      throw std::invalid_argument("train_student: every teacher needs the student's vocabulary and labels");
    }
  }
  const auto& lead = teachers.front()->config();
  const bool internal = options.stage == DistillStage::internal_layers;
  // A narrower student reaches the teacher's width through W_td (fit_size); the scores need the same heads.
  if (internal && (lead.hidden_size != c.fit_width() || lead.num_attention_heads != c.num_attention_heads)) {
    throw std::invalid_argument("train_student: internal-layer KD needs fit_size = the teacher's hidden size and its heads");
  }
  const LayerMapping mapping = internal ? layer_mapping(lead.num_hidden_layers, c.num_hidden_layers) : LayerMapping{};
  const bool regression = c.num_labels == 1;

  const auto batches_per_epoch = static_cast<std::int64_t>(
      shuffled_length_grouped_batches(train, options.batch_size, epoch_seed(options.seed, 0)).size());
  if (batches_per_epoch == 0) throw std::invalid_argument("train_student: no training batches");
  const auto total_steps = std::max<std::int64_t>(
      1, static_cast<std::int64_t>(std::llround(options.epochs * static_cast<double>(batches_per_epoch))));
  BertAdam<float> optimizer(options.adam, LinearWarmupSchedule{total_steps, options.warmup_fraction});
  optimizer.initialise(student.parameters());
  const auto config_json = snn_config;
  StudentTrainingReport report;
  report.best.selection = -std::numeric_limits<double>::infinity();
  std::int64_t step = 0;
  if (options.resume) step = load_state(options.state_file, student, optimizer, report, options, total_steps);

  sim::KernelOptions kernel;
  kernel.steps = options.time_steps;
  kernel.threads = options.threads;
  std::vector<models::BertTeacherActivations<float>> teacher_activations(teachers.size());
  StudentStep<float> workspace;
  std::vector<float> mean_logits, regression_targets;
  std::vector<std::int64_t> labels;
  const auto start = Clock::now();
  std::int64_t examples_done = 0, loss_count = 0;
  StudentLoss loss_sum;
  std::int64_t parameter_count = 0;
  for (const auto& parameter : student.parameters()) parameter_count += parameter.size();
  const std::int64_t per_epoch = std::max<std::int64_t>(1, options.evaluations_per_epoch);
  while (step < total_steps) {
    const std::int64_t epoch = step / batches_per_epoch;
    const auto batches = shuffled_length_grouped_batches(train, options.batch_size, epoch_seed(options.seed, epoch));
    for (std::int64_t b = step % batches_per_epoch; b < batches_per_epoch && step < total_steps; ++b) {
      const auto& indices = batches[b];
      const auto B = static_cast<std::int64_t>(indices.size());
      const auto snn = spiking_bert_of(student, snn_config);

      // One micro-batch's loss and gradient (issue 13): the teacher's targets, the student's SNN rates from
      // the event kernel at T steps with the current parameters, the loss on the rates and its gradient
      // through the steady-state map, for a fixed micro-batch of consecutive examples of the batch
      // (training/ExampleSum.hpp kMicroBatchExamples), padded to its longest example. What a micro-batch
      // contributes does not depend on which rank computes it; its gradient is m times the gradient of its
      // mean loss (m its example count), the batch's gradient is the fixed-tree sum of them divided by B: the
      // same bits on 1, 2 or 4 ranks.
      std::vector<double> my_losses;  // 4 per micro-batch of this rank's share: m x (total, prediction, attention, hidden)
      int my_adjoint_iterations = 0;
      const MicroBatchVector micro_batch_gradient = [&](std::int64_t begin, std::int64_t end, std::vector<float>& out) {
        const std::vector<std::int64_t> part(indices.begin() + begin, indices.begin() + end);
        const auto m = static_cast<std::int64_t>(part.size());
        const auto batch = make_batch(train, part);
        StudentTargets<float> targets;
        targets.temperature = options.temperature;
        labels.resize(m);
        regression_targets.resize(m);
        for (std::int64_t i = 0; i < m; ++i) {
          labels[i] = static_cast<std::int64_t>(train[part[i]].label);
          regression_targets[i] = train[part[i]].label;
        }
        const bool needs_teacher = internal || (options.stage == DistillStage::prediction && !regression);
        if (needs_teacher) {
          const std::size_t members = internal ? 1 : teachers.size();
          for (std::size_t t = 0; t < members; ++t) teachers[t]->forward(batch, teacher_activations[t]);
        }
        if (internal) {
          const auto& lead_activations = teacher_activations.front();
          for (const auto index : mapping.hidden) targets.teacher_hidden.push_back(lead_activations.hidden_states[index].data());
          for (const auto index : mapping.attention) targets.teacher_scores.push_back(lead_activations.layers[index].scores.data());
        } else if (regression) {
          targets.regression_targets = regression_targets.data();  // STS-B: MSE on the true score (method doc §6.3)
        } else if (options.stage == DistillStage::prediction) {
          // Ensemble: the members' logits averaged (member order fixed, so the sum is deterministic).
          mean_logits.assign(static_cast<std::size_t>(m * c.num_labels), 0.0f);
          for (std::size_t t = 0; t < teachers.size(); ++t) {
            for (std::size_t k = 0; k < mean_logits.size(); ++k) mean_logits[k] += teacher_activations[t].logits[k];
          }
          for (auto& value : mean_logits) value /= static_cast<float>(teachers.size());
          targets.teacher_logits = mean_logits.data();
        } else {
          targets.labels = labels.data();
        }
        const auto forward = snn.forward(batch, kernel, models::KernelKind::kEvent);
        std::vector<std::vector<float>> rates;
        std::vector<const float*> rate_pointers;
        for (std::int64_t j = 0; j < snn.sublayers().size(); ++j) rates.push_back(forward.asr(static_cast<int>(j)));
        for (const auto& r : rates) rate_pointers.push_back(r.data());
        student.zero_gradients();
        const auto loss = student_loss_and_gradient(student, batch, rate_pointers, targets, options.gradient, {}, workspace);
        const auto weight = static_cast<double>(m);
        my_losses.insert(my_losses.end(), {weight * loss.total, weight * loss.prediction, weight * loss.attention, weight * loss.hidden});
        my_adjoint_iterations = std::max(my_adjoint_iterations, workspace.adjoint.iterations);
        out.resize(static_cast<std::size_t>(parameter_count));
        const auto scale = static_cast<float>(m);
        float* write = out.data();
        for (auto& parameter : student.parameters()) {
          for (const float g : parameter.gradient) *write++ = scale * g;
        }
      };
      auto& communicator = world();
      const auto gradient_sum = sum_over_micro_batches(communicator, B, parameter_count, micro_batch_gradient);
      const auto losses = communicator.all_gather_concatenated<double>(my_losses);
      const auto adjoint_iterations = communicator.all_gather_concatenated<int>(std::vector<int>{my_adjoint_iterations});

      // The batch loss is the example-weighted mean of the micro-batches' losses (summed in order on every rank).
      StudentLoss loss;
      for (std::size_t i = 0; i < losses.size() / 4; ++i) {
        loss.total += losses[4 * i];
        loss.prediction += losses[4 * i + 1];
        loss.attention += losses[4 * i + 2];
        loss.hidden += losses[4 * i + 3];
      }
      for (double* term : {&loss.total, &loss.prediction, &loss.attention, &loss.hidden}) *term /= static_cast<double>(B);
      if (!std::isfinite(loss.total)) throw std::runtime_error("distill: the loss became " + std::to_string(loss.total));
      std::size_t offset = 0;
      for (auto& parameter : student.parameters()) {
        for (auto& g : parameter.gradient) g = gradient_sum[offset++] / static_cast<float>(B);
      }
      optimizer.step(student.parameters());
      // The next example starts from zero whatever rows this rank's zero_gradients would clear.
      for (auto& parameter : student.parameters()) std::fill(parameter.gradient.begin(), parameter.gradient.end(), 0.0f);
      if (options.gradient == GradientMode::feedback) {
        project_feedback_weight(student);
        for (const int iterations : adjoint_iterations)
          report.max_adjoint_iterations = std::max(report.max_adjoint_iterations, iterations);
      }
      loss_sum.total += loss.total;
      loss_sum.prediction += loss.prediction;
      loss_sum.attention += loss.attention;
      loss_sum.hidden += loss.hidden;
      ++loss_count;
      examples_done += B;
      ++step;

      const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
      const double rate = static_cast<double>(examples_done) / std::max(seconds, 1e-9);
      const double count = static_cast<double>(std::max<std::int64_t>(loss_count, 1));
      if (!options.quiet && world().is_root() && (step % kProgressEverySteps == 0 || step == total_steps)) {
        const double remaining_examples = static_cast<double>(total_steps - step) * static_cast<double>(options.batch_size);
        std::fprintf(stderr, "\repoch %.2f/%g step %lld/%lld loss %.4f (pred %.4f att %.4f hid %.4f) %.1f examples/s ETA %s   ",
                     static_cast<double>(step) / static_cast<double>(batches_per_epoch), options.epochs, static_cast<long long>(step),
                     static_cast<long long>(total_steps), loss_sum.total / count, loss_sum.prediction / count,
                     loss_sum.attention / count, loss_sum.hidden / count, rate,
                     duration_text(remaining_examples / std::max(rate, 1e-9)).c_str());
        io::set_progress_line_open(true);
      }
      // Exactly evaluations_per_epoch evaluations per epoch, evenly spaced, the last at the epoch's end.
      const bool scheduled = (b + 1) * per_epoch / batches_per_epoch > b * per_epoch / batches_per_epoch;
      if (!scheduled && step != total_steps) continue;
      StudentEvaluation evaluation;
      evaluation.step = step;
      evaluation.epoch = static_cast<double>(step) / static_cast<double>(batches_per_epoch);
      evaluation.train_loss = StudentLoss{loss_sum.total / count, loss_sum.prediction / count,
                                          loss_sum.attention / count, loss_sum.hidden / count};
      evaluation.score = evaluate(spiking_bert_of(student, snn_config));
      loss_sum = {};
      loss_count = 0;
      const bool best = evaluation.score.selection > report.best.selection;
      if (best) {
        report.best = evaluation.score;
        report.best_step = step;
        on_best(student, evaluation.score, step);
      }
      report.evaluations.push_back(evaluation);
      if (!options.quiet && world().is_root()) {
        std::fprintf(stderr, "\repoch %.2f step %lld train loss %.4f (pred %.4f att %.4f hid %.4f) validation %s%s, %.1f examples/s\n",
                     evaluation.epoch, static_cast<long long>(step), evaluation.train_loss.total,
                     evaluation.train_loss.prediction, evaluation.train_loss.attention, evaluation.train_loss.hidden,
                     evaluation.score.summary.c_str(), best ? " (best)" : "", rate);
        io::set_progress_line_open(false);
      }
      if (!options.state_file.empty() && world().is_root()) save_state(options.state_file, student, config_json, optimizer, step, report, options);
    }
  }
  report.steps = step;
  report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  report.examples_per_second = static_cast<double>(examples_done) / std::max(report.seconds, 1e-9);
  return report;
}

}  // namespace spikingbert::training
