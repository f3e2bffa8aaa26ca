#pragma once
// A named, trainable tensor with its gradient: the unit that checkpoints, optimisers and gradient checks
// see. Names follow Hugging Face (bert.encoder.layer.0.attention.self.query.weight, ...).
#include "models/AlignedVector.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace spikingbert::models {

template <class Scalar>
struct Parameter {
  std::string name;
  std::vector<std::int64_t> shape;
  AlignedVector<Scalar> value;
  AlignedVector<Scalar> gradient;  // same size as value; backward passes accumulate into it
  bool weight_decay = true;      // false for biases and LayerNorm (method doc §6.4)

  std::int64_t size() const { return static_cast<std::int64_t>(value.size()); }
  Scalar* data() { return value.data(); }
  const Scalar* data() const { return value.data(); }
  Scalar* grad() { return gradient.data(); }
};

// Hugging Face convention: no weight decay for biases and LayerNorm parameters (method doc §6.4).
inline bool decays(const std::string& name) {
  const bool is_bias = name.size() >= 5 && name.compare(name.size() - 5, 5, ".bias") == 0;
  return !is_bias && name.find("LayerNorm") == std::string::npos;
}

}  // namespace spikingbert::models
