#include "models/SpikingBertConfig.hpp"

#include "io/Error.hpp"

#include <string>

namespace spikingbert::models {

void SpikingBertConfig::validate(const char* source) const {
  const std::pair<const char*, int> sizes[] = {
      {"vocab_size", vocab_size},
      {"hidden_size", hidden_size},
      {"intermediate_size", intermediate_size},
      {"num_attention_heads", num_attention_heads},
      {"num_hidden_layers", num_hidden_layers},
      {"max_position_embeddings", max_position_embeddings},
      {"type_vocab_size", type_vocab_size},
      {"num_labels", num_labels},
      {"t_conv", t_conv}};
  for (const auto& [name, value] : sizes)
    if (value <= 0) throw io::InputError(source, name, "is " + std::to_string(value), "a positive integer");
  if (hidden_size % num_attention_heads != 0)
    throw io::InputError(source, "num_attention_heads",
                         "hidden_size " + std::to_string(hidden_size) + " is not divisible by " +
                             std::to_string(num_attention_heads) + " heads",
                         "a divisor of hidden_size");
  if (!(vth > 0.0)) throw io::InputError(source, "vth", "must be positive", "vth > 0");
  if (!(leak > 0.0 && leak <= 1.0)) throw io::InputError(source, "leak", "must lie in (0, 1]", "0 < leak <= 1");
  if (refractory_steps < 0) throw io::InputError(source, "refractory_steps", "must not be negative", ">= 0");
  if (!(layer_norm_eps >= 0.0)) throw io::InputError(source, "layer_norm_eps", "must not be negative", ">= 0");
}

}  // namespace spikingbert::models
