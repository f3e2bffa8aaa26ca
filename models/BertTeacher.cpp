#include "models/BertTeacher.hpp"

#include "models/Pooling.hpp"
#include "models/Tanh.hpp"

#include <algorithm>
#include <stdexcept>

namespace spikingbert::models {

namespace {

template <class Scalar>
AlignedVector<Scalar>& zeroed(AlignedVector<Scalar>& buffer, std::int64_t count) {
  buffer.assign(count, Scalar(0));
  return buffer;
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
  auto linear = [&](const std::string& prefix, std::int64_t outputs, std::int64_t inputs) {
    return LinearSlots{store_.add(prefix + ".weight", {outputs, inputs}), store_.add(prefix + ".bias", {outputs})};
  };
  auto norm = [&](const std::string& prefix) {
    return NormSlots{store_.add(prefix + ".weight", {H}), store_.add(prefix + ".bias", {H})};
  };
  embedding_.word = store_.add("bert.embeddings.word_embeddings.weight", {config.vocab_size, H});
  embedding_.position = store_.add("bert.embeddings.position_embeddings.weight", {config.max_position_embeddings, H});
  embedding_.type = store_.add("bert.embeddings.token_type_embeddings.weight", {config.type_vocab_size, H});
  embedding_.norm = norm("bert.embeddings.LayerNorm");
  for (std::int64_t l = 0; l < config.num_hidden_layers; ++l) {
    EncoderLayerSlots slots;
    for (const auto& [module, kind, is_norm] : kHuggingFaceLayerModules) {
      const std::string prefix = hugging_face_layer_prefix(l) + module;
      if (is_norm) {
        slots.norm(kind) = norm(prefix);
        continue;
      }
      const std::int64_t outputs = kind == SubLayerKind::intermediate ? F : H;
      const std::int64_t inputs = kind == SubLayerKind::output ? F : H;
      slots.linear(kind) = linear(prefix, outputs, inputs);
    }
    layers_.push_back(slots);
  }
  pooler_ = linear("bert.pooler.dense", H, H);
  classifier_ = linear("classifier", config.num_labels, H);

  HuggingFaceInitialiser initialise(seed, config.initializer_range);
  for (auto& parameter : store_.parameters()) initialise(parameter);
  if (config.pad_token_id >= 0 && config.pad_token_id < config.vocab_size) {
    auto& word = store_[embedding_.word].value;
    std::fill(word.begin() + config.pad_token_id * H, word.begin() + (config.pad_token_id + 1) * H, Scalar(0));
  }
}

template <class Scalar>
void BertTeacher<Scalar>::zero_gradients() {
  // The word table is by far the largest tensor and a batch touches few of its rows: only the rows the
  // backward passes since the last zeroing wrote to are cleared.
  auto& parameters = store_.parameters();
  for (std::size_t t = 0; t < parameters.size(); ++t) {
    if (static_cast<int>(t) == embedding_.word) continue;
    std::fill(parameters[t].gradient.begin(), parameters[t].gradient.end(), Scalar(0));
  }
  auto& word = parameters[embedding_.word].gradient;
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
  const double hidden_dropout = *c.hidden_dropout_prob, attention_dropout = *c.attention_probs_dropout_prob;
  const std::uint64_t seed = options.dropout_seed;
  a.batch = B;
  a.sequence = L;
  a.training = training;

  a.hidden_states.resize(c.num_hidden_layers + 1);
  a.hidden_states[0].resize(N * H);
  embedding_block_forward(a.hidden_states[0].data(), a.embedding, batch, store_, embedding_, H, c.layer_norm_eps,
                          hidden_dropout, training, site_seed(seed, -1, kEmbeddingSite));

  // Encoder layers: a = LN(Drop(W_SO Attn(h) + b_SO) + h);  h' = LN(Drop(W_O GELU(W_I a + b_I) + b_O) + a).
  a.layers.resize(c.num_hidden_layers);
  const AttentionShape attention{B, L, H, heads};
  for (std::int64_t l = 0; l < c.num_hidden_layers; ++l) {
    const EncoderLayerSlots& p = layers_[l];
    auto& y = a.layers[l];
    const Scalar* input = a.hidden_states[l].data();
    for (auto* buffer : {&y.key, &y.value, &y.context, &y.attention_output}) buffer->resize(N * H);
    y.intermediate_gelu.resize(N * F);
    a.hidden_states[l + 1].resize(N * H);
    linear_block_forward(y.key.data(), input, store_, p.key, N, H, H);
    linear_block_forward(y.value.data(), input, store_, p.value, N, H, H);
    attention_block_forward(y.context.data(), y, input, y.key.data(), y.value.data(), batch, store_, p.query,
                            attention, attention_dropout, training, site_seed(seed, l, kAttentionSite));
    residual_norm_forward(y.attention_output.data(), y.self_output, y.context.data(), input, store_, p.self_output,
                          p.self_norm, N, H, H, c.layer_norm_eps, hidden_dropout, training,
                          site_seed(seed, l, kSelfOutputSite));
    gelu_block_forward(y.intermediate_gelu.data(), y.intermediate, y.attention_output.data(), store_, p.intermediate, N,
                       H, F);
    residual_norm_forward(a.hidden_states[l + 1].data(), y.output, y.intermediate_gelu.data(), y.attention_output.data(),
                          store_, p.output, p.output_norm, N, F, H, c.layer_norm_eps, hidden_dropout, training,
                          site_seed(seed, l, kOutputSite));
  }

  // Head: pooled = tanh(dense(pool(h_L))); logits = classifier(Drop(pooled)).
  a.pooler_input.resize(B * H);
  a.pooler_dense.resize(B * H);
  a.pooled.resize(B * H);
  a.classifier_input.resize(B * H);
  a.logits.resize(B * c.num_labels);
  pooling_forward(a.pooler_input.data(), a.hidden_states.back().data(), batch.attention_mask.data(), B, L, H,
                  c.pooling);
  linear_block_forward(a.pooler_dense.data(), a.pooler_input.data(), store_, pooler_, B, H, H);
  tanh_forward(a.pooled.data(), a.pooler_dense.data(), B * H);
  draw_mask(a.pooled_dropout, B * H, hidden_dropout, training, site_seed(seed, -1, kPooledSite));
  apply_mask(a.classifier_input.data(), a.pooled.data(), a.pooled_dropout, B * H);
  linear_block_forward(a.logits.data(), a.classifier_input.data(), store_, classifier_, B, H, c.num_labels);
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
  auto& d_hidden = zeroed(scratch_.d_hidden, N * H);
  if (g.logits != nullptr) {
    AlignedVector<Scalar> d_classifier_input(B * H, Scalar(0)), d_pooled(B * H, Scalar(0));
    AlignedVector<Scalar> d_pooler_dense(B * H, Scalar(0)), d_pooler_input(B * H, Scalar(0));
    linear_block_backward(d_classifier_input.data(), g.logits, a.classifier_input.data(), store_, classifier_, B, H,
                          c.num_labels);
    apply_mask_backward(d_pooled.data(), d_classifier_input.data(), a.pooled_dropout, B * H);
    tanh_backward(d_pooler_dense.data(), d_pooled.data(), a.pooled.data(), B * H);
    linear_block_backward(d_pooler_input.data(), d_pooler_dense.data(), a.pooler_input.data(), store_, pooler_, B, H, H);
    pooling_backward(d_hidden.data(), d_pooler_input.data(), batch.attention_mask.data(), B, L, H, c.pooling);
  }

  // Scratch buffers live in the model so that training steps reuse their memory.
  auto& block = scratch_.block;
  for (std::int64_t l = c.num_hidden_layers - 1; l >= 0; --l) {
    const EncoderLayerSlots& p = layers_[l];
    const auto& y = a.layers[l];
    const Scalar* input = a.hidden_states[l].data();
    if (const Scalar* extra = extra_hidden(l + 1)) {
      for (std::int64_t i = 0; i < N * H; ++i) d_hidden[i] += extra[i];
    }
    auto& d_attention_output = zeroed(scratch_.d_attention_output, N * H);
    auto& d_intermediate_gelu = zeroed(scratch_.d_intermediate_gelu, N * F);
    residual_norm_backward(d_intermediate_gelu.data(), d_attention_output.data(), d_hidden.data(), y.output,
                           y.intermediate_gelu.data(), store_, p.output, p.output_norm, N, F, H, block);
    gelu_block_backward(d_attention_output.data(), d_intermediate_gelu.data(), y.intermediate, y.attention_output.data(),
                        store_, p.intermediate, N, H, F, block);
    auto& d_input = zeroed(scratch_.d_input, N * H);
    auto& d_context = zeroed(scratch_.d_context, N * H);
    residual_norm_backward(d_context.data(), d_input.data(), d_attention_output.data(), y.self_output, y.context.data(),
                           store_, p.self_output, p.self_norm, N, H, H, block);
    auto& d_key = zeroed(scratch_.d_key, N * H);
    auto& d_value = zeroed(scratch_.d_value, N * H);
    const Scalar* d_scores = static_cast<std::size_t>(l) < g.scores.size() ? g.scores[l] : nullptr;
    attention_block_backward(d_input.data(), d_key.data(), d_value.data(), d_context.data(), d_scores, y, input,
                             y.key.data(), y.value.data(), store_, p.query, attention, block);
    linear_block_backward(d_input.data(), d_key.data(), input, store_, p.key, N, H, H);
    linear_block_backward(d_input.data(), d_value.data(), input, store_, p.value, N, H, H);
    std::swap(d_hidden, d_input);
  }

  // Embeddings.
  if (const Scalar* extra = extra_hidden(0)) {
    for (std::int64_t i = 0; i < N * H; ++i) d_hidden[i] += extra[i];
  }
  touched_word_rows_.insert(touched_word_rows_.end(), batch.token_ids.begin(), batch.token_ids.end());
  embedding_block_backward(d_hidden.data(), a.embedding, batch, store_, embedding_, H, c.pad_token_id, block);
}

template class BertTeacher<float>;
template class BertTeacher<double>;

}  // namespace spikingbert::models
