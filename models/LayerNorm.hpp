#pragma once
// TF-style LayerNorm over the last dimension (method doc §1.1):
//   out = (x - mean) / sqrt(var + eps) * gamma + beta,  var biased (divided by width, not width - 1).
// eps comes from the model config (layer_norm_eps, 1e-12 for BERT). The forward keeps each row's mean
// and reciprocal standard deviation for the backward.
#include "models/KernelSupport.hpp"

#include <cmath>

namespace spikingbert::models {

template <class Scalar>
void layer_norm_forward(Scalar* out, Scalar* mean, Scalar* rstd, const Scalar* in, const Scalar* gamma,
                        const Scalar* beta, std::int64_t rows, std::int64_t width, double eps) {
  for_each_chunk(rows, kRowsPerChunk, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t r = begin; r < end; ++r) {
      const Scalar* x = in + r * width;
      Scalar sum = 0;
      for (std::int64_t i = 0; i < width; ++i) sum += x[i];
      const Scalar m = sum / static_cast<Scalar>(width);
      Scalar squares = 0;
      for (std::int64_t i = 0; i < width; ++i) squares += (x[i] - m) * (x[i] - m);
      const Scalar variance = squares / static_cast<Scalar>(width);
      const Scalar s = Scalar(1) / std::sqrt(variance + static_cast<Scalar>(eps));
      Scalar* y = out + r * width;
      for (std::int64_t i = 0; i < width; ++i) y[i] = (x[i] - m) * s * gamma[i] + beta[i];
      mean[r] = m;
      rstd[r] = s;
    }
  });
}

// With xhat = (x - mean) * rstd and g = d_out * gamma:
//   d_in += rstd * (g - mean(g) - xhat * mean(g * xhat));  d_gamma += sum_rows d_out * xhat;  d_beta += sum_rows d_out.
template <class Scalar>
void layer_norm_backward(Scalar* d_in, Scalar* d_gamma, Scalar* d_beta, const Scalar* d_out, const Scalar* in,
                         const Scalar* mean, const Scalar* rstd, const Scalar* gamma, std::int64_t rows,
                         std::int64_t width) {
  for_each_chunk(rows, kRowsPerChunk, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t r = begin; r < end; ++r) {
      const Scalar* x = in + r * width;
      const Scalar* dy = d_out + r * width;
      Scalar mean_g = 0, mean_g_xhat = 0;
      for (std::int64_t i = 0; i < width; ++i) {
        const Scalar xhat = (x[i] - mean[r]) * rstd[r];
        const Scalar g = dy[i] * gamma[i];
        mean_g += g;
        mean_g_xhat += g * xhat;
      }
      mean_g /= static_cast<Scalar>(width);
      mean_g_xhat /= static_cast<Scalar>(width);
      Scalar* dx = d_in + r * width;
      for (std::int64_t i = 0; i < width; ++i) {
        const Scalar xhat = (x[i] - mean[r]) * rstd[r];
        dx[i] += rstd[r] * (dy[i] * gamma[i] - mean_g - xhat * mean_g_xhat);
      }
    }
  });
  // The parameter gradients sum over rows; done in one pass in row order so the sum is reproducible.
  for (std::int64_t r = 0; r < rows; ++r) {
    const Scalar* x = in + r * width;
    const Scalar* dy = d_out + r * width;
    for (std::int64_t i = 0; i < width; ++i) {
      d_gamma[i] += dy[i] * (x[i] - mean[r]) * rstd[r];
      d_beta[i] += dy[i];
    }
  }
}

}  // namespace spikingbert::models
