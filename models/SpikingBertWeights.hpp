#pragma once
// SpikingBERT parameters in the layouts the kernel uses. Linear weights are stored transposed,
// [in][out] row-major, so one spike of input i adds one contiguous row (sim/Projection.hpp); the
// reference stores them [out][in] (tiny README §3). Tensors are shared, never copied per batch.
#include "io/Tensor.hpp"
#include "models/ParameterStore.hpp"
#include "io/ModelConfig.hpp"
#include "models/SubLayerTable.hpp"
#include "sim/SparseProduct.hpp"

#include <memory>
#include <string>
#include <vector>

namespace spikingbert::models {

using SharedFloats = std::shared_ptr<const std::vector<float>>;

struct LinearWeights {
  int inputs = 0, outputs = 0;
  SharedFloats weight;  // [inputs][outputs]
  SharedFloats bias;    // [outputs]
  std::shared_ptr<const sim::PackedWeights> packed;  // `weight` packed for the event kernel (SpikingBert packs once)
};

struct LayerNormWeights {
  SharedFloats gamma, beta;  // [hidden]
};

// One sub-layer's parameters (models/SubLayerTable: SubLayer::linear and SubLayer::layer_norm); the parts
// the sub-layer does not have are null.
struct SubLayerWeights {
  LinearWeights linear;      // W (Query for Attention), b
  LayerNormWeights norm;     // the embedding's, SelfOutput's and Output's LayerNorm
};

struct SpikingBertWeights {
  SharedFloats word_embeddings;         // [vocab][hidden]
  SharedFloats position_embeddings;     // [max_position][hidden]
  SharedFloats token_type_embeddings;   // [type_vocab][hidden]
  std::vector<SubLayerWeights> sublayers;  // SubLayerTable order

  SharedFloats classifier_weight;       // [labels][hidden] (reference layout: logits = a W_c^T + b_c)
  SharedFloats classifier_bias;         // [labels]
  // The feedback projection network_s{6L+1}.fc.weight, last Output -> embedding neurons, no bias (method doc
  // §1.3), stored [in][out] as the others. weight null: not part of the network (config feedback false, no
  // such tensor, or every value 0: a zero projection is skipped, so it costs nothing).
  LinearWeights feedback;
};


// Reads the reference's canonical names (`network_x.*`, `network_sN.*`, `classification.*`; tiny
// config.json "parameter_roles"); alias copies (snn_func.*, ...) and unused tensors are ignored.
// Throws io::InputError naming `source` and the tensor if one is missing or has the wrong shape.
SpikingBertWeights weights_from_tensors(const io::ModelConfig& config, const io::TensorMap& tensors,
                                        const std::string& source);
// The same straight from the steady-state map's parameter store (canonical names and shapes;
// models/SpikingBertEquilibrium), no io::TensorMap in between: what each training step simulates with
// (training::spiking_bert_of).
SpikingBertWeights weights_from_store(const io::ModelConfig& config, const ParameterStore<float>& store,
                                      const std::string& source);
// The inverse: canonical reference names and layouts (for writing checkpoints of random models).
io::TensorMap weights_to_tensors(const io::ModelConfig& config, const SpikingBertWeights& weights);

}  // namespace spikingbert::models
