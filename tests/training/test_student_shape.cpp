// A student smaller than its teacher (issue 14 item 1): TinyBERT's uniform layer mapping for the initial
// weights, the student config of distill's --student-* options, and internal-layer KD of a narrower student
// through W_td (fit_dense: student width -> teacher width), which learns.
#include "models/BertTeacher.hpp"
#include "models/BertTeacherIo.hpp"
#include "models/ModelFiles.hpp"
#include "models/StudentInit.hpp"
#include "training/DistillationLosses.hpp"
#include "training/StudentTrainer.hpp"

#include <catch2/catch.hpp>

#include <random>

using namespace spikingbert;

namespace {

io::ModelConfig teacher_config(std::int64_t layers) {
  io::ModelConfig config;
  config.vocab_size = 40;
  config.hidden_size = 16;
  config.num_hidden_layers = layers;
  config.num_attention_heads = 2;
  config.intermediate_size = 32;
  config.max_position_embeddings = 16;
  config.initializer_range = 0.3;
  return config;
}

std::vector<training::EncodedExample> sentences(int count, std::uint64_t seed) {
  std::mt19937_64 generator(seed);
  std::uniform_int_distribution<std::int64_t> word(5, 39), length(2, 8);
  std::vector<training::EncodedExample> examples(static_cast<std::size_t>(count));
  for (auto& example : examples) {
    example.token_ids.push_back(2);
    for (std::int64_t i = length(generator); i > 0; --i) example.token_ids.push_back(word(generator));
    example.token_ids.push_back(3);
    example.segment_ids.assign(example.token_ids.size(), 0);
  }
  return examples;
}

}  // namespace

TEST_CASE("student shape: a 4-layer student of a 12-layer teacher takes teacher layers 2, 5, 8, 11", "[training][shape]") {
  const auto names = models::teacher_to_student_names(12, 4);
  CHECK(names.size() == 5 + 16 * 4 + 2);
  CHECK(names.at("bert.encoder.layer.2.attention.self.key.weight") == "network_s1.dense.weight");
  CHECK(names.at("bert.encoder.layer.5.attention.self.query.bias") == "network_s9.query.bias");
  CHECK(names.at("bert.encoder.layer.8.intermediate.dense.weight") == "network_s17.dense.weight");
  CHECK(names.at("bert.encoder.layer.11.output.LayerNorm.bias") == "network_s24.LayerNorm.bias");
  CHECK(names.count("bert.encoder.layer.0.attention.self.key.weight") == 0);
  // The same teacher layers internal-layer KD pairs the student's with (their outputs: hidden 3, 6, 9, 12).
  const auto mapping = training::layer_mapping(12, 4);
  CHECK(mapping.attention == std::vector<std::int64_t>{2, 5, 8, 11});
  CHECK(mapping.hidden == std::vector<std::int64_t>{0, 3, 6, 9, 12});
  CHECK(models::teacher_to_student_names(3) == models::teacher_to_student_names(3, 3));
  CHECK_THROWS_AS(models::teacher_to_student_names(2, 3), std::invalid_argument);

  // Initialised from the mapped layers: student layer 1 holds teacher layer 3 of 4 (2 student layers).
  const models::BertTeacher<float> teacher(teacher_config(4), 3);
  const auto tensors = models::teacher_tensors(teacher);
  models::StudentShape shape;
  shape.layers = 2;
  const auto config = models::student_config_of_teacher(models::teacher_file_config(teacher_config(4), "sst2"), 8, shape);
  CHECK(config.num_hidden_layers == 2);
  CHECK(config.hidden_size == 16);
  CHECK(config.fit_size == 0);
  CHECK(models::can_initialise_from_teacher(config, models::teacher_file_config(teacher_config(4), "sst2")));
  models::SpikingBertEquilibrium<float> student(config, 1);
  models::initialise_student_from_teacher(student, tensors, 4, "teacher");
  const auto& mapped = tensors.at("bert.encoder.layer.3.output.dense.weight").values;
  const auto& value = student.parameter("network_s12.dense.weight").value;
  CHECK(std::equal(mapped.begin(), mapped.end(), value.begin()));
}

TEST_CASE("student shape: a narrower student learns internal-layer KD through W_td", "[training][shape]") {
  const models::BertTeacher<float> teacher(teacher_config(4), 5);
  models::StudentShape shape;
  shape.layers = 2;
  shape.hidden = 8;
  shape.intermediate = 16;
  const auto teacher_json = models::teacher_file_config(teacher_config(4), "sst2");
  const auto config = models::student_config_of_teacher(teacher_json, 16, shape);
  CHECK(config.fit_size == 16);
  CHECK_FALSE(models::can_initialise_from_teacher(config, teacher_json));
  models::SpikingBertEquilibrium<float> student(config, 9);
  CHECK(student.parameter("fit_dense.weight").shape == std::vector<std::int64_t>{16, 8});
  CHECK(student.parameter("fit_dense.bias").shape == std::vector<std::int64_t>{16});

  training::StudentTrainingOptions options;
  options.stage = training::DistillStage::internal_layers;
  options.gradient = training::GradientMode::implicit;
  options.time_steps = 16;
  options.epochs = 6;
  options.batch_size = 16;
  options.adam.learning_rate = 3e-3;
  options.evaluations_per_epoch = 1;
  options.quiet = true;
  const training::StudentDevEvaluator evaluate = [](const models::SpikingBert&) { return training::DevScore{0, ""}; };
  const training::StudentBestSink on_best = [](const models::SpikingBertEquilibrium<float>&, const training::DevScore&,
                                               std::int64_t) {};
  const auto report = training::train_student(student, config, models::TeacherEnsemble({teacher}), sentences(48, 2),
                                              evaluate, on_best, options);
  const auto first = training::student_loss_of(report.evaluations.front().train_loss);
  const auto last = training::student_loss_of(report.evaluations.back().train_loss);
  CHECK(first.hidden > 0);
  CHECK(last.hidden < first.hidden);
  CHECK(last.attention < first.attention);
  CHECK(first.prediction == 0);
}
