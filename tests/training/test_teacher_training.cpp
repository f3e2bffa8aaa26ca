// The teacher learns: a tiny model overfits 64 examples to 100% training accuracy; batching is seeded.
#include "training/Batching.hpp"
#include "training/TeacherSteps.hpp"
#include "training/TeacherTrainer.hpp"

#include <filesystem>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <random>

using namespace spikingbert;
using namespace spikingbert::training;

namespace {

std::vector<EncodedExample> random_examples(std::int64_t count, std::int64_t vocab, std::uint64_t seed) {
  std::mt19937_64 generator(seed);
  std::vector<EncodedExample> examples;
  for (std::int64_t i = 0; i < count; ++i) {
    EncodedExample example;
    const std::int64_t length = 4 + static_cast<std::int64_t>(generator() % 8);
    example.token_ids.push_back(2);  // a [CLS]-like first token
    for (std::int64_t t = 1; t < length; ++t) example.token_ids.push_back(3 + static_cast<std::int64_t>(generator() % (vocab - 3)));
    example.segment_ids.assign(length, 0);
    example.label = static_cast<float>(generator() % 2);  // arbitrary labels: only memorisation can fit them
    examples.push_back(example);
  }
  return examples;
}

}  // namespace

TEST_CASE("teacher training: a tiny model overfits 64 random-label examples to 100% accuracy") {
  io::ModelConfig config;
  config.vocab_size = 50;
  config.hidden_size = 32;
  config.num_hidden_layers = 2;
  config.num_attention_heads = 4;
  config.intermediate_size = 64;
  config.max_position_embeddings = 16;
  config.num_labels = 2;
  config.hidden_dropout_prob = 0.0;
  config.attention_probs_dropout_prob = 0.0;
  config.pooling = io::Pooling::mean;
  models::BertTeacher<float> model(config, 1);
  const auto examples = random_examples(64, config.vocab_size, 3);
  const std::int64_t epochs = 60, batch_size = 16;
  Optimizer optimizer(OptimizerKind::bert_adam, AdamSettings{3e-3},
                             LinearWarmupSchedule{epochs * 4, 0.1});
  models::BertTeacherActivations<float> workspace;
  const double before = accuracy(teacher_predict(model, examples, 32), examples, 2);
  for (std::int64_t epoch = 0; epoch < epochs; ++epoch) {
    for (const auto& indices : shuffled_length_grouped_batches(examples, batch_size, 100 + epoch)) {
      teacher_train_step(model, optimizer, examples, indices, epoch, workspace);
    }
  }
  const double after = accuracy(teacher_predict(model, examples, 32), examples, 2);
  INFO("accuracy before " << before << ", after " << after);
  CHECK(before < 0.8);
  CHECK(after == 1.0);
}

TEST_CASE("batching: seeded shuffle is reproducible, covers every example once, pads with zeros") {
  const auto examples = random_examples(100, 20, 4);
  const auto a = shuffled_length_grouped_batches(examples, 8, 1);
  const auto b = shuffled_length_grouped_batches(examples, 8, 1);
  const auto c = shuffled_length_grouped_batches(examples, 8, 2);
  CHECK(a == b);
  CHECK(a != c);
  std::vector<int> seen(100, 0);
  for (const auto& batch : a) for (auto i : batch) ++seen[i];
  CHECK(std::all_of(seen.begin(), seen.end(), [](int n) { return n == 1; }));
  const auto batch = make_batch(examples, a[0]);
  for (std::int64_t r = 0; r < batch.batch; ++r) {
    const auto length = static_cast<std::int64_t>(examples[a[0][r]].token_ids.size());
    for (std::int64_t t = 0; t < batch.sequence; ++t) {
      CHECK(batch.attention_mask[r * batch.sequence + t] == (t < length ? 1 : 0));
      if (t >= length) CHECK(batch.token_ids[r * batch.sequence + t] == 0);
    }
  }
}

TEST_CASE("teacher trainer: a run killed after an evaluation and resumed ends bitwise where an uninterrupted run ends") {
  io::ModelConfig config;
  config.vocab_size = 30;
  config.hidden_size = 16;
  config.num_hidden_layers = 1;
  config.num_attention_heads = 2;
  config.intermediate_size = 32;
  config.max_position_embeddings = 16;
  const auto train = random_examples(96, config.vocab_size, 5);
  const auto dev = random_examples(20, config.vocab_size, 6);
  const DevMetric metric = [&](const std::vector<float>& logits) {
    const double value = accuracy(logits, dev, 2);
    return DevScore{value, "accuracy " + std::to_string(value)};
  };
  std::int64_t best_calls = 0;
  const BestModelSink sink = [&](const models::BertTeacher<float>&, const DevScore&, std::int64_t) { ++best_calls; };
  const auto folder = std::filesystem::temp_directory_path() / ("teacher-resume-" + std::to_string(::getpid()));
  std::filesystem::create_directories(folder);
  TeacherTrainingOptions options;
  options.epochs = 3;
  options.batch_size = 16;  // 6 batches per epoch, an evaluation every 3 steps
  options.evaluations_per_epoch = 2;
  options.adam.learning_rate = 1e-3;
  options.quiet = true;

  models::BertTeacher<float> straight(config, 7);
  options.state_file = folder / "straight.h5";
  const auto full = train_teacher(straight, train, dev, metric, sink, options);
  CHECK(full.steps == 18);
  CHECK(full.evaluations.size() == 6);
  CHECK(best_calls >= 1);

  models::BertTeacher<float> interrupted(config, 7);
  options.state_file = folder / "interrupted.h5";
  options.stop_after_step = 9;
  const auto first = train_teacher(interrupted, train, dev, metric, sink, options);
  CHECK(first.steps == 9);
  {
    // The same run again in the same process (buffers at other addresses) is bitwise the same.
    models::BertTeacher<float> again(config, 7);
    auto repeat = options;
    repeat.state_file = folder / "again.h5";
    train_teacher(again, train, dev, metric, sink, repeat);
    for (std::size_t t = 0; t < again.parameters().size(); ++t) {
      CHECK(again.parameters()[t].value == interrupted.parameters()[t].value);
    }
  }
  models::BertTeacher<float> resumed(config, 123);  // different initial weights: all must come from the state
  options.stop_after_step = -1;
  options.resume = true;
  const auto second = train_teacher(resumed, train, dev, metric, sink, options);
  CHECK(second.steps == 18);
  for (std::size_t t = 0; t < straight.parameters().size(); ++t) {
    INFO(straight.parameters()[t].name);
    CHECK(resumed.parameters()[t].value == straight.parameters()[t].value);
  }
  CHECK(second.best.selection == full.best.selection);
  std::filesystem::remove_all(folder);
}
