#pragma once
// The teacher that distillation and run-teacher use: one BERT teacher or an ensemble of several.
//   logits = (1/K) sum_k logits_k                 the mean of the members' logits
//   hidden states, attention scores, pooled        member 0's (internal-layer distillation, method doc §6.1)
// teacher-calibration.md: small teachers trained from scratch land near 81% on SST-2 each; the mean of the
// logits of 5 of them reaches ~82%, so an ensemble is a legitimate teacher.
//
// On disk a teacher is a native checkpoint, a Hugging Face folder (config.json + model.safetensors), or an
// ensemble folder: ensemble.json (the manifest, docs/formats.md) next to the member checkpoints it lists.
#include "models/BertTeacher.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace spikingbert::models {

inline constexpr const char* kEnsembleManifestName = "ensemble.json";
inline constexpr const char* kEnsembleFormat = "spikingbert-teacher-ensemble";
inline constexpr std::int64_t kEnsembleFormatVersion = 1;

struct EnsembleMember {
  std::string file;     // checkpoint path relative to the ensemble folder
  nlohmann::json info;  // free-form: seed, best dev score, step (written by train-teacher)
};

struct EnsembleManifest {
  std::string task;
  std::vector<EnsembleMember> members;
  nlohmann::json info;  // free-form: the ensemble's dev score, the training options
};

// A folder holding ensemble.json.
bool is_ensemble_folder(const std::filesystem::path& path);
// Validates format, version and members (at least one; each a plain file name or relative path).
EnsembleManifest read_ensemble_manifest(const std::filesystem::path& folder);
void write_ensemble_manifest(const std::filesystem::path& folder, const EnsembleManifest& manifest);  // atomic

// The checkpoint (or Hugging Face folder) of every member: the listed files of an ensemble folder, in
// manifest order, or the path itself.
std::vector<std::filesystem::path> teacher_member_paths(const std::filesystem::path& model);

// The one ensemble average (issue 12 item 6): (1/K) sum_k logits_k, summed in member order in double,
// divided once and rounded to float once, whoever holds the members (TeacherEnsemble, run-teacher --task
// loading one member at a time).
class MeanLogits {
 public:
  void add(std::span<const float> member_logits);
  std::size_t members() const { return members_; }
  // The mean of the members added so far (empty before the first).
  std::vector<float> mean() const;

 private:
  std::vector<double> sum_;
  std::size_t members_ = 0;
};

class TeacherEnsemble {
 public:
  // Members must agree on num_labels, vocab_size and type_vocab_size (InputError naming `source` otherwise).
  TeacherEnsemble(std::vector<BertTeacher<float>> members, const std::string& source = "ensemble");
  // Each path is expanded by teacher_member_paths; all members together form one ensemble.
  static TeacherEnsemble load(const std::vector<std::filesystem::path>& models);
  static TeacherEnsemble load(const std::filesystem::path& model);

  std::size_t size() const { return members_.size(); }
  const BertTeacher<float>& member(std::size_t index) const { return members_.at(index); }
  // Member 0's configuration: the shapes of the hidden states and scores that forward() returns.
  const io::ModelConfig& config() const { return members_.front().config(); }
  std::int64_t num_labels() const { return config().num_labels; }
  std::int64_t vocab_size() const { return config().vocab_size; }
  // The longest sequence every member accepts (the smallest max_position_embeddings).
  std::int64_t max_sequence_length() const;

  // Member 0's full forward (dropout off) with `activations.logits` replaced by the members' mean logits.
  void forward(const TokenBatch& batch, BertTeacherActivations<float>& activations) const;
  // The mean logits only: [batch, num_labels].
  std::vector<float> logits(const TokenBatch& batch) const;

 private:
  std::vector<BertTeacher<float>> members_;
};

}  // namespace spikingbert::models
