#pragma once
// Exact (erf) GELU, as Hugging Face "gelu" and the reference code (method doc §1.1):
//   gelu(x) = x * Phi(x) = 0.5 * x * (1 + erf(x / sqrt(2))),  gelu'(x) = Phi(x) + x * phi(x).
// In float, erf and exp run 8 lanes at a time (models/VectorErf.hpp, VectorExp.hpp), bit for bit std::erf
// and std::exp: same values.
#include "models/KernelSupport.hpp"
#include "models/VectorErf.hpp"
#include "models/VectorExp.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <type_traits>

namespace spikingbert::models {

namespace gelu_detail {
constexpr std::int64_t kErfBlock = 256;  // values whose erf is taken together (a stack buffer)

// erf(in[i] * inv_sqrt2) for i < count into `out`.
template <class Scalar>
void erf_of_scaled(Scalar* out, const Scalar* in, std::int64_t count, Scalar inv_sqrt2) {
  for (std::int64_t i = 0; i < count; ++i) out[i] = in[i] * inv_sqrt2;
  if constexpr (std::is_same_v<Scalar, float>) {
    erf_float(out, out, static_cast<std::size_t>(count));
  } else {
    for (std::int64_t i = 0; i < count; ++i) out[i] = std::erf(out[i]);
  }
}
}  // namespace gelu_detail

template <class Scalar>
void gelu_forward(Scalar* out, const Scalar* in, std::int64_t count) {
  const Scalar inv_sqrt2 = static_cast<Scalar>(1.0 / std::numbers::sqrt2);
  Scalar erf[gelu_detail::kErfBlock];
  for (std::int64_t begin = 0; begin < count; begin += gelu_detail::kErfBlock) {
    const std::int64_t n = std::min(gelu_detail::kErfBlock, count - begin);
    gelu_detail::erf_of_scaled(erf, in + begin, n, inv_sqrt2);
    for (std::int64_t i = 0; i < n; ++i) out[begin + i] = in[begin + i] * Scalar(0.5) * (Scalar(1) + erf[i]);
  }
}

template <class Scalar>
void gelu_backward(Scalar* d_in, const Scalar* d_out, const Scalar* in, std::int64_t count) {
  const Scalar inv_sqrt2 = static_cast<Scalar>(1.0 / std::numbers::sqrt2);
  const Scalar inv_sqrt_2pi = static_cast<Scalar>(std::numbers::inv_sqrtpi / std::numbers::sqrt2);
  Scalar erf[gelu_detail::kErfBlock], gauss[gelu_detail::kErfBlock];
  for (std::int64_t begin = 0; begin < count; begin += gelu_detail::kErfBlock) {
    const std::int64_t n = std::min(gelu_detail::kErfBlock, count - begin);
    gelu_detail::erf_of_scaled(erf, in + begin, n, inv_sqrt2);
    for (std::int64_t i = 0; i < n; ++i) gauss[i] = Scalar(-0.5) * in[begin + i] * in[begin + i];
    if constexpr (std::is_same_v<Scalar, float>) {
      exp_float(gauss, gauss, static_cast<std::size_t>(n));
    } else {
      for (std::int64_t i = 0; i < n; ++i) gauss[i] = std::exp(gauss[i]);
    }
    for (std::int64_t i = 0; i < n; ++i) {
      const Scalar x = in[begin + i];
      const Scalar cdf = Scalar(0.5) * (Scalar(1) + erf[i]);
      const Scalar pdf = inv_sqrt_2pi * gauss[i];
      d_in[begin + i] += d_out[begin + i] * (cdf + x * pdf);
    }
  }
}

}  // namespace spikingbert::models
