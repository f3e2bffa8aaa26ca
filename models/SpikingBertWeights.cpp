#include "models/SpikingBertWeights.hpp"

#include "io/Error.hpp"
#include "models/KernelSupport.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <functional>

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

// A tensor found by name, from a checkpoint's tensors or from the steady-state map's parameters.
struct FoundTensor {
  const float* values = nullptr;  // null: no tensor of that name
  std::vector<std::int64_t> shape;
  bool consistent = true;  // false: the shape does not match the number of values (never read then)
};
using TensorLookup = std::function<FoundTensor(const std::string& name)>;

// Every value finite, in fixed blocks in parallel (the student's whole model is checked every training step:
// 55.6 M floats at the paper's shape); the position of the first bad one only when there is one.
void require_finite(const float* values, std::size_t count, const std::string& name, const std::string& source) {
  std::atomic<bool> finite{true};
  for_each_chunk(static_cast<std::int64_t>(count), kElementsPerChunk, [&](std::int64_t begin, std::int64_t end) {
    bool block_finite = true;
    for (std::int64_t i = begin; i < end; ++i) block_finite &= std::isfinite(values[i]);
    if (!block_finite) finite = false;
  });
  if (finite) return;
  const io::Tensor copy{{static_cast<std::int64_t>(count)}, std::vector<float>(values, values + count)};
  io::require_finite(copy, name, source);  // names the element (a NaN weight would make every logit NaN)
}

const float* require(const TensorLookup& lookup, const std::string& name, std::vector<std::int64_t> shape,
                     const std::string& source) {
  const auto found = lookup(name);
  if (found.values == nullptr)
    throw io::InputError(source, "tensor '" + name + "'", "missing", "a tensor of shape " + shape_text(shape));
  if (!found.consistent || found.shape != shape)
    throw io::InputError(source, "tensor '" + name + "'", "has shape " + shape_text(found.shape), shape_text(shape));
  std::size_t count = 1;
  for (const auto extent : shape) count *= static_cast<std::size_t>(extent);
  require_finite(found.values, count, name, source);
  return found.values;
}

SharedFloats copy_of(const float* values, std::size_t count) {
  return std::make_shared<const std::vector<float>>(values, values + count);
}

// out[i][o] = weight[o][i]: square tiles, so both sides stream whole cache lines; tiles of rows in
// parallel (a copy: the same result for any thread count). Runs once per training step (the student's
// weights change every step).
void transpose(float* out, const float* weight, int outputs, int inputs) {
  constexpr int kTile = 64;
  tbb::parallel_for(0, (inputs + kTile - 1) / kTile, [&](int tile_row) {
    const int i_begin = tile_row * kTile, i_end = std::min(inputs, i_begin + kTile);
    for (int o_begin = 0; o_begin < outputs; o_begin += kTile) {
      const int o_end = std::min(outputs, o_begin + kTile);
      for (int i = i_begin; i < i_end; ++i)
        for (int o = o_begin; o < o_end; ++o)
          out[static_cast<std::size_t>(i) * outputs + o] = weight[static_cast<std::size_t>(o) * inputs + i];
    }
  });
}

// Reference Linear: weight [out][in], bias [out]; stored transposed as [in][out].
LinearWeights linear(const TensorLookup& lookup, const std::string& prefix, int inputs, int outputs,
                     const std::string& source) {
  const float* weight = require(lookup, prefix + ".weight", {outputs, inputs}, source);
  const float* bias = require(lookup, prefix + ".bias", {outputs}, source);
  auto transposed = std::make_shared<std::vector<float>>(static_cast<std::size_t>(inputs) * outputs);
  transpose(transposed->data(), weight, outputs, inputs);
  return {inputs, outputs, std::move(transposed), copy_of(bias, static_cast<std::size_t>(outputs)), nullptr};
}

LayerNormWeights layer_norm(const TensorLookup& lookup, const std::string& prefix, int hidden, const std::string& source) {
  const auto count = static_cast<std::size_t>(hidden);
  return {copy_of(require(lookup, prefix + ".weight", {hidden}, source), count),
          copy_of(require(lookup, prefix + ".bias", {hidden}, source), count)};
}

SpikingBertWeights weights_from(const io::ModelConfig& config, const TensorLookup& lookup, const std::string& source) {
  io::validate_model_config(config, source);
  const int hidden = config.hidden_size;
  auto table = [&](const std::string& name, std::int64_t rows) {
    return copy_of(require(lookup, name, {rows, hidden}, source), static_cast<std::size_t>(rows) * hidden);
  };
  SpikingBertWeights weights;
  weights.word_embeddings = table("network_x.word_embeddings.weight", config.vocab_size);
  weights.position_embeddings = table("network_x.position_embeddings.weight", config.max_position_embeddings);
  weights.token_type_embeddings = table("network_x.token_type_embeddings.weight", config.type_vocab_size);
  const SubLayerTable sublayer_table(config);
  for (const auto& sublayer : sublayer_table) {
    SubLayerWeights w;
    if (!sublayer.linear.empty()) w.linear = linear(lookup, sublayer.linear, sublayer.linear_inputs, sublayer.width, source);
    if (!sublayer.layer_norm.empty()) w.norm = layer_norm(lookup, sublayer.layer_norm, sublayer.width, source);
    weights.sublayers.push_back(std::move(w));
  }
  weights.classifier_weight = copy_of(require(lookup, "classification.weight", {config.num_labels, hidden}, source),
                                      static_cast<std::size_t>(config.num_labels) * hidden);
  weights.classifier_bias = copy_of(require(lookup, "classification.bias", {config.num_labels}, source),
                                    static_cast<std::size_t>(config.num_labels));
  const std::string& feedback = sublayer_table.feedback().weight.name;
  if (config.feedback && lookup(feedback).values != nullptr) {
    const float* weight = require(lookup, feedback, {hidden, hidden}, source);
    const auto count = static_cast<std::size_t>(hidden) * hidden;
    if (std::any_of(weight, weight + count, [](float w) { return w != 0.0f; })) {
      auto transposed = std::make_shared<std::vector<float>>(count);
      transpose(transposed->data(), weight, hidden, hidden);
      weights.feedback = {hidden, hidden, std::move(transposed), nullptr, nullptr};
    }
  }
  return weights;
}

void put_linear(io::TensorMap& tensors, const std::string& prefix, const LinearWeights& linear) {
  io::Tensor weight{{linear.outputs, linear.inputs}, std::vector<float>(static_cast<std::size_t>(linear.inputs) * linear.outputs)};
  for (int o = 0; o < linear.outputs; ++o)
    for (int i = 0; i < linear.inputs; ++i)
      weight.values[static_cast<std::size_t>(o) * linear.inputs + i] =
          (*linear.weight)[static_cast<std::size_t>(i) * linear.outputs + o];
  tensors[prefix + ".weight"] = std::move(weight);
  if (linear.bias) tensors[prefix + ".bias"] = io::Tensor{{linear.outputs}, *linear.bias};
}

void put_norm(io::TensorMap& tensors, const std::string& prefix, const LayerNormWeights& norm) {
  const auto n = static_cast<std::int64_t>(norm.gamma->size());
  tensors[prefix + ".weight"] = io::Tensor{{n}, *norm.gamma};
  tensors[prefix + ".bias"] = io::Tensor{{n}, *norm.beta};
}

}  // namespace

SpikingBertWeights weights_from_tensors(const io::ModelConfig& config, const io::TensorMap& tensors,
                                        const std::string& source) {
  return weights_from(config, [&](const std::string& name) {
    const auto it = tensors.find(name);
    if (it == tensors.end()) return FoundTensor{};
    return FoundTensor{it->second.values.data(), it->second.shape, it->second.values.size() == it->second.size()};
  }, source);
}

SpikingBertWeights weights_from_store(const io::ModelConfig& config, const ParameterStore<float>& store,
                                      const std::string& source) {
  return weights_from(config, [&](const std::string& name) {
    if (!store.contains(name)) return FoundTensor{};
    const auto& parameter = store.at(name);
    return FoundTensor{parameter.value.data(), parameter.shape};
  }, source);
}

io::TensorMap weights_to_tensors(const io::ModelConfig& config, const SpikingBertWeights& weights) {
  io::TensorMap tensors;
  const std::int64_t hidden = config.hidden_size;
  tensors["network_x.word_embeddings.weight"] = io::Tensor{{config.vocab_size, hidden}, *weights.word_embeddings};
  tensors["network_x.position_embeddings.weight"] =
      io::Tensor{{config.max_position_embeddings, hidden}, *weights.position_embeddings};
  tensors["network_x.token_type_embeddings.weight"] =
      io::Tensor{{config.type_vocab_size, hidden}, *weights.token_type_embeddings};
  const SubLayerTable table(config);
  for (const auto& sublayer : table) {
    const auto& w = weights.sublayers.at(static_cast<std::size_t>(sublayer.index));
    if (!sublayer.linear.empty()) put_linear(tensors, sublayer.linear, w.linear);
    if (!sublayer.layer_norm.empty()) put_norm(tensors, sublayer.layer_norm, w.norm);
  }
  tensors["classification.weight"] = io::Tensor{{config.num_labels, hidden}, *weights.classifier_weight};
  tensors["classification.bias"] = io::Tensor{{config.num_labels}, *weights.classifier_bias};
  if (weights.feedback.weight) {  // network_s{6L+1}.fc.weight, no bias: put_linear takes the module prefix
    const std::string& name = table.feedback().weight.name;
    put_linear(tensors, name.substr(0, name.size() - std::string(".weight").size()), weights.feedback);
  }
  return tensors;
}

}  // namespace spikingbert::models
