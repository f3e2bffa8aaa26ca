#include "models/BertTeacherIo.hpp"

#include "io/Checkpoint.hpp"
#include "io/Error.hpp"
#include "io/Safetensors.hpp"

namespace spikingbert::models {

namespace {

// Old TF-converted checkpoints name LayerNorm parameters gamma/beta.
std::string legacy_name(const std::string& name) {
  auto replace_suffix = [&](const std::string& from, const std::string& to) -> std::string {
    if (name.size() >= from.size() && name.compare(name.size() - from.size(), from.size(), from) == 0) {
      return name.substr(0, name.size() - from.size()) + to;
    }
    return {};
  };
  if (auto renamed = replace_suffix("LayerNorm.weight", "LayerNorm.gamma"); !renamed.empty()) return renamed;
  if (auto renamed = replace_suffix("LayerNorm.bias", "LayerNorm.beta"); !renamed.empty()) return renamed;
  return {};
}

}  // namespace

void require_gelu_activation(const io::ModelConfig& config, const std::string& source) {
  if (!config.extra.contains("hidden_act")) return;
  const auto& act = config.extra.at("hidden_act");
  if (!act.is_string() || act.get<std::string>() != "gelu") {
    throw io::InputError(source, "key 'hidden_act'", "activation " + act.dump() + " is not supported",
                         "\"gelu\" (exact erf GELU)");
  }
}

io::ModelConfig teacher_file_config(io::ModelConfig config, const std::string& task) {
  config.task = task;
  config.extra["model_type"] = "bert";
  config.extra["architectures"] = nlohmann::json::array({"BertForSequenceClassification"});
  config.extra["hidden_act"] = "gelu";
  return config;
}

template <class Scalar>
BertTeacher<Scalar> teacher_from_tensors(const io::ModelConfig& config, const io::TensorMap& tensors,
                                         const std::string& source) {
  require_gelu_activation(config, source);
  BertTeacher<Scalar> model(config, 0);
  model.store().load(tensors, source, {}, legacy_name);
  return model;
}

template BertTeacher<float> teacher_from_tensors<float>(const io::ModelConfig&, const io::TensorMap&,
                                                        const std::string&);
template BertTeacher<double> teacher_from_tensors<double>(const io::ModelConfig&, const io::TensorMap&,
                                                          const std::string&);

io::TensorMap teacher_tensors(const BertTeacher<float>& model) { return model.store().tensors(); }

LoadedTeacher read_teacher_files(const std::filesystem::path& model) {
  namespace fs = std::filesystem;
  if (fs::is_directory(model)) {
    const auto config_path = model / "config.json";
    const auto weights_path = model / "model.safetensors";
    if (!fs::exists(config_path)) {
      throw io::InputError(model.string(), "folder", "no config.json", "a Hugging Face folder with config.json and model.safetensors");
    }
    if (!fs::exists(weights_path)) {
      throw io::InputError(model.string(), "folder", "no model.safetensors",
                           "a Hugging Face folder with config.json and model.safetensors");
    }
    auto config = io::read_model_config(config_path);
    require_gelu_activation(config, config_path.string());  // blamed on config.json, not the tensors
    auto tensors = io::read_safetensors(weights_path, config);
    return {std::move(config), std::move(tensors), weights_path.string()};
  }
  if (!fs::exists(model)) {
    throw io::InputError(model.string(), "path", "does not exist",
                         "a native checkpoint file or a Hugging Face folder");
  }
  auto checkpoint = io::read_checkpoint(model);
  return {checkpoint.config, std::move(checkpoint.tensors), model.string()};
}

}  // namespace spikingbert::models
