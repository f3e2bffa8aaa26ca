#pragma once
// One training step's loss and parameter gradient for the spiking student, without backpropagation
// through time (method doc §5; docs/gradients.md "Gradient modes").
//
// Replace semantics (method doc §5.1 (c), §10 item 6): every loss term is evaluated on the SNN's measured
// rates z_j (ASR): logits = ReLU(z_O(L)[:, 0]) W_c^T + b_c, representations W_td z_6k + b_td. Only the
// gradient d loss / d z_j flows into the steady-state map (models/SpikingBertEquilibrium), as its
// incoming adjoint. The modes differ in where the map's Jacobians are evaluated:
//   analog_twin  the reference: the map is run chained from the tokens (the analog twin), so every
//                Jacobian is taken at the analog activations; the attention scores distilled are the twin's.
//   implicit     the implicit-function gradient at the simulated equilibrium: every sub-layer j is
//                evaluated at the SNN rates of its input populations, a_j = f_j(z), and the reverse sweep
//                uses those local Jacobians. Without feedback J_f is strictly block-lower-triangular
//                (nilpotent), so u = (I - J_f^T)^-1 g is exactly one reverse sweep; the attention scores
//                distilled are S_k = (W_Q z_in + b_Q) z_K^T / sqrt(d) + M, from the SNN rates.
//   feedback     implicit, plus the feedback projection y W_fb^T from the last Output population y into the
//                embedding current (a_0 = sigma(E(x) + y W_fb^T)). J_f is then no longer nilpotent: the adjoint
//                of y solves u_y = J_G^T u_y + g~ with training/AdjointSolver, where J_G^T v is one
//                parameter-free reverse sweep from y down to the embedding current and back through W_fb^T;
//                a final sweep seeded with u_y gives the parameter gradients. ||W_fb||_2 <= V_th keeps it a
//                contraction (training/SpectralNorm project, to be applied after each optimiser step).
// implicit and feedback need the full set of SNN rates (population_count() tensors); analog_twin needs the
// rates of the populations the losses read (the last Output, the encoder inputs z_6k).
#include "models/SpikingBertEquilibrium.hpp"
#include "training/AdjointSolver.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace spikingbert::training {

enum class GradientMode { analog_twin, implicit, feedback };

// "analog-twin", "implicit", "feedback".
std::string to_string(GradientMode mode);
// Inverse of to_string; throws io::InputError naming `place` (e.g. "--gradient") otherwise.
GradientMode parse_gradient_mode(const std::string& name, const std::string& place = "--gradient");

// What the student is trained against; unset members are terms not in the loss. All tensors row-major.
template <class Scalar>
struct StudentTargets {
  // Prediction layer (method doc §6.3), at most one of:
  const std::int64_t* labels = nullptr;        // cross-entropy on gold labels, mean over the batch
  const Scalar* regression_targets = nullptr;  // MSE for regression (STS-B, num_labels == 1), [batch]
  const Scalar* teacher_logits = nullptr;      // soft cross-entropy at `temperature`, [batch, num_labels]
  double temperature = 1.0;
  // Internal layers (method doc §6.2), already mapped to the student's layers (DistillationLosses.hpp
  // layer_mapping): num_hidden_layers + 1 hidden states [rows, hidden] and num_hidden_layers pre-softmax
  // score tensors [batch, heads, seq, seq]; empty = term off.
  std::vector<const Scalar*> teacher_hidden;
  std::vector<const Scalar*> teacher_scores;
};

struct StudentLoss {
  double total = 0;       // prediction + attention + hidden
  double prediction = 0;  // CE, MSE or soft CE on the logits
  double attention = 0;   // L_att
  double hidden = 0;      // L_rep
};

template <class Scalar>
struct StudentStep {
  models::EquilibriumActivations<Scalar> activations;
  std::vector<Scalar> logits;                                    // [batch, num_labels], from the SNN rates
  std::vector<models::AlignedVector<Scalar>> loss_rate_gradients;  // d loss / d z_j (empty where none)
  StudentLoss loss;
  AdjointSolution adjoint;  // feedback mode: the solve of u_y (iterations, residual, flags); else untouched
};

// Computes the loss on the SNN rates and accumulates d loss / d parameter into the model's gradients (the
// caller zeroes them). snn_rates: population_count() pointers to [rows, width_j] rates; for analog_twin,
// entries the losses do not read may be null.
template <class Scalar>
StudentLoss student_loss_and_gradient(models::SpikingBertEquilibrium<Scalar>& model, const models::TokenBatch& batch,
                                      const std::vector<const Scalar*>& snn_rates, const StudentTargets<Scalar>& targets,
                                      GradientMode mode, const models::EquilibriumOptions& options,
                                      StudentStep<Scalar>& step, const AdjointSolverOptions& adjoint = {});

extern template StudentLoss student_loss_and_gradient<float>(models::SpikingBertEquilibrium<float>&,
                                                             const models::TokenBatch&, const std::vector<const float*>&,
                                                             const StudentTargets<float>&, GradientMode,
                                                             const models::EquilibriumOptions&, StudentStep<float>&,
                                                             const AdjointSolverOptions&);
extern template StudentLoss student_loss_and_gradient<double>(models::SpikingBertEquilibrium<double>&,
                                                              const models::TokenBatch&, const std::vector<const double*>&,
                                                              const StudentTargets<double>&, GradientMode,
                                                              const models::EquilibriumOptions&, StudentStep<double>&,
                                                              const AdjointSolverOptions&);

}  // namespace spikingbert::training
