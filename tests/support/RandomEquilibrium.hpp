#pragma once
// Small random SpikingBERT steady-state models for finite-difference checks. The weights follow the
// recipe of tests/data/tiny/README.md §2 (scaled so that rates sit inside (0, 1), not at the clamp bounds),
// and a model is accepted only if every current is at least `margin` away from the clamp kinks 0 and V_th
// (training-anchors §1.4: finite differences across a kink fail spuriously).
#include "models/SpikingBertEquilibrium.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

namespace spikingbert::testing {

inline io::ModelConfig small_equilibrium_config(std::int64_t layers) {
  io::ModelConfig c;
  c.vocab_size = 11;
  c.hidden_size = 8;
  c.intermediate_size = 12;
  c.num_attention_heads = 2;
  c.num_hidden_layers = layers;
  c.max_position_embeddings = 6;
  c.type_vocab_size = 2;
  c.num_labels = 3;
  c.vth = 1.25;
  return c;
}

// Two sequences of four tokens; the second has one padded position (token id kept non-zero so that the
// padding row's missing gradient, a reference quirk, does not enter the check).
inline models::TokenBatch small_batch() {
  models::TokenBatch batch;
  batch.batch = 2;
  batch.sequence = 4;
  batch.token_ids = {3, 7, 2, 9, 5, 1, 10, 4};
  batch.segment_ids = {0, 0, 1, 1, 0, 0, 0, 0};
  batch.attention_mask = {1, 1, 1, 1, 1, 1, 1, 0};
  return batch;
}

template <class Scalar>
void randomise(models::SpikingBertEquilibrium<Scalar>& model, std::uint64_t seed) {
  std::mt19937_64 generator(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  for (auto& p : model.parameters()) {
    const bool is_norm = p.name.find("LayerNorm") != std::string::npos;
    const bool is_bias = p.name.ends_with(".bias");
    const double fan_in = p.shape.size() == 2 ? static_cast<double>(p.shape[1]) : 1.0;
    for (auto& v : p.value) {
      double x = normal(generator);
      if (p.name.rfind("network_x.word", 0) == 0) x *= 1.0;                 // N(0, 1)
      else if (p.name.rfind("network_x.", 0) == 0 && !is_norm) x *= 0.5;   // positions, types N(0, 0.5^2)
      else if (is_norm) x = is_bias ? 0.1 * x : 1.0 + 0.1 * x;
      else if (is_bias) x *= 0.2;
      else if (p.name.find("query") != std::string::npos) x *= 3.0 / std::sqrt(fan_in);
      else x *= 1.8 / std::sqrt(fan_in);
      v = static_cast<Scalar>(x);
    }
  }
}

// The smallest distance of any current (the argument of sigma) to a kink of the neuron model's rate: the
// rheobase (1 - leak) V_th (0 for IF) and V_th (sim/NeuronModel.hpp, docs/neuron-models.md). Currents of
// exactly 0 are skipped: they are embedding entries dropped by dropout, constant 0 whatever the
// parameters, so no finite-difference step moves them across the kink.
template <class Scalar>
double kink_margin(const models::EquilibriumActivations<Scalar>& activations, const sim::NeuronModel& neuron) {
  const double rheobase = (1.0 - neuron.leak) * neuron.vth;
  double margin = INFINITY;
  for (const auto& currents : activations.currents) {
    for (const Scalar c : currents) {
      if (c == Scalar(0)) continue;
      margin = std::min({margin, std::abs(static_cast<double>(c) - rheobase),
                         std::abs(static_cast<double>(c) - neuron.vth)});
    }
  }
  return margin;
}
template <class Scalar>
double kink_margin(const models::EquilibriumActivations<Scalar>& activations, double vth) {
  return kink_margin(activations, sim::NeuronModel{vth});
}

}  // namespace spikingbert::testing
