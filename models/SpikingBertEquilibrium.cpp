#include "models/SpikingBertEquilibrium.hpp"

#include "io/Error.hpp"

#include <algorithm>
#include <stdexcept>

namespace spikingbert::models {

namespace {

// Separates the map's dropout streams (models/Dropout.hpp site_seed) from the teacher's.
constexpr std::uint64_t kEquilibriumSeedSalt = 0x5B1C0DE5ULL;

template <class Scalar>
void zeroed(AlignedVector<Scalar>& buffer, std::int64_t count) {
  buffer.assign(count, Scalar(0));
}

template <class Scalar>
void add_offset(AlignedVector<Scalar>& rates, const std::vector<const Scalar*>& offsets, std::int64_t population) {
  if (static_cast<std::size_t>(population) >= offsets.size() || offsets[population] == nullptr) return;
  for (std::size_t i = 0; i < rates.size(); ++i) rates[i] += offsets[population][i];
}

}  // namespace

template <class Scalar>
SpikingBertEquilibrium<Scalar>::SpikingBertEquilibrium(const io::ModelConfig& config, std::uint64_t seed)
    : config_(config), sublayers_(config) {
  build();
  HuggingFaceInitialiser initialise(seed, config_.initializer_range);
  for (int t = 0; t < static_cast<int>(store_.parameters().size()); ++t)
    if (t != feedback_.weight) initialise(store_[t]);  // the feedback weight stays 0 (disabled, method doc §1.1)
}

template <class Scalar>
SpikingBertEquilibrium<Scalar>::SpikingBertEquilibrium(const io::ModelConfig& config,
                                                       const io::TensorMap& tensors, const std::string& source)
    : config_(config), sublayers_(config) {
  build();
  const std::string& feedback = feedback_weight_name();
  // Parameters the file may lack (fit_dense, pooler, feedback) get the random initialisation, drawn (seed 0, in
  // parameter order) for them alone: drawing the whole model first (30k x H normal draws for the word table) was
  // most of a process's start-up (docs/scaling.md: each MPI rank pays it).
  const auto optional = [&](const std::string& name) {
    return name.starts_with("fit_dense.") || name.starts_with("pooler_layer.") || name == feedback;
  };
  HuggingFaceInitialiser initialise(0, config_.initializer_range);
  for (auto& parameter : store_.parameters())
    if (parameter.name != feedback && optional(parameter.name) && !tensors.count(parameter.name)) initialise(parameter);
  store_.load(tensors, source, optional);
}

// Names and shapes of the reference state dict (tests/data/tiny/config.json "parameter_roles").
template <class Scalar>
void SpikingBertEquilibrium<Scalar>::build() {
  const auto& c = config_;
  if (c.hidden_size % c.num_attention_heads != 0) {
    throw std::invalid_argument("SpikingBertEquilibrium: hidden_size must be a multiple of num_attention_heads");
  }
  const std::int64_t H = c.hidden_size;
  for (const auto& parameter : sublayers_.parameters()) store_.add(parameter.name, parameter.shape);
  auto at = [&](const std::string& name) { return store_.index(name); };
  auto norm_of = [&](const SubLayer& sublayer) {
    return NormSlots{at(sublayer.layer_norm + ".weight"), at(sublayer.layer_norm + ".bias")};
  };
  const auto& embedding = sublayers_[0];
  embedding_.word = at("network_x.word_embeddings.weight");
  embedding_.position = at("network_x.position_embeddings.weight");
  embedding_.type = at("network_x.token_type_embeddings.weight");
  embedding_.norm = norm_of(embedding);
  for (int k = 0; k < sublayers_.encoder_layers(); ++k) {
    EncoderLayerSlots slots;
    for (const auto& sublayer : sublayers_) {
      if (sublayer.layer != k) continue;
      slots.linear(sublayer.kind) = {at(sublayer.linear + ".weight"), at(sublayer.linear + ".bias")};
      if (!sublayer.layer_norm.empty()) slots.norm(sublayer.kind) = norm_of(sublayer);
    }
    layers_.push_back(slots);
  }
  // The feedback SNNFC (last of the reference's network_s_list, no bias), unused by the reference.
  feedback_.weight = at(sublayers_.feedback().weight.name);
  fit_dense_ = {store_.add("fit_dense.weight", {c.fit_width(), H}), store_.add("fit_dense.bias", {c.fit_width()})};
  pooler_ = {store_.add("pooler_layer.dense.weight", {H, H}), store_.add("pooler_layer.dense.bias", {H})};
  classifier_ = {store_.add("classification.weight", {c.num_labels, H}), store_.add("classification.bias", {c.num_labels})};
}

template <class Scalar>
void SpikingBertEquilibrium<Scalar>::forward(const TokenBatch& batch, EquilibriumActivations<Scalar>& a,
                                             const EquilibriumOptions& options,
                                             const std::vector<const Scalar*>& given_rates,
                                             const std::vector<const Scalar*>& rate_offsets,
                                             const Scalar* feedback_input) const {
  const auto& c = config_;
  const std::int64_t B = batch.batch, L = batch.sequence, N = batch.rows();
  const std::int64_t H = c.hidden_size, F = c.intermediate_size;
  if (L > c.max_position_embeddings) {
    throw std::invalid_argument("SpikingBertEquilibrium: sequence longer than max_position_embeddings");
  }
  if (!given_rates.empty() && static_cast<std::int64_t>(given_rates.size()) != sublayers_.size()) {
    throw std::invalid_argument("SpikingBertEquilibrium: given_rates needs one entry per population");
  }
  const bool training = options.training;
  const std::uint64_t seed = options.dropout_seed ^ kEquilibriumSeedSalt;
  a.batch = B;
  a.sequence = L;
  a.given_rates = given_rates;
  a.feedback_input = feedback_input;
  a.currents.resize(sublayers_.size());
  a.rates.resize(sublayers_.size());
  for (std::int64_t j = 0; j < sublayers_.size(); ++j) {
    a.currents[j].resize(N * sublayers_.width(static_cast<int>(j)));
    a.rates[j].resize(N * sublayers_.width(static_cast<int>(j)));
  }
  const sim::NeuronModel neuron = neuron_model(c);
  auto sigma = [&](std::int64_t j) {  // a_j = sigma(current_j): clamp(current_j / V_th, 0, 1) for IF, method doc §4
    Scalar* rates = a.rates[j].data();
    const Scalar* currents = a.currents[j].data();
    for_each_chunk(N * sublayers_.width(static_cast<int>(j)), kElementsPerChunk,
                   [&](std::int64_t begin, std::int64_t end) { neuron.rates(rates + begin, currents + begin, end - begin); });
    add_offset(a.rates[j], rate_offsets, j);
  };

  // a_0 = sigma(E(x) + y W_fb^T), E(x) = Drop(LN(word + type + pos)) (method doc §1.2, §4; feedback docs/gradients.md).
  embedding_block_forward(a.currents[0].data(), a.embedding, batch, store_, embedding_, H, c.layer_norm_eps,
                          hidden_dropout(), training, site_seed(seed, -1, kEmbeddingSite));
  if (feedback_input != nullptr) {
    AlignedVector<Scalar> feedback(N * H);
    linear_block_forward(feedback.data(), feedback_input, store_, feedback_, N, H, H);
    for (std::int64_t i = 0; i < N * H; ++i) a.currents[0][i] += feedback[i];
  }
  sigma(0);

  // The teacher's encoder layer with sigma after every sub-layer; keys and values are the K and V rates.
  a.layers.resize(c.num_hidden_layers);
  const AttentionShape attention{B, L, H, c.num_attention_heads};
  for (std::int64_t k = 0; k < c.num_hidden_layers; ++k) {
    const EncoderLayerSlots& p = layers_[k];
    auto& y = a.layers[k];
    const auto index = [&](SubLayerKind kind) { return static_cast<std::int64_t>(sublayers_.index(static_cast<int>(k), kind)); };
    const std::int64_t in = sublayers_.layer_input(static_cast<int>(k)), K = index(SubLayerKind::key),
                       V = index(SubLayerKind::value), A = index(SubLayerKind::attention),
                       SO = index(SubLayerKind::self_output), I = index(SubLayerKind::intermediate),
                       O = index(SubLayerKind::output);
    const Scalar* a_in = a.input_rates(in);
    linear_block_forward(a.currents[K].data(), a_in, store_, p.key, N, H, H);
    sigma(K);
    linear_block_forward(a.currents[V].data(), a_in, store_, p.value, N, H, H);
    sigma(V);
    attention_block_forward(a.currents[A].data(), y, a_in, a.input_rates(K), a.input_rates(V), batch, store_, p.query,
                            attention, attention_dropout(), training, site_seed(seed, k, kAttentionSite));
    sigma(A);
    residual_norm_forward(a.currents[SO].data(), y.self_output, a.input_rates(A), a_in, store_, p.self_output,
                          p.self_norm, N, H, H, c.layer_norm_eps, hidden_dropout(), training,
                          site_seed(seed, k, kSelfOutputSite));
    sigma(SO);
    gelu_block_forward(a.currents[I].data(), y.intermediate, a.input_rates(SO), store_, p.intermediate, N, H, F);
    sigma(I);
    residual_norm_forward(a.currents[O].data(), y.output, a.input_rates(I), a.input_rates(SO), store_, p.output,
                          p.output_norm, N, F, H, c.layer_norm_eps, hidden_dropout(), training,
                          site_seed(seed, k, kOutputSite));
    sigma(O);
  }
}

template <class Scalar>
void SpikingBertEquilibrium<Scalar>::output_sublayer_forward(std::int64_t layer, std::int64_t rows,
                                                             const Scalar* intermediate_rates,
                                                             const Scalar* self_output_rates,
                                                             OutputSublayerScratch& scratch, Scalar* rates) const {
  if (layer < 0 || layer >= config_.num_hidden_layers)
    throw std::invalid_argument("SpikingBertEquilibrium: output_sublayer_forward: no such encoder layer");
  const std::int64_t count = rows * config_.hidden_size;
  scratch.current.resize(count);
  const EncoderLayerSlots& p = layers_[layer];
  residual_norm_forward(scratch.current.data(), scratch.output, intermediate_rates, self_output_rates, store_, p.output,
                        p.output_norm, rows, config_.intermediate_size, config_.hidden_size, config_.layer_norm_eps, 0.0,
                        false, 0);
  neuron_model(config_).rates(rates, scratch.current.data(), count);  // sigma, method doc §4
}

template <class Scalar>
void SpikingBertEquilibrium<Scalar>::backward(const TokenBatch& batch, const EquilibriumActivations<Scalar>& a,
                                              const OutputGradients& g, bool accumulate_parameters) {
  const auto& c = config_;
  store_.discard_gradients(!accumulate_parameters);
  const std::int64_t B = a.batch, L = a.sequence, N = B * L;
  const std::int64_t H = c.hidden_size, F = c.intermediate_size;
  const AttentionShape attention{B, L, H, c.num_attention_heads};
  // u_j: adjoint of population j's rate, seeded with the incoming gradient; consumers add to it below.
  rate_adjoints_.resize(sublayers_.size());
  for (std::int64_t j = 0; j < sublayers_.size(); ++j) {
    auto& u = rate_adjoints_[j];
    const std::int64_t count = N * sublayers_.width(static_cast<int>(j));
    if (static_cast<std::size_t>(j) < g.rates.size() && g.rates[j] != nullptr) u.assign(g.rates[j], g.rates[j] + count);
    else zeroed(u, count);
  }
  AlignedVector<Scalar> d_current;
  // d current_j = sigma'(current_j) * u_j; for IF sigma' = 1/V_th on [0, V_th] inclusive (method doc §5.2).
  const sim::NeuronModel neuron = neuron_model(c);
  auto sigma_backward = [&](std::int64_t j) {
    const std::int64_t count = N * sublayers_.width(static_cast<int>(j));
    d_current.resize(count);
    Scalar* d = d_current.data();
    const Scalar* u = rate_adjoints_[j].data();
    const Scalar* currents = a.currents[j].data();
    for_each_chunk(count, kElementsPerChunk, [&](std::int64_t begin, std::int64_t end) {
      std::fill(d + begin, d + end, Scalar(0));
      neuron.rates_backward(d + begin, u + begin, currents + begin, end - begin);
    });
  };
  for (std::int64_t k = c.num_hidden_layers - 1; k >= 0; --k) {
    const EncoderLayerSlots& p = layers_[k];
    const auto& y = a.layers[k];
    const auto index = [&](SubLayerKind kind) { return static_cast<std::int64_t>(sublayers_.index(static_cast<int>(k), kind)); };
    const std::int64_t in = sublayers_.layer_input(static_cast<int>(k)), K = index(SubLayerKind::key),
                       V = index(SubLayerKind::value), A = index(SubLayerKind::attention),
                       SO = index(SubLayerKind::self_output), I = index(SubLayerKind::intermediate),
                       O = index(SubLayerKind::output);
    sigma_backward(O);
    residual_norm_backward(rate_adjoints_[I].data(), rate_adjoints_[SO].data(), d_current.data(), y.output,
                           a.input_rates(I), store_, p.output, p.output_norm, N, F, H, scratch_);
    sigma_backward(I);
    gelu_block_backward(rate_adjoints_[SO].data(), d_current.data(), y.intermediate, a.input_rates(SO), store_,
                        p.intermediate, N, H, F, scratch_);
    sigma_backward(SO);
    residual_norm_backward(rate_adjoints_[A].data(), rate_adjoints_[in].data(), d_current.data(), y.self_output,
                           a.input_rates(A), store_, p.self_output, p.self_norm, N, H, H, scratch_);
    // Attention: scores may also receive a distillation gradient; keys/values are the K/V rates.
    sigma_backward(A);
    const Scalar* d_scores = static_cast<std::size_t>(k) < g.scores.size() ? g.scores[k] : nullptr;
    attention_block_backward(rate_adjoints_[in].data(), rate_adjoints_[K].data(), rate_adjoints_[V].data(),
                             d_current.data(), d_scores, y, a.input_rates(in), a.input_rates(K), a.input_rates(V),
                             store_, p.query, attention, scratch_);
    sigma_backward(V);
    linear_block_backward(rate_adjoints_[in].data(), d_current.data(), a.input_rates(in), store_, p.value, N, H, H);
    sigma_backward(K);
    linear_block_backward(rate_adjoints_[in].data(), d_current.data(), a.input_rates(in), store_, p.key, N, H, H);
  }
  // Embedding population: sigma, the feedback projection, then (accumulating) dropout, LN, tables.
  sigma_backward(0);
  if (a.feedback_input != nullptr) {
    zeroed(feedback_adjoint_, N * H);
    linear_block_backward(feedback_adjoint_.data(), d_current.data(), a.feedback_input, store_, feedback_, N, H, H);
  } else {
    feedback_adjoint_.clear();
  }
  store_.discard_gradients(false);
  if (!accumulate_parameters) return;
  embedding_block_backward(d_current.data(), a.embedding, batch, store_, embedding_, H, c.pad_token_id, scratch_);
}

template <class Scalar>
void SpikingBertEquilibrium<Scalar>::classifier_forward(Scalar* logits, const Scalar* last_output,
                                                        std::int64_t batch, std::int64_t sequence) const {
  const std::int64_t H = config_.hidden_size;
  AlignedVector<Scalar> first(batch * H);
  for (std::int64_t b = 0; b < batch; ++b) {
    for (std::int64_t i = 0; i < H; ++i) first[b * H + i] = std::max(last_output[b * sequence * H + i], Scalar(0));
  }
  linear_block_forward(logits, first.data(), store_, classifier_, batch, H, config_.num_labels);
}

template <class Scalar>
void SpikingBertEquilibrium<Scalar>::classifier_backward(Scalar* d_last_output, const Scalar* d_logits,
                                                         const Scalar* last_output, std::int64_t batch,
                                                         std::int64_t sequence) {
  const std::int64_t H = config_.hidden_size;
  AlignedVector<Scalar> first(batch * H), d_first(batch * H, Scalar(0));
  for (std::int64_t b = 0; b < batch; ++b) {
    for (std::int64_t i = 0; i < H; ++i) first[b * H + i] = std::max(last_output[b * sequence * H + i], Scalar(0));
  }
  linear_block_backward(d_first.data(), d_logits, first.data(), store_, classifier_, batch, H, config_.num_labels);
  if (d_last_output == nullptr) return;
  for (std::int64_t b = 0; b < batch; ++b) {
    for (std::int64_t i = 0; i < H; ++i) {
      // ReLU'(0) = 0: an ASR of exactly 0 passes no gradient (tests/data/tiny/README.md §8).
      if (last_output[b * sequence * H + i] > Scalar(0)) d_last_output[b * sequence * H + i] += d_first[b * H + i];
    }
  }
}

template <class Scalar>
void SpikingBertEquilibrium<Scalar>::fit_dense_forward(Scalar* out, const Scalar* rates, std::int64_t rows) const {
  const std::int64_t H = config_.hidden_size;
  linear_block_forward(out, rates, store_, fit_dense_, rows, H, config_.fit_width());
}

template <class Scalar>
void SpikingBertEquilibrium<Scalar>::fit_dense_backward(Scalar* d_rates, const Scalar* d_out, const Scalar* rates,
                                                        std::int64_t rows) {
  const std::int64_t H = config_.hidden_size;
  linear_block_backward(d_rates, d_out, rates, store_, fit_dense_, rows, H, config_.fit_width());
}

template class SpikingBertEquilibrium<float>;
template class SpikingBertEquilibrium<double>;

}  // namespace spikingbert::models
