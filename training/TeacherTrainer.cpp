#include "training/TeacherTrainer.hpp"

#include "models/BertTeacherIo.hpp"
#include "models/Dropout.hpp"
#include "training/TeacherSteps.hpp"

namespace spikingbert::training {

namespace {

// Examples per forward pass of the dev evaluation (any value gives the same logits).
constexpr std::int64_t kEvaluationBatch = 128;

// Seed of step s's dropout masks.
std::uint64_t step_seed(std::uint64_t seed, std::int64_t step) {
  return models::derive_seed(seed ^ 0x5DEECE66DULL, static_cast<std::uint64_t>(step));
}

class TeacherTrainee final : public Trainee {
 public:
  TeacherTrainee(models::BertTeacher<float>& model, const std::vector<EncodedExample>& train,
                 const std::vector<EncodedExample>& dev, const DevMetric& metric, const BestModelSink& on_best,
                 std::uint64_t seed)
      : model_(model), train_(train), dev_(dev), metric_(metric), on_best_(on_best), seed_(seed) {}

  const Description& description() const override {
    // A teacher step is cheap: a progress line every 50.
    static const Description kDescription{"train-teacher", kTeacherStateKind, {"train_loss"}, 50};
    return kDescription;
  }
  std::vector<models::Parameter<float>>& parameters() override { return model_.parameters(); }
  io::ModelConfig state_config() const override { return models::teacher_file_config(model_.config(), ""); }
  std::vector<double> train_step(const std::vector<std::int64_t>& batch, std::int64_t step, Optimizer& optimizer) override {
    return {teacher_train_step(model_, optimizer, train_, batch, step_seed(seed_, step), workspace_)};
  }
  DevScore evaluate() override { return metric_(teacher_predict(model_, dev_, kEvaluationBatch)); }
  void on_best(const DevScore& score, std::int64_t step) override { on_best_(model_, score, step); }

 private:
  models::BertTeacher<float>& model_;
  const std::vector<EncodedExample>& train_;
  const std::vector<EncodedExample>& dev_;
  const DevMetric& metric_;
  const BestModelSink& on_best_;
  std::uint64_t seed_;
  models::BertTeacherActivations<float> workspace_;
};

}  // namespace

TeacherTrainingReport train_teacher(models::BertTeacher<float>& model, const std::vector<EncodedExample>& train,
                                    const std::vector<EncodedExample>& dev, const DevMetric& metric,
                                    const BestModelSink& on_best, const TeacherTrainingOptions& options) {
  TeacherTrainee trainee(model, train, dev, metric, on_best, options.seed);
  return run_training_loop(trainee, train, options);
}

}  // namespace spikingbert::training
