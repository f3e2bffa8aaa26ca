#include "models/RandomSpikingBert.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>

namespace spikingbert::models {

namespace {

// Spread of a neuron's mean current across neurons, in units of V_th: wide enough that rates spread
// over (0, 1), narrow enough that most neurons are neither silent nor saturated.
constexpr double kCurrentSpread = 0.35;
// Slope of the mean rate against a bias shift, d(ASR)/d(bias), for the spread above (about P(0<I<1)).
constexpr double kRateSlope = 0.6;

// Mean of clamp(f(x), 0, 1) for x ~ N(mean, spread^2) by midpoint quadrature over +-6 sigma.
double expected_rate(double mean, double spread, const std::function<double(double)>& f) {
  constexpr int kPoints = 481;
  double total = 0.0, weight = 0.0;
  for (int i = 0; i < kPoints; ++i) {
    const double z = -6.0 + 12.0 * (i + 0.5) / kPoints;
    const double density = std::exp(-0.5 * z * z);
    total += density * std::clamp(f(mean + spread * z), 0.0, 1.0);
    weight += density;
  }
  return total / weight;
}

// The mean current that gives `target` with the given spread, by bisection.
double mean_for_rate(double target, double spread, const std::function<double(double)>& f) {
  double low = -5.0, high = 5.0;
  for (int i = 0; i < 60; ++i) {
    const double middle = 0.5 * (low + high);
    (expected_rate(middle, spread, f) < target ? low : high) = middle;
  }
  return 0.5 * (low + high);
}

double gelu(double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); }

struct Generator {
  std::mt19937 rng;
  std::vector<float> normal(std::size_t n, double mean, double spread) {
    std::normal_distribution<float> distribution(static_cast<float>(mean), static_cast<float>(spread));
    std::vector<float> v(n);
    for (auto& x : v) x = distribution(rng);
    return v;
  }
};

SharedFloats shared(std::vector<float> v) { return std::make_shared<const std::vector<float>>(std::move(v)); }

}  // namespace

SpikingBert make_random_spiking_bert(const io::ModelConfig& config, double target_asr, std::uint32_t seed,
                                     int calibration_rounds, int threads) {
  io::validate_model_config(config, "random model");
  const SubLayerTable sublayers(config);
  Generator generator{std::mt19937(seed)};
  const int h = config.hidden_size;
  const double a = std::clamp(target_asr, 0.01, 0.95);
  auto identity_map = [](double x) { return x; };
  // A LayerNorm output is ~ gamma z + beta: gamma sets the spread, beta the rate.
  const double beta = mean_for_rate(a, kCurrentSpread, identity_map);
  const double linear_bias = mean_for_rate(a, kCurrentSpread, identity_map);
  const double gelu_bias = mean_for_rate(a, kCurrentSpread, gelu);
  // Weight scale so sum_i W_i s_i over ~a*fan_in spiking inputs has spread kCurrentSpread.
  auto weight_spread = [&](int fan_in) { return kCurrentSpread / std::sqrt(a * fan_in); };

  SpikingBertWeights w;
  w.word_embeddings = shared(generator.normal(static_cast<std::size_t>(config.vocab_size) * h, 0.0, 1.0));
  w.position_embeddings = shared(generator.normal(static_cast<std::size_t>(config.max_position_embeddings) * h, 0.0, 0.5));
  w.token_type_embeddings = shared(generator.normal(static_cast<std::size_t>(config.type_vocab_size) * h, 0.0, 0.5));
  // Draws in table order: each sub-layer's linear map, then its LayerNorm.
  for (const auto& sublayer : sublayers) {
    SubLayerWeights weights;
    const int inputs = sublayer.linear_inputs, outputs = sublayer.width;
    if (!sublayer.linear.empty()) {
      double bias_mean = 0.0, spread = weight_spread(inputs);
      if (sublayer.kind == SubLayerKind::key || sublayer.kind == SubLayerKind::value) bias_mean = linear_bias;
      if (sublayer.kind == SubLayerKind::intermediate) bias_mean = gelu_bias;
      // Query scale: scores of order 1 so the softmax is neither uniform nor one-hot.
      if (sublayer.kind == SubLayerKind::attention) spread = 3.0 / std::sqrt(a * inputs);
      weights.linear = LinearWeights{inputs, outputs,
                                     shared(generator.normal(static_cast<std::size_t>(inputs) * outputs, 0.0, spread)),
                                     shared(generator.normal(static_cast<std::size_t>(outputs), bias_mean, 0.05)), nullptr};
    }
    if (!sublayer.layer_norm.empty()) {
      weights.norm = LayerNormWeights{shared(generator.normal(static_cast<std::size_t>(h), kCurrentSpread, 0.05)),
                                      shared(generator.normal(static_cast<std::size_t>(h), beta, 0.05))};
    }
    w.sublayers.push_back(std::move(weights));
  }
  w.classifier_weight = shared(generator.normal(static_cast<std::size_t>(config.num_labels) * h, 0.0, 1.0 / std::sqrt(h)));
  w.classifier_bias = shared(generator.normal(static_cast<std::size_t>(config.num_labels), 0.0, 0.1));

  // Calibration: nudge each sub-layer's rate-setting parameter (bias, or LayerNorm beta after a LN)
  // by the measured rate error. Attention has no such parameter; its rate follows Value's.
  const auto batch = make_random_batch(config, 1, std::min(8, config.max_position_embeddings), 0, seed + 1);
  sim::KernelOptions options;
  options.steps = 24;
  options.threads = threads;
  for (int round = 0; round < calibration_rounds; ++round) {
    const SpikingBert model(config, w);
    w = model.weights();  // keeps the packed weights; calibration only moves biases and betas
    const auto result = model.forward(batch, options, KernelKind::kEvent);
    for (const auto& sublayer : sublayers) {
      if (sublayer.kind == SubLayerKind::attention) continue;
      auto& weights = w.sublayers[static_cast<std::size_t>(sublayer.index)];
      SharedFloats& values = sublayer.layer_norm.empty() ? weights.linear.bias : weights.norm.beta;
      const auto rates = result.asr(sublayer.index);
      double mean = 0.0;
      for (const float r : rates) mean += r;
      mean /= static_cast<double>(rates.size());
      auto shifted = *values;
      for (auto& v : shifted) v += static_cast<float>((a - mean) / kRateSlope);
      values = shared(std::move(shifted));
    }
  }
  return SpikingBert(config, std::move(w));
}

TokenBatch make_random_batch(const io::ModelConfig& config, int batch, int sequence, int padding, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::int64_t> token(1, config.vocab_size - 1);
  TokenBatch tokens;
  tokens.batch = batch;
  tokens.sequence = sequence;
  for (int b = 0; b < batch; ++b)
    for (int s = 0; s < sequence; ++s) {
      const bool padded = s >= sequence - padding;
      tokens.token_ids.push_back(padded ? 0 : token(rng));
      tokens.segment_ids.push_back(config.type_vocab_size > 1 && s >= sequence / 2 && !padded ? 1 : 0);
      tokens.attention_mask.push_back(padded ? 0 : 1);
    }
  return tokens;
}

}  // namespace spikingbert::models
