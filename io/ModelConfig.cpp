#include "io/ModelConfig.hpp"

#include "io/AtomicFile.hpp"
#include "io/Error.hpp"
#include "io/JsonDuplicateKeys.hpp"
#include "io/JsonKeys.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <limits>
#include <optional>
#include <sstream>

namespace spikingbert::io {
namespace {
// Hugging Face BertConfig defaults for the optional keys.
constexpr int kDefaultMaxPositionEmbeddings = 512;
constexpr int kDefaultTypeVocabSize = 2;
constexpr int kDefaultNumLabels = 2;
constexpr double kDefaultLayerNormEps = 1e-12;

int read_positive_int(const nlohmann::json& json, const std::string& key, const std::string& source) {
  const auto& value = json.at(key);
  if (!value.is_number_integer()) {
    throw InputError(source, key_place(key), "is " + describe_json_value(value), "a positive integer");
  }
  if (value.is_number_unsigned() ? value.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<int>::max())
                                 : value.get<std::int64_t>() > std::numeric_limits<int>::max()) {
    throw InputError(source, key_place(key), value.dump() + " is too large", "a positive integer below 2^31");
  }
  const auto number = value.get<std::int64_t>();
  if (number <= 0) throw InputError(source, key_place(key), "is " + value.dump(), "a positive integer");
  return static_cast<int>(number);
}

// A count held in a double (estimates that must not overflow), printed as an integer.
std::string format_count(double value) {
  char text[64];
  std::snprintf(text, sizeof text, "%.0f", value);
  return text;
}

const char* const kKnownKeys[] = {"vocab_size",  "hidden_size",     "intermediate_size", "num_attention_heads",
                                  "num_hidden_layers", "max_position_embeddings", "type_vocab_size",
                                  "num_labels",  "layer_norm_eps",  "pad_token_id", "initializer_range",
                                  "hidden_dropout_prob", "attention_probs_dropout_prob", "pooling", "fit_size",
                                  "feedback", "t_conv", "task"};

int read_non_negative_int(const nlohmann::json& json, const std::string& key, const std::string& source) {
  const auto& value = json.at(key);
  if (value.is_number_integer() && value == 0) return 0;
  if (value.is_number_integer() && !value.is_number_unsigned() && value.get<std::int64_t>() < 0) {
    throw InputError(source, key_place(key), "is " + value.dump(), "an integer >= 0");
  }
  return read_positive_int(json, key, source);
}

// The named shapes of model_size_preset: one row each (io/ModelConfig.hpp describes them).
constexpr int kBertVocabularySize = 30522;  // bert-base-uncased
struct SizePreset {
  const char* name;
  ModelShape shape;  // vocab, hidden, intermediate, heads, layers, positions, type vocabulary
  int t_conv;
};
constexpr SizePreset kSizePresets[] = {
    {"tiny", {64, 32, 64, 2, 2, 32, 2}, 50},
    {"small", {kBertVocabularySize, 128, 512, 4, 2, 512, 2}, 100},
    {"medium", {kBertVocabularySize, 256, 1024, 4, 4, 512, 2}, 100},
    {"base", {kBertVocabularySize, 768, 3072, 12, 12, 512, 2}, 100},
    {"base4", {kBertVocabularySize, 768, 3072, 12, 4, 512, 2}, 100},
};
}  // namespace

void validate_model_config(const ModelConfig& config, const std::string& source) {
  const std::pair<const char*, int> sizes[] = {
      {"vocab_size", config.vocab_size},
      {"hidden_size", config.hidden_size},
      {"intermediate_size", config.intermediate_size},
      {"num_attention_heads", config.num_attention_heads},
      {"num_hidden_layers", config.num_hidden_layers},
      {"max_position_embeddings", config.max_position_embeddings},
      {"type_vocab_size", config.type_vocab_size},
      {"num_labels", config.num_labels},
      {"t_conv", config.t_conv},
  };
  for (const auto& [key, value] : sizes) {
    if (value <= 0) throw InputError(source, key_place(key), "is " + std::to_string(value), "a positive integer");
  }
  if (config.num_hidden_layers > kMaximumLayers) {
    throw InputError(source, key_place("num_hidden_layers"), "is " + std::to_string(config.num_hidden_layers),
                     "at most " + std::to_string(kMaximumLayers) + " layers");
  }
  if (config.t_conv > kMaximumTimeSteps) {
    throw InputError(source, key_place("t_conv"), "is " + std::to_string(config.t_conv),
                     "at most " + std::to_string(kMaximumTimeSteps) + " time steps");
  }
  const double parameters = estimated_parameter_count(config);
  if (parameters > kMaximumParameters) {
    throw InputError(source, "", "the declared sizes make a model of " + format_count(parameters) + " parameters",
                     "at most " + format_count(kMaximumParameters) + " (4 GiB of float32)");
  }
  if (config.hidden_size % config.num_attention_heads != 0) {
    throw InputError(source, key_place("hidden_size"),
                     std::to_string(config.hidden_size) + " is not divisible by num_attention_heads " +
                         std::to_string(config.num_attention_heads),
                     "a multiple of num_attention_heads");
  }
  validate_neuron_parameters(config, source);
  if (!std::isfinite(config.layer_norm_eps) || config.layer_norm_eps <= 0) {
    throw InputError(source, key_place("layer_norm_eps"), "is " + format_number(config.layer_norm_eps),
                     "a finite number > 0");
  }
  if (config.pad_token_id < 0 || config.pad_token_id >= config.vocab_size) {
    throw InputError(source, key_place("pad_token_id"), "is " + std::to_string(config.pad_token_id),
                     "a token id from 0 to vocab_size - 1 = " + std::to_string(config.vocab_size - 1));
  }
  if (!std::isfinite(config.initializer_range) || config.initializer_range < 0) {
    throw InputError(source, key_place("initializer_range"), "is " + format_number(config.initializer_range),
                     "a finite number >= 0");
  }
  const std::pair<const char*, const std::optional<double>*> dropouts[] = {
      {"hidden_dropout_prob", &config.hidden_dropout_prob},
      {"attention_probs_dropout_prob", &config.attention_probs_dropout_prob}};
  for (const auto& [key, probability] : dropouts) {
    if (*probability && !(**probability >= 0.0 && **probability < 1.0)) {
      throw InputError(source, key_place(key), "is " + format_number(**probability), "a probability in [0, 1)");
    }
  }
  if (config.fit_size < 0) {
    throw InputError(source, key_place("fit_size"), "is " + std::to_string(config.fit_size),
                     "a width >= 0 (0: hidden_size)");
  }
}

ModelConfig model_size_preset(const std::string& name, const std::string& source, const std::string& place) {
  for (const auto& preset : kSizePresets) {
    if (name != preset.name) continue;
    ModelConfig config;
    config.shape() = preset.shape;
    config.t_conv = preset.t_conv;
    validate_model_config(config, "size preset '" + name + "'");
    return config;
  }
  throw InputError(source, place, "unknown size '" + name + "'", model_size_preset_names());
}

std::string model_size_preset_names() {
  std::string names;
  const std::size_t count = std::size(kSizePresets);
  for (std::size_t i = 0; i < count; ++i)
    names += (i == 0 ? "" : i + 1 == count ? " or " : ", ") + std::string(kSizePresets[i].name);
  return names;
}

double estimated_parameter_count(const ModelConfig& c) {
  const double h = c.hidden_size, i = c.intermediate_size;
  const double embeddings = (static_cast<double>(c.vocab_size) + c.max_position_embeddings + c.type_vocab_size) * h + 2 * h;
  const double layer = 4 * (h * h + h) + 2 * h + (h * i + i) + (i * h + h) + 2 * h;  // attention, LayerNorms, FFN
  return embeddings + static_cast<double>(c.num_hidden_layers) * layer + (h * h + h) + (h * c.num_labels + c.num_labels);
}

void check_declared_sizes(const ModelConfig& config, const std::vector<std::pair<std::string, double>>& element_counts,
                          const std::string& file) {
  const double model = estimated_parameter_count(config);
  for (const auto& [name, elements] : element_counts) {
    if (elements > model) {
      throw InputError(file, "tensor '" + name + "'", "declares " + format_count(elements) + " elements",
                       "at most the " + format_count(model) + " parameters of the model its config describes");
    }
  }
}

ModelConfig parse_model_config(const nlohmann::json& json, const std::string& source) {
  if (!json.is_object()) throw InputError(source, "", "config is " + describe_json_value(json), "a JSON object");
  ModelConfig config;
  for (const char* key : {"vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size"}) {
    if (!json.contains(key)) throw InputError(source, key_place(key), "missing", "a positive integer");
  }
  config.vocab_size = read_positive_int(json, "vocab_size", source);
  config.hidden_size = read_positive_int(json, "hidden_size", source);
  config.num_hidden_layers = read_positive_int(json, "num_hidden_layers", source);
  config.num_attention_heads = read_positive_int(json, "num_attention_heads", source);
  config.intermediate_size = read_positive_int(json, "intermediate_size", source);
  config.max_position_embeddings = json.contains("max_position_embeddings")
                                       ? read_positive_int(json, "max_position_embeddings", source)
                                       : kDefaultMaxPositionEmbeddings;
  config.type_vocab_size =
      json.contains("type_vocab_size") ? read_positive_int(json, "type_vocab_size", source) : kDefaultTypeVocabSize;
  config.layer_norm_eps =
      json.contains("layer_norm_eps") ? read_number(json, "layer_norm_eps", source) : kDefaultLayerNormEps;

  // Hugging Face configs often carry the classes as id2label instead of num_labels.
  std::optional<int> labels_from_map;
  if (json.contains("id2label")) {
    const auto& map = json.at("id2label");
    if (!map.is_object() || map.empty()) {
      throw InputError(source, key_place("id2label"), "is " + describe_json_value(map), "a non-empty object");
    }
    labels_from_map = static_cast<int>(map.size());
  }
  if (json.contains("num_labels")) {
    config.num_labels = read_positive_int(json, "num_labels", source);
    if (labels_from_map && *labels_from_map != config.num_labels) {
      throw InputError(source, key_place("num_labels"),
                       std::to_string(config.num_labels) + " disagrees with id2label (" +
                           std::to_string(*labels_from_map) + " entries)",
                       "num_labels equal to the size of id2label");
    }
  } else {
    config.num_labels = labels_from_map.value_or(kDefaultNumLabels);
  }

  if (json.contains("pad_token_id") && !json.at("pad_token_id").is_null()) {
    config.pad_token_id = read_non_negative_int(json, "pad_token_id", source);
  }
  if (json.contains("initializer_range")) config.initializer_range = read_number(json, "initializer_range", source);
  if (json.contains("hidden_dropout_prob")) config.hidden_dropout_prob = read_number(json, "hidden_dropout_prob", source);
  if (json.contains("attention_probs_dropout_prob")) {
    config.attention_probs_dropout_prob = read_number(json, "attention_probs_dropout_prob", source);
  }
  if (json.contains("pooling")) {
    const auto& pooling = json.at("pooling");
    if (pooling == "cls") config.pooling = Pooling::first_token;
    else if (pooling == "mean") config.pooling = Pooling::mean;
    else throw InputError(source, key_place("pooling"), "is " + describe_json_value(pooling), "\"cls\" or \"mean\"");
  }
  if (json.contains("fit_size")) config.fit_size = read_non_negative_int(json, "fit_size", source);
  read_neuron_parameters(json, source, config);
  if (json.contains("feedback")) {
    const auto& feedback = json.at("feedback");
    if (!feedback.is_boolean()) throw InputError(source, key_place("feedback"), "is " + describe_json_value(feedback), "true or false");
    config.feedback = feedback.get<bool>();
  }
  if (json.contains("t_conv")) config.t_conv = read_positive_int(json, "t_conv", source);
  if (json.contains("task")) {
    const auto& task = json.at("task");
    if (!task.is_string()) throw InputError(source, key_place("task"), "is " + describe_json_value(task), "a string");
    config.task = task.get<std::string>();
  } else if (json.contains("finetuning_task") && json.at("finetuning_task").is_string()) {
    config.task = json.at("finetuning_task").get<std::string>();
  }

  const auto neuron_keys = neuron_parameters_json({});
  for (const auto& [key, value] : json.items()) {
    const bool known = std::find(std::begin(kKnownKeys), std::end(kKnownKeys), key) != std::end(kKnownKeys) ||
                       neuron_keys.contains(key);
    if (!known) config.extra[key] = value;
  }
  validate_model_config(config, source);
  return config;
}

ModelConfig read_model_config(const std::filesystem::path& config_json) {
  const std::string source = config_json.string();
  std::ifstream stream(config_json, std::ios::binary);
  if (!stream || std::filesystem::is_directory(config_json)) {
    throw InputError(source, "", "cannot open", "a readable config.json");
  }
  std::stringstream buffer;
  buffer << stream.rdbuf();
  const std::string text = buffer.str();
  nlohmann::json json;
  DuplicateKeyDetector duplicates;
  try {
    json = nlohmann::json::parse(text, std::ref(duplicates));
  } catch (const nlohmann::json::parse_error& error) {
    const auto byte = std::min<std::size_t>(error.byte, text.size());
    const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(byte > 0 ? byte - 1 : 0), '\n');
    std::string detail = error.what();
    const auto bracket = detail.find("] ");
    if (detail.starts_with("[json.exception") && bracket != std::string::npos) detail = detail.substr(bracket + 2);
    throw InputError(source, "line " + std::to_string(line), "not valid JSON: " + detail, "a JSON object");
  } catch (const nlohmann::json::exception& error) {
    // A number beyond double's range ("1e412") is an out_of_range error, not a parse_error (found by fuzzing).
    std::string detail = error.what();
    const auto bracket = detail.find("] ");
    if (detail.starts_with("[json.exception") && bracket != std::string::npos) detail = detail.substr(bracket + 2);
    throw InputError(source, "", "not valid JSON: " + detail, "a JSON object whose numbers fit a double");
  }
  if (!duplicates.duplicate().empty()) {
    throw InputError(source, key_place(duplicates.duplicate()), "appears twice in one object",
                     "each key once (JSON readers disagree on which value wins)");
  }
  return parse_model_config(json, source);
}

nlohmann::json to_json(const ModelConfig& config) {
  nlohmann::json json = config.extra.is_object() ? config.extra : nlohmann::json::object();
  json["vocab_size"] = config.vocab_size;
  json["hidden_size"] = config.hidden_size;
  json["intermediate_size"] = config.intermediate_size;
  json["num_attention_heads"] = config.num_attention_heads;
  json["num_hidden_layers"] = config.num_hidden_layers;
  json["max_position_embeddings"] = config.max_position_embeddings;
  json["type_vocab_size"] = config.type_vocab_size;
  json["num_labels"] = config.num_labels;
  json["layer_norm_eps"] = config.layer_norm_eps;
  json["pad_token_id"] = config.pad_token_id;
  json["initializer_range"] = config.initializer_range;
  if (config.hidden_dropout_prob) json["hidden_dropout_prob"] = *config.hidden_dropout_prob;
  if (config.attention_probs_dropout_prob) json["attention_probs_dropout_prob"] = *config.attention_probs_dropout_prob;
  json["pooling"] = config.pooling == Pooling::mean ? "mean" : "cls";
  if (config.fit_size > 0) json["fit_size"] = config.fit_size;
  write_neuron_parameters(config, json);
  // Written only when not the reference's, so the configs of models without feedback stay as they were.
  if (config.feedback) json["feedback"] = true;
  json["t_conv"] = config.t_conv;
  json["task"] = config.task;
  return json;
}

void write_model_config(const std::filesystem::path& config_json, const ModelConfig& config) {
  write_text_atomically(config_json, to_json(config).dump(2) + "\n");
}

}  // namespace spikingbert::io
