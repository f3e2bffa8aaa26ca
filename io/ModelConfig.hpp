#pragma once
// The model configuration: a Hugging Face BERT config.json plus the spiking keys of SpikingBERT
// (vth, leak, t_conv, num_labels, task). Readers validate everything a model relies on and report
// the file and key of the first problem as an InputError.
//
// Required keys: vocab_size, hidden_size, num_hidden_layers, num_attention_heads, intermediate_size.
// Defaults for missing optional keys (Hugging Face BertConfig defaults where HF has the key):
//   max_position_embeddings 512, type_vocab_size 2, layer_norm_eps 1e-12,
//   num_labels 2 (or the number of entries of id2label if only that is given),
//   vth 1.0, leak 1.0 (integrate-and-fire, as the reference), refractory_steps 0, feedback false,
//   t_conv 100 (method doc: T),
//   task "" (falls back to HF's "finetuning_task" if that is a string).
// Every other key is kept verbatim in `extra` and written back by to_json.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>
#include <utility>
#include <cstdint>

namespace spikingbert::io {

// Resource bounds of a declared model (docs/errors.md "Resource bounds"): checked before anything is
// allocated, so a config cannot make a command allocate without bound or run for days.
// Time steps T: the method converges within tens to a few hundred steps (SpikingBERT uses T <= 125);
// the same bound applies to every --steps option.
inline constexpr std::int64_t kMaximumTimeSteps = 100000;
// Refractory period: a neuron of period R fires at most once per R + 1 steps; 1000 steps is far beyond T.
inline constexpr int kMaximumRefractorySteps = 1000;
// Encoder layers: BERT-large has 24; 1000 leaves room for any experiment.
inline constexpr std::int64_t kMaximumLayers = 1000;
// Parameters: 2^30 float32 values (4 GiB), three times BERT-large's 3.4e8.
inline constexpr double kMaximumParameters = 1073741824.0;

struct ModelConfig {
  int vocab_size = 0;
  int hidden_size = 0;
  int intermediate_size = 0;
  int num_attention_heads = 0;
  int num_hidden_layers = 0;
  int max_position_embeddings = 512;
  int type_vocab_size = 2;
  int num_labels = 2;
  double layer_norm_eps = 1e-12;
  double vth = 1.0;   // firing threshold V_th (> 0)
  double leak = 1.0;  // membrane leak factor in (0, 1]; 1 = no leak (IF neuron)
  int refractory_steps = 0;  // absolute refractory period in steps, [0, 1000]; 0 = none (the reference)
  // The feedback projection network_s{6L+1}.fc.weight (last Output population -> embedding population, delay
  // 1 step) is part of the network. false: built but unused, as the reference (method doc §1.3).
  bool feedback = false;
  int t_conv = 100;   // simulation time steps T (> 0)
  std::string task;   // e.g. "sst2"; empty if unknown
  nlohmann::json extra = nlohmann::json::object();  // every other key of the file

  int attention_head_size() const { return hidden_size / num_attention_heads; }
};

// Reads and validates a config.json.
ModelConfig read_model_config(const std::filesystem::path& config_json);
// Validates a parsed JSON object; `source` names it in errors (a file, or "model.h5:attribute 'config'").
ModelConfig parse_model_config(const nlohmann::json& json, const std::string& source);
// Checks a config built or changed in code (e.g. after a --vth option): sizes > 0, hidden % heads == 0,
// vth > 0, 0 < leak <= 1, 0 <= refractory_steps <= 1000, t_conv > 0, layer_norm_eps > 0, num_labels >= 1.
void validate_model_config(const ModelConfig& config, const std::string& source);

// The parameters a BERT of this shape holds (embeddings, encoder layers, pooler, classifier), as a double so
// that absurd sizes cannot overflow. validate_model_config refuses configs above kMaximumParameters.
double estimated_parameter_count(const ModelConfig& config);

// Checks a weight file's declared tensor sizes against the model before any tensor is read: no tensor may
// hold more elements than the whole model (estimated_parameter_count). `element_counts`: name -> elements.
void check_declared_sizes(const ModelConfig& config, const std::vector<std::pair<std::string, double>>& element_counts,
                          const std::string& file);

nlohmann::json to_json(const ModelConfig& config);
// Writes to_json(config), pretty-printed, atomically.
void write_model_config(const std::filesystem::path& config_json, const ModelConfig& config);

}  // namespace spikingbert::io
