#include "models/SpikingBertEquilibrium.hpp"

#include "io/Error.hpp"
#include "models/Attention.hpp"
#include "models/Dropout.hpp"
#include "models/Embedding.hpp"
#include "models/Gelu.hpp"
#include "models/LayerNorm.hpp"
#include "models/Linear.hpp"

#include <algorithm>
#include <random>
#include <stdexcept>

namespace spikingbert::models {

namespace {

// Dropout sites, one independent mask stream each (Dropout.hpp derive_seed); distinct from the teacher's.
enum EquilibriumDropoutSite : std::uint64_t { kEmbeddingSite = 0, kAttentionSite = 1, kSelfOutputSite = 2,
                                              kOutputSite = 3, kSitesPerLayer = 8 };
constexpr std::uint64_t kEquilibriumSeedSalt = 0x5B1C0DE5ULL;  // separates these streams from the teacher's

std::uint64_t site_seed(std::uint64_t seed, std::int64_t layer, EquilibriumDropoutSite site) {
  return derive_seed(seed ^ kEquilibriumSeedSalt, static_cast<std::uint64_t>(layer + 1) * kSitesPerLayer + site);
}

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
  initialise(seed);
}

template <class Scalar>
SpikingBertEquilibrium<Scalar>::SpikingBertEquilibrium(const io::ModelConfig& config,
                                                       const io::TensorMap& tensors, const std::string& source)
    : config_(config), sublayers_(config) {
  build();
  const std::string feedback = parameters_[feedback_weight_].name;
  // Parameters the file may lack (fit_dense, pooler, feedback) get the initialisation of initialise(), drawn
  // (seed 0, in parameter order) for them alone: every other value is overwritten below, and drawing the
  // whole model first (30k x H normal draws for the word table) was most of a process's start-up
  // (docs/scaling.md: each MPI rank pays it).
  Initialiser initialiser(0, config_.initializer_range);
  for (std::size_t t = 0; t < parameters_.size(); ++t)
    if (tensors.find(parameters_[t].name) == tensors.end()) initialise(t, initialiser);
  for (auto& parameter : parameters_) {
    const bool optional = parameter.name.rfind("fit_dense.", 0) == 0 || parameter.name.rfind("pooler_layer.", 0) == 0 ||
                          parameter.name == feedback;
    const auto found = tensors.find(parameter.name);
    if (found == tensors.end()) {
      if (optional) continue;
      throw io::InputError(source, "tensor '" + parameter.name + "'", "missing", "every SpikingBERT parameter");
    }
    if (found->second.shape != parameter.shape) {
      std::string expected = "shape [";
      for (std::size_t i = 0; i < parameter.shape.size(); ++i) {
        // Built with += : GCC 12 reports a false -Wrestrict on chained std::string operator+.
        if (i > 0) expected += ',';
        expected += std::to_string(parameter.shape[i]);
      }
      throw io::InputError(source, "tensor '" + parameter.name + "'", "wrong shape", expected + "]");
    }
    std::transform(found->second.values.begin(), found->second.values.end(), parameter.value.begin(),
                   [](float v) { return static_cast<Scalar>(v); });
  }
}

template <class Scalar>
int SpikingBertEquilibrium<Scalar>::add(const std::string& name, std::vector<std::int64_t> shape) {
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

// Names and shapes of the reference state dict (tests/data/tiny/config.json "parameter_roles").
template <class Scalar>
void SpikingBertEquilibrium<Scalar>::build() {
  const auto& c = config_;
  if (c.hidden_size % c.num_attention_heads != 0) {
    throw std::invalid_argument("SpikingBertEquilibrium: hidden_size must be a multiple of num_attention_heads");
  }
  const std::int64_t H = c.hidden_size;
  for (const auto& parameter : sublayers_.parameters()) add(parameter.name, parameter.shape);
  auto at = [&](const std::string& name) { return index_by_name_.at(name); };
  const auto& embedding = sublayers_[0];
  word_ = at("network_x.word_embeddings.weight");
  position_ = at("network_x.position_embeddings.weight");
  type_ = at("network_x.token_type_embeddings.weight");
  embedding_norm_weight_ = at(embedding.layer_norm + ".weight");
  embedding_norm_bias_ = at(embedding.layer_norm + ".bias");
  for (int k = 0; k < sublayers_.encoder_layers(); ++k) {
    auto linear = [&](SubLayerKind kind, int& weight, int& bias) {
      const auto& prefix = sublayers_[sublayers_.index(k, kind)].linear;
      weight = at(prefix + ".weight");
      bias = at(prefix + ".bias");
    };
    auto norm = [&](SubLayerKind kind, int& weight, int& bias) {
      const auto& prefix = sublayers_[sublayers_.index(k, kind)].layer_norm;
      weight = at(prefix + ".weight");
      bias = at(prefix + ".bias");
    };
    LayerIndex index{};
    linear(SubLayerKind::key, index.key_weight, index.key_bias);
    linear(SubLayerKind::value, index.value_weight, index.value_bias);
    linear(SubLayerKind::attention, index.query_weight, index.query_bias);
    linear(SubLayerKind::self_output, index.self_weight, index.self_bias);
    norm(SubLayerKind::self_output, index.self_norm_weight, index.self_norm_bias);
    linear(SubLayerKind::intermediate, index.intermediate_weight, index.intermediate_bias);
    linear(SubLayerKind::output, index.output_weight, index.output_bias);
    norm(SubLayerKind::output, index.output_norm_weight, index.output_norm_bias);
    layer_index_.push_back(index);
  }
  // The feedback SNNFC (last of the reference's network_s_list, no bias), unused by the reference.
  feedback_weight_ = at(sublayers_.feedback().weight.name);
  fit_dense_weight_ = add("fit_dense.weight", {c.fit_width(), H});
  fit_dense_bias_ = add("fit_dense.bias", {c.fit_width()});
  pooler_weight_ = add("pooler_layer.dense.weight", {H, H});
  pooler_bias_ = add("pooler_layer.dense.bias", {H});
  classifier_weight_ = add("classification.weight", {c.num_labels, H});
  classifier_bias_ = add("classification.bias", {c.num_labels});
}

template <class Scalar>
void SpikingBertEquilibrium<Scalar>::initialise(std::uint64_t seed) {
  Initialiser initialiser(seed, config_.initializer_range);
  for (std::size_t t = 0; t < parameters_.size(); ++t) initialise(t, initialiser);
}

template <class Scalar>
void SpikingBertEquilibrium<Scalar>::initialise(std::size_t t, Initialiser& initialiser) {
  auto& parameter = parameters_[t];
  const bool is_norm = parameter.name.find("LayerNorm") != std::string::npos;
  const bool is_bias = !decays(parameter.name) && !is_norm;
  if (static_cast<int>(t) == feedback_weight_) std::fill(parameter.value.begin(), parameter.value.end(), Scalar(0));
  else if (is_norm) std::fill(parameter.value.begin(), parameter.value.end(), parameter.name.ends_with(".bias") ? Scalar(0) : Scalar(1));
  else if (is_bias) std::fill(parameter.value.begin(), parameter.value.end(), Scalar(0));
  else for (auto& v : parameter.value) v = static_cast<Scalar>(initialiser.normal(initialiser.generator));
}

template <class Scalar>
Parameter<Scalar>& SpikingBertEquilibrium<Scalar>::parameter(const std::string& name) {
  const auto found = index_by_name_.find(name);
  if (found == index_by_name_.end()) throw std::out_of_range("SpikingBertEquilibrium: no parameter " + name);
  return parameters_[found->second];
}

template <class Scalar>
const Parameter<Scalar>& SpikingBertEquilibrium<Scalar>::parameter(const std::string& name) const {
  return const_cast<SpikingBertEquilibrium*>(this)->parameter(name);
}

template <class Scalar>
void SpikingBertEquilibrium<Scalar>::zero_gradients() {
  for (auto& parameter : parameters_) std::fill(parameter.gradient.begin(), parameter.gradient.end(), Scalar(0));
}

template <class Scalar>
io::TensorMap SpikingBertEquilibrium<Scalar>::tensors() const {
  io::TensorMap map;
  for (const auto& parameter : parameters_) {
    io::Tensor tensor;
    tensor.shape = parameter.shape;
    tensor.values.assign(parameter.value.begin(), parameter.value.end());
    map[parameter.name] = std::move(tensor);
  }
  return map;
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
    neuron.rates(a.rates[j].data(), a.currents[j].data(), N * sublayers_.width(static_cast<int>(j)));
    add_offset(a.rates[j], rate_offsets, j);
  };

  // a_0 = sigma(E(x)), E(x) = Drop(LN(word + type + pos)) (method doc §1.2, §4).
  a.embedding_sum.resize(N * H);
  a.embedding_norm.resize(N * H);
  a.embedding_mean.resize(N);
  a.embedding_rstd.resize(N);
  embedding_forward(a.embedding_sum.data(), batch.token_ids.data(), batch.segment_ids.data(), value(word_),
                    value(position_), value(type_), EmbeddingShape{B, L, H});
  layer_norm_forward(a.embedding_norm.data(), a.embedding_mean.data(), a.embedding_rstd.data(),
                     a.embedding_sum.data(), value(embedding_norm_weight_), value(embedding_norm_bias_), N, H,
                     c.layer_norm_eps);
  draw_mask(a.embedding_dropout, N * H, hidden_dropout(), training,
            site_seed(options.dropout_seed, -1, kEmbeddingSite));
  apply_mask(a.currents[0].data(), a.embedding_norm.data(), a.embedding_dropout, N * H);
  if (feedback_input != nullptr) {  // + y W_fb^T (feedback projection, docs/gradients.md)
    AlignedVector<Scalar> feedback(N * H);
    linear_forward(feedback.data(), feedback_input, value(feedback_weight_), static_cast<const Scalar*>(nullptr), N, H, H);
    for (std::int64_t i = 0; i < N * H; ++i) a.currents[0][i] += feedback[i];
  }
  sigma(0);

  a.layers.resize(c.num_hidden_layers);
  const AttentionShape attention{B, L, H, c.num_attention_heads};
  for (std::int64_t k = 0; k < c.num_hidden_layers; ++k) {
    const LayerIndex& p = layer_index_[k];
    auto& y = a.layers[k];
    const auto index = [&](SubLayerKind kind) { return static_cast<std::int64_t>(sublayers_.index(static_cast<int>(k), kind)); };
    const std::int64_t in = sublayers_.layer_input(static_cast<int>(k)), K = index(SubLayerKind::key),
                       V = index(SubLayerKind::value), A = index(SubLayerKind::attention),
                       SO = index(SubLayerKind::self_output), I = index(SubLayerKind::intermediate),
                       O = index(SubLayerKind::output);
    const Scalar* a_in = a.input_rates(in);
    // a_K, a_V (i%6 == 0, 1).
    linear_forward(a.currents[K].data(), a_in, value(p.key_weight), value(p.key_bias), N, H, H);
    sigma(K);
    linear_forward(a.currents[V].data(), a_in, value(p.value_weight), value(p.value_bias), N, H, H);
    sigma(V);
    // a_A (i%6 == 2): keys and values are the K and V rates themselves, Q is a real-valued projection.
    y.query.resize(N * H);
    y.scores.resize(attention.score_count());
    y.probabilities.resize(attention.score_count());
    linear_forward(y.query.data(), a_in, value(p.query_weight), value(p.query_bias), N, H, H);
    draw_mask(y.attention_dropout, attention.score_count(), attention_dropout(), training,
              site_seed(options.dropout_seed, k, kAttentionSite));
    attention_forward(a.currents[A].data(), y.scores.data(), y.probabilities.data(), y.query.data(),
                      a.input_rates(K), a.input_rates(V), batch.attention_mask.data(),
                      y.attention_dropout.empty() ? nullptr : y.attention_dropout.data(), attention);
    sigma(A);
    // a_SO = sigma(LN(Drop(W_SO a_A + b_SO) + a_in)) (i%6 == 3).
    for (auto* buffer : {&y.self_dense, &y.self_residual, &y.output_dense, &y.output_residual}) buffer->resize(N * H);
    for (auto* buffer : {&y.self_mean, &y.self_rstd, &y.output_mean, &y.output_rstd}) buffer->resize(N);
    linear_forward(y.self_dense.data(), a.input_rates(A), value(p.self_weight), value(p.self_bias), N, H, H);
    draw_mask(y.self_dropout, N * H, hidden_dropout(), training, site_seed(options.dropout_seed, k, kSelfOutputSite));
    apply_mask(y.self_residual.data(), y.self_dense.data(), y.self_dropout, N * H);
    for (std::int64_t i = 0; i < N * H; ++i) y.self_residual[i] += a_in[i];
    layer_norm_forward(a.currents[SO].data(), y.self_mean.data(), y.self_rstd.data(), y.self_residual.data(),
                       value(p.self_norm_weight), value(p.self_norm_bias), N, H, c.layer_norm_eps);
    sigma(SO);
    // a_I = sigma(GELU(W_I a_SO + b_I)) (i%6 == 4).
    y.intermediate.resize(N * F);
    linear_forward(y.intermediate.data(), a.input_rates(SO), value(p.intermediate_weight), value(p.intermediate_bias),
                   N, H, F);
    gelu_forward(a.currents[I].data(), y.intermediate.data(), N * F);
    sigma(I);
    // a_O = sigma(LN(Drop(W_O a_I + b_O) + a_SO)) (i%6 == 5).
    draw_mask(y.output_dropout, N * H, hidden_dropout(), training, site_seed(options.dropout_seed, k, kOutputSite));
    output_current(k, N, a.input_rates(I), a.input_rates(SO), y.output_dropout, y, a.currents[O].data());
    sigma(O);
  }
}

template <class Scalar>
void SpikingBertEquilibrium<Scalar>::output_current(std::int64_t k, std::int64_t N, const Scalar* a_i, const Scalar* a_so,
                                                    const AlignedVector<Scalar>& dropout,
                                                    typename EquilibriumActivations<Scalar>::Layer& y,
                                                    Scalar* current) const {
  const LayerIndex& p = layer_index_[k];
  const std::int64_t H = config_.hidden_size, F = config_.intermediate_size;
  for (auto* buffer : {&y.output_dense, &y.output_residual}) buffer->resize(N * H);
  for (auto* buffer : {&y.output_mean, &y.output_rstd}) buffer->resize(N);
  linear_forward(y.output_dense.data(), a_i, value(p.output_weight), value(p.output_bias), N, F, H);
  apply_mask(y.output_residual.data(), y.output_dense.data(), dropout, N * H);
  for (std::int64_t i = 0; i < N * H; ++i) y.output_residual[i] += a_so[i];
  layer_norm_forward(current, y.output_mean.data(), y.output_rstd.data(), y.output_residual.data(),
                     value(p.output_norm_weight), value(p.output_norm_bias), N, H, config_.layer_norm_eps);
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
  output_current(layer, rows, intermediate_rates, self_output_rates, {}, scratch.layer, scratch.current.data());
  neuron_model(config_).rates(rates, scratch.current.data(), count);  // sigma, method doc §4
}

template <class Scalar>
void SpikingBertEquilibrium<Scalar>::backward(const TokenBatch& batch, const EquilibriumActivations<Scalar>& a,
                                              const OutputGradients& g, bool accumulate_parameters) {
  const auto& c = config_;
  accumulating_ = accumulate_parameters;
  if (!accumulating_ && sink_matrix_.empty()) {
    std::int64_t matrix = 0, vector = 0;
    for (int t = 0; t < static_cast<int>(parameters_.size()); ++t) {
      if (t == word_ || t == position_ || t == type_) continue;  // the sweep stops above the embedding tables
      auto& largest = parameters_[t].shape.size() == 2 ? matrix : vector;
      largest = std::max(largest, parameters_[t].size());
    }
    sink_matrix_.assign(matrix, Scalar(0));
    sink_vector_.assign(vector, Scalar(0));
  }
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
  AlignedVector<Scalar> d_current, d_residual, d_dense, d_pre, d_query;
  // d current_j = sigma'(current_j) * u_j; for IF sigma' = 1/V_th on [0, V_th] inclusive (method doc §5.2).
  const sim::NeuronModel neuron = neuron_model(c);
  auto sigma_backward = [&](std::int64_t j) {
    const std::int64_t count = N * sublayers_.width(static_cast<int>(j));
    zeroed(d_current, count);
    neuron.rates_backward(d_current.data(), rate_adjoints_[j].data(), a.currents[j].data(), count);
  };
  for (std::int64_t k = c.num_hidden_layers - 1; k >= 0; --k) {
    const LayerIndex& p = layer_index_[k];
    const auto& y = a.layers[k];
    const auto index = [&](SubLayerKind kind) { return static_cast<std::int64_t>(sublayers_.index(static_cast<int>(k), kind)); };
    const std::int64_t in = sublayers_.layer_input(static_cast<int>(k)), K = index(SubLayerKind::key),
                       V = index(SubLayerKind::value), A = index(SubLayerKind::attention),
                       SO = index(SubLayerKind::self_output), I = index(SubLayerKind::intermediate),
                       O = index(SubLayerKind::output);
    // Output: LN, residual to a_SO, dropout, dense from a_I.
    sigma_backward(O);
    zeroed(d_residual, N * H);
    layer_norm_backward(d_residual.data(), grad(p.output_norm_weight), grad(p.output_norm_bias), d_current.data(),
                        y.output_residual.data(), y.output_mean.data(), y.output_rstd.data(),
                        value(p.output_norm_weight), N, H);
    for (std::int64_t i = 0; i < N * H; ++i) rate_adjoints_[SO][i] += d_residual[i];
    zeroed(d_dense, N * H);
    apply_mask_backward(d_dense.data(), d_residual.data(), y.output_dropout, N * H);
    linear_backward(rate_adjoints_[I].data(), grad(p.output_weight), grad(p.output_bias), d_dense.data(),
                    a.input_rates(I), value(p.output_weight), N, F, H);
    // Intermediate: GELU, dense from a_SO.
    sigma_backward(I);
    zeroed(d_pre, N * F);
    gelu_backward(d_pre.data(), d_current.data(), y.intermediate.data(), N * F);
    linear_backward(rate_adjoints_[SO].data(), grad(p.intermediate_weight), grad(p.intermediate_bias), d_pre.data(),
                    a.input_rates(SO), value(p.intermediate_weight), N, H, F);
    // Self output: LN, residual to a_in, dropout, dense from a_A.
    sigma_backward(SO);
    zeroed(d_residual, N * H);
    layer_norm_backward(d_residual.data(), grad(p.self_norm_weight), grad(p.self_norm_bias), d_current.data(),
                        y.self_residual.data(), y.self_mean.data(), y.self_rstd.data(), value(p.self_norm_weight),
                        N, H);
    for (std::int64_t i = 0; i < N * H; ++i) rate_adjoints_[in][i] += d_residual[i];
    zeroed(d_dense, N * H);
    apply_mask_backward(d_dense.data(), d_residual.data(), y.self_dropout, N * H);
    linear_backward(rate_adjoints_[A].data(), grad(p.self_weight), grad(p.self_bias), d_dense.data(),
                    a.input_rates(A), value(p.self_weight), N, H, H);
    // Attention: scores may also receive a distillation gradient; keys/values are the K/V rates.
    sigma_backward(A);
    zeroed(d_query, N * H);
    const Scalar* d_scores = static_cast<std::size_t>(k) < g.scores.size() ? g.scores[k] : nullptr;
    attention_backward(d_query.data(), rate_adjoints_[K].data(), rate_adjoints_[V].data(), d_current.data(), d_scores,
                       y.probabilities.data(), y.query.data(), a.input_rates(K), a.input_rates(V),
                       y.attention_dropout.empty() ? nullptr : y.attention_dropout.data(), attention);
    linear_backward(rate_adjoints_[in].data(), grad(p.query_weight), grad(p.query_bias), d_query.data(),
                    a.input_rates(in), value(p.query_weight), N, H, H);
    // Value and Key.
    sigma_backward(V);
    linear_backward(rate_adjoints_[in].data(), grad(p.value_weight), grad(p.value_bias), d_current.data(),
                    a.input_rates(in), value(p.value_weight), N, H, H);
    sigma_backward(K);
    linear_backward(rate_adjoints_[in].data(), grad(p.key_weight), grad(p.key_bias), d_current.data(),
                    a.input_rates(in), value(p.key_weight), N, H, H);
  }
  // Embedding population: sigma, the feedback projection, dropout, LN, tables.
  sigma_backward(0);
  if (a.feedback_input != nullptr) {
    zeroed(feedback_adjoint_, N * H);
    linear_backward(feedback_adjoint_.data(), grad(feedback_weight_), static_cast<Scalar*>(nullptr), d_current.data(),
                    a.feedback_input, value(feedback_weight_), N, H, H);
  } else {
    feedback_adjoint_.clear();
  }
  if (!accumulating_) {
    accumulating_ = true;
    return;
  }
  zeroed(d_residual, N * H);
  apply_mask_backward(d_residual.data(), d_current.data(), a.embedding_dropout, N * H);
  zeroed(d_dense, N * H);
  layer_norm_backward(d_dense.data(), grad(embedding_norm_weight_), grad(embedding_norm_bias_), d_residual.data(),
                      a.embedding_sum.data(), a.embedding_mean.data(), a.embedding_rstd.data(),
                      value(embedding_norm_weight_), N, H);
  embedding_backward(grad(word_), grad(position_), grad(type_), d_dense.data(), batch.token_ids.data(),
                     batch.segment_ids.data(), EmbeddingShape{B, L, H}, c.pad_token_id);
}

template <class Scalar>
void SpikingBertEquilibrium<Scalar>::classifier_forward(Scalar* logits, const Scalar* last_output,
                                                        std::int64_t batch, std::int64_t sequence) const {
  const std::int64_t H = config_.hidden_size;
  AlignedVector<Scalar> first(batch * H);
  for (std::int64_t b = 0; b < batch; ++b) {
    for (std::int64_t i = 0; i < H; ++i) first[b * H + i] = std::max(last_output[b * sequence * H + i], Scalar(0));
  }
  linear_forward(logits, first.data(), value(classifier_weight_), value(classifier_bias_), batch, H, config_.num_labels);
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
  linear_backward(d_first.data(), grad(classifier_weight_), grad(classifier_bias_), d_logits, first.data(),
                  value(classifier_weight_), batch, H, config_.num_labels);
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
  linear_forward(out, rates, value(fit_dense_weight_), value(fit_dense_bias_), rows, H, config_.fit_width());
}

template <class Scalar>
void SpikingBertEquilibrium<Scalar>::fit_dense_backward(Scalar* d_rates, const Scalar* d_out, const Scalar* rates,
                                                        std::int64_t rows) {
  const std::int64_t H = config_.hidden_size;
  linear_backward(d_rates, grad(fit_dense_weight_), grad(fit_dense_bias_), d_out, rates, value(fit_dense_weight_),
                  rows, H, config_.fit_width());
}

template class SpikingBertEquilibrium<float>;
template class SpikingBertEquilibrium<double>;

}  // namespace spikingbert::models
