#pragma once
// Loading SpikingBERTs and token batches from files (through the io layer).
#include "io/ModelConfig.hpp"
#include "io/Tensor.hpp"
#include "models/SpikingBert.hpp"

#include <filesystem>
#include <string>

namespace spikingbert::models {

// `path` is either a directory holding config.json + model.safetensors (the reference's parameter
// names, as tests/data/tiny), a directory holding a native checkpoint model.h5, or a native
// checkpoint file (io/Checkpoint.hpp). Throws io::InputError naming the file on any problem.
SpikingBert load_spiking_bert(const std::filesystem::path& path);

// The config and tensors (canonical names) of the same `path` forms, for the steady-state map and the
// gradient commands; `source` names the tensor file for error messages.
struct ModelFile {
  io::ModelConfig config;
  io::TensorMap tensors;
  std::string source;
};
ModelFile read_model_file(const std::filesystem::path& path);
void save_spiking_bert_checkpoint(const std::filesystem::path& file, const SpikingBert& model);

}  // namespace spikingbert::models
