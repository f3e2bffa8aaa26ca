// teacher-tiny conformance (tests/data/teacher-tiny, from a PyTorch BERT with Hugging Face semantics):
// hidden states, attention scores, pooled output and logits within 1e-5 of float32/*, the loss and every
// parameter gradient within 1e-4 relative of float64/* (computed here in double).
#include "support/FiniteDifference.hpp"

#include "io/Hdf5File.hpp"
#include "models/BertTeacherIo.hpp"
#include "training/CrossEntropyLoss.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace spikingbert;

namespace {

const std::string kFolder = std::string(SPIKINGBERT_TEST_DATA_DIR) + "/teacher-tiny";
constexpr double kForwardTolerance = 1e-5;
constexpr double kGradientTolerance = 1e-4;
// Below this norm a float64 gradient is rounding noise of an identically zero quantity.
constexpr double kRoundingNoise = 1e-12;

template <class Values>
double norm(const Values& values) {
  double squares = 0;
  for (const double v : values) squares += v * v;
  return std::sqrt(squares);
}

models::TokenBatch case_batch(const io::Hdf5Reader& reader) {
  models::TokenBatch batch;
  const auto ids = reader.read_ints("input_ids");
  batch.batch = ids.shape[0];
  batch.sequence = ids.shape[1];
  batch.token_ids = ids.values;
  batch.segment_ids = reader.read_ints("segment_ids").values;
  batch.attention_mask = reader.read_ints("attention_mask").values;
  return batch;
}

template <class Ours>
double max_difference(const Ours& ours, const std::vector<float>& expected) {
  REQUIRE(ours.size() == expected.size());
  double worst = 0;
  for (std::size_t i = 0; i < ours.size(); ++i) worst = std::max(worst, std::abs(double(ours[i]) - expected[i]));
  return worst;
}

}  // namespace

TEST_CASE("teacher-tiny: float32 forward matches hidden states, scores, pooled and logits within 1e-5") {
  const auto files = models::read_teacher_files(kFolder);
  const auto model = models::teacher_from_tensors<float>(files.config, files.tensors, files.source);
  const io::Hdf5Reader reader(kFolder + "/case.h5");
  const auto batch = case_batch(reader);
  models::BertTeacherActivations<float> a;
  model.forward(batch, a);
  std::vector<float> hidden, scores;
  for (const auto& h : a.hidden_states) hidden.insert(hidden.end(), h.begin(), h.end());
  for (const auto& layer : a.layers) scores.insert(scores.end(), layer.scores.begin(), layer.scores.end());
  CHECK(max_difference(hidden, reader.read_tensor("float32/hidden_states").values) < kForwardTolerance);
  CHECK(max_difference(scores, reader.read_tensor("float32/attention_scores").values) < kForwardTolerance);
  CHECK(max_difference(a.pooled, reader.read_tensor("float32/pooled").values) < kForwardTolerance);
  CHECK(max_difference(a.logits, reader.read_tensor("float32/logits").values) < kForwardTolerance);
}

TEST_CASE("teacher-tiny: float64 loss and every parameter gradient within 1e-4 relative") {
  const auto files = models::read_teacher_files(kFolder);
  auto model = models::teacher_from_tensors<double>(files.config, files.tensors, files.source);
  const io::Hdf5Reader reader(kFolder + "/case.h5");
  const auto batch = case_batch(reader);
  const auto labels = reader.read_ints("labels").values;
  models::BertTeacherActivations<double> a;
  model.forward(batch, a);
  std::vector<double> d_logits(a.logits.size(), 0.0);
  const double loss = training::cross_entropy_loss(a.logits.data(), labels.data(), batch.batch,
                                                   model.config().num_labels, d_logits.data());
  CHECK(loss == Approx(reader.read_doubles("float64/loss")[0]).epsilon(1e-10));
  model.zero_gradients();
  models::BertTeacher<double>::OutputGradients gradients;
  gradients.logits = d_logits.data();
  model.backward(batch, a, gradients);
  const auto names = reader.list("float64/grad");
  CHECK(names.size() == model.parameters().size());
  for (const auto& name : names) {
    INFO(name);
    const auto expected = reader.read_doubles("float64/grad/" + name);
    const auto& ours = model.parameter(name).gradient;
    if (norm(expected) < kRoundingNoise) {
      // The key bias adds the same q.b to every score of a softmax row, so its gradient is exactly zero;
      // the reference holds rounding noise (~1e-19) there, and a relative error of noise means nothing.
      CHECK(norm(ours) < kRoundingNoise);
    } else {
      CHECK(testing::relative_error(ours, expected) < kGradientTolerance);
    }
  }
}

TEST_CASE("teacher loading: a mis-shaped or missing tensor is an InputError naming the tensor") {
  auto files = models::read_teacher_files(kFolder);
  auto broken = files.tensors;
  broken["bert.pooler.dense.weight"].shape = {16, 64};
  CHECK_THROWS_WITH(models::teacher_from_tensors<float>(files.config, broken, "model.safetensors"),
                    Catch::Contains("bert.pooler.dense.weight") && Catch::Contains("[16,64]"));
  broken = files.tensors;
  broken.erase("classifier.bias");
  CHECK_THROWS_WITH(models::teacher_from_tensors<float>(files.config, broken, "model.safetensors"),
                    Catch::Contains("classifier.bias") && Catch::Contains("missing"));
}
