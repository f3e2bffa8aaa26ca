#pragma once
// Loading and saving the BERT teacher: from a Hugging Face folder (config.json + model.safetensors, names
// bert.embeddings.*, bert.encoder.layer.N.*, bert.pooler.dense.*, classifier.*; f32/f16/bf16) or from a
// native checkpoint (io/Checkpoint.hpp), with an InputError naming the file and tensor for anything
// missing, mis-shaped or not finite.
#include "io/ModelConfig.hpp"
#include "io/Tensor.hpp"
#include "models/BertTeacher.hpp"

#include <filesystem>
#include <string>

namespace spikingbert::models {

// The one teacher-only config check: Hugging Face's "hidden_act", if given, must be "gelu" (the exact erf
// GELU the teacher computes). The student ignores the key (the SNN's GELU is fixed, method doc §1.3).
void require_gelu_activation(const io::ModelConfig& config, const std::string& source);
// The config a teacher file carries: `config` with `task` and Hugging Face's identification keys
// (model_type "bert", architectures, hidden_act "gelu"), so Hugging Face can load the folder.
io::ModelConfig teacher_file_config(io::ModelConfig config, const std::string& task);

// The tensors a BertTeacher with this config needs, in order, with shapes (Hugging Face names).
// Legacy names (LayerNorm.gamma/beta) are accepted on input and renamed.
template <class Scalar>
BertTeacher<Scalar> teacher_from_tensors(const io::ModelConfig& config, const io::TensorMap& tensors,
                                         const std::string& source);
io::TensorMap teacher_tensors(const BertTeacher<float>& model);

struct LoadedTeacher {
  io::ModelConfig config;
  io::TensorMap tensors;
  std::string source;  // the file the tensors came from, for error messages
};
// A Hugging Face folder (has config.json) or a native checkpoint file.
LoadedTeacher read_teacher_files(const std::filesystem::path& model);

}  // namespace spikingbert::models
