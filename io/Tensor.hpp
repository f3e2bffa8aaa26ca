#pragma once
// The in-memory tensor every layer exchanges: a row-major float32 array with its shape, plus an
// int64 variant for token ids, labels and counts. Readers (safetensors, HDF5, checkpoints) produce
// these; the checks below turn a wrong tensor into an InputError that names the file and tensor.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace spikingbert::io {

using Shape = std::vector<std::int64_t>;

// Row-major float32 tensor.
struct Tensor {
  Shape shape;
  std::vector<float> values;
  std::size_t size() const;  // product of shape (1 for a scalar, i.e. an empty shape)
};

using TensorMap = std::map<std::string, Tensor>;

// Row-major int64 tensor (token ids, labels, counts).
struct IntTensor {
  Shape shape;
  std::vector<std::int64_t> values;
  std::size_t size() const;  // product of shape (1 for a scalar)
};

// Number of elements of a shape (1 for the empty shape). Dimensions must be >= 0.
std::size_t element_count(const Shape& shape);

// "[3,4]" (the empty shape prints "[]").
std::string shape_to_string(const Shape& shape);

// Returns tensors[name] if it exists and has exactly expected_shape; otherwise throws InputError
//   "FILE:tensor 'x': shape [3,4] (expected [4,4])"  or  "FILE:tensor 'x': missing (expected shape [4,4])".
const Tensor& require_tensor(const TensorMap& tensors, const std::string& name, const Shape& expected_shape,
                             const std::string& file);

// Throws InputError "FILE:tensor 'x': element 17 is NaN (expected finite values)" if any value is NaN
// or infinite: weights a model cannot use are rejected at load time, not discovered as NaN logits.
void require_finite(const Tensor& tensor, const std::string& name, const std::string& file);

}  // namespace spikingbert::io
