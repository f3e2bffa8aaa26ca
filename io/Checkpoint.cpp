#include "io/Checkpoint.hpp"

#include "io/Error.hpp"
#include "io/HalfFloat.hpp"
#include "io/Hdf5File.hpp"

#include <algorithm>
#include <cmath>

namespace spikingbert::io {
namespace {
constexpr const char* kTensorsGroup = "/tensors";
constexpr const char* kMetadataGroup = "/metadata";
constexpr const char* kRowIdsGroup = "/row_ids";
constexpr const char* kFullRowsAttribute = "full_rows";
constexpr const char* kFillRowAttribute = "fill_row";

// Elements per row of a tensor of rank >= 1.
std::int64_t row_size(const Tensor& tensor) {
  std::int64_t size = 1;
  for (std::size_t d = 1; d < tensor.shape.size(); ++d) size *= tensor.shape[d];
  return size;
}

void check_selection(const std::filesystem::path& path, const std::string& name, const Tensor& tensor,
                     const RowSelection& selection) {
  const std::string place = "row selection of tensor '" + name + "'";
  if (tensor.shape.empty()) throw InputError(path.string(), place, "tensor is a scalar", "a tensor of rank >= 1");
  const std::int64_t rows = tensor.shape[0];
  for (std::size_t i = 0; i < selection.rows.size(); ++i) {
    const auto row = selection.rows[i];
    if (row < 0 || row >= rows || (i > 0 && row <= selection.rows[i - 1])) {
      throw InputError(path.string(), place, "row " + std::to_string(row) + " at position " + std::to_string(i),
                       "ascending unique rows in [0, " + std::to_string(rows) + ")");
    }
  }
  if (!std::binary_search(selection.rows.begin(), selection.rows.end(), selection.fill_row)) {
    throw InputError(path.string(), place, "fill row " + std::to_string(selection.fill_row) + " is not kept",
                     "the fill row among the kept rows");
  }
}

// Rebuilds a pruned table: kept rows in place, every other row a copy of the fill row.
Tensor expand_rows(const std::string& file, const std::string& name, const Tensor& stored,
                   const std::vector<std::int64_t>& ids, std::int64_t full_rows, std::int64_t fill_row) {
  const std::string place = std::string(kRowIdsGroup) + "/" + name;
  if (stored.shape.empty() || stored.shape[0] != static_cast<std::int64_t>(ids.size())) {
    throw InputError(file, place, std::to_string(ids.size()) + " row ids for tensor shape " + shape_to_string(stored.shape),
                     "one id per stored row");
  }
  // A hostile file must not make the reader allocate without bound: 2^28 floats (1 GiB) at most.
  constexpr std::int64_t kMaximumExpandedElements = std::int64_t{1} << 28;
  const std::int64_t width = row_size(stored);
  if (full_rows < static_cast<std::int64_t>(ids.size()) || full_rows > kMaximumExpandedElements / std::max<std::int64_t>(width, 1)) {
    throw InputError(file, place + " attribute 'full_rows'", std::to_string(full_rows),
                     "a row count between the stored rows and 2^28 elements in total");
  }
  std::int64_t fill_index = -1;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] < 0 || ids[i] >= full_rows || (i > 0 && ids[i] <= ids[i - 1])) {
      throw InputError(file, place, "id " + std::to_string(ids[i]) + " at position " + std::to_string(i),
                       "ascending unique ids in [0, full_rows = " + std::to_string(full_rows) + ")");
    }
    if (ids[i] == fill_row) fill_index = static_cast<std::int64_t>(i);
  }
  if (fill_index < 0) {
    throw InputError(file, place + " attribute 'fill_row'", std::to_string(fill_row), "one of the stored row ids");
  }
  Tensor full;
  full.shape = stored.shape;
  full.shape[0] = full_rows;
  full.values.resize(static_cast<std::size_t>(full_rows * width));
  const float* fill = stored.values.data() + fill_index * width;
  for (std::int64_t row = 0; row < full_rows; ++row) std::copy_n(fill, width, full.values.begin() + row * width);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    std::copy_n(stored.values.begin() + static_cast<std::int64_t>(i) * width, width, full.values.begin() + ids[i] * width);
  }
  return full;
}

void check_tensor_name(const std::filesystem::path& path, const std::string& name) {
  if (name.empty() || name == "." || name.find('/') != std::string::npos) {
    throw InputError(path.string(), "tensor '" + name + "'", "name cannot be stored in a checkpoint",
                     "a non-empty name without '/'");
  }
}
}  // namespace

void write_checkpoint(const std::filesystem::path& path, const Checkpoint& checkpoint) {
  write_checkpoint(path, checkpoint, CheckpointStorage{});
}

void write_checkpoint(const std::filesystem::path& path, const Checkpoint& checkpoint, const CheckpointStorage& storage) {
  validate_model_config(checkpoint.config, path.string() + " (config being written)");
  for (const auto& [name, selection] : storage.kept_rows) {
    const auto found = checkpoint.tensors.find(name);
    if (found == checkpoint.tensors.end()) {
      throw InputError(path.string(), "row selection of tensor '" + name + "'", "no such tensor", "a tensor of the checkpoint");
    }
    check_selection(path, name, found->second, selection);
  }
  Hdf5Writer writer(path);
  writer.write_attribute("/", "format", std::string(kCheckpointFormat));
  writer.write_attribute("/", "format_version", kCheckpointFormatVersion);
  writer.write_attribute("/", "config", to_json(checkpoint.config).dump());
  writer.create_group(kTensorsGroup);
  for (const auto& [name, tensor] : checkpoint.tensors) {
    check_tensor_name(path, name);
    const Tensor* stored = &tensor;
    Tensor kept;
    const auto selection = storage.kept_rows.find(name);
    if (selection != storage.kept_rows.end()) {
      const auto& rows = selection->second.rows;
      const std::int64_t width = row_size(tensor);
      kept.shape = tensor.shape;
      kept.shape[0] = static_cast<std::int64_t>(rows.size());
      kept.values.reserve(rows.size() * width);
      for (const auto row : rows) {
        kept.values.insert(kept.values.end(), tensor.values.begin() + row * width, tensor.values.begin() + (row + 1) * width);
      }
      stored = &kept;
      const std::string ids = std::string(kRowIdsGroup) + "/" + name;
      writer.write_ints(ids, {static_cast<std::int64_t>(rows.size())}, rows, 4);
      writer.write_attribute(ids, kFullRowsAttribute, tensor.shape[0]);
      writer.write_attribute(ids, kFillRowAttribute, selection->second.fill_row);
    }
    const std::string dataset = std::string(kTensorsGroup) + "/" + name;
    if (storage.float16) {
      std::vector<std::uint16_t> bits(stored->values.size());
      for (std::size_t i = 0; i < bits.size(); ++i) {
        bits[i] = float_to_half(stored->values[i]);
        // A finite weight beyond binary16's range (65504) would read back as infinity: refuse instead.
        if (std::isfinite(stored->values[i]) && !std::isfinite(half_to_float(bits[i]))) {
          throw InputError(path.string(), "tensor '" + name + "'",
                           "element " + std::to_string(i) + " = " + std::to_string(stored->values[i]) + " overflows float16",
                           "values within +-65504 for --float16");
        }
      }
      writer.write_half_tensor(dataset, stored->shape, bits);
    } else {
      writer.write_tensor(dataset, *stored);
    }
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
  const auto names = reader.list(kTensorsGroup);
  std::vector<std::pair<std::string, double>> declared;
  for (const auto& name : names) {
    const std::string dataset = std::string(kTensorsGroup) + "/" + name;
    if (!reader.is_dataset(dataset)) {
      throw InputError(file, dataset, "is a group, not a dataset", "one float32 dataset per tensor");
    }
    if (!reader.is_float_dataset(dataset)) {
      throw InputError(file, "tensor '" + name + "'", "is not a floating-point dataset", "float32 (or float16) weights");
    }
    double elements = 1;
    for (const auto size : reader.shape(dataset)) elements *= static_cast<double>(size);
    declared.emplace_back(name, elements);
  }
  // Before anything is read: an unused huge tensor must not be allocated.
  check_declared_sizes(checkpoint.config, declared, file);
  for (const auto& name : names) {
    const std::string dataset = std::string(kTensorsGroup) + "/" + name;
    auto tensor = reader.read_tensor(dataset);
    require_finite(tensor, name, file);  // every weight any command loads is finite
    checkpoint.tensors.emplace(name, std::move(tensor));
  }
  if (reader.has(kRowIdsGroup)) {
    if (!reader.is_group(kRowIdsGroup)) throw InputError(file, kRowIdsGroup, "is a dataset", "a group of row-id datasets");
    for (const auto& name : reader.list(kRowIdsGroup)) {
      const std::string ids = std::string(kRowIdsGroup) + "/" + name;
      const auto stored = checkpoint.tensors.find(name);
      if (stored == checkpoint.tensors.end()) {
        throw InputError(file, ids, "row ids of a missing tensor", "a tensor /tensors/" + name);
      }
      const auto values = reader.read_ints(ids);
      if (values.shape.size() != 1) throw InputError(file, ids, "shape " + shape_to_string(values.shape), "[kept rows]");
      stored->second = expand_rows(file, name, stored->second, values.values,
                                   reader.read_attribute_int(ids, kFullRowsAttribute),
                                   reader.read_attribute_int(ids, kFillRowAttribute));
    }
  }
  if (reader.is_group(kMetadataGroup)) {
    for (const auto& key : reader.list_attributes(kMetadataGroup)) {
      checkpoint.metadata[key] = reader.read_attribute_string(kMetadataGroup, key);
    }
  }
  return checkpoint;
}

}  // namespace spikingbert::io
