#pragma once
// The steady-state ("equivalent") map of SpikingBERT, the analog network the student is trained through
// (method doc §4; tests/data/tiny/README.md §9). With sigma(v) = clamp(v / V_th, 0, 1), the T -> infinity rate
// of an IF neuron with subtractive reset driven by a mean current v (for LIF and refractory neurons sigma is
// their own rate, sim::NeuronModel::rates, docs/neuron-models.md):
//   a_0  = sigma(E(x)),  E(x) = Drop(LN(word[x] + type[seg] + pos))                 (method doc §1.2, §4)
//   per encoder layer k, a_in = a_0 or the previous layer's a_O, sub-layers j = 6k+1 .. 6k+6:
//   a_K  = sigma(W_K a_in + b_K)                       a_V = sigma(W_V a_in + b_V)
//   a_A  = sigma(concat_h softmax((W_Q a_in + b_Q)_h a_K,h^T / sqrt(d) + M) a_V,h)   (dropout on P)
//   a_SO = sigma(LN(Drop(W_SO a_A + b_SO) + a_in))
//   a_I  = sigma(GELU(W_I a_SO + b_I))
//   a_O  = sigma(LN(Drop(W_O a_I + b_O) + a_SO))
// Heads (method doc §1.4): logits = ReLU(z_O(L)[:, 0]) W_c^T + b_c; the KD adapter fit_dense (W_td) maps a
// representation z to z W_td^T + b_td.
//
// The sub-layers ("populations" here) and parameter names are those of models/SubLayerTable. The config's
// unset dropout probabilities mean 0 (the SNN has no dropout, method doc §1.3).
//
// Where a sub-layer takes its input from (InputSource):
//   - chained (the reference's analog twin): each sub-layer reads the analog rates computed above it;
//   - given rates (implicit differentiation at the simulated equilibrium): each sub-layer j reads the
//     rates of its input populations from a caller-supplied set z (the SNN's ASR), so a_j = f_j(z) and
//     the backward evaluates every Jacobian at z. See docs/gradients.md.
// The backward is the same code for both: a reverse sweep over the sub-layers that accumulates the adjoint
// of every population's rate (gradients arriving on any rate and on any score tensor are accepted) and
// adds d loss / d parameter into every parameter's gradient (llm.c style, += ; callers zero once a step).
//
// Parameters carry the reference's canonical names (tests/data/tiny/config.json "parameter_roles"):
// network_x.* (embedding), network_sN.* (sub-layer N = 1..6L; N = 6L+1 is the feedback projection
// network_s{6L+1}.fc.weight), fit_dense.*, pooler_layer.dense.* (built, unused, as the reference), and
// classification.*. Scalar is float for training and double for gradient checks.
#include "io/ModelConfig.hpp"
#include "io/Tensor.hpp"
#include "models/AlignedVector.hpp"
#include "models/EncoderBlocks.hpp"
#include "models/ParameterStore.hpp"
#include "models/SubLayerTable.hpp"
#include "models/TokenBatch.hpp"
#include "sim/NeuronModel.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace spikingbert::models {

template <class Scalar>
struct EquilibriumActivations {
  struct Layer : AttentionCache<Scalar> {     // W_Q a_in + b_Q, scores, probabilities, dropout mask
    ResidualNormCache<Scalar> self_output, output;
    AlignedVector<Scalar> intermediate;       // W_I a_SO + b_I (before GELU)
  };
  std::int64_t batch = 0, sequence = 0;
  EmbeddingCache<Scalar> embedding;
  // currents[j]: the value sigma is applied to for population j (E(x) for j = 0); rates[j] = sigma(currents[j]).
  std::vector<AlignedVector<Scalar>> currents, rates;
  std::vector<Layer> layers;
  // Empty: chained (analog twin). Otherwise one pointer per sub-layer to the rates each sub-layer read
  // as its inputs (owned by the caller; they must outlive backward()).
  std::vector<const Scalar*> given_rates;
  // Rates of the last Output population driving the feedback projection, or null (no feedback).
  const Scalar* feedback_input = nullptr;

  // The rates population j's consumers read: the given set if any, else the chained analog rates.
  const Scalar* input_rates(std::int64_t population) const {
    return given_rates.empty() ? rates[population].data() : given_rates[population];
  }
};

struct EquilibriumOptions {
  bool training = false;           // dropout on (masks depend only on dropout_seed)
  std::uint64_t dropout_seed = 0;
};

template <class Scalar>
class SpikingBertEquilibrium : public ParameterOwner<Scalar> {
 public:
  // Random initialisation as the reference (method doc §1.1): weights N(0, initializer_range), biases 0,
  // LayerNorm 1/0, feedback weight 0 (disabled).
  SpikingBertEquilibrium(const io::ModelConfig& config, std::uint64_t seed);
  // Weights from tensors under the canonical names; the core (network_x.*, network_s1..6L.*) and
  // classification.* are required; fit_dense.*, pooler_layer.* and the feedback weight are optional
  // (random / zero when absent). Throws io::InputError naming `source` and the tensor for a missing or
  // mis-shaped tensor.
  SpikingBertEquilibrium(const io::ModelConfig& config, const io::TensorMap& tensors, const std::string& source);

  const io::ModelConfig& config() const { return config_; }
  const SubLayerTable& sublayers() const { return sublayers_; }
  void zero_gradients() { store_.zero_gradients(); }
  io::TensorMap tensors() const { return store_.tensors(); }  // every parameter as float32 under its name

  // The steady-state map. given_rates: empty = chained analog twin; otherwise one pointer per sub-layer j,
  // each [rows, sublayers().width(j)], the rates every sub-layer reads as inputs (implicit mode).
  // rate_offsets (tests of the implicit gradient, may be empty or hold nulls): r_j added to population j's
  // chained rate after sigma, i.e. the fixed point of the shifted map a = f(a) + r.
  // feedback_input (null: no feedback): [rows, hidden] rates y of the last Output population fed back to the
  // embedding population through the feedback projection (docs/gradients.md "feedback"):
  //   a_0 = sigma(E(x) + y W_fb^T),  W_fb = network_s{6L+1}.fc.weight (no bias, as the reference SNNFC).
  void forward(const TokenBatch& batch, EquilibriumActivations<Scalar>& activations,
               const EquilibriumOptions& options = {}, const std::vector<const Scalar*>& given_rates = {},
               const std::vector<const Scalar*>& rate_offsets = {}, const Scalar* feedback_input = nullptr) const;

  // Encoder layer `layer`'s Output sub-layer equation alone, at given rates (method doc §4, i%6 == 5):
  //   a_O = sigma(LN(W_O a_I + b_O + a_SO)),  a_I [rows, intermediate], a_SO [rows, hidden] -> rates [rows, hidden]
  // (no dropout). The same code as forward()'s Output sub-layer, so with the same rates given it is bit for
  // bit what forward() computes there, at a fraction of the cost (what a per-step stopping rule watching the
  // last Output sub-layer needs, traces/AdaptiveGlueSimulation).
  struct OutputSublayerScratch {
    ResidualNormCache<Scalar> output;
    AlignedVector<Scalar> current;
  };
  void output_sublayer_forward(std::int64_t layer, std::int64_t rows, const Scalar* intermediate_rates,
                               const Scalar* self_output_rates, OutputSublayerScratch& scratch, Scalar* rates) const;

  // Loss gradients arriving on the model's outputs; empty vectors or null entries mean none.
  struct OutputGradients {
    std::vector<const Scalar*> rates;   // one entry per sub-layer, d loss / d a_j  [rows, width_j]
    std::vector<const Scalar*> scores;  // num_hidden_layers entries, d loss / d S_k    [batch, heads, seq, seq]
  };
  // Reverse sweep: accumulates the parameter gradients. The adjoint of every population's rate (the
  // sum of the incoming gradient and what its consumers pass back, u_j of docs/gradients.md) is left in
  // rate_adjoints() for inspection.
  // With accumulate_parameters false nothing is added to the parameter gradients and the sweep stops at
  // the embedding population's current: the transposed Jacobian-vector products of the feedback adjoint solve.
  // With feedback, d loss / d feedback_input (what the feedback path passes back to the last Output
  // population) is left in feedback_adjoint().
  void backward(const TokenBatch& batch, const EquilibriumActivations<Scalar>& activations,
                const OutputGradients& gradients, bool accumulate_parameters = true);
  const std::vector<AlignedVector<Scalar>>& rate_adjoints() const { return rate_adjoints_; }
  const AlignedVector<Scalar>& feedback_adjoint() const { return feedback_adjoint_; }
  const std::string& feedback_weight_name() const { return store_[feedback_.weight].name; }

  // Classifier head (method doc §1.4): logits[b] = ReLU(last_output[b, token 0]) W_c^T + b_c.
  // last_output: [batch*seq, hidden] (the SNN ASR of the last Output population).
  void classifier_forward(Scalar* logits, const Scalar* last_output, std::int64_t batch,
                          std::int64_t sequence) const;
  // Accumulates the classifier gradients and d loss / d last_output (ReLU derivative 0 at 0, README §8).
  void classifier_backward(Scalar* d_last_output, const Scalar* d_logits, const Scalar* last_output,
                           std::int64_t batch, std::int64_t sequence);
  // KD adapter W_td (method doc §1.4, §6.2): out = rates W_td^T + b_td, rows x hidden.
  void fit_dense_forward(Scalar* out, const Scalar* rates, std::int64_t rows) const;
  void fit_dense_backward(Scalar* d_rates, const Scalar* d_out, const Scalar* rates, std::int64_t rows);

 private:
  void build();
  double hidden_dropout() const { return config_.hidden_dropout_prob.value_or(0.0); }
  double attention_dropout() const { return config_.attention_probs_dropout_prob.value_or(0.0); }

  using ParameterOwner<Scalar>::store_;
  io::ModelConfig config_;
  SubLayerTable sublayers_;
  EmbeddingSlots embedding_;
  std::vector<EncoderLayerSlots> layers_;
  LinearSlots feedback_, fit_dense_, pooler_, classifier_;
  std::vector<AlignedVector<Scalar>> rate_adjoints_;
  AlignedVector<Scalar> feedback_adjoint_;
  BlockScratch<Scalar> scratch_;
};

extern template class SpikingBertEquilibrium<float>;
extern template class SpikingBertEquilibrium<double>;

}  // namespace spikingbert::models
