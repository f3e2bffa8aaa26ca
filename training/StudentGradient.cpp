#include "training/StudentGradient.hpp"

#include "io/Error.hpp"
#include "training/CrossEntropyLoss.hpp"
#include "training/DistillationLosses.hpp"
#include "training/MseLoss.hpp"
#include "training/SoftCrossEntropyLoss.hpp"

#include <stdexcept>

namespace spikingbert::training {

std::string to_string(GradientMode mode) {
  switch (mode) {
    case GradientMode::analog_twin: return "analog-twin";
    case GradientMode::implicit: return "implicit";
    case GradientMode::feedback: return "feedback";
  }
  return "unknown";
}

GradientMode parse_gradient_mode(const std::string& name, const std::string& place) {
  if (name == "analog-twin") return GradientMode::analog_twin;
  if (name == "implicit") return GradientMode::implicit;
  if (name == "feedback") return GradientMode::feedback;
  throw io::InputError("command line", place, "unknown gradient mode '" + name + "'",
                       "analog-twin, implicit or feedback");
}

template <class Scalar>
StudentLoss student_loss_and_gradient(models::SpikingBertEquilibrium<Scalar>& model, const models::TokenBatch& batch,
                                      const std::vector<const Scalar*>& snn_rates, const StudentTargets<Scalar>& targets,
                                      GradientMode mode, const models::EquilibriumOptions& options,
                                      StudentStep<Scalar>& step, const AdjointSolverOptions& adjoint) {
  const auto& c = model.config();
  const std::int64_t B = batch.batch, L = batch.sequence, N = batch.rows(), H = c.hidden_size;
  const std::int64_t populations = model.sublayers().size();
  if (static_cast<std::int64_t>(snn_rates.size()) != populations) {
    throw std::invalid_argument("student_loss_and_gradient: need one SNN rate tensor per population");
  }
  auto rates = [&](std::int64_t population) {
    if (snn_rates[population] == nullptr) {
      throw std::invalid_argument("student_loss_and_gradient: missing SNN rates of population " +
                                  std::to_string(population));
    }
    return snn_rates[population];
  };

  // The steady-state map: chained from the tokens (analog twin) or evaluated at the SNN rates (implicit).
  const std::int64_t last = populations - 1;
  if (mode == GradientMode::implicit) {
    for (std::int64_t j = 0; j < populations; ++j) rates(j);
    model.forward(batch, step.activations, options, snn_rates);
  } else if (mode == GradientMode::feedback) {
    for (std::int64_t j = 0; j < populations; ++j) rates(j);
    model.forward(batch, step.activations, options, snn_rates, {}, rates(last));
  } else {
    model.forward(batch, step.activations, options);
  }
  auto& d_rates = step.loss_rate_gradients;
  d_rates.assign(populations, {});
  auto d_rate = [&](std::int64_t population) -> Scalar* {
    auto& buffer = d_rates[population];
    if (buffer.empty()) buffer.assign(N * model.sublayers().width(static_cast<int>(population)), Scalar(0));
    return buffer.data();
  };
  StudentLoss loss;

  // Prediction layer on the SNN rates of the last Output population (method doc §1.4, §6.3).
  const bool has_prediction = targets.labels != nullptr || targets.regression_targets != nullptr ||
                              targets.teacher_logits != nullptr;
  if (has_prediction) {
    const std::int64_t C = c.num_labels;
    step.logits.assign(B * C, Scalar(0));
    model.classifier_forward(step.logits.data(), rates(last), B, L);
    std::vector<Scalar> d_logits(B * C, Scalar(0));
    if (targets.regression_targets != nullptr) {
      // STS-B: always MSE against the true score (method doc §6.3).
      if (C != 1) throw std::invalid_argument("student_loss_and_gradient: regression needs num_labels == 1");
      loss.prediction = mse_loss(step.logits.data(), targets.regression_targets, B, d_logits.data());
    } else if (targets.teacher_logits != nullptr) {
      loss.prediction = soft_cross_entropy_loss(step.logits.data(), targets.teacher_logits, B, C, targets.temperature,
                                                d_logits.data());
    } else {
      loss.prediction = cross_entropy_loss(step.logits.data(), targets.labels, B, C, d_logits.data());
    }
    model.classifier_backward(d_rate(last), d_logits.data(), rates(last), B, L);
  }

  // L_rep: every encoder input / output representation z_6k through the shared W_td (method doc §6.2).
  if (!targets.teacher_hidden.empty()) {
    if (static_cast<std::int64_t>(targets.teacher_hidden.size()) != c.num_hidden_layers + 1) {
      throw std::invalid_argument("student_loss_and_gradient: need num_hidden_layers + 1 teacher hidden states");
    }
    const std::int64_t fit = c.fit_width();  // the teacher's hidden size (W_td: student -> teacher width)
    std::vector<Scalar> fitted(N * fit), d_fitted(N * fit);
    for (std::int64_t k = 0; k <= c.num_hidden_layers; ++k) {
      const std::int64_t population = model.sublayers().layer_input(static_cast<int>(k));  // z_6k
      model.fit_dense_forward(fitted.data(), rates(population), N);
      std::fill(d_fitted.begin(), d_fitted.end(), Scalar(0));
      loss.hidden += mse_loss(fitted.data(), targets.teacher_hidden[k], N * fit, d_fitted.data());
      model.fit_dense_backward(d_rate(population), d_fitted.data(), rates(population), N);
    }
  }

  // L_att on the map's pre-softmax scores (method doc §6.2; analog in analog_twin mode, §5.1 (b)).
  std::vector<std::vector<Scalar>> d_scores;
  if (!targets.teacher_scores.empty()) {
    if (static_cast<std::int64_t>(targets.teacher_scores.size()) != c.num_hidden_layers) {
      throw std::invalid_argument("student_loss_and_gradient: need num_hidden_layers teacher score tensors");
    }
    for (std::int64_t k = 0; k < c.num_hidden_layers; ++k) {
      const auto& scores = step.activations.layers[k].scores;
      d_scores.emplace_back(scores.size(), Scalar(0));
      loss.attention += attention_mse_loss(scores.data(), targets.teacher_scores[k],
                                           static_cast<std::int64_t>(scores.size()), d_scores.back().data());
    }
  }
  loss.total = loss.prediction + loss.attention + loss.hidden;

  // Replace: d loss / d z_j at the SNN values becomes the map's incoming adjoint; one reverse sweep.
  typename models::SpikingBertEquilibrium<Scalar>::OutputGradients gradients;
  for (std::int64_t j = 0; j < populations; ++j) gradients.rates.push_back(d_rates[j].empty() ? nullptr : d_rates[j].data());
  for (const auto& d : d_scores) gradients.scores.push_back(d.data());
  std::vector<Scalar> adjoint_of_last;  // feedback: u_y, the seed of the final sweep (outlives the block)
  if (mode == GradientMode::feedback) {
    // u_y = J_G^T u_y + g~, g~ = g_y + (all other loss gradients swept down and through W_fb^T).
    const std::int64_t count = N * H;
    Eigen::VectorXd g_tilde(count);
    auto others = gradients;
    others.rates[last] = nullptr;
    model.backward(batch, step.activations, others, false);
    for (std::int64_t i = 0; i < count; ++i) {
      const double direct = d_rates[last].empty() ? 0.0 : static_cast<double>(d_rates[last][i]);
      g_tilde[i] = direct + static_cast<double>(model.feedback_adjoint()[i]);
    }
    auto& seed = adjoint_of_last;
    seed.assign(count, Scalar(0));
    typename models::SpikingBertEquilibrium<Scalar>::OutputGradients only_y;
    only_y.rates.assign(populations, nullptr);
    only_y.rates[last] = seed.data();
    const auto jacobian_transpose = [&](const Eigen::VectorXd& v, Eigen::VectorXd& product) {
      for (std::int64_t i = 0; i < count; ++i) seed[i] = static_cast<Scalar>(v[i]);
      model.backward(batch, step.activations, only_y, false);
      for (std::int64_t i = 0; i < count; ++i) product[i] = static_cast<double>(model.feedback_adjoint()[i]);
    };
    step.adjoint = AdjointSolver(adjoint).solve(jacobian_transpose, g_tilde);
    // The final sweep: u_y at y, the loss gradients elsewhere.
    for (std::int64_t i = 0; i < count; ++i) seed[i] = static_cast<Scalar>(step.adjoint.solution[i]);
    gradients.rates[last] = seed.data();
  }
  model.backward(batch, step.activations, gradients);
  step.loss = loss;
  return loss;
}

template StudentLoss student_loss_and_gradient<float>(models::SpikingBertEquilibrium<float>&, const models::TokenBatch&,
                                                      const std::vector<const float*>&, const StudentTargets<float>&,
                                                      GradientMode, const models::EquilibriumOptions&,
                                                      StudentStep<float>&, const AdjointSolverOptions&);
template StudentLoss student_loss_and_gradient<double>(models::SpikingBertEquilibrium<double>&, const models::TokenBatch&,
                                                       const std::vector<const double*>&, const StudentTargets<double>&,
                                                       GradientMode, const models::EquilibriumOptions&,
                                                       StudentStep<double>&, const AdjointSolverOptions&);

}  // namespace spikingbert::training
