#pragma once
// In-memory tensors shared by every layer (shared io API of the project brief).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace spikingbert::io {

struct Tensor {  // row-major float32 tensor
  std::vector<std::int64_t> shape;
  std::vector<float> values;
  std::size_t size() const {  // product of shape (1 for a scalar)
    std::size_t n = 1;
    for (const auto d : shape) n *= static_cast<std::size_t>(d);
    return n;
  }
};

using TensorMap = std::map<std::string, Tensor>;

struct IntTensor {
  std::vector<std::int64_t> shape;
  std::vector<std::int64_t> values;
};

}  // namespace spikingbert::io
