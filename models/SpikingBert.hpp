#pragma once
// SpikingBERT (Bal & Sengupta, AAAI-24) as a network of the generic kernel (method doc §1.3, §3):
// embedding neurons driven by the constant current E = LN(word + position + type), then per encoder
// layer the spiking sub-layers Key, Value, Attention (real Query inside), SelfOutput (LayerNorm,
// spiking residual), Intermediate (GELU) and Output (LayerNorm, spiking residual); the classifier
// reads ReLU of the last Output's ASR at token 0 (method doc §1.4).
#include "io/ModelConfig.hpp"
#include "models/SpikingBertWeights.hpp"
#include "models/SubLayerTable.hpp"
#include "models/TokenBatch.hpp"
#include "sim/Network.hpp"
#include "sim/RunResult.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace spikingbert::models {

enum class KernelKind { kEvent, kDense };

// The network for one batch: rows = batch x sequence tokens; sublayer j (SubLayerTable order) is
// population sublayers[j].
struct SpikingBertNetwork {
  sim::Network network;
  std::vector<sim::PopulationId> sublayers;
};

struct ForwardResult {
  int steps = 0, batch = 0, sequence = 0;  // steps: simulated (sim::RunResult::steps)
  sim::RunResult run;                         // per population, indexed by PopulationId
  std::vector<sim::PopulationId> sublayers;   // sublayer j -> population
  std::vector<float> logits;                  // [batch][num_labels]
  // Spike counts / ASR (count * float32(1/T)) of sublayer j, [batch][sequence][width].
  const std::vector<std::uint32_t>& spike_count(int sublayer) const {
    return run.populations.at(static_cast<std::size_t>(sublayers.at(static_cast<std::size_t>(sublayer)))).spike_count;
  }
  std::vector<float> asr(int sublayer) const { return run.asr(sublayers.at(static_cast<std::size_t>(sublayer))); }
};

class SpikingBert {
 public:
  SpikingBert(io::ModelConfig config, SpikingBertWeights weights);

  const io::ModelConfig& config() const { return config_; }
  const SpikingBertWeights& weights() const { return weights_; }
  // Names ("embedding", "L0_key", ...), widths and inputs of the sub-layers (models/SubLayerTable).
  const SubLayerTable& sublayers() const { return sublayers_; }

  // Throws io::InputError (naming `source`) for ids outside the vocabulary, bad segments, masks or lengths.
  void validate(const TokenBatch& batch, const std::string& source) const;
  // E = LN(word[ids] + pos[0..S-1] + type[segments]), [rows][hidden] (method doc §1.2), computed once.
  std::vector<float> embedding_current(const TokenBatch& batch) const;
  SpikingBertNetwork build_network(const TokenBatch& batch) const;
  // Simulates options.steps steps with the chosen kernel and applies the classifier.
  ForwardResult forward(const TokenBatch& batch, const sim::KernelOptions& options, KernelKind kernel) const;
  // logits[b] = ReLU(a_last[b, token 0, :]) W_c^T + b_c (method doc §1.4).
  std::vector<float> classify(const std::vector<float>& last_output_asr, int batch, int sequence) const;
  std::int64_t parameter_count() const;

 private:
  io::ModelConfig config_;
  SubLayerTable sublayers_;
  SpikingBertWeights weights_;
};

}  // namespace spikingbert::models
