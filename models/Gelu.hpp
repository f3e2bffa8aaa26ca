#pragma once
// Exact (erf) GELU, as Hugging Face "gelu" and the reference code (method doc §1.1):
//   gelu(x) = x * Phi(x) = 0.5 * x * (1 + erf(x / sqrt(2))),  gelu'(x) = Phi(x) + x * phi(x).
#include "models/KernelSupport.hpp"

#include <cmath>
#include <numbers>

namespace spikingbert::models {

template <class Scalar>
void gelu_forward(Scalar* out, const Scalar* in, std::int64_t count) {
  const Scalar inv_sqrt2 = static_cast<Scalar>(1.0 / std::numbers::sqrt2);
  for (std::int64_t i = 0; i < count; ++i) {
    out[i] = in[i] * Scalar(0.5) * (Scalar(1) + std::erf(in[i] * inv_sqrt2));
  }
}

template <class Scalar>
void gelu_backward(Scalar* d_in, const Scalar* d_out, const Scalar* in, std::int64_t count) {
  const Scalar inv_sqrt2 = static_cast<Scalar>(1.0 / std::numbers::sqrt2);
  const Scalar inv_sqrt_2pi = static_cast<Scalar>(std::numbers::inv_sqrtpi / std::numbers::sqrt2);
  for (std::int64_t i = 0; i < count; ++i) {
    const Scalar x = in[i];
    const Scalar cdf = Scalar(0.5) * (Scalar(1) + std::erf(x * inv_sqrt2));
    const Scalar pdf = inv_sqrt_2pi * std::exp(Scalar(-0.5) * x * x);
    d_in[i] += d_out[i] * (cdf + x * pdf);
  }
}

}  // namespace spikingbert::models
