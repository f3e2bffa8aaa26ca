#pragma once
// A standard BERT encoder with a sequence head, Hugging Face semantics (BertForSequenceClassification):
//   h_0 = Drop(LN(word[x] + type[seg] + pos))                                  (method doc §1.2)
//   per layer: a = LN(Drop(W_SO Attn(h) + b_SO) + h);  h' = LN(Drop(W_O GELU(W_I a + b_I) + b_O) + a)
//   pooled = tanh(W_P pool(h_L) + b_P);  logits = W_C Drop(pooled) + b_C
// where pool is the [CLS] position (Hugging Face) or the masked mean (config.pooling).
// The forward keeps everything distillation needs (method doc §6.1): the embedding output and every
// layer's hidden state, every layer's scaled masked pre-softmax scores, the pooled output and the logits.
// The backward accumulates the gradient of every parameter; it accepts gradients on the logits and,
// for distillation, on any hidden state or score tensor.
// The config's unset dropout probabilities take Hugging Face's default 0.1 (kHuggingFaceDropout); config()
// reports them set. Scalar is float for speed and double for gradient checks.
#include "models/AlignedVector.hpp"
#include "io/ModelConfig.hpp"
#include "models/EncoderBlocks.hpp"
#include "models/ParameterStore.hpp"
#include "models/SubLayerTable.hpp"
#include "models/TokenBatch.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace spikingbert::models {

// Everything one forward pass computes and its backward needs, for one batch.
template <class Scalar>
struct BertTeacherActivations {
  struct Layer : AttentionCache<Scalar> {                      // query, scores, probabilities, dropout mask
    AlignedVector<Scalar> key, value;                         // [rows, hidden]
    AlignedVector<Scalar> context;                            // [rows, hidden]
    ResidualNormCache<Scalar> self_output, output;            // LN(Drop(W x + b) + r) of both sub-blocks
    AlignedVector<Scalar> attention_output;                   // self-output LN output [rows, hidden]
    AlignedVector<Scalar> intermediate, intermediate_gelu;    // [rows, intermediate]
  };
  std::int64_t batch = 0, sequence = 0;
  bool training = false;
  EmbeddingCache<Scalar> embedding;
  std::vector<AlignedVector<Scalar>> hidden_states;  // layers + 1 tensors [rows, hidden]; [0] = embedding output
  std::vector<Layer> layers;
  AlignedVector<Scalar> pooler_input, pooler_dense, pooled;  // [batch, hidden]
  AlignedVector<Scalar> pooled_dropout, classifier_input;    // mask and Drop(pooled)
  AlignedVector<Scalar> logits;                              // [batch, num_labels]
};

struct ForwardOptions {
  bool training = false;            // dropout on
  std::uint64_t dropout_seed = 0;   // masks are a function of this seed only
};

// The Hugging Face modules of one encoder layer in the state dict's order (bert.encoder.layer.N.<module>.weight and
// .bias), each with the spiking sub-layer that plays its role in the steady-state map (models/SubLayerTable): the
// teacher's parameters are created from it and a student initialised from a teacher maps one onto the other
// (models/StudentInit).
struct HuggingFaceLayerModule {
  const char* module;
  SubLayerKind sublayer;
  bool layer_norm;  // the sub-layer's LayerNorm, else its linear map
};
inline constexpr HuggingFaceLayerModule kHuggingFaceLayerModules[] = {
    {"attention.self.query", SubLayerKind::attention, false},
    {"attention.self.key", SubLayerKind::key, false},
    {"attention.self.value", SubLayerKind::value, false},
    {"attention.output.dense", SubLayerKind::self_output, false},
    {"attention.output.LayerNorm", SubLayerKind::self_output, true},
    {"intermediate.dense", SubLayerKind::intermediate, false},
    {"output.dense", SubLayerKind::output, false},
    {"output.LayerNorm", SubLayerKind::output, true},
};
inline std::string hugging_face_layer_prefix(std::int64_t layer) { return "bert.encoder.layer." + std::to_string(layer) + "."; }

// Hugging Face BertConfig's hidden_dropout_prob and attention_probs_dropout_prob default.
inline constexpr double kHuggingFaceDropout = 0.1;

template <class Scalar>
class BertTeacher : public ParameterOwner<Scalar> {
 public:
  // Parameters initialised as Hugging Face: weights N(0, initializer_range), biases 0, LayerNorm 1/0,
  // the padding row of the word embeddings 0.
  BertTeacher(const io::ModelConfig& config, std::uint64_t seed);

  const io::ModelConfig& config() const { return config_; }
  // Clears every gradient. Gradients must only be written by backward() (the word-embedding gradient is
  // cleared row by row, for the rows backward touched).
  void zero_gradients();

  void forward(const TokenBatch& batch, BertTeacherActivations<Scalar>& activations,
               const ForwardOptions& options = {}) const;

  // Extra gradients arriving from outside the head, for distillation; empty vectors mean none.
  struct OutputGradients {
    const Scalar* logits = nullptr;                      // [batch, num_labels]
    std::vector<const Scalar*> hidden_states;            // layers + 1 entries, each [rows, hidden] or null
    std::vector<const Scalar*> scores;                   // layers entries, each [batch, heads, seq, seq] or null
  };
  // Accumulates d loss / d parameter into every parameter's gradient.
  void backward(const TokenBatch& batch, const BertTeacherActivations<Scalar>& activations,
                const OutputGradients& gradients);

 private:
  struct BackwardScratch {
    AlignedVector<Scalar> d_hidden, d_attention_output, d_intermediate_gelu, d_context, d_key, d_value, d_input;
    BlockScratch<Scalar> block;
  };

  using ParameterOwner<Scalar>::store_;
  io::ModelConfig config_;
  BackwardScratch scratch_;
  std::vector<std::int64_t> touched_word_rows_;
  EmbeddingSlots embedding_;
  std::vector<EncoderLayerSlots> layers_;
  LinearSlots pooler_, classifier_;
};

extern template class BertTeacher<float>;
extern template class BertTeacher<double>;

}  // namespace spikingbert::models
