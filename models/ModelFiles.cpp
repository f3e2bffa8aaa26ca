#include "models/ModelFiles.hpp"

#include "io/Checkpoint.hpp"
#include "io/Error.hpp"
#include "io/Hdf5File.hpp"
#include "io/Safetensors.hpp"

namespace spikingbert::models {

ModelFile read_model_file(const std::filesystem::path& path) {
  namespace fs = std::filesystem;
  if (!fs::exists(path)) throw io::InputError(path.string(), "model", "does not exist", "a model directory or checkpoint");
  fs::path checkpoint;
  if (fs::is_directory(path)) {
    if (fs::exists(path / "model.safetensors")) {
      auto config = io::read_model_config(path / "config.json");
      auto tensors = io::read_safetensors(path / "model.safetensors", config);
      return ModelFile{std::move(config), std::move(tensors), (path / "model.safetensors").string()};
    }
    if (!fs::exists(path / "model.h5"))
      throw io::InputError(path.string(), "model directory", "holds neither model.safetensors nor model.h5",
                           "config.json + model.safetensors, or a native checkpoint model.h5");
    checkpoint = path / "model.h5";
  } else {
    checkpoint = path;
  }
  auto loaded = io::read_checkpoint(checkpoint);
  return ModelFile{std::move(loaded.config), std::move(loaded.tensors), checkpoint.string()};
}

SpikingBert load_spiking_bert(const std::filesystem::path& path) {
  const auto file = read_model_file(path);
  return SpikingBert(file.config, weights_from_tensors(file.config, file.tensors, file.source));
}

void save_spiking_bert_checkpoint(const std::filesystem::path& file, const SpikingBert& model) {
  io::write_checkpoint(file, model.config(), weights_to_tensors(model.config(), model.weights()));
}

TokenBatch read_token_batch(const std::filesystem::path& inputs_h5) {
  const io::Hdf5Reader reader(inputs_h5);
  TokenBatch batch;
  const char* names[] = {"inputs/input_ids", "inputs/segment_ids", "inputs/attention_mask"};
  std::vector<std::int64_t>* targets[] = {&batch.token_ids, &batch.segment_ids, &batch.attention_mask};
  io::Shape first_shape;
  for (int i = 0; i < 3; ++i) {
    if (!reader.has(names[i]))
      throw io::InputError(inputs_h5.string(), std::string("dataset '") + names[i] + "'", "missing",
                           "[batch, seq] integers");
    auto ints = reader.read_ints(names[i]);
    if (ints.shape.size() != 2)
      throw io::InputError(inputs_h5.string(), std::string("dataset '") + names[i] + "'",
                           "has shape " + io::shape_to_string(ints.shape), "[batch, seq]");
    if (i == 0) first_shape = ints.shape;
    else if (ints.shape != first_shape)
      throw io::InputError(inputs_h5.string(), std::string("dataset '") + names[i] + "'",
                           "has shape " + io::shape_to_string(ints.shape), io::shape_to_string(first_shape));
    *targets[i] = std::move(ints.values);
  }
  batch.batch = first_shape[0];
  batch.sequence = first_shape[1];
  return batch;
}

}  // namespace spikingbert::models
