#pragma once
// The sizes and neuron parameters a SpikingBERT needs (method doc §1.1; the config.json keys of the
// same names). Any depth and width is allowed.
namespace spikingbert::models {

struct SpikingBertConfig {
  int vocab_size = 30522;
  int hidden_size = 768;
  int intermediate_size = 3072;
  int num_attention_heads = 12;
  int num_hidden_layers = 4;
  int max_position_embeddings = 512;
  int type_vocab_size = 2;
  int num_labels = 2;
  double layer_norm_eps = 1e-12;  // inside the sqrt, TF style (method doc §1.1)
  double vth = 1.0;               // V_th of every sub-layer (method doc §2.1)
  double leak = 1.0;              // 1 = IF (the reference), < 1 = LIF
  int refractory_steps = 0;       // absolute refractory period in steps (0 = none, the reference)
  bool feedback = false;          // simulate the feedback projection (io::ModelConfig::feedback)
  int t_conv = 100;               // default number of steps T (method doc §2.3)

  int head_size() const { return hidden_size / num_attention_heads; }
  // Spiking sub-layers in the reference order: the embedding neurons, then 6 per encoder layer.
  int sublayer_count() const { return 6 * num_hidden_layers + 1; }
  // Throws io::InputError naming `source` if a size is not positive or hidden % heads != 0.
  void validate(const char* source) const;
};

}  // namespace spikingbert::models
