#pragma once
// The tensors of a resumable training state (CKPT.state of train-teacher and distill): every parameter and
// both Adam moments under the prefixes "parameter.", "adam_m.", "adam_v.". Stored and restored exactly
// (float32), which is what makes a killed and resumed run bit-identical to an uninterrupted one.
#include "io/Checkpoint.hpp"
#include "io/Tensor.hpp"
#include "models/Parameter.hpp"

#include <string>
#include <vector>

namespace spikingbert::training {

template <class Optimizer>
void store_parameters_and_moments(const std::vector<models::Parameter<float>>& parameters, Optimizer& optimizer,
                                  io::TensorMap& tensors) {
  for (std::size_t t = 0; t < parameters.size(); ++t) {
    const auto& p = parameters[t];
    tensors["parameter." + p.name] = io::Tensor{p.shape, {p.value.begin(), p.value.end()}};
    tensors["adam_m." + p.name] = io::Tensor{p.shape, optimizer.first_moment()[t]};
    tensors["adam_v." + p.name] = io::Tensor{p.shape, optimizer.second_moment()[t]};
  }
}

// Throws io::InputError naming `file` if a tensor is missing or mis-shaped.
template <class Optimizer>
void restore_parameters_and_moments(const io::TensorMap& tensors, const std::string& file,
                                    std::vector<models::Parameter<float>>& parameters, Optimizer& optimizer) {
  optimizer.initialise(parameters);
  for (std::size_t t = 0; t < parameters.size(); ++t) {
    auto& p = parameters[t];
    const auto& value = io::require_tensor(tensors, "parameter." + p.name, p.shape, file);
    const auto& m = io::require_tensor(tensors, "adam_m." + p.name, p.shape, file);
    const auto& v = io::require_tensor(tensors, "adam_v." + p.name, p.shape, file);
    p.value.assign(value.values.begin(), value.values.end());
    optimizer.first_moment()[t] = m.values;
    optimizer.second_moment()[t] = v.values;
  }
}

}  // namespace spikingbert::training
