#pragma once
// The spiking student's distillation loop (issue 6, method doc §6): per step, the BERT teacher(s) give the
// targets, the event-driven kernel simulates the student for T steps, the loss is taken on the SNN rates
// and its gradient flows through the steady-state map in the chosen mode (training/StudentGradient.hpp);
// BertAdam with linear warm-up then decay updates the parameters. The schedule, evaluations, best model,
// resumable state, Ctrl-C and progress are the shared loop's (training/TrainingLoop.hpp); the evaluation is
// the event-driven simulation of the student. Each fixed micro-batch of a batch (kMicroBatchExamples consecutive examples) is simulated
// and differentiated on its own and the batch gradient is the fixed-tree sum of the micro-batches' gradients
// over the ranks of training::world() (training/ExampleSum.hpp), so 1 or N MPI ranks give the same
// parameters; rank 0 writes the state (docs/scaling.md).
//
// Stages (method doc §6.2-§6.3):
//   internal_layers  L_att + L_rep: MSE on the pre-softmax scores (entries <= -100 zeroed) and on
//                    W_td z_6k + b_td against the teacher's hidden states, through the layer mapping;
//   prediction       soft cross-entropy against the teacher logits at temperature tau (several teachers:
//                    their logits averaged); regression (STS-B): MSE against the true score (method doc §6.3);
//   labels           cross-entropy on gold labels (MSE for STS-B).
// The teacher runs without dropout (a deterministic target; the reference keeps the teacher's dropout on,
// method doc §6.1, a TinyBERT quirk we do not copy).
#include "io/ModelConfig.hpp"
#include "models/SpikingBert.hpp"
#include "models/SpikingBertEquilibrium.hpp"
#include "models/TeacherEnsemble.hpp"
#include "training/EncodedExample.hpp"
#include "training/StudentGradient.hpp"
#include "training/TrainingLoop.hpp"

#include <functional>
#include <string>
#include <vector>

namespace spikingbert::training {

enum class DistillStage { internal_layers, prediction, labels };

// "ikd", "pred", "labels".
std::string to_string(DistillStage stage);
// Inverse of to_string; throws io::InputError naming `place` otherwise.
DistillStage parse_distill_stage(const std::string& name, const std::string& place = "--stage");

struct StudentTrainingOptions : TrainingOptions {
  DistillStage stage = DistillStage::prediction;
  GradientMode gradient = GradientMode::implicit;
  int time_steps = 16;          // T of the event-kernel simulation per training step
  double temperature = 1.0;     // tau of prediction-layer KD
  int threads = 1;              // simulation threads (results do not depend on it)
};

// Metadata 'kind' of the student's training states.
inline constexpr const char* kStudentStateKind = "spikingbert-student-training-state";

// The student as the event kernel's network, from the map's current parameters (same tensors).
models::SpikingBert spiking_bert_of(const models::SpikingBertEquilibrium<float>& student,
                                    const io::ModelConfig& config);

// Logits of the event-driven simulation of `snn` for every example at T steps: [examples, num_labels].
std::vector<float> student_predict(const models::SpikingBert& snn, const std::vector<EncodedExample>& examples,
                                   std::int64_t batch_size, int time_steps, int threads);

// Scores the student on dev (event-driven simulation); higher selection is better.
using StudentDevEvaluator = std::function<DevScore(const models::SpikingBert& student)>;
using StudentBestSink = std::function<void(const models::SpikingBertEquilibrium<float>& student,
                                           const DevScore& score, std::int64_t step)>;

// The loss terms of TrainingEvaluation::train_loss, named as StudentLoss (report.loss_names: train_loss,
// prediction, attention, hidden).
StudentLoss student_loss_of(const std::vector<double>& terms);

struct StudentTrainingReport : TrainingReport {
  int max_adjoint_iterations = 0;  // feedback mode
};

// The largest spectral norm ||W_fb||_2 the feedback mode lets the feedback weight keep: 1 / sup sigma' of the
// config's neuron model (sim::NeuronModel::largest_rate_derivative), so that ||J_f||_2 <= ||W_fb||_2 sup sigma'
// <= 1 and the rate map stays a contraction (docs/gradients.md "Spectral norm of the feedback weight"):
// V_th for IF with or without a refractory period, 0 for LIF (sigma' is unbounded at the rheobase, so no
// nonzero feedback weight is guaranteed to contract).
double feedback_weight_bound(const io::ModelConfig& config);

// teachers: one teacher or an ensemble, with the student's vocabulary and labels; member 0 gives the hidden
// states and attention scores, the logits are the ensemble's mean (models/TeacherEnsemble.hpp).
// snn_config: the student's kernel config (sizes, V_th, leak). The student is updated in place.
// GradientMode::feedback with a neuron model of feedback_weight_bound 0 (LIF) is an InputError.
StudentTrainingReport train_student(models::SpikingBertEquilibrium<float>& student,
                                    const io::ModelConfig& snn_config, const models::TeacherEnsemble& teachers,
                                    const std::vector<EncodedExample>& train, const StudentDevEvaluator& evaluate,
                                    const StudentBestSink& on_best, const StudentTrainingOptions& options);

}  // namespace spikingbert::training
