#include "models/LayerNormTransform.hpp"

#include <cmath>

namespace spikingbert::models {

namespace {

// Normalises R rows of n floats (row r at rows + r n) in place. Every row's mean and variance is its own
// sequential double sum, exactly as for one row alone; R rows side by side only keep R independent chains
// of additions in flight (one chain is bound by the add's latency).
template <int R>
void normalise_rows(float* rows, int n, const float* gamma, const float* beta, float eps) {
  const auto at = [&](int r, int j) -> float& {
    return rows[static_cast<std::size_t>(r) * static_cast<std::size_t>(n) + static_cast<std::size_t>(j)];
  };
  double sum[R] = {};
  for (int j = 0; j < n; ++j)
    for (int r = 0; r < R; ++r) sum[r] += at(r, j);
  float mean[R];
  for (int r = 0; r < R; ++r) mean[r] = static_cast<float>(sum[r] / n);
  double squares[R] = {};
  for (int j = 0; j < n; ++j)
    for (int r = 0; r < R; ++r) {
      const float deviation = at(r, j) - mean[r];
      squares[r] += static_cast<double>(deviation * deviation);
    }
  for (int r = 0; r < R; ++r) {
    const float variance = static_cast<float>(squares[r] / n);
    const float deviation_scale = std::sqrt(variance + eps);
    float* row = &at(r, 0);
    for (int j = 0; j < n; ++j) row[j] = gamma[j] * ((row[j] - mean[r]) / deviation_scale) + beta[j];
  }
}

void count_operations(int n, std::uint64_t rows, sim::OperationCounts& counts) {
  const auto count = static_cast<std::uint64_t>(n);
  counts.additions += rows * (count /*sum*/ + count /*x-mean*/ + count /*squares*/ + 1 /*+eps*/ + count /*x-mean*/ +
                              count /*+beta*/);
  counts.multiplications += rows * (count /*square*/ + count /*gamma*/);
  counts.divisions += rows * (2 /*mean, variance*/ + count);
  counts.square_roots += rows;
}

}  // namespace

void layer_norm_row(float* row, int n, const float* gamma, const float* beta, float eps, sim::OperationCounts& counts) {
  layer_norm_rows(row, 1, n, gamma, beta, eps, counts);
}

void layer_norm_rows(float* rows, int count, int n, const float* gamma, const float* beta, float eps,
                     sim::OperationCounts& counts) {
  constexpr int kInterleaved = 8;
  int r = 0;
  const auto row = [&](int index) { return rows + static_cast<std::size_t>(index) * static_cast<std::size_t>(n); };
  for (; r + kInterleaved <= count; r += kInterleaved) normalise_rows<kInterleaved>(row(r), n, gamma, beta, eps);
  if (r + 4 <= count) {
    normalise_rows<4>(row(r), n, gamma, beta, eps);
    r += 4;
  }
  if (r + 2 <= count) {
    normalise_rows<2>(row(r), n, gamma, beta, eps);
    r += 2;
  }
  if (r < count) normalise_rows<1>(row(r), n, gamma, beta, eps);
  count_operations(n, static_cast<std::uint64_t>(count), counts);
}

void LayerNormTransform::apply_groups(const sim::TransformContext& context, int groups, float* current,
                                      sim::OperationCounts& counts) const {
  layer_norm_rows(current, groups, context.width, gamma_->data(), beta_->data(), eps_, counts);
}

}  // namespace spikingbert::models
