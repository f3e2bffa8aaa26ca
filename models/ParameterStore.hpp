#pragma once
// The one parameter layout (llm.c style): an ordered list of named parameters with their gradients, found by
// index (what the forward and backward passes hold, models/EncoderBlocks.hpp) or by name (checkpoints, tests).
// The BERT teacher (Hugging Face names) and the steady-state map (the sub-layer table's canonical names) each
// keep their parameters in one; the optimisers, gradient checks and checkpoints read its list, and the
// simulator packs its weights straight from it (models/SpikingBertWeights weights_from_store).
// io::TensorMap appears only at the file boundary: tensors() to save, load() to read.
#include "io/Error.hpp"
#include "io/Tensor.hpp"
#include "models/Parameter.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace spikingbert::models {

// Hugging Face's initialisation (BertPreTrainedModel._init_weights; method doc §1.1): weights N(0, range) drawn in
// parameter order from one generator, biases 0, LayerNorm gamma 1 and beta 0.
class HuggingFaceInitialiser {
 public:
  HuggingFaceInitialiser(std::uint64_t seed, double range) : generator_(seed), normal_(0.0, range) {}

  template <class Scalar>
  void operator()(Parameter<Scalar>& parameter) {
    const bool is_norm = parameter.name.find("LayerNorm") != std::string::npos;
    const bool is_bias = parameter.name.ends_with(".bias");
    if (is_bias) std::fill(parameter.value.begin(), parameter.value.end(), Scalar(0));
    else if (is_norm) std::fill(parameter.value.begin(), parameter.value.end(), Scalar(1));
    else for (auto& v : parameter.value) v = static_cast<Scalar>(normal_(generator_));
  }

 private:
  std::mt19937_64 generator_;
  std::normal_distribution<double> normal_;  // keeps a spare draw: parameters share the stream in order
};

template <class Scalar>
class ParameterStore {
 public:
  // Appends a zero parameter (and gradient); returns its index.
  int add(const std::string& name, std::vector<std::int64_t> shape) {
    std::int64_t count = 1;
    for (const auto extent : shape) count *= extent;
    Parameter<Scalar> parameter;
    parameter.name = name;
    parameter.shape = std::move(shape);
    parameter.value.assign(count, Scalar(0));
    parameter.gradient.assign(count, Scalar(0));
    parameter.weight_decay = decays(name);
    parameters_.push_back(std::move(parameter));
    index_[name] = static_cast<int>(parameters_.size() - 1);
    return static_cast<int>(parameters_.size() - 1);
  }

  int index(const std::string& name) const {
    const auto found = index_.find(name);
    if (found == index_.end()) throw std::out_of_range("no parameter " + name);
    return found->second;
  }
  bool contains(const std::string& name) const { return index_.count(name) > 0; }
  Parameter<Scalar>& at(const std::string& name) { return parameters_[index(name)]; }
  const Parameter<Scalar>& at(const std::string& name) const { return parameters_[index(name)]; }
  Parameter<Scalar>& operator[](int index) { return parameters_[index]; }
  const Parameter<Scalar>& operator[](int index) const { return parameters_[index]; }
  std::vector<Parameter<Scalar>>& parameters() { return parameters_; }
  const std::vector<Parameter<Scalar>>& parameters() const { return parameters_; }

  const Scalar* value(int index) const { return parameters_[index].value.data(); }
  // Where backward passes accumulate parameter index's gradient: its buffer, or, while discarding, a sink (one for
  // matrices, one for vectors, so a layer's weight and bias never alias) that nobody reads. A sink grows to the
  // largest parameter asked for, so a sweep that stops above the embedding tables never allocates their size.
  Scalar* gradient(int index) {
    auto& parameter = parameters_[index];
    if (!discarding_) return parameter.gradient.data();
    auto& sink = parameter.shape.size() == 2 ? sink_matrix_ : sink_vector_;
    if (static_cast<std::int64_t>(sink.size()) < parameter.size()) sink.assign(parameter.size(), Scalar(0));
    return sink.data();
  }
  // While on, gradient() returns the sinks: a reverse sweep that wants only the adjoints of its inputs (the
  // feedback adjoint solve, training/StudentGradient) runs the same code without touching the gradients.
  void discard_gradients(bool on) { discarding_ = on; }

  std::int64_t value_count() const {
    std::int64_t count = 0;
    for (const auto& parameter : parameters_) count += parameter.size();
    return count;
  }
  // Every parameter's gradient in parallel (each a fill): 222 MB per training step at the paper's shape.
  void zero_gradients() {
    tbb::parallel_for(std::size_t{0}, parameters_.size(), [&](std::size_t p) {
      std::fill(parameters_[p].gradient.begin(), parameters_[p].gradient.end(), Scalar(0));
    });
  }

  // File boundary: every parameter as float32 under its name.
  io::TensorMap tensors() const {
    io::TensorMap tensors;
    for (const auto& parameter : parameters_)
      tensors[parameter.name] = io::Tensor{parameter.shape, std::vector<float>(parameter.value.begin(), parameter.value.end())};
    return tensors;
  }
  // File boundary: every parameter's value from `tensors`, which must have its shape and finite values (an
  // io::InputError naming `source` and the tensor otherwise). A parameter `optional` accepts may be absent (it
  // keeps its value); `alias` (may be empty) names another tensor to try when a parameter's own is absent.
  void load(const io::TensorMap& tensors, const std::string& source,
            const std::function<bool(const std::string&)>& optional = {},
            const std::function<std::string(const std::string&)>& alias = {}) {
    for (auto& parameter : parameters_) {
      std::string name = parameter.name;
      if (!tensors.count(name) && alias) {
        const std::string other = alias(name);
        if (!other.empty() && tensors.count(other)) name = other;
      }
      if (!tensors.count(name) && optional && optional(name)) continue;
      const io::Tensor& tensor = io::require_tensor(tensors, name, parameter.shape, source);
      io::require_finite(tensor, name, source);
      std::transform(tensor.values.begin(), tensor.values.end(), parameter.value.begin(),
                     [](float v) { return static_cast<Scalar>(v); });
    }
  }

 private:
  std::vector<Parameter<Scalar>> parameters_;
  std::map<std::string, int> index_;
  bool discarding_ = false;
  AlignedVector<Scalar> sink_matrix_, sink_vector_;
};

// What a model with a store exposes of it (the teacher and the steady-state map): the list the optimisers and
// checkpoints read, and lookup by name.
template <class Scalar>
class ParameterOwner {
 public:
  ParameterStore<Scalar>& store() { return store_; }
  const ParameterStore<Scalar>& store() const { return store_; }
  std::vector<Parameter<Scalar>>& parameters() { return store_.parameters(); }
  const std::vector<Parameter<Scalar>>& parameters() const { return store_.parameters(); }
  Parameter<Scalar>& parameter(const std::string& name) { return store_.at(name); }
  const Parameter<Scalar>& parameter(const std::string& name) const { return store_.at(name); }
  std::int64_t parameter_count() const { return store_.value_count(); }

 protected:
  ParameterStore<Scalar> store_;
};

}  // namespace spikingbert::models
