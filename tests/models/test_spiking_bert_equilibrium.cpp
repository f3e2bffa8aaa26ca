// The steady-state map of SpikingBERT (models/SpikingBertEquilibrium): the reference's equivalent_func
// values on tests/data/tiny (README §9, within 1e-5), and its backward against central finite differences
// in double on small random models (training-anchors §1.6 T4).
#include "support/FiniteDifference.hpp"
#include "support/RandomEquilibrium.hpp"
#include "support/TinyCase.hpp"

#include "io/Error.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace spikingbert;

namespace {

constexpr double kForwardTolerance = 1e-5;        // float32 conformance, method doc §10 item 4
constexpr double kGradientTolerance = 1e-6;       // double, relative, training-anchors §1.6 T4
constexpr double kKinkMargin = 2e-4;              // currents at least this far from 0 and V_th
constexpr int kSeedsToTry = 200;

// A scalar loss on every rate and every score tensor: sum of random weights times the values.
struct ProbeLoss {
  std::vector<std::vector<double>> rate_weights, score_weights;

  ProbeLoss(const models::EquilibriumActivations<double>& a, std::uint64_t seed) {
    for (std::size_t j = 0; j < a.rates.size(); ++j) {
      rate_weights.push_back(testing::random_values(a.rates[j].size(), -1, 1, seed + j));
    }
    for (std::size_t k = 0; k < a.layers.size(); ++k) {
      score_weights.push_back(testing::random_values(a.layers[k].scores.size(), -1, 1, seed + 100 + k));
    }
  }
  double operator()(const models::EquilibriumActivations<double>& a) const {
    double total = 0;
    for (std::size_t j = 0; j < a.rates.size(); ++j) total += testing::weighted_sum(a.rates[j], rate_weights[j]);
    for (std::size_t k = 0; k < a.layers.size(); ++k) total += testing::weighted_sum(a.layers[k].scores, score_weights[k]);
    return total;
  }
  models::SpikingBertEquilibrium<double>::OutputGradients gradients() const {
    models::SpikingBertEquilibrium<double>::OutputGradients g;
    for (const auto& w : rate_weights) g.rates.push_back(w.data());
    for (const auto& w : score_weights) g.scores.push_back(w.data());
    return g;
  }
};

// The first seed whose model keeps every current away from the clamp kinks.
models::SpikingBertEquilibrium<double> kink_free_model(const io::ModelConfig& config,
                                                       const models::TokenBatch& batch,
                                                       const models::EquilibriumOptions& options) {
  for (int seed = 1; seed <= kSeedsToTry; ++seed) {
    models::SpikingBertEquilibrium<double> model(config, 0);
    testing::randomise(model, static_cast<std::uint64_t>(seed));
    models::EquilibriumActivations<double> a;
    model.forward(batch, a, options);
    if (testing::kink_margin(a, config.vth) >= kKinkMargin) return model;
  }
  throw std::runtime_error("no kink-free random model found");
}

}  // namespace

TEST_CASE("equilibrium map reproduces the reference equivalent_func on the tiny case", "[models]") {
  const io::Hdf5Reader reader(testing::tiny_path("case.h5"));
  const auto model = testing::tiny_model<float>();
  const auto batch = testing::tiny_batch(reader);
  models::EquilibriumActivations<float> a;
  model.forward(batch, a);
  const auto& config = model.config();
  REQUIRE(model.sublayers().size() == 13);
  for (std::int64_t j = 0; j < model.sublayers().size(); ++j) {
    const auto expected = reader.read_tensor("equilibrium/" + testing::two_digits(j));
    REQUIRE(expected.values.size() == a.rates[j].size());
    double worst = 0;
    for (std::size_t i = 0; i < expected.values.size(); ++i) {
      worst = std::max(worst, std::abs(static_cast<double>(a.rates[j][i]) - expected.values[i]));
    }
    INFO("population " << j);
    CHECK(worst <= kForwardTolerance);
  }
  for (std::int64_t k = 0; k < config.num_hidden_layers; ++k) {
    const auto expected = reader.read_tensor("equilibrium/attn_scores/" + std::to_string(k));
    REQUIRE(expected.values.size() == a.layers[k].scores.size());
    double worst = 0;
    for (std::size_t i = 0; i < expected.values.size(); ++i) {
      // Masked entries are about -10000, where float32 resolves 1e-3: compare relative to magnitude.
      const double scale = std::max(1.0, std::abs(static_cast<double>(expected.values[i])));
      worst = std::max(worst, std::abs(static_cast<double>(a.layers[k].scores[i]) - expected.values[i]) / scale);
    }
    INFO("layer " << k);
    CHECK(worst <= kForwardTolerance);
  }
}

TEST_CASE("equilibrium map loads canonical names and rejects bad tensors", "[models]") {
  auto tensors = io::read_safetensors(testing::tiny_path("model.safetensors"));
  const auto config = testing::tiny_config();
  const models::SpikingBertEquilibrium<float> model(config, tensors, "model.safetensors");
  CHECK(model.parameter("network_s9.query.weight").value[5] == tensors.at("network_s9.query.weight").values[5]);
  CHECK(model.parameter("network_s13.fc.weight").shape == std::vector<std::int64_t>{32, 32});
  auto missing = tensors;
  missing.erase("network_s4.LayerNorm.bias");
  CHECK_THROWS_AS(models::SpikingBertEquilibrium<float>(config, missing, "m.safetensors"), io::InputError);
  auto bad = tensors;
  bad.at("classification.weight").shape = {32, 2};
  CHECK_THROWS_WITH(models::SpikingBertEquilibrium<float>(config, bad, "m.safetensors"),
                    Catch::Contains("classification.weight") && Catch::Contains("(expected [2,32])"));
  // Optional tensors: the KD adapter, pooler and feedback weight may be absent.
  auto optional = tensors;
  optional.erase("fit_dense.weight");
  optional.erase("network_s13.fc.weight");
  CHECK_NOTHROW(models::SpikingBertEquilibrium<float>(config, optional, "m.safetensors"));
}

TEST_CASE("equilibrium backward matches central finite differences in double", "[models]") {
  for (const std::int64_t layers : {1, 2}) {
    for (const bool training : {false, true}) {
      auto config = testing::small_equilibrium_config(layers);
      config.hidden_dropout_prob = 0.2;
      config.attention_probs_dropout_prob = 0.25;
      const models::EquilibriumOptions options{training, 77};
      const auto batch = testing::small_batch();
      auto model = kink_free_model(config, batch, options);
      models::EquilibriumActivations<double> a;
      model.forward(batch, a, options);
      const ProbeLoss loss(a, 5);
      model.zero_gradients();
      model.backward(batch, a, loss.gradients());
      int checked = 0;
      for (auto& parameter : model.parameters()) {
        std::vector<double> values(parameter.value.begin(), parameter.value.end());
        const auto numeric = testing::numeric_gradient(values, [&] {
          std::copy(values.begin(), values.end(), parameter.value.begin());
          models::EquilibriumActivations<double> probe;
          model.forward(batch, probe, options);
          return loss(probe);
        });
        std::copy(values.begin(), values.end(), parameter.value.begin());
        INFO(layers << " layers, training " << training << ": " << parameter.name);
        const double error = testing::relative_error(parameter.gradient, numeric);
        CHECK(error <= kGradientTolerance);
        double norm = 0;
        for (const double v : numeric) norm += v * v;
        if (norm > 0) ++checked;
      }
      // Every parameter of the map (5 embedding + 16 per layer) gets a non-zero gradient from this loss.
      CHECK(checked == 5 + 16 * layers);
    }
  }
}
