#include "training/AdjointSolver.hpp"

#include "io/Error.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

namespace spikingbert::training {

std::string to_string(AdjointMethod method) {
  switch (method) {
    case AdjointMethod::no_feedback: return "no-feedback";
    case AdjointMethod::jacobian_free: return "jfb";
    case AdjointMethod::fixed_point: return "fixed-point";
    case AdjointMethod::anderson: return "anderson";
    case AdjointMethod::broyden: return "broyden";
  }
  return "unknown";
}

AdjointMethod parse_adjoint_method(const std::string& name, const std::string& place) {
  for (const AdjointMethod method : {AdjointMethod::no_feedback, AdjointMethod::jacobian_free,
                                     AdjointMethod::fixed_point, AdjointMethod::anderson, AdjointMethod::broyden}) {
    if (name == to_string(method)) return method;
  }
  throw io::InputError("command line", place, "unknown adjoint method '" + name + "'",
                       "no-feedback, jfb, fixed-point, anderson or broyden");
}

namespace {

void require_option(bool valid, const std::string& option, double value, const std::string& expected) {
  if (!valid) {
    throw io::InputError("command line", "adjoint solver option '" + option + "'",
                         "value " + std::to_string(value) + " is out of range", expected);
  }
}

enum class SolveStatus { running, converged, protection };

// Evaluates the residual r(u) = J_fᵀu + g − u of every iterate, keeps the best one (lowest relative
// residual, as DEQ keeps its lowest objective) and applies the stopping and protection rules of
// training-anchors §1.5 item 4. Every method below calls `evaluate` once per iterate and nothing else.
class IterateTracker {
 public:
  IterateTracker(const TransposedJacobianProduct& jacobian_transpose, const Eigen::VectorXd& g,
                 const AdjointSolverOptions& options, AdjointSolution& result)
      : jacobian_transpose_(jacobian_transpose), g_(g), options_(options), result_(result) {}

  SolveStatus evaluate(const Eigen::VectorXd& u, Eigen::VectorXd& residual) {
    jacobian_transpose_u_.resize(u.size());
    jacobian_transpose_(u, jacobian_transpose_u_);
    ++result_.jacobian_products;
    if (jacobian_transpose_u_.size() != u.size()) {
      throw std::invalid_argument("adjoint solver: the J^T callback returned a vector of size " +
                                  std::to_string(jacobian_transpose_u_.size()) + " for an input of size " +
                                  std::to_string(u.size()));
    }
    // Written as (J_fᵀu + g) − u so that J_f = 0 and u = g give a residual of exactly zero.
    residual = (jacobian_transpose_u_ + g_) - u;
    const double absolute = residual.norm();
    // training-anchors §1.5 item 4: ‖J_fᵀu + g − u‖ / (‖u‖ + 1e-9).
    const double relative = absolute / (u.norm() + options_.relative_residual_floor);
    const bool first = !evaluated_any_;
    evaluated_any_ = true;
    if (first) result_.initial_residual = absolute;
    if (first || relative < result_.relative_residual) {
      result_.solution = u;
      result_.relative_residual = relative;
    }
    if (!std::isfinite(absolute)) return SolveStatus::protection;
    if (relative < options_.tolerance || absolute == 0.0) return SolveStatus::converged;
    // The protection compares absolute residuals: the relative one is scale free and saturates on a
    // divergent run (‖u‖ grows with the residual), so it would never fire (DEQ's "abs" mode).
    if (!first && absolute > options_.protection_factor * result_.initial_residual) return SolveStatus::protection;
    return SolveStatus::running;
  }

 private:
  const TransposedJacobianProduct& jacobian_transpose_;
  const Eigen::VectorXd& g_;
  const AdjointSolverOptions& options_;
  AdjointSolution& result_;
  Eigen::VectorXd jacobian_transpose_u_;
  bool evaluated_any_ = false;
};

// training-anchors §1.5 item 3a: u ← u + β(J_fᵀu + g − u).
SolveStatus solve_fixed_point(IterateTracker& tracker, Eigen::VectorXd u, const AdjointSolverOptions& options,
                              int& iterations) {
  Eigen::VectorXd residual;
  SolveStatus status = tracker.evaluate(u, residual);
  while (status == SolveStatus::running && iterations < options.max_iterations) {
    u += options.damping * residual;
    ++iterations;
    status = tracker.evaluate(u, residual);
  }
  return status;
}

// Anderson acceleration as in DEQc `anderson` (training-anchors §1.5 item 3b): iterate 1 is a plain step
// u₁ = F(u₀) with F(u) = J_fᵀu + g; from then on, with the last n ≤ m iterates X_i and residuals
// R_i = F(X_i) − X_i,
//   α = argmin ‖Σ α_i R_i‖² + λ·s·‖α‖²  subject to Σ α_i = 1,
//   u_new = Σ α_i X_i + β Σ α_i R_i        (= β Σ α_i F(X_i) + (1 − β) Σ α_i X_i, DEQ's mixing).
// DEQ adds λ to GᵀG unscaled; here it is scaled by s = the smallest ‖R_i‖² in the window. An absolute λ
// makes the method depend on the size of g: near a relative tolerance of 1e-6 the squared residuals
// are far below 1e-4, the penalty dominates and α degenerates to an average (a slow damped iteration).
SolveStatus solve_anderson(IterateTracker& tracker, const Eigen::VectorXd& u0, const AdjointSolverOptions& options,
                           int& iterations) {
  const Eigen::Index size = u0.size();
  const int memory = options.anderson_memory;
  Eigen::MatrixXd iterates(size, memory);
  Eigen::MatrixXd residuals(size, memory);
  Eigen::VectorXd residual;

  iterates.col(0) = u0;
  SolveStatus status = tracker.evaluate(u0, residual);
  residuals.col(0) = residual;
  int stored = 1;
  Eigen::VectorXd u;
  while (status == SolveStatus::running && iterations < options.max_iterations) {
    const int newest = (iterations) % memory;  // slot of the latest iterate
    if (stored == 1) {
      u = iterates.col(newest) + residuals.col(newest);  // plain step F(u₀)
    } else {
      const int window = std::min(stored, memory);
      const Eigen::MatrixXd gram = residuals.leftCols(window).transpose() * residuals.leftCols(window);
      const double scale = gram.diagonal().minCoeff();
      Eigen::MatrixXd regularised = gram;
      regularised.diagonal().array() += options.anderson_regularisation * scale;
      // The constrained minimiser is α = H⁻¹1 / (1ᵀH⁻¹1) with H = GᵀG + λsI (symmetric positive definite
      // for λs > 0), equivalent to DEQ's bordered system.
      const Eigen::VectorXd weights_unnormalised =
          regularised.ldlt().solve(Eigen::VectorXd::Ones(window));
      const double weight_sum = weights_unnormalised.sum();
      if (std::isfinite(weight_sum) && weight_sum != 0.0 && weights_unnormalised.allFinite()) {
        const Eigen::VectorXd weights = weights_unnormalised / weight_sum;
        u = iterates.leftCols(window) * weights + options.anderson_mixing * (residuals.leftCols(window) * weights);
      } else {
        // Degenerate least-squares problem: fall back to a plain step from the newest iterate.
        u = iterates.col(newest) + options.anderson_mixing * residuals.col(newest);
      }
    }
    ++iterations;
    const int slot = iterations % memory;
    status = tracker.evaluate(u, residual);
    iterates.col(slot) = u;
    residuals.col(slot) = residual;
    stored = std::min(stored + 1, memory);
  }
  return status;
}

// Limited-memory "good" Broyden on the root of y(u) = J_fᵀu + g − u, as DEQc `broyden` without line search
// (training-anchors §1.5 item 3c). The inverse Jacobian estimate is B = −I + Σ_i U_i V_iᵀ (−I because
// ∂y/∂u = J_fᵀ − I ≈ −I), so the first update is −B y(u₀) = +y(u₀): DEQ's convention, "Formally should be
// -torch.matmul(inv_jacobian (-I), gx)". The reference code starts with −y(u₀) (training-anchors §0.3).
// After a step Δu with residual change Δy:
//   Vᵀ = ΔuᵀB,  U = (Δu − BΔy) / (ΔuᵀBΔy),  next update = −B y.
// At most `broyden_memory` pairs are kept; when they are all used the method restarts from B = −I.
SolveStatus solve_broyden(IterateTracker& tracker, Eigen::VectorXd u, const AdjointSolverOptions& options,
                          int& iterations) {
  const std::size_t memory = static_cast<std::size_t>(options.broyden_memory);
  // U_i and V_i, allocated as the solve needs them: at full memory they are 2 × 27 vectors of the
  // adjoint's size, and most solves stop long before.
  std::vector<Eigen::VectorXd> left, right;
  std::size_t pairs = 0;  // pairs in use: left[0 .. pairs − 1], right[0 .. pairs − 1]

  // B x = −x + Σ_i U_i (V_iᵀx) and xᵀB = −xᵀ + Σ_i (xᵀU_i) V_iᵀ over the pairs in use.
  const auto inverse_jacobian_times = [&](const Eigen::VectorXd& x) -> Eigen::VectorXd {
    Eigen::VectorXd result = -x;
    for (std::size_t i = 0; i < pairs; ++i) result += right[i].dot(x) * left[i];
    return result;
  };
  const auto times_inverse_jacobian = [&](const Eigen::VectorXd& x) -> Eigen::VectorXd {
    Eigen::VectorXd result = -x;
    for (std::size_t i = 0; i < pairs; ++i) result += left[i].dot(x) * right[i];
    return result;
  };

  Eigen::VectorXd residual;
  SolveStatus status = tracker.evaluate(u, residual);
  Eigen::VectorXd update = -inverse_jacobian_times(residual);
  Eigen::VectorXd next_u;
  Eigen::VectorXd next_residual;
  while (status == SolveStatus::running && iterations < options.max_iterations) {
    next_u = u + update;
    ++iterations;
    status = tracker.evaluate(next_u, next_residual);
    const Eigen::VectorXd step = next_u - u;
    const Eigen::VectorXd residual_change = next_residual - residual;
    u.swap(next_u);
    residual.swap(next_residual);
    if (status != SolveStatus::running) break;

    // Memory full: restart from B = −I (SciPy's limited-memory Broyden default, reduction "restart").
    // IDEc instead overwrites the oldest pair; the pairs are defined recursively, each relative to the B
    // of its time, so dropping one leaves an inconsistent B that can diverge (docs/gradients.md).
    if (pairs == memory) pairs = 0;
    const Eigen::VectorXd right_vector = times_inverse_jacobian(step);
    const double denominator = right_vector.dot(residual_change);
    const Eigen::VectorXd left_vector = (step - inverse_jacobian_times(residual_change)) / denominator;
    // A zero or non-finite denominator gives no information about the Jacobian: skip the pair (IDEc
    // zeroes NaN pairs, which is the same).
    if (denominator != 0.0 && std::isfinite(denominator) && left_vector.allFinite() && right_vector.allFinite()) {
      if (pairs == left.size()) {
        left.push_back(left_vector);
        right.push_back(right_vector);
      } else {
        left[pairs] = left_vector;
        right[pairs] = right_vector;
      }
      ++pairs;
    }
    update = -inverse_jacobian_times(residual);
  }
  return status;
}

}  // namespace

AdjointSolver::AdjointSolver(AdjointSolverOptions options) : options_(options) {
  const AdjointSolverOptions& o = options_;
  require_option(std::isfinite(o.tolerance) && o.tolerance > 0.0, "tolerance", o.tolerance, "a number > 0");
  require_option(o.max_iterations >= 0, "max_iterations", o.max_iterations, "an integer >= 0");
  require_option(std::isfinite(o.relative_residual_floor) && o.relative_residual_floor > 0.0,
                 "relative_residual_floor", o.relative_residual_floor, "a number > 0");
  require_option(o.protection_factor > 1.0, "protection_factor", o.protection_factor, "a number > 1");
  require_option(o.damping > 0.0 && o.damping <= 1.0, "damping", o.damping, "a number in (0, 1]");
  require_option(o.anderson_memory >= 2, "anderson_memory", o.anderson_memory, "an integer >= 2");
  require_option(std::isfinite(o.anderson_regularisation) && o.anderson_regularisation >= 0.0,
                 "anderson_regularisation", o.anderson_regularisation, "a number >= 0");
  require_option(o.anderson_mixing > 0.0 && o.anderson_mixing <= 1.0, "anderson_mixing", o.anderson_mixing,
                 "a number in (0, 1]");
  require_option(o.broyden_memory >= 1, "broyden_memory", o.broyden_memory, "an integer >= 1");
}

AdjointSolution AdjointSolver::solve(const TransposedJacobianProduct& jacobian_transpose,
                                     const Eigen::VectorXd& g) const {
  return solve(jacobian_transpose, g, g);
}

AdjointSolution AdjointSolver::solve(const TransposedJacobianProduct& jacobian_transpose, const Eigen::VectorXd& g,
                                     const Eigen::VectorXd& initial_guess) const {
  if (initial_guess.size() != g.size()) {
    throw std::invalid_argument("adjoint solver: initial guess of size " + std::to_string(initial_guess.size()) +
                                " for a right-hand side of size " + std::to_string(g.size()));
  }
  AdjointSolution result;
  result.method = options_.method;

  if (options_.method == AdjointMethod::no_feedback) {
    // J_f = 0 by construction: (I − 0)⁻¹g = g exactly, nothing to measure (method doc §5.2, §10.5).
    result.solution = g;
    result.converged = true;
    return result;
  }

  IterateTracker tracker(jacobian_transpose, g, options_, result);
  SolveStatus status = SolveStatus::running;
  int iterations = 0;
  switch (options_.method) {
    case AdjointMethod::jacobian_free: {
      // u = g; one product measures how far JFB is from the true adjoint (training-anchors §1.2 "JFB").
      Eigen::VectorXd residual;
      status = tracker.evaluate(g, residual);
      result.solution = g;
      break;
    }
    case AdjointMethod::fixed_point: status = solve_fixed_point(tracker, initial_guess, options_, iterations); break;
    case AdjointMethod::anderson: status = solve_anderson(tracker, initial_guess, options_, iterations); break;
    case AdjointMethod::broyden: status = solve_broyden(tracker, initial_guess, options_, iterations); break;
    case AdjointMethod::no_feedback: break;
  }
  result.iterations = iterations;
  result.converged = status == SolveStatus::converged;
  result.protection_triggered = status == SolveStatus::protection;
  return result;
}

}  // namespace spikingbert::training
