#pragma once
// distill's test inputs: a small random BERT teacher with the full bert-base-uncased vocabulary, and the
// parameter comparison the distill tests check.
#include "io/Checkpoint.hpp"
#include "models/BertTeacher.hpp"
#include "models/BertTeacherIo.hpp"

#include <cstdint>
#include <filesystem>
#include <string>

namespace spikingbert::testing {

// Small enough that a distill step takes milliseconds; weights larger than the usual 0.02 so its logits
// differ between sentences.
inline std::string write_random_teacher(const std::filesystem::path& folder, std::uint64_t seed, std::int64_t layers = 2) {
  io::ModelConfig config;
  config.vocab_size = 30522;
  config.hidden_size = 32;
  config.num_hidden_layers = layers;
  config.num_attention_heads = 2;
  config.intermediate_size = 64;
  config.max_position_embeddings = 64;
  config.initializer_range = 0.2;
  const models::BertTeacher<float> teacher(config, seed);
  io::Checkpoint checkpoint;
  checkpoint.config = models::teacher_file_config(config, "sst2");
  checkpoint.tensors = models::teacher_tensors(teacher);
  const auto path = (folder / ("teacher" + std::to_string(seed) + "-" + std::to_string(layers) + ".h5")).string();
  io::write_checkpoint(path, checkpoint);
  return path;
}

// Same names, shapes and bits.
inline bool same_tensors(const io::TensorMap& a, const io::TensorMap& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [name, tensor] : a) {
    const auto found = b.find(name);
    if (found == b.end() || found->second.shape != tensor.shape || found->second.values != tensor.values) return false;
  }
  return true;
}

}  // namespace spikingbert::testing
