// The BERT teacher's full backward against central finite differences in double, with dropout on
// (fixed seed), extra gradients on hidden states and scores (distillation), both poolings and both heads.
#include "support/FiniteDifference.hpp"

#include "models/BertTeacher.hpp"

#include <catch2/catch.hpp>

#include <random>

using namespace spikingbert::models;
namespace io = spikingbert::io;
using namespace spikingbert::testing;

namespace {

TokenBatch small_batch() {
  TokenBatch batch;
  batch.batch = 2;
  batch.sequence = 5;
  batch.token_ids = {2, 7, 9, 7, 3, 2, 5, 3, 0, 0};
  batch.segment_ids = {0, 0, 0, 1, 1, 0, 0, 0, 0, 0};
  batch.attention_mask = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0};
  return batch;
}

io::ModelConfig small_config() {
  io::ModelConfig config;
  config.vocab_size = 11;
  config.hidden_size = 8;
  config.num_hidden_layers = 2;
  config.num_attention_heads = 2;
  config.intermediate_size = 12;
  config.max_position_embeddings = 6;
  config.num_labels = 3;
  config.initializer_range = 0.5;  // large weights: every layer's gradient is far from vanishing
  return config;
}

// Loss = sum of the logits, hidden states and scores each weighted by fixed random numbers.
struct WeightedOutputs {
  std::vector<double> logits;
  std::vector<std::vector<double>> hidden, scores;
  WeightedOutputs(const io::ModelConfig& c, const TokenBatch& b) {
    logits = random_values(b.batch * c.num_labels, -1, 1, 100);
    for (std::int64_t l = 0; l <= c.num_hidden_layers; ++l) {
      hidden.push_back(random_values(b.rows() * c.hidden_size, -1, 1, 200 + l));
    }
    for (std::int64_t l = 0; l < c.num_hidden_layers; ++l) {
      // Only unmasked score entries: a masked entry is the score plus -10000, whose tiny FD step is lost.
      auto weights = random_values(b.batch * c.num_attention_heads * b.sequence * b.sequence, -1, 1, 300 + l);
      for (std::int64_t i = 0; i < static_cast<std::int64_t>(weights.size()); ++i) {
        const std::int64_t key = i % b.sequence;
        const std::int64_t example = i / (c.num_attention_heads * b.sequence * b.sequence);
        if (b.attention_mask[example * b.sequence + key] == 0) weights[i] = 0;
      }
      scores.push_back(weights);
    }
  }
  double loss(const BertTeacherActivations<double>& a) const {
    double total = weighted_sum(a.logits, logits);
    for (std::size_t l = 0; l < hidden.size(); ++l) total += weighted_sum(a.hidden_states[l], hidden[l]);
    for (std::size_t l = 0; l < scores.size(); ++l) total += weighted_sum(a.layers[l].scores, scores[l]);
    return total;
  }
};

void check_all_gradients(const io::ModelConfig& config, bool training) {
  BertTeacher<double> model(config, 5);
  const TokenBatch batch = small_batch();
  const WeightedOutputs weights(config, batch);
  const ForwardOptions options{training, 77};
  BertTeacherActivations<double> activations;
  model.forward(batch, activations, options);
  BertTeacher<double>::OutputGradients gradients;
  gradients.logits = weights.logits.data();
  for (const auto& h : weights.hidden) gradients.hidden_states.push_back(h.data());
  for (const auto& s : weights.scores) gradients.scores.push_back(s.data());
  model.zero_gradients();
  model.backward(batch, activations, gradients);

  std::mt19937_64 pick(9);
  for (auto& parameter : model.parameters()) {
    // A few entries per tensor keep the test fast; the padding row of the word table is checked apart.
    std::vector<std::int64_t> entries;
    for (int k = 0; k < 6; ++k) {
      std::int64_t at = static_cast<std::int64_t>(pick() % parameter.value.size());
      if (parameter.name == "bert.embeddings.word_embeddings.weight") {
        const std::int64_t token = batch.token_ids[k % 8];  // a token that occurs, never the padding 0
        at = token * config.hidden_size + static_cast<std::int64_t>(pick() % config.hidden_size);
      }
      entries.push_back(at);
    }
    std::vector<double> analytic, numeric;
    for (const auto at : entries) {
      analytic.push_back(parameter.gradient[at]);
      std::vector<double> single = {parameter.value[at]};
      auto loss = [&] {
        parameter.value[at] = single[0];
        BertTeacherActivations<double> perturbed;
        model.forward(batch, perturbed, options);
        return weights.loss(perturbed);
      };
      numeric.push_back(numeric_gradient(single, loss)[0]);
      parameter.value[at] = single[0];
    }
    INFO(parameter.name);
    CHECK(relative_error(analytic, numeric) < 1e-6);
  }
  // The padding row (token 0) gets no gradient, as torch.nn.Embedding(padding_idx=0).
  const auto& word = model.parameter("bert.embeddings.word_embeddings.weight").gradient;
  for (std::int64_t i = 0; i < config.hidden_size; ++i) CHECK(word[i] == 0.0);
}

}  // namespace

TEST_CASE("bert teacher: backward matches finite differences ([CLS] pooling, classification, dropout off)") {
  check_all_gradients(small_config(), false);
}

TEST_CASE("bert teacher: backward matches finite differences (mean pooling, regression, dropout on)") {
  auto config = small_config();
  config.pooling = io::Pooling::mean;
  config.num_labels = 1;
  check_all_gradients(config, true);
}

TEST_CASE("bert teacher: shapes, parameter names, dropout determinism") {
  auto config = small_config();
  BertTeacher<float> model(config, 1);
  CHECK(model.parameters().size() == 5 + 16 * 2 + 4);
  CHECK(model.parameter("bert.encoder.layer.1.attention.self.query.weight").shape ==
        std::vector<std::int64_t>{8, 8});
  CHECK(model.parameter("bert.encoder.layer.0.output.dense.weight").shape == std::vector<std::int64_t>{8, 12});
  CHECK_FALSE(model.parameter("bert.encoder.layer.0.output.LayerNorm.weight").weight_decay);
  CHECK_FALSE(model.parameter("classifier.bias").weight_decay);
  CHECK(model.parameter("classifier.weight").weight_decay);
  const TokenBatch batch = small_batch();
  BertTeacherActivations<float> a, b, eval;
  model.forward(batch, a, {true, 3});
  model.forward(batch, b, {true, 3});
  model.forward(batch, eval, {false, 3});
  CHECK(a.hidden_states.size() == 3);
  CHECK(a.layers[1].scores.size() == 2 * 2 * 5 * 5);
  CHECK(a.logits.size() == 2 * 3);
  CHECK(a.logits == b.logits);
  CHECK(a.logits != eval.logits);
  // Padded keys: score = raw + (-10000), probability ~ 0.
  CHECK(eval.layers[0].scores[((1 * 2 + 0) * 5 + 1) * 5 + 4] < -9000.0f);
  CHECK(eval.layers[0].probabilities[((1 * 2 + 0) * 5 + 1) * 5 + 4] < 1e-6f);
}
