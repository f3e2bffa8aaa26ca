#include "models/TeacherEnsemble.hpp"

#include "io/AtomicFile.hpp"
#include "io/Error.hpp"
#include "models/BertTeacherIo.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace spikingbert::models {

namespace fs = std::filesystem;

bool is_ensemble_folder(const fs::path& path) {
  std::error_code error;
  return fs::is_directory(path, error) && fs::is_regular_file(path / kEnsembleManifestName, error);
}

EnsembleManifest read_ensemble_manifest(const fs::path& folder) {
  const fs::path file = folder / kEnsembleManifestName;
  const std::string name = file.string();
  std::ifstream stream(file, std::ios::binary);
  if (!stream) throw io::InputError(name, "file", "cannot be opened", "an ensemble manifest written by train-teacher --members");
  std::stringstream text;
  text << stream.rdbuf();
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::exception&) {
    throw io::InputError(name, "file", "not valid JSON", "an ensemble manifest (docs/formats.md)");
  }
  if (!json.is_object() || !json.contains("format") || json["format"] != kEnsembleFormat) {
    throw io::InputError(name, "key 'format'", "missing or wrong", std::string("\"") + kEnsembleFormat + "\"");
  }
  if (!json.contains("format_version") || json["format_version"] != kEnsembleFormatVersion) {
    throw io::InputError(name, "key 'format_version'", "missing or unsupported", std::to_string(kEnsembleFormatVersion));
  }
  EnsembleManifest manifest;
  if (json.contains("task") && json["task"].is_string()) manifest.task = json["task"].get<std::string>();
  if (!json.contains("members") || !json["members"].is_array() || json["members"].empty()) {
    throw io::InputError(name, "key 'members'", "missing or empty", "a list of at least one member");
  }
  for (std::size_t i = 0; i < json["members"].size(); ++i) {
    const auto& entry = json["members"][i];
    const std::string place = "members[" + std::to_string(i) + "]";
    if (!entry.is_object() || !entry.contains("file") || !entry["file"].is_string()) {
      throw io::InputError(name, place, "has no 'file'", "{\"file\": \"member-0.h5\", ...}");
    }
    EnsembleMember member;
    member.file = entry["file"].get<std::string>();
    if (member.file.empty() || fs::path(member.file).is_absolute()) {
      throw io::InputError(name, place + " 'file'", "'" + member.file + "'", "a path relative to the ensemble folder");
    }
    member.info = entry;
    member.info.erase("file");
    manifest.members.push_back(std::move(member));
  }
  manifest.info = json;
  for (const char* key : {"format", "format_version", "task", "members"}) manifest.info.erase(key);
  return manifest;
}

void write_ensemble_manifest(const fs::path& folder, const EnsembleManifest& manifest) {
  nlohmann::json json = manifest.info.is_object() ? manifest.info : nlohmann::json::object();
  json["format"] = kEnsembleFormat;
  json["format_version"] = kEnsembleFormatVersion;
  json["task"] = manifest.task;
  json["members"] = nlohmann::json::array();
  for (const auto& member : manifest.members) {
    nlohmann::json entry = member.info.is_object() ? member.info : nlohmann::json::object();
    entry["file"] = member.file;
    json["members"].push_back(entry);
  }
  io::write_text_atomically(folder / kEnsembleManifestName, json.dump(2) + "\n");
}

std::vector<fs::path> teacher_member_paths(const fs::path& model) {
  if (!is_ensemble_folder(model)) return {model};
  std::vector<fs::path> paths;
  for (const auto& member : read_ensemble_manifest(model).members) paths.push_back(model / member.file);
  return paths;
}

TeacherEnsemble::TeacherEnsemble(std::vector<BertTeacher<float>> members, const std::string& source)
    : members_(std::move(members)) {
  if (members_.empty()) throw io::InputError(source, "members", "none", "at least one teacher");
  const auto& first = members_.front().config();
  for (std::size_t k = 1; k < members_.size(); ++k) {
    const auto& c = members_[k].config();
    auto require_same = [&](const char* key, std::int64_t value, std::int64_t expected) {
      if (value != expected) {
        throw io::InputError(source, "member " + std::to_string(k) + " '" + key + "'", std::to_string(value),
                             std::to_string(expected) + " as member 0");
      }
    };
    require_same("num_labels", c.num_labels, first.num_labels);
    require_same("vocab_size", c.vocab_size, first.vocab_size);
    require_same("type_vocab_size", c.type_vocab_size, first.type_vocab_size);
  }
}

TeacherEnsemble TeacherEnsemble::load(const std::vector<fs::path>& models) {
  std::vector<BertTeacher<float>> members;
  std::string source;
  for (const auto& model : models) {
    for (const auto& path : teacher_member_paths(model)) {
      const auto files = read_teacher_files(path);
      members.push_back(teacher_from_tensors<float>(files.config, files.tensors, files.source));
    }
    source += (source.empty() ? "" : ", ") + model.string();
  }
  return TeacherEnsemble(std::move(members), source);
}

TeacherEnsemble TeacherEnsemble::load(const fs::path& model) { return load(std::vector<fs::path>{model}); }

std::int64_t TeacherEnsemble::max_sequence_length() const {
  std::int64_t length = members_.front().config().max_position_embeddings;
  for (const auto& member : members_) length = std::min<std::int64_t>(length, member.config().max_position_embeddings);
  return length;
}

void MeanLogits::add(std::span<const float> member_logits) {
  if (members_++ == 0) {
    sum_.assign(member_logits.begin(), member_logits.end());
    return;
  }
  if (member_logits.size() != sum_.size()) throw std::invalid_argument("MeanLogits: members with different logit counts");
  for (std::size_t i = 0; i < sum_.size(); ++i) sum_[i] += member_logits[i];
}

std::vector<float> MeanLogits::mean() const {
  std::vector<float> mean(sum_.size());
  const double members = static_cast<double>(members_);
  for (std::size_t i = 0; i < sum_.size(); ++i) mean[i] = static_cast<float>(sum_[i] / members);
  return mean;
}

void TeacherEnsemble::forward(const TokenBatch& batch, BertTeacherActivations<float>& activations) const {
  members_.front().forward(batch, activations);
  if (members_.size() == 1) return;
  MeanLogits mean;
  mean.add(activations.logits);
  BertTeacherActivations<float> member_activations;
  for (std::size_t k = 1; k < members_.size(); ++k) {
    members_[k].forward(batch, member_activations);
    mean.add(member_activations.logits);
  }
  const auto logits = mean.mean();
  std::copy(logits.begin(), logits.end(), activations.logits.begin());
}

std::vector<float> TeacherEnsemble::logits(const TokenBatch& batch) const {
  BertTeacherActivations<float> activations;
  forward(batch, activations);
  return {activations.logits.begin(), activations.logits.end()};
}

}  // namespace spikingbert::models
