#pragma once
// Random SpikingBERTs for benchmarks and tests: weights drawn so that every sub-layer fires at about
// a chosen mean ASR (the paper reports ~0.15 for trained models, method doc §10 item 10), and random
// token batches.
#include "models/SpikingBert.hpp"

#include <cstdint>

namespace spikingbert::models {

// Shapes: io::model_size_preset ("tiny", "base4").
// Weights ~ N(0, (gain/sqrt(fan_in))^2); biases and LayerNorm betas are chosen analytically so a
// neuron's mean current gives the target rate, then corrected by `calibration_rounds` short
// simulations (T = 24 on a random batch) that nudge each sub-layer's bias toward `target_asr`.
SpikingBert make_random_spiking_bert(const io::ModelConfig& config, double target_asr, std::uint32_t seed,
                                     int calibration_rounds = 3, int threads = 1);
// Random token ids (>= 1), one segment change in the middle, the last `padding` tokens padded.
TokenBatch make_random_batch(const io::ModelConfig& config, int batch, int sequence, int padding, std::uint32_t seed);

}  // namespace spikingbert::models
