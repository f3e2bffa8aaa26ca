#pragma once
// The BERT encoder's blocks, forward and backward side by side, written once for the analog teacher
// (models/BertTeacher) and the steady-state map (models/SpikingBertEquilibrium): the two compose the same blocks
// and differ only where the method differs (the map applies the neuron's rate sigma after every sub-layer and
// feeds the attention the Key/Value rates, method doc §4). Each block reads its parameters from a ParameterStore
// through the indices of its slots and accumulates (+=) into their gradients and into the adjoints of its inputs,
// llm.c style: callers zero once. The cache of a block is what its forward keeps for its backward.
//   embedding      E = Drop(LN(word[x] + type[seg] + pos))                     (method doc §1.2)
//   linear         y = W x + b                                                  (models/Linear.hpp)
//   attention      softmax((W_Q x + b_Q) K^T / sqrt(d) + M) V per head, dropout on P (models/Attention.hpp)
//   residual norm  LN(Drop(W x + b) + r)        (BertSelfOutput, BertOutput; a_SO, a_O before sigma)
//   GELU           GELU(W x + b)                (BertIntermediate; a_I before sigma)
#include "models/Attention.hpp"
#include "models/Dropout.hpp"
#include "models/Embedding.hpp"
#include "models/Gelu.hpp"
#include "models/LayerNorm.hpp"
#include "models/Linear.hpp"
#include "models/ParameterStore.hpp"
#include "models/SubLayerTable.hpp"
#include "models/TokenBatch.hpp"

#include <cstdint>
#include <stdexcept>
#include <vector>

namespace spikingbert::models {

// Where a block's parameters are in its ParameterStore.
struct LinearSlots {
  int weight = -1, bias = -1;  // bias -1: none (the feedback projection)
};
struct NormSlots {
  int gamma = -1, beta = -1;
};
struct EmbeddingSlots {
  int word = -1, position = -1, type = -1;
  NormSlots norm;
};
// One encoder layer (method doc §1.1; the map's sub-layers K, V, A (its Query), SO, I, O).
struct EncoderLayerSlots {
  LinearSlots query, key, value, self_output, intermediate, output;
  NormSlots self_norm, output_norm;

  // The linear map and the LayerNorm of the sub-layer of `kind` (the Query's for the attention).
  LinearSlots& linear(SubLayerKind kind) {
    switch (kind) {
      case SubLayerKind::key: return key;
      case SubLayerKind::value: return value;
      case SubLayerKind::attention: return query;
      case SubLayerKind::self_output: return self_output;
      case SubLayerKind::intermediate: return intermediate;
      case SubLayerKind::output: return output;
      case SubLayerKind::embedding: break;
    }
    throw std::logic_error("EncoderLayerSlots: the embedding has no linear map");
  }
  NormSlots& norm(SubLayerKind kind) {
    if (kind == SubLayerKind::self_output) return self_norm;
    if (kind == SubLayerKind::output) return output_norm;
    throw std::logic_error("EncoderLayerSlots: only SelfOutput and Output have a LayerNorm in a layer");
  }
};

// Two [rows, width] buffers a backward pass reuses from call to call.
template <class Scalar>
struct BlockScratch {
  AlignedVector<Scalar> first, second;
};

template <class Scalar>
const Scalar* bias_of(const ParameterStore<Scalar>& store, LinearSlots slots) {
  return slots.bias >= 0 ? store.value(slots.bias) : nullptr;
}

// y = W x + b, [rows, outputs].
template <class Scalar>
void linear_block_forward(Scalar* out, const Scalar* in, const ParameterStore<Scalar>& store, LinearSlots slots,
                          std::int64_t rows, std::int64_t inputs, std::int64_t outputs) {
  linear_forward(out, in, store.value(slots.weight), bias_of(store, slots), rows, inputs, outputs);
}

// d_in (may be null) += d_out W; the parameter gradients +=.
template <class Scalar>
void linear_block_backward(Scalar* d_in, const Scalar* d_out, const Scalar* in, ParameterStore<Scalar>& store,
                           LinearSlots slots, std::int64_t rows, std::int64_t inputs, std::int64_t outputs) {
  linear_backward(d_in, store.gradient(slots.weight), slots.bias >= 0 ? store.gradient(slots.bias) : nullptr, d_out, in,
                  store.value(slots.weight), rows, inputs, outputs);
}

template <class Scalar>
struct EmbeddingCache {
  AlignedVector<Scalar> sum, mean, rstd, norm, dropout;
};

// out = Drop(LN(word[x] + type[seg] + pos)), [rows, hidden] (method doc §1.2).
template <class Scalar>
void embedding_block_forward(Scalar* out, EmbeddingCache<Scalar>& cache, const TokenBatch& batch,
                             const ParameterStore<Scalar>& store, const EmbeddingSlots& slots, std::int64_t hidden,
                             double eps, double dropout, bool training, std::uint64_t seed) {
  const std::int64_t N = batch.rows();
  cache.sum.resize(N * hidden);
  cache.norm.resize(N * hidden);
  cache.mean.resize(N);
  cache.rstd.resize(N);
  embedding_forward(cache.sum.data(), batch.token_ids.data(), batch.segment_ids.data(), store.value(slots.word),
                    store.value(slots.position), store.value(slots.type), EmbeddingShape{batch.batch, batch.sequence, hidden});
  layer_norm_forward(cache.norm.data(), cache.mean.data(), cache.rstd.data(), cache.sum.data(),
                     store.value(slots.norm.gamma), store.value(slots.norm.beta), N, hidden, eps);
  draw_mask(cache.dropout, N * hidden, dropout, training, seed);
  apply_mask(out, cache.norm.data(), cache.dropout, N * hidden);
}

// Accumulates the tables' and the LayerNorm's gradients (the padding token's word row receives none).
template <class Scalar>
void embedding_block_backward(const Scalar* d_out, const EmbeddingCache<Scalar>& cache, const TokenBatch& batch,
                              ParameterStore<Scalar>& store, const EmbeddingSlots& slots, std::int64_t hidden,
                              std::int64_t padding_token, BlockScratch<Scalar>& scratch) {
  const std::int64_t N = batch.rows();
  auto& d_norm = scratch.first;
  auto& d_sum = scratch.second;
  d_norm.assign(N * hidden, Scalar(0));
  d_sum.assign(N * hidden, Scalar(0));
  apply_mask_backward(d_norm.data(), d_out, cache.dropout, N * hidden);
  layer_norm_backward(d_sum.data(), store.gradient(slots.norm.gamma), store.gradient(slots.norm.beta), d_norm.data(),
                      cache.sum.data(), cache.mean.data(), cache.rstd.data(), store.value(slots.norm.gamma), N, hidden);
  embedding_backward(store.gradient(slots.word), store.gradient(slots.position), store.gradient(slots.type), d_sum.data(),
                     batch.token_ids.data(), batch.segment_ids.data(), EmbeddingShape{batch.batch, batch.sequence, hidden},
                     padding_token);
}

template <class Scalar>
struct AttentionCache {
  AlignedVector<Scalar> query;                                // W_Q x + b_Q  [rows, hidden]
  AlignedVector<Scalar> scores, probabilities, dropout;       // [batch, heads, seq, seq]; scores scaled and masked
};

// context = softmax((W_Q x + b_Q) K^T / sqrt(d) + M) V per head, dropout on P; K, V [rows, hidden] given.
template <class Scalar>
void attention_block_forward(Scalar* context, AttentionCache<Scalar>& cache, const Scalar* in, const Scalar* key,
                             const Scalar* value, const TokenBatch& batch, const ParameterStore<Scalar>& store,
                             LinearSlots query, AttentionShape shape, double dropout, bool training, std::uint64_t seed) {
  const std::int64_t N = shape.batch * shape.sequence, H = shape.width;
  cache.query.resize(N * H);
  cache.scores.resize(shape.score_count());
  cache.probabilities.resize(shape.score_count());
  linear_block_forward(cache.query.data(), in, store, query, N, H, H);
  draw_mask(cache.dropout, shape.score_count(), dropout, training, seed);
  attention_forward(context, cache.scores.data(), cache.probabilities.data(), cache.query.data(), key, value,
                    batch.attention_mask.data(), cache.dropout.empty() ? nullptr : cache.dropout.data(), shape);
}

// d_key, d_value, d_in += their adjoints; d_scores (may be null): an extra gradient on the scores (distillation).
template <class Scalar>
void attention_block_backward(Scalar* d_in, Scalar* d_key, Scalar* d_value, const Scalar* d_context,
                              const Scalar* d_scores, const AttentionCache<Scalar>& cache, const Scalar* in,
                              const Scalar* key, const Scalar* value, ParameterStore<Scalar>& store, LinearSlots query,
                              AttentionShape shape, BlockScratch<Scalar>& scratch) {
  const std::int64_t N = shape.batch * shape.sequence, H = shape.width;
  auto& d_query = scratch.first;
  d_query.assign(N * H, Scalar(0));
  attention_backward(d_query.data(), d_key, d_value, d_context, d_scores, cache.probabilities.data(), cache.query.data(),
                     key, value, cache.dropout.empty() ? nullptr : cache.dropout.data(), shape);
  linear_block_backward(d_in, d_query.data(), in, store, query, N, H, H);
}

template <class Scalar>
struct ResidualNormCache {
  AlignedVector<Scalar> dense, dropout, residual, mean, rstd;  // W x + b, its mask, the LayerNorm's input and statistics
};

// out = LN(Drop(W x + b) + r), x [rows, inputs], r and out [rows, width].
template <class Scalar>
void residual_norm_forward(Scalar* out, ResidualNormCache<Scalar>& cache, const Scalar* in, const Scalar* residual,
                           const ParameterStore<Scalar>& store, LinearSlots linear, NormSlots norm, std::int64_t rows,
                           std::int64_t inputs, std::int64_t width, double eps, double dropout, bool training,
                           std::uint64_t seed) {
  const std::int64_t count = rows * width;
  cache.dense.resize(count);
  cache.residual.resize(count);
  cache.mean.resize(rows);
  cache.rstd.resize(rows);
  linear_block_forward(cache.dense.data(), in, store, linear, rows, inputs, width);
  draw_mask(cache.dropout, count, dropout, training, seed);
  apply_mask(cache.residual.data(), cache.dense.data(), cache.dropout, count);
  for (std::int64_t i = 0; i < count; ++i) cache.residual[i] += residual[i];
  layer_norm_forward(out, cache.mean.data(), cache.rstd.data(), cache.residual.data(), store.value(norm.gamma),
                     store.value(norm.beta), rows, width, eps);
}

// d_in += through W, d_residual += through the residual connection.
template <class Scalar>
void residual_norm_backward(Scalar* d_in, Scalar* d_residual, const Scalar* d_out, const ResidualNormCache<Scalar>& cache,
                            const Scalar* in, ParameterStore<Scalar>& store, LinearSlots linear, NormSlots norm,
                            std::int64_t rows, std::int64_t inputs, std::int64_t width, BlockScratch<Scalar>& scratch) {
  const std::int64_t count = rows * width;
  auto& d_sum = scratch.first;
  auto& d_dense = scratch.second;
  d_sum.assign(count, Scalar(0));
  layer_norm_backward(d_sum.data(), store.gradient(norm.gamma), store.gradient(norm.beta), d_out, cache.residual.data(),
                      cache.mean.data(), cache.rstd.data(), store.value(norm.gamma), rows, width);
  for (std::int64_t i = 0; i < count; ++i) d_residual[i] += d_sum[i];
  d_dense.assign(count, Scalar(0));
  apply_mask_backward(d_dense.data(), d_sum.data(), cache.dropout, count);
  linear_block_backward(d_in, d_dense.data(), in, store, linear, rows, inputs, width);
}

// out = GELU(W x + b); pre keeps W x + b.
template <class Scalar>
void gelu_block_forward(Scalar* out, AlignedVector<Scalar>& pre, const Scalar* in, const ParameterStore<Scalar>& store,
                        LinearSlots linear, std::int64_t rows, std::int64_t inputs, std::int64_t outputs) {
  pre.resize(rows * outputs);
  linear_block_forward(pre.data(), in, store, linear, rows, inputs, outputs);
  gelu_forward(out, pre.data(), rows * outputs);
}

template <class Scalar>
void gelu_block_backward(Scalar* d_in, const Scalar* d_out, const AlignedVector<Scalar>& pre, const Scalar* in,
                         ParameterStore<Scalar>& store, LinearSlots linear, std::int64_t rows, std::int64_t inputs,
                         std::int64_t outputs, BlockScratch<Scalar>& scratch) {
  auto& d_pre = scratch.first;
  d_pre.assign(rows * outputs, Scalar(0));
  gelu_backward(d_pre.data(), d_out, pre.data(), rows * outputs);
  linear_block_backward(d_in, d_pre.data(), in, store, linear, rows, inputs, outputs);
}

}  // namespace spikingbert::models
