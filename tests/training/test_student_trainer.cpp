// The student's distillation loop at the library level: the teacher -> student weight mapping, the loop
// lowering each stage's loss on synthetic sentences, and the stage names.
#include "io/Error.hpp"
#include "models/BertTeacher.hpp"
#include "models/BertTeacherIo.hpp"
#include "models/ModelFiles.hpp"
#include "models/StudentInit.hpp"
#include "training/StudentTrainer.hpp"

#include <catch2/catch.hpp>

#include <random>

using namespace spikingbert;

namespace {

io::ModelConfig small_teacher_config() {
  io::ModelConfig config;
  config.vocab_size = 50;
  config.hidden_size = 16;
  config.num_hidden_layers = 2;
  config.num_attention_heads = 2;
  config.intermediate_size = 32;
  config.max_position_embeddings = 16;
  config.initializer_range = 0.3;  // logits that differ between sentences
  return config;
}

// Random sentences [CLS] w... [SEP] of 4-10 tokens, labels 0/1 at random.
std::vector<training::EncodedExample> random_sentences(int count, std::uint64_t seed) {
  std::mt19937_64 generator(seed);
  std::uniform_int_distribution<std::int64_t> word(5, 49), length(2, 8), label(0, 1);
  std::vector<training::EncodedExample> examples(static_cast<std::size_t>(count));
  for (auto& example : examples) {
    example.token_ids.push_back(2);
    for (std::int64_t i = length(generator); i > 0; --i) example.token_ids.push_back(word(generator));
    example.token_ids.push_back(3);
    example.segment_ids.assign(example.token_ids.size(), 0);
    example.label = static_cast<float>(label(generator));
  }
  return examples;
}

struct SmallSetup {
  models::BertTeacher<float> teacher{small_teacher_config(), 11};
  io::ModelConfig student_config = models::student_config_of_teacher(models::teacher_file_config(small_teacher_config(), "sst2"), 16);
  models::SpikingBertEquilibrium<float> student{student_config, 5};
  SmallSetup() { models::initialise_student_from_teacher(student, models::teacher_tensors(teacher), "teacher"); }
};

}  // namespace

TEST_CASE("student init: every BERT tensor but the pooler lands on its SpikingBERT counterpart", "[training][distill]") {
  SmallSetup setup;
  const auto teacher_tensors = models::teacher_tensors(setup.teacher);
  const auto names = models::teacher_to_student_names(2);
  CHECK(names.size() == 5 + 16 * 2 + 2);
  for (const auto& [name, tensor] : teacher_tensors) {
    const auto found = names.find(name);
    if (name.rfind("bert.pooler.", 0) == 0) {
      CHECK(found == names.end());
      continue;
    }
    INFO(name);
    REQUIRE(found != names.end());
    const auto& parameter = setup.student.parameter(found->second);
    CHECK(parameter.shape == tensor.shape);
    CHECK(std::equal(tensor.values.begin(), tensor.values.end(), parameter.value.begin()));
  }
  CHECK(names.at("bert.encoder.layer.1.attention.self.query.weight") == "network_s9.query.weight");
  CHECK(names.at("bert.encoder.layer.1.output.LayerNorm.bias") == "network_s12.LayerNorm.bias");
  CHECK(setup.student_config.t_conv == 16);
  CHECK(setup.student_config.vth == 1.0);

  // A tensor of the wrong shape is an InputError naming it.
  auto broken = teacher_tensors;
  broken.at("bert.encoder.layer.0.intermediate.dense.weight").shape = {16, 32};
  CHECK_THROWS_AS(models::initialise_student_from_teacher(setup.student, broken, "t.h5"), io::InputError);
}

TEST_CASE("train_student lowers the loss of every stage on the SNN rates", "[training][distill]") {
  const auto train = random_sentences(64, 3);
  const auto dev = random_sentences(16, 4);
  struct Case { training::DistillStage stage; training::GradientMode mode; };
  for (const auto& c : {Case{training::DistillStage::internal_layers, training::GradientMode::analog_twin},
                        Case{training::DistillStage::internal_layers, training::GradientMode::implicit},
                        Case{training::DistillStage::prediction, training::GradientMode::implicit},
                        Case{training::DistillStage::labels, training::GradientMode::analog_twin},
                        Case{training::DistillStage::prediction, training::GradientMode::feedback}}) {
    SmallSetup setup;
    INFO(training::to_string(c.stage) << " " << training::to_string(c.mode));
    training::StudentTrainingOptions options;
    options.stage = c.stage;
    options.gradient = c.mode;
    options.time_steps = 16;
    options.epochs = 6;
    options.batch_size = 16;
    options.adam.learning_rate = 3e-3;
    options.warmup_fraction = 0.05;
    options.evaluations_per_epoch = 1;
    options.quiet = true;
    int evaluations = 0, best_calls = 0;
    const training::StudentDevEvaluator evaluate = [&](const models::SpikingBert& snn) {
      ++evaluations;
      const auto logits = training::student_predict(snn, dev, 5, options.time_steps, 1);
      REQUIRE(logits.size() == dev.size() * 2);
      return training::DevScore{-static_cast<double>(evaluations), "call " + std::to_string(evaluations)};
    };
    const training::StudentBestSink on_best = [&](const models::SpikingBertEquilibrium<float>&, const training::DevScore&,
                                                  std::int64_t) { ++best_calls; };
    const auto report = training::train_student(setup.student, setup.student_config, models::TeacherEnsemble({setup.teacher}),
                                                train, evaluate, on_best, options);
    CHECK(report.steps == 24);
    REQUIRE(report.evaluations.size() == 6);
    CHECK(best_calls == 1);  // the selection falls with every call, so only the first is best
    const auto first = training::student_loss_of(report.evaluations.front().train_loss);
    const auto last = training::student_loss_of(report.evaluations.back().train_loss);
    CHECK(last.total < first.total);
    if (c.stage == training::DistillStage::internal_layers) {
      CHECK(last.attention < first.attention);
      CHECK(last.hidden < first.hidden);
      CHECK(first.prediction == 0);
    } else {
      CHECK(first.attention == 0);
      CHECK(first.hidden == 0);
    }
    if (c.mode == training::GradientMode::feedback) {
      CHECK(report.max_adjoint_iterations >= 1);
    }
  }
}

TEST_CASE("distill stage names", "[training][distill]") {
  CHECK(training::parse_distill_stage("ikd") == training::DistillStage::internal_layers);
  CHECK(training::parse_distill_stage("pred") == training::DistillStage::prediction);
  CHECK(training::parse_distill_stage("labels") == training::DistillStage::labels);
  for (const auto stage : {training::DistillStage::internal_layers, training::DistillStage::prediction,
                           training::DistillStage::labels}) {
    CHECK(training::parse_distill_stage(training::to_string(stage)) == stage);
  }
  CHECK_THROWS_AS(training::parse_distill_stage("kd"), io::InputError);
}

TEST_CASE("the feedback weight bound is 1 / sup sigma' of the neuron model, and LIF refuses the feedback mode",
          "[training][distill]") {
  // ||J_f||_2 <= ||W_fb||_2 sup sigma' (docs/gradients.md): the bound times the largest sigma' on a fine grid of
  // currents must be 1 (the grid holds the maximiser, I = 0, for IF and the refractory model, eq. 2').
  constexpr double kThreshold = 0.625;
  constexpr int kGridPoints = 3001;  // a step of V_th / 1000 from -V_th: the grid holds I = 0
  const auto largest_on_grid = [&](const io::ModelConfig& config) {
    const auto neuron = models::neuron_model(config);
    double largest = 0;
    for (int i = 0; i < kGridPoints; ++i) {
      const double current = -kThreshold + 3.0 * kThreshold * i / (kGridPoints - 1);
      largest = std::max(largest, neuron.rate_derivative(current));
    }
    return largest;
  };
  io::ModelConfig config = small_teacher_config();
  config.vth = kThreshold;
  for (const int refractory_steps : {0, 3}) {
    config.refractory_steps = refractory_steps;
    INFO("refractory_steps " << refractory_steps);
    CHECK(training::feedback_weight_bound(config) == Approx(kThreshold));
    CHECK(training::feedback_weight_bound(config) * largest_on_grid(config) == Approx(1.0));
  }
  // LIF: sigma' grows without bound towards the rheobase, so no positive bound contracts.
  config.refractory_steps = 0;
  config.leak = 0.9;
  CHECK(training::feedback_weight_bound(config) == 0.0);
  CHECK(largest_on_grid(config) * kThreshold > 10.0);

  SmallSetup setup;
  io::ModelConfig lif_config = setup.student_config;
  lif_config.leak = 0.9;
  models::SpikingBertEquilibrium<float> lif_student{lif_config, 5};
  training::StudentTrainingOptions options;
  options.stage = training::DistillStage::prediction;
  options.gradient = training::GradientMode::feedback;
  options.quiet = true;
  const training::StudentDevEvaluator evaluate = [](const models::SpikingBert&) { return training::DevScore{}; };
  const training::StudentBestSink on_best = [](const models::SpikingBertEquilibrium<float>&, const training::DevScore&,
                                               std::int64_t) {};
  CHECK_THROWS_WITH(training::train_student(lif_student, lif_config, models::TeacherEnsemble({setup.teacher}),
                                            random_sentences(8, 5), evaluate, on_best, options),
                    Catch::Contains("--gradient feedback") && Catch::Contains("LIF"));
}
