#pragma once
// The one description of SpikingBERT's spiking sub-layers (method doc §1.3, the reference's order):
// sub-layer 0 is the embedding population, then six per encoder layer k: Key, Value, Attention,
// SelfOutput, Intermediate, Output (sub-layer 1 + 6k + (kind - 1)). Per sub-layer the table holds its
// name, width, what it computes (kind), the sub-layers it reads and how, and the parameters it owns
// under the reference's canonical names (network_x.* for the embedding, network_sN.* for sub-layer N,
// tests/data/tiny/config.json "parameter_roles"). The recurrent feedback projection network_s{6L+1}.fc
// from the last Output population to the embedding population is declared here too.
//
// The event network builder (SpikingBert::build_network), the steady-state map (SpikingBertEquilibrium),
// weight load/save (SpikingBertWeights), the random model (RandomSpikingBert), trace names and the
// energy models read this table; no other code knows the "6 per layer" numbering.
// docs/architecture.md "The sub-layer table" prints it for the tiny model (checked by a test).
#include "io/ModelConfig.hpp"
#include "sim/NeuronModel.hpp"
#include "sim/Population.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace spikingbert::models {

// What a sub-layer computes before its neurons (method doc §1.3, §3, §4); the numbers are the kind's
// position inside an encoder layer (the reference's i % 6 + 1).
enum class SubLayerKind : int {
  embedding = 0,     // constant current E = LN(word[x] + position + type[seg])          (method doc §1.2)
  key = 1,           // W_K s_in + b_K
  value = 2,         // W_V s_in + b_V
  attention = 3,     // softmax((W_Q s_in + b_Q) s_K^T / sqrt(d) + M) s_V per head      (method doc §3)
  self_output = 4,   // LN(W_SO s_A + b_SO + s_in)
  intermediate = 5,  // GELU(W_I s_SO + b_I)
  output = 6,        // LN(W_O s_I + b_O + s_SO)
};
inline constexpr int kSubLayersPerEncoderLayer = 6;

// How a sub-layer reads another (the projections of sim::Network, or the attention transform's inputs).
enum class EdgeRole {
  dense,            // W s + b through the sub-layer's linear parameters (Query for Attention)
  residual,         // s itself (identity projection), added before the LayerNorm
  attention_key,    // the rates the attention transform uses as keys
  attention_value,  // ... and as values
  feedback,         // W_fb s of a later sub-layer, no bias (the reference's SNNFC), delayed
};

struct SubLayerEdge {
  int from = 0;                  // source sub-layer
  EdgeRole role = EdgeRole::dense;
  int delay_steps = 0;           // 0: the same step (feed-forward); >= 1: recurrent
};

struct ParameterShape {
  std::string name;                  // canonical name, e.g. "network_s1.dense.weight"
  std::vector<std::int64_t> shape;   // reference layout: linear weights [out, in]
};

struct SubLayer {
  int index = 0;                    // position in the reference order
  std::string name;                 // "embedding", "L0_key", ..., trace dataset names
  SubLayerKind kind = SubLayerKind::embedding;
  int layer = -1;                   // encoder layer k, -1 for the embedding
  int width = 0;                    // neurons per token
  std::vector<SubLayerEdge> inputs; // in the order the network builder adds them
  // The module prefix of the sub-layer's linear map W, b ("network_s3.query"); empty for the embedding.
  std::string linear;
  int linear_inputs = 0;            // W's input width
  // The module prefix of its LayerNorm ("network_x.LayerNorm", "network_s4.LayerNorm"); empty if none.
  std::string layer_norm;
  std::vector<ParameterShape> parameters;  // every parameter it owns, in the reference's order
};

// The feedback projection (docs/gradients.md "feedback"): from the last Output sub-layer to the embedding
// sub-layer through `weight` [hidden, hidden], no bias; simulated when the config's `feedback` is true and the
// weight is not all zero (models/SpikingBertWeights).
// The neuron model of every sub-layer (docs/neuron-models.md): the kernel simulates it, and the steady-state map,
// the gradient modes and the residual observers take its rate sigma and sigma' from it.
inline sim::NeuronModel neuron_model(const io::ModelConfig& config) {
  return sim::NeuronModel{config};  // the config's io::NeuronParameters base
}

struct FeedbackProjection {
  int from = 0, to = 0;
  // The embedding neurons are updated first in a step and the last Output last (method doc §2.1 order), so the
  // newest Output spikes they can read are the previous step's; the reference's (disabled) feedback adds
  // W_fb s_last of the previous step to u_0 (method doc §1.3). A zero-delay loop has no update order.
  int delay_steps = 1;
  ParameterShape weight;
};

class SubLayerTable {
 public:
  explicit SubLayerTable(const io::ModelConfig& config);

  int size() const { return static_cast<int>(sublayers_.size()); }
  const SubLayer& operator[](int sublayer) const { return sublayers_.at(static_cast<std::size_t>(sublayer)); }
  const std::vector<SubLayer>& sublayers() const { return sublayers_; }
  auto begin() const { return sublayers_.begin(); }
  auto end() const { return sublayers_.end(); }

  int encoder_layers() const { return encoder_layers_; }
  // The sub-layer of `kind` in encoder layer `layer` (the embedding: any layer).
  int index(int layer, SubLayerKind kind) const;
  // The population encoder layer `layer` reads: the embedding for layer 0, else the previous Output.
  int layer_input(int layer) const;
  int last_output() const { return size() - 1; }  // what the classifier reads (method doc §1.4)
  int width(int sublayer) const { return (*this)[sublayer].width; }
  std::vector<std::string> names() const;
  // The population of every sub-layer in the event network: SpikingBert::build_network adds one population per
  // sub-layer, in table order and before any other, so sub-layer j is population j whatever the batch.
  std::vector<sim::PopulationId> populations() const {
    std::vector<sim::PopulationId> ids(sublayers_.size());
    for (std::size_t j = 0; j < ids.size(); ++j) ids[j] = static_cast<sim::PopulationId>(j);
    return ids;
  }
  const FeedbackProjection& feedback() const { return feedback_; }
  // Every sub-layer's parameters in table order, then the feedback weight: the reference state dict's core.
  std::vector<ParameterShape> parameters() const;

  // The table as a Markdown table (docs/architecture.md shows it for the tiny model).
  std::string markdown() const;

 private:
  int encoder_layers_ = 0;
  std::vector<SubLayer> sublayers_;
  FeedbackProjection feedback_;
};

const char* kind_name(SubLayerKind kind);

}  // namespace spikingbert::models
