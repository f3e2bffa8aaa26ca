#pragma once
// BERT input embedding before LayerNorm (method doc §1.2):
//   out[b, t] = word[token[b, t]] + type[segment[b, t]] + position[t]
// added in that order, as Hugging Face BertEmbeddings does (inputs_embeds + token_type, then + position).
// Positions are 0..seq-1. The padding row of the word table (Hugging Face padding_idx, token 0 for BERT)
// receives no gradient, as torch.nn.Embedding(padding_idx=...) — its value is still added in the forward.
#include <cstdint>

namespace spikingbert::models {

struct EmbeddingShape {
  std::int64_t batch = 0, sequence = 0, hidden = 0;
};

template <class Scalar>
void embedding_forward(Scalar* out, const std::int64_t* token_ids, const std::int64_t* segment_ids,
                       const Scalar* word, const Scalar* position, const Scalar* type, EmbeddingShape shape) {
  const std::int64_t hidden = shape.hidden;
  for (std::int64_t b = 0; b < shape.batch; ++b) {
    for (std::int64_t t = 0; t < shape.sequence; ++t) {
      const std::int64_t row = b * shape.sequence + t;
      const Scalar* w = word + token_ids[row] * hidden;
      const Scalar* s = type + segment_ids[row] * hidden;
      const Scalar* p = position + t * hidden;
      Scalar* y = out + row * hidden;
      for (std::int64_t i = 0; i < hidden; ++i) y[i] = (w[i] + s[i]) + p[i];
    }
  }
}

// Scatter-add of d_out into the three tables (serial: several rows may share a token, and the
// accumulation order must be fixed). padding_token < 0 means no padding row.
template <class Scalar>
void embedding_backward(Scalar* d_word, Scalar* d_position, Scalar* d_type, const Scalar* d_out,
                        const std::int64_t* token_ids, const std::int64_t* segment_ids, EmbeddingShape shape,
                        std::int64_t padding_token) {
  const std::int64_t hidden = shape.hidden;
  for (std::int64_t b = 0; b < shape.batch; ++b) {
    for (std::int64_t t = 0; t < shape.sequence; ++t) {
      const std::int64_t row = b * shape.sequence + t;
      const Scalar* dy = d_out + row * hidden;
      if (d_word != nullptr && token_ids[row] != padding_token) {
        Scalar* dw = d_word + token_ids[row] * hidden;
        for (std::int64_t i = 0; i < hidden; ++i) dw[i] += dy[i];
      }
      if (d_type != nullptr) {
        Scalar* ds = d_type + segment_ids[row] * hidden;
        for (std::int64_t i = 0; i < hidden; ++i) ds[i] += dy[i];
      }
      if (d_position != nullptr) {
        Scalar* dp = d_position + t * hidden;
        for (std::int64_t i = 0; i < hidden; ++i) dp[i] += dy[i];
      }
    }
  }
}

}  // namespace spikingbert::models
