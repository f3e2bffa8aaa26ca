#include "models/BertTeacher.hpp"

#include "models/Attention.hpp"
#include "models/Dropout.hpp"
#include "models/Embedding.hpp"
#include "models/Gelu.hpp"
#include "models/LayerNorm.hpp"
#include "models/Linear.hpp"
#include "models/Pooling.hpp"
#include "models/Tanh.hpp"

#include <algorithm>
#include <random>
#include <stdexcept>

namespace spikingbert::models {

namespace {

// Dropout sites, one independent mask stream each (Dropout.hpp derive_seed).
enum DropoutSite : std::uint64_t { kEmbeddingSite = 0, kAttentionSite = 1, kSelfOutputSite = 2, kOutputSite = 3,
                                   kPooledSite = 4, kSitesPerLayer = 8 };

std::uint64_t site_seed(std::uint64_t seed, std::int64_t layer, DropoutSite site) {
  return derive_seed(seed, static_cast<std::uint64_t>(layer + 1) * kSitesPerLayer + site);
}

// Draws a mask into `mask` (training) or leaves it empty (evaluation: dropout is the identity).
template <class Scalar>
void draw_mask(AlignedVector<Scalar>& mask, std::int64_t count, double probability, bool training,
               std::uint64_t seed) {
  if (!training || probability <= 0.0) {
    mask.clear();
    return;
  }
  mask.resize(count);
  dropout_mask(mask.data(), count, probability, seed);
}

template <class Scalar>
AlignedVector<Scalar>& sized(AlignedVector<Scalar>& buffer, std::int64_t count) {
  buffer.resize(count);
  return buffer;
}

// out = in * mask, or a copy when the mask is empty.
template <class Scalar>
void apply_mask(Scalar* out, const Scalar* in, const AlignedVector<Scalar>& mask, std::int64_t count) {
  if (mask.empty()) std::copy(in, in + count, out);
  else dropout_forward(out, in, mask.data(), count);
}

template <class Scalar>
void apply_mask_backward(Scalar* d_in, const Scalar* d_out, const AlignedVector<Scalar>& mask, std::int64_t count) {
  if (mask.empty()) {
    for (std::int64_t i = 0; i < count; ++i) d_in[i] += d_out[i];
  } else {
    dropout_backward(d_in, d_out, mask.data(), count);
  }
}

}  // namespace

template <class Scalar>
BertTeacher<Scalar>::BertTeacher(const io::ModelConfig& model_config, std::uint64_t seed) : config_(model_config) {
  config_.hidden_dropout_prob = config_.hidden_dropout_prob.value_or(kHuggingFaceDropout);
  config_.attention_probs_dropout_prob = config_.attention_probs_dropout_prob.value_or(kHuggingFaceDropout);
  const auto& config = config_;
  if (config.hidden_size % config.num_attention_heads != 0) {
    throw std::invalid_argument("BertTeacher: hidden_size must be a multiple of num_attention_heads");
  }
  const std::int64_t H = config.hidden_size, F = config.intermediate_size;
  word_ = add("bert.embeddings.word_embeddings.weight", {config.vocab_size, H});
  position_ = add("bert.embeddings.position_embeddings.weight", {config.max_position_embeddings, H});
  type_ = add("bert.embeddings.token_type_embeddings.weight", {config.type_vocab_size, H});
  embedding_norm_weight_ = add("bert.embeddings.LayerNorm.weight", {H});
  embedding_norm_bias_ = add("bert.embeddings.LayerNorm.bias", {H});
  for (std::int64_t l = 0; l < config.num_hidden_layers; ++l) {
    const std::string p = "bert.encoder.layer." + std::to_string(l) + ".";
    LayerIndex index{};
    index.query_weight = add(p + "attention.self.query.weight", {H, H});
    index.query_bias = add(p + "attention.self.query.bias", {H});
    index.key_weight = add(p + "attention.self.key.weight", {H, H});
    index.key_bias = add(p + "attention.self.key.bias", {H});
    index.value_weight = add(p + "attention.self.value.weight", {H, H});
    index.value_bias = add(p + "attention.self.value.bias", {H});
    index.self_output_weight = add(p + "attention.output.dense.weight", {H, H});
    index.self_output_bias = add(p + "attention.output.dense.bias", {H});
    index.self_norm_weight = add(p + "attention.output.LayerNorm.weight", {H});
    index.self_norm_bias = add(p + "attention.output.LayerNorm.bias", {H});
    index.intermediate_weight = add(p + "intermediate.dense.weight", {F, H});
    index.intermediate_bias = add(p + "intermediate.dense.bias", {F});
    index.output_weight = add(p + "output.dense.weight", {H, F});
    index.output_bias = add(p + "output.dense.bias", {H});
    index.output_norm_weight = add(p + "output.LayerNorm.weight", {H});
    index.output_norm_bias = add(p + "output.LayerNorm.bias", {H});
    layer_index_.push_back(index);
  }
  pooler_weight_ = add("bert.pooler.dense.weight", {H, H});
  pooler_bias_ = add("bert.pooler.dense.bias", {H});
  classifier_weight_ = add("classifier.weight", {config.num_labels, H});
  classifier_bias_ = add("classifier.bias", {config.num_labels});

  std::mt19937_64 generator(seed);
  std::normal_distribution<double> normal(0.0, config.initializer_range);
  for (auto& parameter : parameters_) {
    const bool is_norm = parameter.name.find("LayerNorm") != std::string::npos;
    const bool is_bias = parameter.name.size() >= 5 && parameter.name.compare(parameter.name.size() - 5, 5, ".bias") == 0;
    if (is_norm && !is_bias) std::fill(parameter.value.begin(), parameter.value.end(), Scalar(1));
    else if (is_bias) std::fill(parameter.value.begin(), parameter.value.end(), Scalar(0));
    else for (auto& v : parameter.value) v = static_cast<Scalar>(normal(generator));
  }
  if (config.pad_token_id >= 0 && config.pad_token_id < config.vocab_size) {
    auto& word = parameters_[word_].value;
    std::fill(word.begin() + config.pad_token_id * H, word.begin() + (config.pad_token_id + 1) * H, Scalar(0));
  }
}

template <class Scalar>
int BertTeacher<Scalar>::add(const std::string& name, std::vector<std::int64_t> shape) {
  std::int64_t count = 1;
  for (auto extent : shape) count *= extent;
  Parameter<Scalar> parameter;
  parameter.name = name;
  parameter.shape = std::move(shape);
  parameter.value.assign(count, Scalar(0));
  parameter.gradient.assign(count, Scalar(0));
  parameter.weight_decay = decays(name);
  parameters_.push_back(std::move(parameter));
  index_by_name_[name] = static_cast<int>(parameters_.size() - 1);
  return static_cast<int>(parameters_.size() - 1);
}

template <class Scalar>
Parameter<Scalar>& BertTeacher<Scalar>::parameter(const std::string& name) {
  const auto found = index_by_name_.find(name);
  if (found == index_by_name_.end()) throw std::out_of_range("BertTeacher: no parameter " + name);
  return parameters_[found->second];
}

template <class Scalar>
const Parameter<Scalar>& BertTeacher<Scalar>::parameter(const std::string& name) const {
  return const_cast<BertTeacher*>(this)->parameter(name);
}

template <class Scalar>
std::int64_t BertTeacher<Scalar>::parameter_count() const {
  std::int64_t count = 0;
  for (const auto& parameter : parameters_) count += parameter.size();
  return count;
}

template <class Scalar>
void BertTeacher<Scalar>::zero_gradients() {
  // The word table is by far the largest tensor and a batch touches few of its rows: only the rows the
  // backward passes since the last zeroing wrote to are cleared.
  for (std::size_t t = 0; t < parameters_.size(); ++t) {
    if (static_cast<int>(t) == word_) continue;
    std::fill(parameters_[t].gradient.begin(), parameters_[t].gradient.end(), Scalar(0));
  }
  auto& word = parameters_[word_].gradient;
  const std::int64_t H = config_.hidden_size;
  for (const auto token : touched_word_rows_) {
    std::fill(word.begin() + token * H, word.begin() + (token + 1) * H, Scalar(0));
  }
  touched_word_rows_.clear();
}

template <class Scalar>
void BertTeacher<Scalar>::forward(const TokenBatch& batch, BertTeacherActivations<Scalar>& a,
                                  const ForwardOptions& options) const {
  const auto& c = config_;
  const std::int64_t B = batch.batch, L = batch.sequence, N = batch.rows();
  const std::int64_t H = c.hidden_size, F = c.intermediate_size, heads = c.num_attention_heads;
  if (L > c.max_position_embeddings) throw std::invalid_argument("BertTeacher: sequence longer than max_position_embeddings");
  const bool training = options.training;
  a.batch = B;
  a.sequence = L;
  a.training = training;

  // Embeddings (method doc §1.2).
  a.embedding_sum.resize(N * H);
  a.embedding_norm.resize(N * H);
  a.embedding_mean.resize(N);
  a.embedding_rstd.resize(N);
  embedding_forward(a.embedding_sum.data(), batch.token_ids.data(), batch.segment_ids.data(), value(word_),
                    value(position_), value(type_), EmbeddingShape{B, L, H});
  layer_norm_forward(a.embedding_norm.data(), a.embedding_mean.data(), a.embedding_rstd.data(),
                     a.embedding_sum.data(), value(embedding_norm_weight_), value(embedding_norm_bias_), N, H,
                     c.layer_norm_eps);
  a.hidden_states.resize(c.num_hidden_layers + 1);
  a.hidden_states[0].resize(N * H);
  draw_mask(a.embedding_dropout, N * H, *c.hidden_dropout_prob, training,
            site_seed(options.dropout_seed, -1, kEmbeddingSite));
  apply_mask(a.hidden_states[0].data(), a.embedding_norm.data(), a.embedding_dropout, N * H);

  // Encoder layers.
  a.layers.resize(c.num_hidden_layers);
  const AttentionShape attention{B, L, H, heads};
  for (std::int64_t l = 0; l < c.num_hidden_layers; ++l) {
    const LayerIndex& p = layer_index_[l];
    auto& y = a.layers[l];
    const Scalar* input = a.hidden_states[l].data();
    for (auto* buffer : {&y.query, &y.key, &y.value, &y.context, &y.self_output, &y.self_residual,
                         &y.attention_output, &y.output, &y.output_residual}) {
      buffer->resize(N * H);
    }
    y.intermediate.resize(N * F);
    y.intermediate_gelu.resize(N * F);
    y.scores.resize(attention.score_count());
    y.probabilities.resize(attention.score_count());
    y.self_mean.resize(N);
    y.self_rstd.resize(N);
    y.output_mean.resize(N);
    y.output_rstd.resize(N);
    linear_forward(y.query.data(), input, value(p.query_weight), value(p.query_bias), N, H, H);
    linear_forward(y.key.data(), input, value(p.key_weight), value(p.key_bias), N, H, H);
    linear_forward(y.value.data(), input, value(p.value_weight), value(p.value_bias), N, H, H);
    draw_mask(y.attention_dropout, attention.score_count(), *c.attention_probs_dropout_prob, training,
              site_seed(options.dropout_seed, l, kAttentionSite));
    attention_forward(y.context.data(), y.scores.data(), y.probabilities.data(), y.query.data(), y.key.data(),
                      y.value.data(), batch.attention_mask.data(),
                      y.attention_dropout.empty() ? nullptr : y.attention_dropout.data(), attention);
    // Self output: LN(Drop(dense(context)) + input).
    linear_forward(y.self_output.data(), y.context.data(), value(p.self_output_weight), value(p.self_output_bias),
                   N, H, H);
    draw_mask(y.self_output_dropout, N * H, *c.hidden_dropout_prob, training,
              site_seed(options.dropout_seed, l, kSelfOutputSite));
    apply_mask(y.self_residual.data(), y.self_output.data(), y.self_output_dropout, N * H);
    for (std::int64_t i = 0; i < N * H; ++i) y.self_residual[i] += input[i];
    layer_norm_forward(y.attention_output.data(), y.self_mean.data(), y.self_rstd.data(), y.self_residual.data(),
                       value(p.self_norm_weight), value(p.self_norm_bias), N, H, c.layer_norm_eps);
    // Feed-forward: LN(Drop(dense(GELU(dense(a)))) + a).
    linear_forward(y.intermediate.data(), y.attention_output.data(), value(p.intermediate_weight),
                   value(p.intermediate_bias), N, H, F);
    gelu_forward(y.intermediate_gelu.data(), y.intermediate.data(), N * F);
    linear_forward(y.output.data(), y.intermediate_gelu.data(), value(p.output_weight), value(p.output_bias), N, F, H);
    draw_mask(y.output_dropout, N * H, *c.hidden_dropout_prob, training,
              site_seed(options.dropout_seed, l, kOutputSite));
    apply_mask(y.output_residual.data(), y.output.data(), y.output_dropout, N * H);
    for (std::int64_t i = 0; i < N * H; ++i) y.output_residual[i] += y.attention_output[i];
    a.hidden_states[l + 1].resize(N * H);
    layer_norm_forward(a.hidden_states[l + 1].data(), y.output_mean.data(), y.output_rstd.data(),
                       y.output_residual.data(), value(p.output_norm_weight), value(p.output_norm_bias), N, H,
                       c.layer_norm_eps);
  }

  // Head: pooled = tanh(dense(pool(h_L))); logits = classifier(Drop(pooled)).
  a.pooler_input.resize(B * H);
  a.pooler_dense.resize(B * H);
  a.pooled.resize(B * H);
  a.classifier_input.resize(B * H);
  a.logits.resize(B * c.num_labels);
  pooling_forward(a.pooler_input.data(), a.hidden_states.back().data(), batch.attention_mask.data(), B, L, H,
                  c.pooling);
  linear_forward(a.pooler_dense.data(), a.pooler_input.data(), value(pooler_weight_), value(pooler_bias_), B, H, H);
  tanh_forward(a.pooled.data(), a.pooler_dense.data(), B * H);
  draw_mask(a.pooled_dropout, B * H, *c.hidden_dropout_prob, training,
            site_seed(options.dropout_seed, -1, kPooledSite));
  apply_mask(a.classifier_input.data(), a.pooled.data(), a.pooled_dropout, B * H);
  linear_forward(a.logits.data(), a.classifier_input.data(), value(classifier_weight_), value(classifier_bias_), B,
                 H, c.num_labels);
}

template <class Scalar>
void BertTeacher<Scalar>::backward(const TokenBatch& batch, const BertTeacherActivations<Scalar>& a,
                                   const OutputGradients& g) {
  const auto& c = config_;
  const std::int64_t B = a.batch, L = a.sequence, N = B * L;
  const std::int64_t H = c.hidden_size, F = c.intermediate_size, heads = c.num_attention_heads;
  const AttentionShape attention{B, L, H, heads};
  auto extra_hidden = [&](std::size_t index) -> const Scalar* {
    return index < g.hidden_states.size() ? g.hidden_states[index] : nullptr;
  };

  // d hidden_states[L], starting with the head's contribution.
  auto& d_hidden = sized(scratch_.d_hidden, N * H);
  std::fill(d_hidden.begin(), d_hidden.end(), Scalar(0));
  if (g.logits != nullptr) {
    AlignedVector<Scalar> d_classifier_input(B * H, Scalar(0)), d_pooled(B * H, Scalar(0));
    AlignedVector<Scalar> d_pooler_dense(B * H, Scalar(0)), d_pooler_input(B * H, Scalar(0));
    linear_backward(d_classifier_input.data(), grad(classifier_weight_), grad(classifier_bias_), g.logits,
                    a.classifier_input.data(), value(classifier_weight_), B, H, c.num_labels);
    apply_mask_backward(d_pooled.data(), d_classifier_input.data(), a.pooled_dropout, B * H);
    tanh_backward(d_pooler_dense.data(), d_pooled.data(), a.pooled.data(), B * H);
    linear_backward(d_pooler_input.data(), grad(pooler_weight_), grad(pooler_bias_), d_pooler_dense.data(),
                    a.pooler_input.data(), value(pooler_weight_), B, H, H);
    pooling_backward(d_hidden.data(), d_pooler_input.data(), batch.attention_mask.data(), B, L, H, c.pooling);
  }

  // Scratch buffers live in the model so that training steps reuse their memory; each is filled before use.
  auto& d_residual = sized(scratch_.d_residual, N * H);
  auto& d_attention_output = sized(scratch_.d_attention_output, N * H);
  auto& d_intermediate = sized(scratch_.d_intermediate, N * F);
  auto& d_intermediate_gelu = sized(scratch_.d_intermediate_gelu, N * F);
  auto& d_output = sized(scratch_.d_output, N * H);
  auto& d_context = sized(scratch_.d_context, N * H);
  auto& d_self_output = sized(scratch_.d_self_output, N * H);
  auto& d_query = sized(scratch_.d_query, N * H);
  auto& d_key = sized(scratch_.d_key, N * H);
  auto& d_value = sized(scratch_.d_value, N * H);
  auto& d_input = sized(scratch_.d_input, N * H);
  for (std::int64_t l = c.num_hidden_layers - 1; l >= 0; --l) {
    const LayerIndex& p = layer_index_[l];
    const auto& y = a.layers[l];
    const Scalar* input = a.hidden_states[l].data();
    if (const Scalar* extra = extra_hidden(l + 1)) {
      for (std::int64_t i = 0; i < N * H; ++i) d_hidden[i] += extra[i];
    }
    // Output LayerNorm, residual to attention_output, dropout, dense, GELU, dense.
    std::fill(d_residual.begin(), d_residual.end(), Scalar(0));
    layer_norm_backward(d_residual.data(), grad(p.output_norm_weight), grad(p.output_norm_bias), d_hidden.data(),
                        y.output_residual.data(), y.output_mean.data(), y.output_rstd.data(),
                        value(p.output_norm_weight), N, H);
    std::copy(d_residual.begin(), d_residual.end(), d_attention_output.begin());
    std::fill(d_output.begin(), d_output.end(), Scalar(0));
    apply_mask_backward(d_output.data(), d_residual.data(), y.output_dropout, N * H);
    std::fill(d_intermediate_gelu.begin(), d_intermediate_gelu.end(), Scalar(0));
    linear_backward(d_intermediate_gelu.data(), grad(p.output_weight), grad(p.output_bias), d_output.data(),
                    y.intermediate_gelu.data(), value(p.output_weight), N, F, H);
    std::fill(d_intermediate.begin(), d_intermediate.end(), Scalar(0));
    gelu_backward(d_intermediate.data(), d_intermediate_gelu.data(), y.intermediate.data(), N * F);
    linear_backward(d_attention_output.data(), grad(p.intermediate_weight), grad(p.intermediate_bias),
                    d_intermediate.data(), y.attention_output.data(), value(p.intermediate_weight), N, H, F);
    // Self-output LayerNorm, residual to the layer input, dropout, dense.
    std::fill(d_residual.begin(), d_residual.end(), Scalar(0));
    layer_norm_backward(d_residual.data(), grad(p.self_norm_weight), grad(p.self_norm_bias),
                        d_attention_output.data(), y.self_residual.data(), y.self_mean.data(), y.self_rstd.data(),
                        value(p.self_norm_weight), N, H);
    std::copy(d_residual.begin(), d_residual.end(), d_input.begin());
    std::fill(d_self_output.begin(), d_self_output.end(), Scalar(0));
    apply_mask_backward(d_self_output.data(), d_residual.data(), y.self_output_dropout, N * H);
    std::fill(d_context.begin(), d_context.end(), Scalar(0));
    linear_backward(d_context.data(), grad(p.self_output_weight), grad(p.self_output_bias), d_self_output.data(),
                    y.context.data(), value(p.self_output_weight), N, H, H);
    // Attention and the three projections.
    std::fill(d_query.begin(), d_query.end(), Scalar(0));
    std::fill(d_key.begin(), d_key.end(), Scalar(0));
    std::fill(d_value.begin(), d_value.end(), Scalar(0));
    const Scalar* d_scores = static_cast<std::size_t>(l) < g.scores.size() ? g.scores[l] : nullptr;
    attention_backward(d_query.data(), d_key.data(), d_value.data(), d_context.data(), d_scores,
                       y.probabilities.data(), y.query.data(), y.key.data(), y.value.data(),
                       y.attention_dropout.empty() ? nullptr : y.attention_dropout.data(), attention);
    linear_backward(d_input.data(), grad(p.query_weight), grad(p.query_bias), d_query.data(), input,
                    value(p.query_weight), N, H, H);
    linear_backward(d_input.data(), grad(p.key_weight), grad(p.key_bias), d_key.data(), input, value(p.key_weight),
                    N, H, H);
    linear_backward(d_input.data(), grad(p.value_weight), grad(p.value_bias), d_value.data(), input,
                    value(p.value_weight), N, H, H);
    std::swap(d_hidden, d_input);
  }

  // Embeddings.
  if (const Scalar* extra = extra_hidden(0)) {
    for (std::int64_t i = 0; i < N * H; ++i) d_hidden[i] += extra[i];
  }
  auto& d_norm = d_residual;
  auto& d_sum = d_context;
  std::fill(d_norm.begin(), d_norm.end(), Scalar(0));
  std::fill(d_sum.begin(), d_sum.end(), Scalar(0));
  apply_mask_backward(d_norm.data(), d_hidden.data(), a.embedding_dropout, N * H);
  layer_norm_backward(d_sum.data(), grad(embedding_norm_weight_), grad(embedding_norm_bias_), d_norm.data(),
                      a.embedding_sum.data(), a.embedding_mean.data(), a.embedding_rstd.data(),
                      value(embedding_norm_weight_), N, H);
  touched_word_rows_.insert(touched_word_rows_.end(), batch.token_ids.begin(), batch.token_ids.end());
  embedding_backward(grad(word_), grad(position_), grad(type_), d_sum.data(), batch.token_ids.data(),
                     batch.segment_ids.data(), EmbeddingShape{B, L, H}, c.pad_token_id);
}

template class BertTeacher<float>;
template class BertTeacher<double>;

}  // namespace spikingbert::models
