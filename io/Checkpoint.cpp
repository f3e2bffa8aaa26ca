#include "io/Checkpoint.hpp"

#include "io/Error.hpp"
#include "io/Hdf5File.hpp"

namespace spikingbert::io {
namespace {
constexpr const char* kTensorsGroup = "/tensors";
constexpr const char* kMetadataGroup = "/metadata";

void check_tensor_name(const std::filesystem::path& path, const std::string& name) {
  if (name.empty() || name == "." || name.find('/') != std::string::npos) {
    throw InputError(path.string(), "tensor '" + name + "'", "name cannot be stored in a checkpoint",
                     "a non-empty name without '/'");
  }
}
}  // namespace

void write_checkpoint(const std::filesystem::path& path, const Checkpoint& checkpoint) {
  validate_model_config(checkpoint.config, path.string() + " (config being written)");
  Hdf5Writer writer(path);
  writer.write_attribute("/", "format", std::string(kCheckpointFormat));
  writer.write_attribute("/", "format_version", kCheckpointFormatVersion);
  writer.write_attribute("/", "config", to_json(checkpoint.config).dump());
  writer.create_group(kTensorsGroup);
  for (const auto& [name, tensor] : checkpoint.tensors) {
    check_tensor_name(path, name);
    writer.write_tensor(std::string(kTensorsGroup) + "/" + name, tensor);
  }
  if (!checkpoint.metadata.empty()) {
    writer.create_group(kMetadataGroup);
    for (const auto& [key, value] : checkpoint.metadata) writer.write_attribute(kMetadataGroup, key, value);
  }
  writer.commit();
}

void write_checkpoint(const std::filesystem::path& path, const ModelConfig& config, const TensorMap& tensors) {
  write_checkpoint(path, Checkpoint{config, tensors, {}});
}

Checkpoint read_checkpoint(const std::filesystem::path& path) {
  const std::string file = path.string();
  const Hdf5Reader reader(path);
  if (!reader.has_attribute("/", "format") ||
      reader.read_attribute_string("/", "format") != kCheckpointFormat) {
    throw InputError(file, "attribute 'format'", "not a spikingbert checkpoint",
                     std::string("format = \"") + kCheckpointFormat + "\"");
  }
  if (!reader.has_attribute("/", "format_version")) {
    throw InputError(file, "attribute 'format_version'", "missing", std::to_string(kCheckpointFormatVersion));
  }
  const auto version = reader.read_attribute_int("/", "format_version");
  if (version != kCheckpointFormatVersion) {
    throw InputError(file, "attribute 'format_version'", "unsupported version " + std::to_string(version),
                     std::to_string(kCheckpointFormatVersion));
  }
  if (!reader.has_attribute("/", "config")) {
    throw InputError(file, "attribute 'config'", "missing", "the model config as a JSON string");
  }
  const std::string config_source = file + ":attribute 'config'";
  nlohmann::json config_json;
  try {
    config_json = nlohmann::json::parse(reader.read_attribute_string("/", "config"));
  } catch (const nlohmann::json::exception&) {  // parse_error, or out_of_range for a number like 1e412
    throw InputError(file, "attribute 'config'", "not valid JSON", "the model config as a JSON string");
  }
  Checkpoint checkpoint;
  checkpoint.config = parse_model_config(config_json, config_source);
  if (!reader.is_group(kTensorsGroup)) {
    throw InputError(file, kTensorsGroup, "group missing", "a group of float32 datasets");
  }
  for (const auto& name : reader.list(kTensorsGroup)) {
    const std::string dataset = std::string(kTensorsGroup) + "/" + name;
    if (!reader.is_dataset(dataset)) {
      throw InputError(file, dataset, "is a group, not a dataset", "one float32 dataset per tensor");
    }
    checkpoint.tensors.emplace(name, reader.read_tensor(dataset));
  }
  if (reader.is_group(kMetadataGroup)) {
    for (const auto& key : reader.list_attributes(kMetadataGroup)) {
      checkpoint.metadata[key] = reader.read_attribute_string(kMetadataGroup, key);
    }
  }
  return checkpoint;
}

}  // namespace spikingbert::io
