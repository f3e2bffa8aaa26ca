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

}  // namespace spikingbert::models
