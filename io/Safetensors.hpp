#pragma once
// Reader and writer for the safetensors format (Hugging Face):
//   8 bytes   little-endian u64 N, the header length
//   N bytes   JSON object {name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}}
//   the rest  the byte buffer; data_offsets are relative to its start.
// The reader maps the file into memory and treats it as hostile: every number in the header is
// checked before use, and any violation is an InputError naming the file and the tensor (or
// "header"). The rules enforced are listed in docs/formats.md.
#include "io/ModelConfig.hpp"
#include "io/Tensor.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace spikingbert::io {

enum class SafetensorsDtype { BOOL, U8, I8, U16, I16, F16, BF16, U32, I32, F32, U64, I64, F64 };

std::string_view dtype_name(SafetensorsDtype dtype);  // "F32", "BF16", ...
std::size_t dtype_bytes(SafetensorsDtype dtype);      // bytes per element
bool is_floating(SafetensorsDtype dtype);             // F16, BF16, F32, F64

// An open, validated safetensors file (memory-mapped, read-only). Move-only.
class SafetensorsFile {
 public:
  explicit SafetensorsFile(const std::filesystem::path& path);
  ~SafetensorsFile();
  SafetensorsFile(SafetensorsFile&&) noexcept;
  SafetensorsFile& operator=(SafetensorsFile&&) noexcept;
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::filesystem::path& path() const;
  std::vector<std::string> names() const;  // sorted
  bool has(const std::string& name) const;
  SafetensorsDtype dtype(const std::string& name) const;  // InputError if the tensor is missing
  const Shape& shape(const std::string& name) const;      // InputError if the tensor is missing
  const std::map<std::string, std::string>& metadata() const;

  // Any dtype widened to float32 (F16/BF16 exactly; F64 rounded to nearest; integers converted).
  Tensor read_f32(const std::string& name) const;
  // Integer and BOOL dtypes only (a float tensor is an InputError); U64 values above INT64_MAX are rejected.
  IntTensor read_i64(const std::string& name) const;
  // The raw little-endian bytes of one tensor (a view into the mapping, valid while this object lives).
  std::basic_string_view<std::byte> raw_bytes(const std::string& name) const;
  TensorMap read_all_f32() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Every tensor of the file widened to float32.
TensorMap read_safetensors(const std::filesystem::path& path);
// The weights of the model `config` describes: every tensor's declared size is checked against the model
// (check_declared_sizes) before any is read, and every value must be finite.
TensorMap read_safetensors(const std::filesystem::path& path, const ModelConfig& config);
std::map<std::string, std::string> read_safetensors_metadata(const std::filesystem::path& path);

// Writes every tensor as F32, names sorted, header padded with spaces to a multiple of 8, atomically.
void write_safetensors(const std::filesystem::path& path, const TensorMap& tensors,
                       const std::map<std::string, std::string>& metadata = {});

// A tensor in a given dtype, as little-endian bytes, for the dtype-aware writer.
struct SafetensorsTensor {
  SafetensorsDtype dtype = SafetensorsDtype::F32;
  Shape shape;
  std::vector<std::byte> bytes;  // element_count(shape) * dtype_bytes(dtype) bytes
};
// Converts to a float dtype (F16/BF16 round to nearest even; F64 exact).
SafetensorsTensor to_safetensors_tensor(const Tensor& tensor, SafetensorsDtype dtype);
// Converts to an integer dtype (values outside the dtype's range are std::out_of_range).
SafetensorsTensor to_safetensors_tensor(const IntTensor& tensor, SafetensorsDtype dtype);

void write_safetensors(const std::filesystem::path& path, const std::map<std::string, SafetensorsTensor>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace spikingbert::io
