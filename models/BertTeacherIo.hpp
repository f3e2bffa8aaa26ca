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

// Teacher-specific config keys beyond io::ModelConfig, read from its `extra` (Hugging Face names):
// hidden_dropout_prob, attention_probs_dropout_prob, initializer_range, pad_token_id, hidden_act (must be
// "gelu"), and "pooling": "cls" (default, Hugging Face) or "mean".
BertTeacherConfig teacher_config(const io::ModelConfig& config, const std::string& source);
io::ModelConfig model_config(const BertTeacherConfig& config, const std::string& task);

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
