#pragma once
// The model configuration: a Hugging Face BERT config.json plus the spiking keys of SpikingBERT
// (vth, leak, t_conv, num_labels, task). Readers validate everything a model relies on and report
// the file and key of the first problem as an InputError.
//
// This is the one model config: the teacher (models/BertTeacher), the steady-state map
// (models/SpikingBertEquilibrium) and the simulated network (models/SpikingBert) all read it, and
// validate_model_config is the one validation.
//
// Required keys: vocab_size, hidden_size, num_hidden_layers, num_attention_heads, intermediate_size.
// Defaults for missing optional keys (Hugging Face BertConfig defaults where HF has the key):
//   max_position_embeddings 512, type_vocab_size 2, layer_norm_eps 1e-12,
//   num_labels 2 (or the number of entries of id2label if only that is given),
//   pad_token_id 0 (null counts as missing), initializer_range 0.02, pooling "cls",
//   hidden_dropout_prob / attention_probs_dropout_prob: unset (each model supplies its default: the
//   teacher Hugging Face's 0.1, the steady-state map 0, method doc §1.3: the SNN has no dropout),
//   fit_size 0 (= hidden_size), vth 1.0, leak 1.0 (integrate-and-fire, as the reference),
//   refractory_steps 0, feedback false,
//   t_conv 100 (method doc: T), task "" (falls back to HF's "finetuning_task" if that is a string).
// Every other key is kept verbatim in `extra` and written back by to_json.
#include "io/NeuronParameters.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
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
// Encoder layers: BERT-large has 24; 1000 leaves room for any experiment.
inline constexpr std::int64_t kMaximumLayers = 1000;
// Parameters: 2^30 float32 values (4 GiB), three times BERT-large's 3.4e8.
inline constexpr double kMaximumParameters = 1073741824.0;

// Sequence pooling before the teacher's pooler (models/Pooling.hpp): the [CLS] position (Hugging Face,
// config "cls") or the mean over real tokens ("mean"). The SpikingBERT classifier reads token 0.
enum class Pooling { first_token, mean };

// The network's sizes: what a size preset names (model_size_preset) and what a student takes over from its
// teacher (models::student_config_of_teacher), copied in one assignment, `a.shape() = b.shape()`.
struct ModelShape {
  int vocab_size = 0;
  int hidden_size = 0;
  int intermediate_size = 0;
  int num_attention_heads = 0;
  int num_hidden_layers = 0;
  int max_position_embeddings = 512;
  int type_vocab_size = 2;

  ModelShape& shape() { return *this; }
  const ModelShape& shape() const { return *this; }
};

// The sizes are the base ModelShape. The neuron model's parameters (vth, leak, refractory_steps) are the base
// io::NeuronParameters, declared, read, validated and written in io/NeuronParameters.hpp; sim::NeuronModel is
// built on the same base, so the config hands them to the simulator without a field-by-field copy.
struct ModelConfig : ModelShape, NeuronParameters {
  int num_labels = 2;
  int pad_token_id = 0;            // word-embedding row that gets no gradient (padding_idx), < vocab_size
  double layer_norm_eps = 1e-12;   // inside the sqrt, TF style (method doc §1.1), > 0
  double initializer_range = 0.02; // std of the N(0, .) initial weights (method doc §1.1)
  // Dropout probabilities in [0, 1): unset = the model's default (see above).
  std::optional<double> hidden_dropout_prob, attention_probs_dropout_prob;
  Pooling pooling = Pooling::first_token;
  // Width of the teacher's hidden states the KD adapter W_td maps a student's onto (TinyBERT's "fit_size",
  // method doc §1.4): fit_dense is [fit_width(), hidden_size]; 0 = hidden_size.
  int fit_size = 0;
  // The feedback projection network_s{6L+1}.fc.weight (last Output population -> embedding population, delay
  // 1 step) is part of the network. false: built but unused, as the reference (method doc §1.3).
  bool feedback = false;
  int t_conv = 100;   // simulation time steps T (> 0, method doc §2.3)
  std::string task;   // e.g. "sst2"; empty if unknown
  nlohmann::json extra = nlohmann::json::object();  // every other key of the file

  int attention_head_size() const { return hidden_size / num_attention_heads; }
  int fit_width() const { return fit_size > 0 ? fit_size : hidden_size; }
};

// The named model shapes (bench --size, train-teacher --size and the tests' random models), one table:
//   "tiny"   the shape of tests/data/tiny: vocab 64, hidden 32, intermediate 64, 2 heads, 2 layers,
//            32 positions, T = 50;
//   "small"  teacher-calibration.md "small": 2 layers of 128, 4 heads, intermediate 512;
//   "medium" teacher-calibration.md "big": 4 layers of 256, 4 heads, intermediate 1024;
//   "base"   BERT-base: 12 layers of 768, 12 heads, intermediate 3072;
//   "base4"  the paper's SpikingBERT4: BERT-base's widths, 4 layers, T = 100.
// Vocabulary 30522 (bert-base-uncased) and 512 positions but for "tiny"; train-teacher sets both from its data.
// Throws InputError naming `source` and `place` for an unknown name.
ModelConfig model_size_preset(const std::string& name, const std::string& source, const std::string& place);
// "tiny, small, medium, base or base4": the names model_size_preset knows, for help texts and errors.
std::string model_size_preset_names();

// Reads and validates a config.json.
ModelConfig read_model_config(const std::filesystem::path& config_json);
// Validates a parsed JSON object; `source` names it in errors (a file, or "model.h5:attribute 'config'").
ModelConfig parse_model_config(const nlohmann::json& json, const std::string& source);
// Checks a config built or changed in code (e.g. after a --vth option): sizes > 0, hidden % heads == 0,
// vth > 0, 0 < leak <= 1, 0 <= refractory_steps <= 1000, t_conv > 0, layer_norm_eps > 0, num_labels >= 1,
// 0 <= pad_token_id < vocab_size, initializer_range >= 0, dropout probabilities in [0, 1), fit_size >= 0.
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
