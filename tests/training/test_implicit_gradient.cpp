// Implicit differentiation through the generic adjoint solver on small equilibrium maps with known
// gradients (training-anchors §1.6 T1 and T3). The maps are written here; the solver sees only Jᵀv.
#include "LinearAlgebraFixtures.hpp"

#include "training/AdjointSolver.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

using spikingbert::testing::gaussian_matrix;
using spikingbert::testing::gaussian_vector;
using spikingbert::testing::kIterativeMethods;
using spikingbert::testing::relative_error;
using spikingbert::training::AdjointMethod;
using spikingbert::training::AdjointSolution;
using spikingbert::training::AdjointSolver;
using spikingbert::training::AdjointSolverOptions;
using spikingbert::training::to_string;

namespace {

AdjointSolver tight_solver(AdjointMethod method) {
  AdjointSolverOptions options;
  options.method = method;
  options.tolerance = 1e-13;
  options.max_iterations = 400;
  return AdjointSolver(options);
}

// ---- T1: f(z) = cos(z) + θ elementwise (jaxopt fixed_point_iteration_test) ----------------------------

// z* = cos(z*) + θ, solved per element by Newton on h(z) = z − cos z − θ, h' = 1 + sin z, to round-off.
Eigen::VectorXd cosine_equilibrium(const Eigen::VectorXd& theta) {
  Eigen::VectorXd z = Eigen::VectorXd::Constant(theta.size(), 0.7);
  for (int step = 0; step < 60; ++step) {
    z = z.array() - (z.array() - z.array().cos() - theta.array()) / (1.0 + z.array().sin());
  }
  return z;
}

// ℓ(z) = Σ c_i z_i + ½ Σ z_i²: its gradient g = c + z depends on z*, so a wrong z* shows.
double cosine_loss(const Eigen::VectorXd& z, const Eigen::VectorXd& weights) {
  return weights.dot(z) + 0.5 * z.squaredNorm();
}

// ---- T3: z = tanh(W z + U x + b) (JFBc test_jfb.py: implicit vs backprop through the unrolled iteration) --

struct TanhModel {
  Eigen::MatrixXd recurrent;  // W, n × n, ‖W‖₂ < 1 so the map is a contraction (tanh' ≤ 1)
  Eigen::MatrixXd input;      // U, n × m
  Eigen::VectorXd bias;       // b, n
};

struct TanhGradients {
  Eigen::MatrixXd recurrent, input;
  Eigen::VectorXd bias;
};

Eigen::VectorXd tanh_step(const TanhModel& model, const Eigen::VectorXd& z, const Eigen::VectorXd& x) {
  return (model.recurrent * z + model.input * x + model.bias).array().tanh();
}

// ℓ(z) = ½‖z − target‖².
Eigen::VectorXd tanh_loss_gradient(const Eigen::VectorXd& z, const Eigen::VectorXd& target) { return z - target; }

// Explicit reverse-mode through z_{k+1} = tanh(W z_k + U x + b) from z_0 = 0, unrolled until the step is
// below 1e-15 (at most 1e4 steps, as JFBc's max_depth).
TanhGradients unrolled_backprop(const TanhModel& model, const Eigen::VectorXd& x, const Eigen::VectorXd& target,
                                Eigen::VectorXd& equilibrium, int& steps) {
  constexpr int kMaxSteps = 10000;
  constexpr double kStepTolerance = 1e-15;
  std::vector<Eigen::VectorXd> states{Eigen::VectorXd::Zero(model.bias.size())};
  while (static_cast<int>(states.size()) <= kMaxSteps) {
    states.push_back(tanh_step(model, states.back(), x));
    if ((states.back() - states[states.size() - 2]).lpNorm<Eigen::Infinity>() < kStepTolerance) break;
  }
  steps = static_cast<int>(states.size()) - 1;
  equilibrium = states.back();

  TanhGradients gradients{Eigen::MatrixXd::Zero(model.recurrent.rows(), model.recurrent.cols()),
                          Eigen::MatrixXd::Zero(model.input.rows(), model.input.cols()),
                          Eigen::VectorXd::Zero(model.bias.size())};
  Eigen::VectorXd state_gradient = tanh_loss_gradient(states.back(), target);
  for (int k = steps; k >= 1; --k) {
    // z_k = tanh(pre_k): ∂pre_k = (1 − z_k²) ⊙ ∂z_k; pre_k = W z_{k−1} + U x + b.
    const Eigen::VectorXd pre_gradient = (1.0 - states[k].array().square()).matrix().cwiseProduct(state_gradient);
    gradients.recurrent += pre_gradient * states[k - 1].transpose();
    gradients.input += pre_gradient * x.transpose();
    gradients.bias += pre_gradient;
    state_gradient = model.recurrent.transpose() * pre_gradient;
  }
  return gradients;
}

// Implicit: J_f = D W with D = diag(1 − z*²); u = J_fᵀu + g; then dℓ/dθ = uᵀ ∂f/∂θ:
// with s = D u, dℓ/dW = s z*ᵀ, dℓ/dU = s xᵀ, dℓ/db = s.
TanhGradients implicit_gradients(const TanhModel& model, const Eigen::VectorXd& x, const Eigen::VectorXd& target,
                                 const Eigen::VectorXd& equilibrium, const AdjointSolver& solver,
                                 AdjointSolution& adjoint) {
  const Eigen::VectorXd derivative = 1.0 - equilibrium.array().square();
  const auto jacobian_transpose = [&](const Eigen::VectorXd& v, Eigen::VectorXd& result) {
    result = model.recurrent.transpose() * derivative.cwiseProduct(v);
  };
  adjoint = solver.solve(jacobian_transpose, tanh_loss_gradient(equilibrium, target));
  const Eigen::VectorXd pre_gradient = derivative.cwiseProduct(adjoint.solution);
  return {pre_gradient * equilibrium.transpose(), pre_gradient * x.transpose(), pre_gradient};
}

double relative_error_matrix(const Eigen::MatrixXd& value, const Eigen::MatrixXd& reference) {
  return (value - reference).norm() / reference.norm();
}

}  // namespace

TEST_CASE("T1: f(z) = cos(z) + theta, implicit gradient matches central finite differences", "[training][implicit]") {
  constexpr Eigen::Index kSize = 12;
  constexpr double kStep = 1e-5;  // central difference step h in θ; truncation O(h²) ≈ 1e-10
  const Eigen::VectorXd theta = 0.4 * gaussian_vector(kSize, 101).array().tanh();  // θ ∈ (−0.4, 0.4)
  const Eigen::VectorXd weights = gaussian_vector(kSize, 102);
  const Eigen::VectorXd equilibrium = cosine_equilibrium(theta);
  REQUIRE(((equilibrium.array().cos() + theta.array()) - equilibrium.array()).abs().maxCoeff() < 1e-15);

  Eigen::VectorXd finite_difference(kSize);
  for (Eigen::Index i = 0; i < kSize; ++i) {
    Eigen::VectorXd plus = theta, minus = theta;
    plus(i) += kStep;
    minus(i) -= kStep;
    finite_difference(i) = (cosine_loss(cosine_equilibrium(plus), weights) -
                            cosine_loss(cosine_equilibrium(minus), weights)) / (2.0 * kStep);
  }

  // J_f = diag(−sin z*), ∂f/∂θ = I, so dℓ/dθ = u with u = J_fᵀu + g, g = c + z*.
  const Eigen::VectorXd slope = -equilibrium.array().sin();
  const auto jacobian_transpose = [&](const Eigen::VectorXd& v, Eigen::VectorXd& result) {
    result = slope.cwiseProduct(v);
  };
  const Eigen::VectorXd g = weights + equilibrium;
  for (const AdjointMethod method : kIterativeMethods) {
    const AdjointSolution adjoint = tight_solver(method).solve(jacobian_transpose, g);
    const double error = relative_error(adjoint.solution, finite_difference);
    INFO(to_string(method) << ": " << adjoint.iterations << " iterations, relative error vs finite differences " << error);
    REQUIRE(adjoint.converged);
    CHECK(error <= 1e-6);
    for (Eigen::Index i = 0; i < kSize; ++i) {
      CHECK(std::abs(adjoint.solution(i) - finite_difference(i)) <= 1e-6 * std::abs(finite_difference(i)));
    }
  }
  // JFB (u = g) is a different, approximate gradient here: the comparison above can fail.
  CHECK(relative_error(g, finite_difference) > 1e-2);
}

TEST_CASE("T3: implicit gradient matches backprop through the unrolled iteration of tanh(Wz + Ux + b)",
          "[training][implicit]") {
  constexpr Eigen::Index kHidden = 24;
  constexpr Eigen::Index kInputs = 10;
  TanhModel model{gaussian_matrix(kHidden, kHidden, 301), gaussian_matrix(kHidden, kInputs, 302),
                  gaussian_vector(kHidden, 303)};
  model.recurrent *= 0.7 / spikingbert::testing::largest_singular_value(model.recurrent);
  model.input *= 0.3;
  model.bias *= 0.1;
  const Eigen::VectorXd x = gaussian_vector(kInputs, 304);
  const Eigen::VectorXd target = 0.5 * gaussian_vector(kHidden, 305).array().tanh();

  Eigen::VectorXd equilibrium;
  int steps = 0;
  const TanhGradients explicit_gradients = unrolled_backprop(model, x, target, equilibrium, steps);
  INFO("unrolled steps " << steps);
  REQUIRE(steps < 10000);

  for (const AdjointMethod method : kIterativeMethods) {
    AdjointSolution adjoint;
    const TanhGradients implicit = implicit_gradients(model, x, target, equilibrium, tight_solver(method), adjoint);
    const double error_recurrent = relative_error_matrix(implicit.recurrent, explicit_gradients.recurrent);
    const double error_input = relative_error_matrix(implicit.input, explicit_gradients.input);
    const double error_bias = relative_error(implicit.bias, explicit_gradients.bias);
    INFO(to_string(method) << ": " << adjoint.iterations << " iterations, relative errors W " << error_recurrent
                           << ", U " << error_input << ", b " << error_bias);
    REQUIRE(adjoint.converged);
    CHECK(error_recurrent < 1e-5);
    CHECK(error_input < 1e-5);
    CHECK(error_bias < 1e-5);
  }
}
