#pragma once
// Hyperbolic tangent, the pooler's activation (Hugging Face BertPooler): tanh'(x) = 1 - tanh(x)^2,
// computed from the saved output.
#include <cmath>
#include <cstdint>

namespace spikingbert::models {

template <class Scalar>
void tanh_forward(Scalar* out, const Scalar* in, std::int64_t count) {
  for (std::int64_t i = 0; i < count; ++i) out[i] = std::tanh(in[i]);
}

template <class Scalar>
void tanh_backward(Scalar* d_in, const Scalar* d_out, const Scalar* out, std::int64_t count) {
  for (std::int64_t i = 0; i < count; ++i) d_in[i] += d_out[i] * (Scalar(1) - out[i] * out[i]);
}

}  // namespace spikingbert::models
