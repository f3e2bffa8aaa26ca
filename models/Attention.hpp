#pragma once
// Masked multi-head softmax attention on already projected queries, keys and values (Hugging Face
// BertSelfAttention after its three Linear layers; the same operation as method doc §4's a_A with K and V
// taken from spiking layers). For batch b, head h (columns h*d .. h*d+d-1 of the [batch*seq, width] inputs):
//   S  = Q_bh K_bh^T / sqrt(d) + M_b,   M_b[key] = -10000 * (1 - attention_mask[b, key])
//   P  = softmax(S) over keys;  context_bh = (P * dropout_mask) V_bh
// S (scaled, masked, pre-softmax) is returned because distillation matches it (method doc §6.2).
// Work is split over (batch, head) pairs, which write disjoint outputs: deterministic for any thread count.
#include "models/KernelSupport.hpp"

#include <cmath>

namespace spikingbert::models {

// Additive attention mask value for a padded key (Hugging Face extended attention mask).
inline constexpr double kMaskedScore = -10000.0;

struct AttentionShape {
  std::int64_t batch = 0, sequence = 0, width = 0, heads = 0;
  std::int64_t head_size() const { return width / heads; }
  std::int64_t score_count() const { return batch * heads * sequence * sequence; }
};

// scores, probabilities: [batch, heads, seq, seq]; context: [batch*seq, width];
// attention_mask: [batch, seq], 1 = real token, 0 = padding; dropout (may be null): [batch, heads, seq, seq].
template <class Scalar>
void attention_forward(Scalar* context, Scalar* scores, Scalar* probabilities, const Scalar* query,
                       const Scalar* key, const Scalar* value, const std::int64_t* attention_mask,
                       const Scalar* dropout, AttentionShape shape) {
  const std::int64_t L = shape.sequence, W = shape.width, d = shape.head_size();
  const Scalar sqrt_head = std::sqrt(static_cast<Scalar>(d));
  using Strided = Eigen::Map<const RowMatrix<Scalar>, 0, Eigen::OuterStride<>>;
  using StridedOut = Eigen::Map<RowMatrix<Scalar>, 0, Eigen::OuterStride<>>;
  tbb::parallel_for(std::int64_t{0}, shape.batch * shape.heads, [&](std::int64_t pair) {
    const std::int64_t b = pair / shape.heads, h = pair % shape.heads;
    const std::int64_t offset = b * L * W + h * d;
    Strided q(query + offset, L, d, Eigen::OuterStride<>(W));
    Strided k(key + offset, L, d, Eigen::OuterStride<>(W));
    Strided v(value + offset, L, d, Eigen::OuterStride<>(W));
    MatrixView<Scalar> s(scores + pair * L * L, L, L);
    MatrixView<Scalar> p(probabilities + pair * L * L, L, L);
    s.noalias() = q * k.transpose();
    for (std::int64_t j = 0; j < L; ++j) {
      const Scalar masked = static_cast<Scalar>((1 - attention_mask[b * L + j]) * kMaskedScore);
      for (std::int64_t i = 0; i < L; ++i) s(i, j) = s(i, j) / sqrt_head + masked;
    }
    for (std::int64_t i = 0; i < L; ++i) {
      const Scalar top = s.row(i).maxCoeff();
      Scalar total = 0;
      for (std::int64_t j = 0; j < L; ++j) {
        p(i, j) = std::exp(s(i, j) - top);
        total += p(i, j);
      }
      p.row(i) /= total;
    }
    StridedOut c(context + offset, L, d, Eigen::OuterStride<>(W));
    if (dropout != nullptr) {
      ConstMatrixView<Scalar> m(dropout + pair * L * L, L, L);
      c.noalias() = p.cwiseProduct(m) * v;
    } else {
      c.noalias() = p * v;
    }
  });
}

// Accumulates into d_query, d_key, d_value; d_scores_extra (may be null) is an extra gradient arriving
// directly on the returned scores S (the distillation loss on attention), [batch, heads, seq, seq].
//   dP = (d_context V^T) * dropout;  dS = P * (dP - rowsum(dP * P)) + d_scores_extra
//   dQ += dS K / sqrt(d);  dK += dS^T Q / sqrt(d);  dV += (P * dropout)^T d_context
template <class Scalar>
void attention_backward(Scalar* d_query, Scalar* d_key, Scalar* d_value, const Scalar* d_context,
                        const Scalar* d_scores_extra, const Scalar* probabilities, const Scalar* query,
                        const Scalar* key, const Scalar* value, const Scalar* dropout, AttentionShape shape) {
  const std::int64_t L = shape.sequence, W = shape.width, d = shape.head_size();
  const Scalar sqrt_head = std::sqrt(static_cast<Scalar>(d));
  using Strided = Eigen::Map<const RowMatrix<Scalar>, 0, Eigen::OuterStride<>>;
  using StridedOut = Eigen::Map<RowMatrix<Scalar>, 0, Eigen::OuterStride<>>;
  tbb::parallel_for(std::int64_t{0}, shape.batch * shape.heads, [&](std::int64_t pair) {
    const std::int64_t b = pair / shape.heads, h = pair % shape.heads;
    const std::int64_t offset = b * L * W + h * d;
    Strided q(query + offset, L, d, Eigen::OuterStride<>(W));
    Strided k(key + offset, L, d, Eigen::OuterStride<>(W));
    Strided v(value + offset, L, d, Eigen::OuterStride<>(W));
    Strided dc(d_context + offset, L, d, Eigen::OuterStride<>(W));
    ConstMatrixView<Scalar> p(probabilities + pair * L * L, L, L);
    RowMatrix<Scalar> dp = dc * v.transpose();
    StridedOut dv(d_value + offset, L, d, Eigen::OuterStride<>(W));
    if (dropout != nullptr) {
      ConstMatrixView<Scalar> m(dropout + pair * L * L, L, L);
      dv.noalias() += p.cwiseProduct(m).transpose() * dc;
      dp = dp.cwiseProduct(m);
    } else {
      dv.noalias() += p.transpose() * dc;
    }
    RowMatrix<Scalar> ds(L, L);
    for (std::int64_t i = 0; i < L; ++i) {
      Scalar inner = 0;
      for (std::int64_t j = 0; j < L; ++j) inner += dp(i, j) * p(i, j);
      for (std::int64_t j = 0; j < L; ++j) ds(i, j) = p(i, j) * (dp(i, j) - inner);
    }
    if (d_scores_extra != nullptr) ds += ConstMatrixView<Scalar>(d_scores_extra + pair * L * L, L, L);
    ds /= sqrt_head;
    StridedOut dq(d_query + offset, L, d, Eigen::OuterStride<>(W));
    StridedOut dk(d_key + offset, L, d, Eigen::OuterStride<>(W));
    dq.noalias() += ds * k;
    dk.noalias() += ds.transpose() * q;
  });
}

}  // namespace spikingbert::models
