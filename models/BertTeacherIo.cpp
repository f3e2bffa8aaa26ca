#include "models/BertTeacherIo.hpp"

#include "io/Checkpoint.hpp"
#include "io/Error.hpp"
#include "io/Safetensors.hpp"

namespace spikingbert::models {

namespace {

double extra_double(const io::ModelConfig& config, const std::string& key, double fallback) {
  if (!config.extra.contains(key)) return fallback;
  const auto& value = config.extra.at(key);
  return value.is_number() ? value.get<double>() : fallback;
}

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

BertTeacherConfig teacher_config(const io::ModelConfig& config, const std::string& source) {
  BertTeacherConfig teacher;
  teacher.vocab_size = config.vocab_size;
  teacher.hidden_size = config.hidden_size;
  teacher.num_hidden_layers = config.num_hidden_layers;
  teacher.num_attention_heads = config.num_attention_heads;
  teacher.intermediate_size = config.intermediate_size;
  teacher.max_position_embeddings = config.max_position_embeddings;
  teacher.type_vocab_size = config.type_vocab_size;
  teacher.num_labels = config.num_labels;
  teacher.layer_norm_eps = config.layer_norm_eps;
  teacher.hidden_dropout_prob = extra_double(config, "hidden_dropout_prob", teacher.hidden_dropout_prob);
  teacher.attention_probs_dropout_prob =
      extra_double(config, "attention_probs_dropout_prob", teacher.attention_probs_dropout_prob);
  teacher.initializer_range = extra_double(config, "initializer_range", teacher.initializer_range);
  teacher.pad_token_id = static_cast<std::int64_t>(extra_double(config, "pad_token_id", 0));
  if (config.extra.contains("hidden_act")) {
    const auto& act = config.extra.at("hidden_act");
    if (!act.is_string() || act.get<std::string>() != "gelu") {
      throw io::InputError(source, "key 'hidden_act'", "activation " + act.dump() + " is not supported",
                           "\"gelu\" (exact erf GELU)");
    }
  }
  if (config.extra.contains("pooling")) {
    const auto& pooling = config.extra.at("pooling");
    if (pooling == "cls") teacher.pooling = Pooling::first_token;
    else if (pooling == "mean") teacher.pooling = Pooling::mean;
    else throw io::InputError(source, "key 'pooling'", "unknown pooling " + pooling.dump(), "\"cls\" or \"mean\"");
  }
  for (const double probability : {teacher.hidden_dropout_prob, teacher.attention_probs_dropout_prob}) {
    if (!(probability >= 0.0 && probability < 1.0)) {
      throw io::InputError(source, "dropout probability", "value " + std::to_string(probability) + " out of range",
                           "a probability in [0, 1)");
    }
  }
  return teacher;
}

io::ModelConfig model_config(const BertTeacherConfig& teacher, const std::string& task) {
  io::ModelConfig config;
  config.vocab_size = static_cast<int>(teacher.vocab_size);
  config.hidden_size = static_cast<int>(teacher.hidden_size);
  config.num_hidden_layers = static_cast<int>(teacher.num_hidden_layers);
  config.num_attention_heads = static_cast<int>(teacher.num_attention_heads);
  config.intermediate_size = static_cast<int>(teacher.intermediate_size);
  config.max_position_embeddings = static_cast<int>(teacher.max_position_embeddings);
  config.type_vocab_size = static_cast<int>(teacher.type_vocab_size);
  config.num_labels = static_cast<int>(teacher.num_labels);
  config.layer_norm_eps = teacher.layer_norm_eps;
  config.task = task;
  config.extra["model_type"] = "bert";
  config.extra["architectures"] = nlohmann::json::array({"BertForSequenceClassification"});
  config.extra["hidden_act"] = "gelu";
  config.extra["hidden_dropout_prob"] = teacher.hidden_dropout_prob;
  config.extra["attention_probs_dropout_prob"] = teacher.attention_probs_dropout_prob;
  config.extra["initializer_range"] = teacher.initializer_range;
  config.extra["pad_token_id"] = teacher.pad_token_id;
  config.extra["pooling"] = teacher.pooling == Pooling::mean ? "mean" : "cls";
  return config;
}

template <class Scalar>
BertTeacher<Scalar> teacher_from_tensors(const io::ModelConfig& config, const io::TensorMap& tensors,
                                         const std::string& source) {
  BertTeacher<Scalar> model(teacher_config(config, source), 0);
  for (auto& parameter : model.parameters()) {
    std::string name = parameter.name;
    if (!tensors.count(name)) {
      const std::string legacy = legacy_name(name);
      if (!legacy.empty() && tensors.count(legacy)) name = legacy;
    }
    const io::Tensor& tensor = io::require_tensor(tensors, name, parameter.shape, source);
    io::require_finite(tensor, name, source);
    std::copy(tensor.values.begin(), tensor.values.end(), parameter.value.begin());
  }
  return model;
}

template BertTeacher<float> teacher_from_tensors<float>(const io::ModelConfig&, const io::TensorMap&,
                                                        const std::string&);
template BertTeacher<double> teacher_from_tensors<double>(const io::ModelConfig&, const io::TensorMap&,
                                                          const std::string&);

io::TensorMap teacher_tensors(const BertTeacher<float>& model) {
  io::TensorMap tensors;
  for (const auto& parameter : model.parameters()) tensors[parameter.name] = io::Tensor{parameter.shape, {parameter.value.begin(), parameter.value.end()}};
  return tensors;
}

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
    teacher_config(config, config_path.string());  // config keys (hidden_act, pooling) are blamed on config.json
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
