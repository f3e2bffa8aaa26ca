#include "training/StudentTrainer.hpp"

#include "io/Error.hpp"
#include "models/ModelFiles.hpp"
#include "models/SpikingBertWeights.hpp"
#include "training/Batching.hpp"
#include "training/Communicator.hpp"
#include "training/DistillationLosses.hpp"
#include "training/ExampleSum.hpp"
#include "training/SpectralNorm.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace spikingbert::training {

namespace {

// Progress lines every this many steps (a student step simulates T steps, so it is slower than a teacher's).
constexpr std::int64_t kProgressEverySteps = 10;
// Power iterations for ||W_fb||_2 (feedback mode): converged afresh every step, so the projection needs no
// state between steps and a resumed run projects exactly as an uninterrupted one.
constexpr double kSpectralNormTolerance = 1e-9;
constexpr int kSpectralNormMaxIterations = 2000;

// Keeps ||W_fb||_2 <= feedback_weight_bound after an update (method doc: feedback weight spectral norm bounded;
// docs/gradients.md).
void project_feedback_weight(models::SpikingBertEquilibrium<float>& student) {
  auto& weight = student.parameter(student.feedback_weight_name());
  const auto H = static_cast<Eigen::Index>(student.config().hidden_size);
  Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> matrix(weight.value.data(), H, H);
  SpectralNorm norm(H, H);
  const double sigma = norm.converge(matrix, kSpectralNormTolerance, kSpectralNormMaxIterations);
  const double bound = feedback_weight_bound(student.config());
  if (sigma > bound) matrix *= static_cast<float>(bound / sigma);
}

}  // namespace

double feedback_weight_bound(const io::ModelConfig& config) {
  return 1.0 / models::neuron_model(config).largest_rate_derivative();  // 1 / infinity = 0 for LIF
}

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
  return models::SpikingBert(config, models::weights_from_store(config, student.store(), "student"));
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

StudentLoss student_loss_of(const std::vector<double>& terms) {
  return StudentLoss{terms.at(0), terms.at(1), terms.at(2), terms.at(3)};
}

namespace {

// The student's step (one batch: teacher targets, event-kernel rates, loss and gradient through the map per
// micro-batch, summed over the ranks) and its evaluation (the event-driven simulation of dev).
class StudentTrainee final : public Trainee {
 public:
  StudentTrainee(models::SpikingBertEquilibrium<float>& student, const io::ModelConfig& snn_config,
                 const models::TeacherEnsemble& teachers, const std::vector<EncodedExample>& train,
                 const StudentDevEvaluator& evaluate, const StudentBestSink& on_best, const StudentTrainingOptions& options)
      : student_(student), snn_config_(snn_config), teachers_(teachers), train_(train), evaluate_(evaluate),
        on_best_(on_best), options_(options) {
    const auto& c = student.config();
    for (std::size_t k = 0; k < teachers.size(); ++k) {
      const auto& t = teachers.member(k).config();
      if (t.vocab_size != c.vocab_size || t.num_labels != c.num_labels) {
        throw std::invalid_argument("train_student: every teacher needs the student's vocabulary and labels");
      }
    }
    const auto& lead = teachers.config();
    internal_ = options.stage == DistillStage::internal_layers;
    // A narrower student reaches the teacher's width through W_td (fit_size); the scores need the same heads.
    if (internal_ && (lead.hidden_size != c.fit_width() || lead.num_attention_heads != c.num_attention_heads)) {
      throw std::invalid_argument("train_student: internal-layer KD needs fit_size = the teacher's hidden size and its heads");
    }
    mapping_ = internal_ ? layer_mapping(lead.num_hidden_layers, c.num_hidden_layers) : LayerMapping{};
    regression_ = c.num_labels == 1;
    kernel_.steps = options.time_steps;
    kernel_.threads = options.threads;
    for (const auto& parameter : student.parameters()) parameter_count_ += parameter.size();
  }

  const Description& description() const override {
    // A student step simulates T steps, so it is slower than a teacher's: a progress line every 10.
    static const Description kDescription{"distill", kStudentStateKind, {"train_loss", "prediction", "attention", "hidden"}, 10};
    return kDescription;
  }
  std::vector<models::Parameter<float>>& parameters() override { return student_.parameters(); }
  io::ModelConfig state_config() const override { return snn_config_; }
  DevScore evaluate() override { return evaluate_(spiking_bert_of(student_, snn_config_)); }
  void on_best(const DevScore& score, std::int64_t step) override { on_best_(student_, score, step); }
  int max_adjoint_iterations() const { return max_adjoint_iterations_; }

  std::vector<double> train_step(const std::vector<std::int64_t>& indices, std::int64_t, Optimizer& optimizer) override {
    const auto B = static_cast<std::int64_t>(indices.size());
    const auto snn = spiking_bert_of(student_, snn_config_);

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
      const auto batch = make_batch(train_, part);
      StudentTargets<float> targets;
      targets.temperature = options_.temperature;
      labels_.resize(m);
      regression_targets_.resize(m);
      for (std::int64_t i = 0; i < m; ++i) {
        labels_[i] = static_cast<std::int64_t>(train_[part[i]].label);
        regression_targets_[i] = train_[part[i]].label;
      }
      if (internal_) {
        teachers_.member(0).forward(batch, teacher_activations_);
        for (const auto index : mapping_.hidden) targets.teacher_hidden.push_back(teacher_activations_.hidden_states[index].data());
        for (const auto index : mapping_.attention) targets.teacher_scores.push_back(teacher_activations_.layers[index].scores.data());
      } else if (regression_) {
        targets.regression_targets = regression_targets_.data();  // STS-B: MSE on the true score (method doc §6.3)
      } else if (options_.stage == DistillStage::prediction) {
        teachers_.forward(batch, teacher_activations_);  // the ensemble's mean logits
        targets.teacher_logits = teacher_activations_.logits.data();
      } else {
        targets.labels = labels_.data();
      }
      const auto forward = snn.forward(batch, kernel_, models::KernelKind::kEvent);
      std::vector<std::vector<float>> rates;
      std::vector<const float*> rate_pointers;
      for (std::int64_t j = 0; j < snn.sublayers().size(); ++j) rates.push_back(forward.asr(static_cast<int>(j)));
      for (const auto& r : rates) rate_pointers.push_back(r.data());
      student_.zero_gradients();
      const auto loss = student_loss_and_gradient(student_, batch, rate_pointers, targets, options_.gradient, {}, workspace_);
      const auto weight = static_cast<double>(m);
      my_losses.insert(my_losses.end(), {weight * loss.total, weight * loss.prediction, weight * loss.attention, weight * loss.hidden});
      my_adjoint_iterations = std::max(my_adjoint_iterations, workspace_.adjoint.iterations);
      write_scaled_gradients(student_.parameters(), m, parameter_count_, out);
    };
    auto& communicator = world();
    const auto gradient_sum = sum_over_micro_batches(communicator, B, parameter_count_, micro_batch_gradient);
    const auto losses = communicator.all_gather_concatenated<double>(my_losses);
    const auto adjoint_iterations = communicator.all_gather_concatenated<int>(std::vector<int>{my_adjoint_iterations});

    // The batch loss is the example-weighted mean of the micro-batches' losses (summed in order on every rank).
    std::vector<double> loss(4, 0.0);
    for (std::size_t i = 0; i < losses.size() / 4; ++i) {
      for (std::size_t term = 0; term < 4; ++term) loss[term] += losses[4 * i + term];
    }
    for (auto& term : loss) term /= static_cast<double>(B);
    if (!std::isfinite(loss.front())) return loss;  // the loop stops with the loss; no update
    read_mean_gradients(gradient_sum, B, student_.parameters());
    optimizer.step(student_.parameters());
    // The next example starts from zero whatever rows this rank's zero_gradients would clear.
    for (auto& parameter : student_.parameters()) std::fill(parameter.gradient.begin(), parameter.gradient.end(), 0.0f);
    if (options_.gradient == GradientMode::feedback) {
      project_feedback_weight(student_);
      for (const int iterations : adjoint_iterations) max_adjoint_iterations_ = std::max(max_adjoint_iterations_, iterations);
    }
    return loss;
  }

 private:
  models::SpikingBertEquilibrium<float>& student_;
  const io::ModelConfig& snn_config_;
  const models::TeacherEnsemble& teachers_;
  const std::vector<EncodedExample>& train_;
  const StudentDevEvaluator& evaluate_;
  const StudentBestSink& on_best_;
  const StudentTrainingOptions& options_;
  bool internal_ = false, regression_ = false;
  LayerMapping mapping_;
  sim::KernelOptions kernel_;
  std::int64_t parameter_count_ = 0;
  int max_adjoint_iterations_ = 0;
  models::BertTeacherActivations<float> teacher_activations_;
  StudentStep<float> workspace_;
  std::vector<std::int64_t> labels_;
  std::vector<float> regression_targets_;
};

}  // namespace

StudentTrainingReport train_student(models::SpikingBertEquilibrium<float>& student,
                                    const io::ModelConfig& snn_config, const models::TeacherEnsemble& teachers,
                                    const std::vector<EncodedExample>& train, const StudentDevEvaluator& evaluate,
                                    const StudentBestSink& on_best, const StudentTrainingOptions& options) {
  if (options.gradient == GradientMode::feedback && !(feedback_weight_bound(student.config()) > 0.0)) {
    // LIF: sigma' is unbounded at the rheobase, so no nonzero W_fb is guaranteed to contract (docs/gradients.md).
    throw io::InputError("command line", "--gradient feedback",
                         "the student's neuron model is LIF (leak < 1): no feedback weight keeps its rate map a contraction",
                         "an IF student (leak 1, with or without refractory_steps) for the feedback gradient");
  }
  StudentTrainee trainee(student, snn_config, teachers, train, evaluate, on_best, options);
  StudentTrainingReport report;
  static_cast<TrainingReport&>(report) = run_training_loop(trainee, train, options);
  report.max_adjoint_iterations = trainee.max_adjoint_iterations();
  return report;
}

}  // namespace spikingbert::training
