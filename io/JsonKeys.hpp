#pragma once
// Reading one key of a JSON config and naming it in errors: shared by the model config (io/ModelConfig) and the
// neuron model's parameters (io/NeuronParameters), so both report bad values the same way.
#include "io/Error.hpp"

#include <nlohmann/json.hpp>

#include <sstream>
#include <string>

namespace spikingbert::io {

// "key 'vth'": the place part of an InputError about one key.
inline std::string key_place(const std::string& key) { return "key '" + key + "'"; }

// What a bad value is, for "is ..." in an error: "the number 2.5", "the string \"one\"", "an array".
inline std::string describe_json_value(const nlohmann::json& value) {
  if (value.is_number()) return "the number " + value.dump();
  if (value.is_string()) return "the string " + value.dump();
  const std::string type = value.type_name();
  return (type == "array" || type == "object" ? "an " : "a ") + type;
}

// A double as the shortest text a stream prints ("1.5", "1e-12").
inline std::string format_number(double value) {
  std::ostringstream stream;
  stream << value;
  return stream.str();
}

// json[key] as a number; InputError naming `source` and the key if it is not one.
inline double read_number(const nlohmann::json& json, const std::string& key, const std::string& source) {
  const auto& value = json.at(key);
  if (!value.is_number()) throw InputError(source, key_place(key), "is " + describe_json_value(value), "a number");
  return value.get<double>();
}

}  // namespace spikingbert::io
