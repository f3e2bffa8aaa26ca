#pragma once
// Fully connected layer, Hugging Face layout: out[n, o] = sum_i in[n, i] * weight[o, i] + bias[o].
// weight is [out_features, in_features] row-major (torch.nn.Linear), so checkpoints map one to one.
// Backward accumulates (+=) into every gradient buffer, llm.c style: callers zero them once per step,
// and a tensor used twice (a residual, a shared adapter) simply receives both contributions.
#include "models/Gemm.hpp"
#include "models/KernelSupport.hpp"

namespace spikingbert::models {

// Chunks of a linear layer's products: every chunk packs its operands anew (Eigen's GEMM), so the packing
// traffic falls with the chunk size: 128 rows (tokens) per chunk for y and dx, 128 output features per chunk
// for dW (which repacks the whole input per chunk). Fixed sizes: results do not depend on the thread count.
inline constexpr std::int64_t kGemmRowsPerChunk = 128;
inline constexpr std::int64_t kGemmFeaturesPerChunk = 128;

// rows: number of input vectors (batch * sequence); bias may be null.
template <class Scalar>
void linear_forward(Scalar* out, const Scalar* in, const Scalar* weight, const Scalar* bias,
                    std::int64_t rows, std::int64_t in_features, std::int64_t out_features) {
  for_each_chunk(rows, kGemmRowsPerChunk, [&](std::int64_t begin, std::int64_t end) {
    gemm_a_bt(out + begin * out_features, in + begin * in_features, weight, end - begin, in_features, out_features);
    MatrixView<Scalar> y(out + begin * out_features, end - begin, out_features);
    if (bias != nullptr) y.rowwise() += ConstVectorView<Scalar>(bias, out_features);
  });
}

// d_in (may be null: no gradient wanted) += d_out * weight; d_weight += d_out^T * in; d_bias += column sums.
// The parameter gradients are split over output features, so each sum over rows runs whole in one task.
template <class Scalar>
void linear_backward(Scalar* d_in, Scalar* d_weight, Scalar* d_bias, const Scalar* d_out, const Scalar* in,
                     const Scalar* weight, std::int64_t rows, std::int64_t in_features,
                     std::int64_t out_features) {
  if (d_in != nullptr) {
    for_each_chunk(rows, kGemmRowsPerChunk, [&](std::int64_t begin, std::int64_t end) {
      gemm_add_a_b(d_in + begin * in_features, d_out + begin * out_features, weight, end - begin, out_features,
                   in_features);
    });
  }
  for_each_chunk(out_features, kGemmFeaturesPerChunk, [&](std::int64_t begin, std::int64_t end) {
    const std::int64_t count = end - begin;
    gemm_add_at_b(d_weight + begin * in_features, d_out + begin, out_features, in, count, rows, in_features);
    if (d_bias != nullptr) {
      // A plain loop in row order: Eigen's vectorised reductions peel by memory alignment, which would make
      // the rounding depend on where the allocator put the buffer (different from run to run).
      for (std::int64_t r = 0; r < rows; ++r) {
        const Scalar* dy = d_out + r * out_features;
        for (std::int64_t o = begin; o < end; ++o) d_bias[o] += dy[o];
      }
    }
  });
}

}  // namespace spikingbert::models
