#pragma once
// The SpikingBERT conformance case tests/data/tiny (reference PyTorch code, README there): its config,
// weights, token batch and the per-population SNN rates forward/asr/NN, for the equilibrium and
// gradient tests.
#include "io/Hdf5File.hpp"
#include "io/ModelConfig.hpp"
#include "io/Safetensors.hpp"
#include "models/SpikingBertEquilibrium.hpp"

#include <string>
#include <vector>

namespace spikingbert::testing {

inline std::string tiny_path(const std::string& file) {
  return std::string(SPIKINGBERT_TEST_DATA_DIR) + "/tiny/" + file;
}

inline io::ModelConfig tiny_config() {
  return io::read_model_config(tiny_path("config.json"));
}

template <class Scalar>
models::SpikingBertEquilibrium<Scalar> tiny_model() {
  return models::SpikingBertEquilibrium<Scalar>(tiny_config(), io::read_safetensors(tiny_path("model.safetensors")),
                                                tiny_path("model.safetensors"));
}

inline models::TokenBatch tiny_batch(const io::Hdf5Reader& reader) {
  models::TokenBatch batch;
  const auto ids = reader.read_ints("inputs/input_ids");
  batch.batch = ids.shape[0];
  batch.sequence = ids.shape[1];
  batch.token_ids = ids.values;
  batch.segment_ids = reader.read_ints("inputs/segment_ids").values;
  batch.attention_mask = reader.read_ints("inputs/attention_mask").values;
  return batch;
}

inline std::string two_digits(std::int64_t index) {
  const std::string digits = std::to_string(index);
  return digits.size() < 2 ? "0" + digits : digits;
}

// forward/asr/NN for every population, widened to Scalar.
template <class Scalar>
std::vector<models::AlignedVector<Scalar>> tiny_snn_rates(const io::Hdf5Reader& reader, std::int64_t populations) {
  std::vector<models::AlignedVector<Scalar>> rates(populations);
  for (std::int64_t j = 0; j < populations; ++j) {
    const auto tensor = reader.read_tensor("forward/asr/" + two_digits(j));
    rates[j].assign(tensor.values.begin(), tensor.values.end());
  }
  return rates;
}

}  // namespace spikingbert::testing
