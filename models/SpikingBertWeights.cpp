#include "models/SpikingBertWeights.hpp"

#include "io/Error.hpp"

namespace spikingbert::models {

namespace {

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) text += ", ";
    text += std::to_string(shape[i]);
  }
  return text + "]";
}

const io::Tensor& require(const io::TensorMap& tensors, const std::string& name, std::vector<std::int64_t> shape,
                          const std::string& source) {
  const auto it = tensors.find(name);
  if (it == tensors.end())
    throw io::InputError(source, "tensor '" + name + "'", "missing", "a tensor of shape " + shape_text(shape));
  if (it->second.shape != shape || it->second.values.size() != it->second.size())
    throw io::InputError(source, "tensor '" + name + "'", "has shape " + shape_text(it->second.shape),
                         shape_text(shape));
  io::require_finite(it->second, name, source);  // a NaN weight would make every logit NaN
  return it->second;
}

SharedFloats copy_of(const io::Tensor& tensor) { return std::make_shared<const std::vector<float>>(tensor.values); }

// Reference Linear: weight [out][in], bias [out]; stored transposed as [in][out].
LinearWeights linear(const io::TensorMap& tensors, const std::string& prefix, int inputs, int outputs,
                     const std::string& source) {
  const auto& weight = require(tensors, prefix + ".weight", {outputs, inputs}, source);
  const auto& bias = require(tensors, prefix + ".bias", {outputs}, source);
  auto transposed = std::make_shared<std::vector<float>>(static_cast<std::size_t>(inputs) * outputs);
  for (int o = 0; o < outputs; ++o)
    for (int i = 0; i < inputs; ++i)
      (*transposed)[static_cast<std::size_t>(i) * outputs + o] = weight.values[static_cast<std::size_t>(o) * inputs + i];
  return {inputs, outputs, std::move(transposed), copy_of(bias), nullptr};
}

LayerNormWeights layer_norm(const io::TensorMap& tensors, const std::string& prefix, int hidden,
                            const std::string& source) {
  return {copy_of(require(tensors, prefix + ".weight", {hidden}, source)),
          copy_of(require(tensors, prefix + ".bias", {hidden}, source))};
}

void put_linear(io::TensorMap& tensors, const std::string& prefix, const LinearWeights& linear) {
  io::Tensor weight{{linear.outputs, linear.inputs}, std::vector<float>(static_cast<std::size_t>(linear.inputs) * linear.outputs)};
  for (int o = 0; o < linear.outputs; ++o)
    for (int i = 0; i < linear.inputs; ++i)
      weight.values[static_cast<std::size_t>(o) * linear.inputs + i] =
          (*linear.weight)[static_cast<std::size_t>(i) * linear.outputs + o];
  tensors[prefix + ".weight"] = std::move(weight);
  tensors[prefix + ".bias"] = io::Tensor{{linear.outputs}, *linear.bias};
}

void put_norm(io::TensorMap& tensors, const std::string& prefix, const LayerNormWeights& norm) {
  const auto n = static_cast<std::int64_t>(norm.gamma->size());
  tensors[prefix + ".weight"] = io::Tensor{{n}, *norm.gamma};
  tensors[prefix + ".bias"] = io::Tensor{{n}, *norm.beta};
}

}  // namespace

SpikingBertWeights weights_from_tensors(const SpikingBertConfig& config, const io::TensorMap& tensors,
                                        const std::string& source) {
  config.validate(source.c_str());
  const int hidden = config.hidden_size, intermediate = config.intermediate_size;
  SpikingBertWeights weights;
  weights.word_embeddings = copy_of(require(tensors, "network_x.word_embeddings.weight", {config.vocab_size, hidden}, source));
  weights.position_embeddings = copy_of(
      require(tensors, "network_x.position_embeddings.weight", {config.max_position_embeddings, hidden}, source));
  weights.token_type_embeddings =
      copy_of(require(tensors, "network_x.token_type_embeddings.weight", {config.type_vocab_size, hidden}, source));
  weights.embedding_norm = layer_norm(tensors, "network_x.LayerNorm", hidden, source);
  for (int k = 0; k < config.num_hidden_layers; ++k) {
    // Encoder layer k owns network_s{6k+1} .. network_s{6k+6} (method doc §1.3; tiny README §5).
    auto name = [&](int offset) { return "network_s" + std::to_string(6 * k + offset); };
    EncoderLayerWeights layer;
    layer.key = linear(tensors, name(1) + ".dense", hidden, hidden, source);
    layer.value = linear(tensors, name(2) + ".dense", hidden, hidden, source);
    layer.query = linear(tensors, name(3) + ".query", hidden, hidden, source);
    layer.self_output = linear(tensors, name(4) + ".dense", hidden, hidden, source);
    layer.self_output_norm = layer_norm(tensors, name(4) + ".LayerNorm", hidden, source);
    layer.intermediate = linear(tensors, name(5) + ".dense", hidden, intermediate, source);
    layer.output = linear(tensors, name(6) + ".dense", intermediate, hidden, source);
    layer.output_norm = layer_norm(tensors, name(6) + ".LayerNorm", hidden, source);
    weights.layers.push_back(std::move(layer));
  }
  weights.classifier_weight = copy_of(require(tensors, "classification.weight", {config.num_labels, hidden}, source));
  weights.classifier_bias = copy_of(require(tensors, "classification.bias", {config.num_labels}, source));
  return weights;
}

io::TensorMap weights_to_tensors(const SpikingBertConfig& config, const SpikingBertWeights& weights) {
  io::TensorMap tensors;
  const std::int64_t hidden = config.hidden_size;
  tensors["network_x.word_embeddings.weight"] = io::Tensor{{config.vocab_size, hidden}, *weights.word_embeddings};
  tensors["network_x.position_embeddings.weight"] =
      io::Tensor{{config.max_position_embeddings, hidden}, *weights.position_embeddings};
  tensors["network_x.token_type_embeddings.weight"] =
      io::Tensor{{config.type_vocab_size, hidden}, *weights.token_type_embeddings};
  put_norm(tensors, "network_x.LayerNorm", weights.embedding_norm);
  for (int k = 0; k < config.num_hidden_layers; ++k) {
    auto name = [&](int offset) { return "network_s" + std::to_string(6 * k + offset); };
    const auto& layer = weights.layers[static_cast<std::size_t>(k)];
    put_linear(tensors, name(1) + ".dense", layer.key);
    put_linear(tensors, name(2) + ".dense", layer.value);
    put_linear(tensors, name(3) + ".query", layer.query);
    put_linear(tensors, name(4) + ".dense", layer.self_output);
    put_norm(tensors, name(4) + ".LayerNorm", layer.self_output_norm);
    put_linear(tensors, name(5) + ".dense", layer.intermediate);
    put_linear(tensors, name(6) + ".dense", layer.output);
    put_norm(tensors, name(6) + ".LayerNorm", layer.output_norm);
  }
  tensors["classification.weight"] = io::Tensor{{config.num_labels, hidden}, *weights.classifier_weight};
  tensors["classification.bias"] = io::Tensor{{config.num_labels}, *weights.classifier_bias};
  return tensors;
}

}  // namespace spikingbert::models
