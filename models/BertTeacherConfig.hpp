#pragma once
// The shape and regularisation of a standard BERT encoder with a sequence head (Hugging Face
// BertForSequenceClassification). Defaults are Hugging Face's.
#include "models/Pooling.hpp"

#include <cstdint>

namespace spikingbert::models {

struct BertTeacherConfig {
  std::int64_t vocab_size = 30522;
  std::int64_t hidden_size = 768;
  std::int64_t num_hidden_layers = 12;
  std::int64_t num_attention_heads = 12;
  std::int64_t intermediate_size = 3072;
  std::int64_t max_position_embeddings = 512;
  std::int64_t type_vocab_size = 2;
  std::int64_t num_labels = 2;                  // 1 = regression (STS-B)
  std::int64_t pad_token_id = 0;                // word-embedding row that gets no gradient
  double layer_norm_eps = 1e-12;
  double hidden_dropout_prob = 0.1;
  double attention_probs_dropout_prob = 0.1;
  double initializer_range = 0.02;              // std of N(0, .) initial weights
  Pooling pooling = Pooling::first_token;       // Hugging Face: the [CLS] position
};

}  // namespace spikingbert::models
