#pragma once
// Sequence pooling before the pooler's dense layer: either the first ([CLS]) position, as Hugging Face
// BertPooler, or the mean over real (unpadded) tokens (teacher-calibration.md: a small model trained from
// scratch does better with mean pooling).
#include "io/ModelConfig.hpp"

#include <cstdint>

namespace spikingbert::models {

using Pooling = io::Pooling;  // a config key (io::ModelConfig::pooling)

// out: [batch, hidden]; in: [batch*seq, hidden]; attention_mask: [batch, seq] (1 real, 0 padding).
template <class Scalar>
void pooling_forward(Scalar* out, const Scalar* in, const std::int64_t* attention_mask, std::int64_t batch,
                     std::int64_t sequence, std::int64_t hidden, Pooling pooling) {
  for (std::int64_t b = 0; b < batch; ++b) {
    Scalar* y = out + b * hidden;
    const Scalar* rows = in + b * sequence * hidden;
    if (pooling == Pooling::first_token) {
      for (std::int64_t i = 0; i < hidden; ++i) y[i] = rows[i];
      continue;
    }
    // Written as one pass over the hidden units per token: GCC 12 with AVX-512 miscompiles the variant that
    // skips padded tokens with `continue` around an inner accumulation loop (checked by the pooling test).
    std::int64_t real = 0;
    for (std::int64_t t = 0; t < sequence; ++t) real += attention_mask[b * sequence + t] != 0 ? 1 : 0;
    const Scalar inverse = real > 0 ? Scalar(1) / static_cast<Scalar>(real) : Scalar(0);
    for (std::int64_t i = 0; i < hidden; ++i) {
      Scalar total = 0;
      for (std::int64_t t = 0; t < sequence; ++t) {
        if (attention_mask[b * sequence + t] != 0) total += rows[t * hidden + i];
      }
      y[i] = total * inverse;
    }
  }
}

template <class Scalar>
void pooling_backward(Scalar* d_in, const Scalar* d_out, const std::int64_t* attention_mask, std::int64_t batch,
                      std::int64_t sequence, std::int64_t hidden, Pooling pooling) {
  for (std::int64_t b = 0; b < batch; ++b) {
    const Scalar* dy = d_out + b * hidden;
    Scalar* rows = d_in + b * sequence * hidden;
    if (pooling == Pooling::first_token) {
      for (std::int64_t i = 0; i < hidden; ++i) rows[i] += dy[i];
      continue;
    }
    std::int64_t real = 0;
    for (std::int64_t t = 0; t < sequence; ++t) real += attention_mask[b * sequence + t] != 0 ? 1 : 0;
    if (real == 0) continue;
    const Scalar inverse = Scalar(1) / static_cast<Scalar>(real);
    for (std::int64_t t = 0; t < sequence; ++t) {
      if (attention_mask[b * sequence + t] == 0) continue;
      for (std::int64_t i = 0; i < hidden; ++i) rows[t * hidden + i] += dy[i] * inverse;
    }
  }
}

}  // namespace spikingbert::models
