#pragma once
// The neuron model's parameters as config.json holds them (keys vth, leak, refractory_steps): declared, read,
// validated and written back here, in one place. sim::NeuronModel (the update and the steady-state rates) is
// built on this struct and io::ModelConfig carries it, so a new neuron parameter is one member and its lines
// here (docs/architecture.md "How to add a neuron model"); io cannot see sim, so the rule lives here.
#include "io/JsonKeys.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

namespace spikingbert::io {

// Refractory period: a neuron of period R fires at most once per R + 1 steps; 1000 steps is far beyond T.
inline constexpr int kMaximumRefractorySteps = 1000;

struct NeuronParameters {
  // Defaults: the reference's integrate-and-fire neuron (method doc §2.1).
  double vth = 1.0;          // firing threshold V_th, in units of input current (> 0)
  double leak = 1.0;         // lambda: multiplies the membrane after the reset; 1 = IF, 0 < leak < 1 = LIF
  int refractory_steps = 0;  // R: steps after a spike without integration, [0, 1000]; 0 = none (the reference)
};

// Every parameter under its config.json key, whatever its value: what outputs that describe the neuron model
// they ran write (trace attributes, docs/traces.md), and the keys io::ModelConfig reads (every other key of
// config.json is kept in its `extra`).
inline nlohmann::json neuron_parameters_json(const NeuronParameters& neuron) {
  return {{"vth", neuron.vth}, {"leak", neuron.leak}, {"refractory_steps", neuron.refractory_steps}};
}

// What is wrong with one parameter, as an InputError's parts: the key, "is ...", "expected ...".
struct NeuronParameterProblem {
  std::string key, found, expected;
};

// The first invalid parameter, or nothing. The simulator computes in float32: a threshold or a leak float32
// rounds to 0 or infinity is no threshold or leak.
inline std::optional<NeuronParameterProblem> neuron_parameter_problem(const NeuronParameters& neuron) {
  // method doc: the neuron fires when v >= V_th and resets by subtracting V_th; V_th <= 0 would fire always.
  if (!std::isfinite(neuron.vth) || neuron.vth <= 0)
    return NeuronParameterProblem{"vth", "is " + format_number(neuron.vth), "a finite number > 0"};
  if (neuron.vth < std::numeric_limits<float>::min() || neuron.vth > std::numeric_limits<float>::max())
    return NeuronParameterProblem{"vth", "is " + format_number(neuron.vth) + ", outside float32's range",
                                  "a threshold from 1.2e-38 to 3.4e38"};
  // method doc: u <- (v - V_th s) * leak; leak outside (0, 1] would grow or erase the membrane.
  if (!std::isfinite(neuron.leak) || neuron.leak <= 0 || neuron.leak > 1)
    return NeuronParameterProblem{"leak", "is " + format_number(neuron.leak), "a number in (0, 1]"};
  if (neuron.leak < std::numeric_limits<float>::min())
    return NeuronParameterProblem{"leak", "is " + format_number(neuron.leak) + ", which float32 rounds to 0",
                                  "a number in (0, 1] of at least 1.2e-38"};
  // Steps after a spike without integration (docs/neuron-models.md); the rate is at most 1/(R+1).
  if (neuron.refractory_steps < 0 || neuron.refractory_steps > kMaximumRefractorySteps)
    return NeuronParameterProblem{"refractory_steps", "is " + std::to_string(neuron.refractory_steps),
                                  "an integer number of steps in [0, " + std::to_string(kMaximumRefractorySteps) + "]"};
  return std::nullopt;
}

// Throws InputError naming `source` and the key of the first invalid parameter.
inline void validate_neuron_parameters(const NeuronParameters& neuron, const std::string& source) {
  if (const auto problem = neuron_parameter_problem(neuron))
    throw InputError(source, key_place(problem->key), problem->found, problem->expected);
}

// Reads the keys present in `json` over `neuron` (missing keys keep their values); checks their JSON types,
// not their ranges (validate_neuron_parameters does, once the whole config is read).
inline void read_neuron_parameters(const nlohmann::json& json, const std::string& source, NeuronParameters& neuron) {
  if (json.contains("vth")) neuron.vth = read_number(json, "vth", source);
  if (json.contains("leak")) neuron.leak = read_number(json, "leak", source);
  if (json.contains("refractory_steps")) {
    const auto& steps = json.at("refractory_steps");
    if (!steps.is_number_integer())
      throw InputError(source, key_place("refractory_steps"), "is " + describe_json_value(steps),
                       "an integer number of steps");
    const auto value = steps.is_number_unsigned() && steps.get<std::uint64_t>() > kMaximumRefractorySteps
                           ? std::int64_t{kMaximumRefractorySteps} + 1
                           : steps.get<std::int64_t>();
    if (value < 0 || value > kMaximumRefractorySteps)
      throw InputError(source, key_place("refractory_steps"), "is " + steps.dump(),
                       "an integer number of steps in [0, " + std::to_string(kMaximumRefractorySteps) + "]");
    neuron.refractory_steps = static_cast<int>(value);
  }
}

// Writes the parameters into `json`. A parameter the reference lacks is written only when set, so the configs
// of reference models stay as they were.
inline void write_neuron_parameters(const NeuronParameters& neuron, nlohmann::json& json) {
  json.update(neuron_parameters_json(neuron));
  if (neuron.refractory_steps == 0) json.erase("refractory_steps");
}

}  // namespace spikingbert::io
