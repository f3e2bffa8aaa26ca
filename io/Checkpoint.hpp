#pragma once
// The native checkpoint: one HDF5 file holding a model's configuration and float32 tensors.
//   /                       attributes: format = "spikingbert-checkpoint", format_version = 1 (int64),
//                                       config = the ModelConfig as a JSON string (to_json)
//   /tensors/<name>         float32 datasets, one per tensor, named as in safetensors (dots allowed)
//   /metadata               optional string attributes (training step, seed, source file, ...)
// Written atomically (temporary file, then rename); read back with full validation.
#include "io/ModelConfig.hpp"
#include "io/Tensor.hpp"

#include <filesystem>
#include <map>
#include <string>

namespace spikingbert::io {

inline constexpr const char* kCheckpointFormat = "spikingbert-checkpoint";
inline constexpr std::int64_t kCheckpointFormatVersion = 1;

struct Checkpoint {
  ModelConfig config;
  TensorMap tensors;
  std::map<std::string, std::string> metadata;  // free-form strings stored as attributes of /metadata
};

// Tensor names must be non-empty, must not contain '/', and must not be "." (InputError otherwise).
void write_checkpoint(const std::filesystem::path& path, const ModelConfig& config, const TensorMap& tensors);
void write_checkpoint(const std::filesystem::path& path, const Checkpoint& checkpoint);

// Validates format, format_version and config, and that every /tensors child is a float dataset.
// Use require_tensor (io/Tensor.hpp) to check the shapes a model expects.
Checkpoint read_checkpoint(const std::filesystem::path& path);

}  // namespace spikingbert::io
