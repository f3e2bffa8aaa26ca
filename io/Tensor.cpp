#include "io/Tensor.hpp"

#include "io/Error.hpp"

#include <cmath>
#include <stdexcept>

namespace spikingbert::io {

std::size_t element_count(const Shape& shape) {
  std::size_t count = 1;
  for (const auto dimension : shape) {
    if (dimension < 0) throw std::invalid_argument("negative dimension in shape " + shape_to_string(shape));
    count *= static_cast<std::size_t>(dimension);
  }
  return count;
}

std::size_t Tensor::size() const { return element_count(shape); }
std::size_t IntTensor::size() const { return element_count(shape); }

std::string shape_to_string(const Shape& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) text += ",";
    text += std::to_string(shape[i]);
  }
  return text + "]";
}

const Tensor& require_tensor(const TensorMap& tensors, const std::string& name, const Shape& expected_shape,
                             const std::string& file) {
  const auto found = tensors.find(name);
  if (found == tensors.end()) {
    throw InputError(file, "tensor '" + name + "'", "missing", "shape " + shape_to_string(expected_shape));
  }
  if (found->second.shape != expected_shape) {
    throw InputError(file, "tensor '" + name + "'", "shape " + shape_to_string(found->second.shape),
                     shape_to_string(expected_shape));
  }
  return found->second;
}

void require_finite(const Tensor& tensor, const std::string& name, const std::string& file) {
  for (std::size_t i = 0; i < tensor.values.size(); ++i) {
    const float value = tensor.values[i];
    if (!std::isfinite(value)) {
      throw InputError(file, "tensor '" + name + "'",
                       "element " + std::to_string(i) + " is " + (std::isnan(value) ? "NaN" : "infinite"),
                       "finite values");
    }
  }
}

}  // namespace spikingbert::io
