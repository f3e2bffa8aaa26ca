#pragma once
// The adjoint solve of implicit differentiation at an equilibrium z* = f(z*):
//
//     u = J_fᵀ u + g,   J_f = ∂f/∂z at z*,   g = (∂ℓ/∂z*)ᵀ          (training-anchors §1.1)
//
// after which dℓ/dθ = uᵀ ∂f/∂θ is one reverse sweep of f (done by the caller). This class knows no
// network: it sees a vector space and a callback that applies J_fᵀ to a vector (one transposed
// Jacobian-vector product, i.e. one reverse sweep of f at z*). Methods, stopping and protection follow
// training-anchors §1.5 items 3–4; the two solver bugs of the reference code (§0.3) are not copied.
// docs/gradients.md describes the choices.
#include <Eigen/Dense>

#include <functional>
#include <string>

namespace spikingbert::training {

// Applies the transposed Jacobian: jacobian_transpose_v = J_fᵀ v. The output vector is resized by the
// solver to v's size before the call; the callback must fill every entry.
using TransposedJacobianProduct =
    std::function<void(const Eigen::VectorXd& v, Eigen::VectorXd& jacobian_transpose_v)>;

enum class AdjointMethod {
  // u = g exactly, without calling J_fᵀ: correct when f does not depend on z (J_f = 0), as in the
  // released SpikingBERT, whose feedback path is switched off (training-anchors §0.1, method doc §5.2).
  no_feedback,
  // Jacobian-free backpropagation: u = g as an approximation of (I − J_fᵀ)⁻¹g when J_f ≠ 0 (Fung et al.,
  // training-anchors §1.2 "JFB", §1.5 item 6). One product J_fᵀg is spent to report the residual.
  jacobian_free,
  // Damped fixed-point iteration u ← u + β(J_fᵀu + g − u) (training-anchors §1.5 item 3a). With β = 1 this
  // is the Neumann series Σ_k (J_fᵀ)^k g. Not the reference's x ← (x + g(x))/2 (§0.3), whose fixed point
  // solves (2I − J_fᵀ)x = g instead.
  fixed_point,
  // Anderson acceleration of the fixed-point map, memory m = 6, Tikhonov λ = 1e-4 (DEQ defaults,
  // training-anchors §1.5 item 3b).
  anderson,
  // Limited-memory ("good") Broyden on the root of J_fᵀu + g − u, at most 27 stored rank-one pairs, inverse
  // Jacobian guess −I, first update +(J_fᵀu₀ + g − u₀) as DEQ does (training-anchors §1.5 item 3c; the
  // reference's first update −g(u₀) is the sign bug of §0.3).
  broyden,
};

// "no-feedback", "jfb", "fixed-point", "anderson", "broyden".
std::string to_string(AdjointMethod method);
// Inverse of to_string; throws io::InputError naming `place` (e.g. "--adjoint-solver") otherwise.
AdjointMethod parse_adjoint_method(const std::string& name, const std::string& place = "adjoint method");

struct AdjointSolverOptions {
  AdjointMethod method = AdjointMethod::anderson;
  // Stop when ‖J_fᵀu + g − u‖ / (‖u‖ + relative_residual_floor) < tolerance (torchdeq b_tol,
  // training-anchors §1.5 item 4).
  double tolerance = 1e-6;
  // Iteration cap: DEQ/torchdeq use 40 backward steps, IDE 30 (training-anchors §1.5 item 4).
  int max_iterations = 40;
  // Guards the relative residual against ‖u‖ = 0 (training-anchors §1.5 item 4).
  double relative_residual_floor = 1e-9;
  // Abort when the absolute residual exceeds protection_factor × the initial one (DEQ protect_thres,
  // training-anchors §1.5 item 4). A non-finite residual aborts too.
  double protection_factor = 1e3;
  // β of the damped fixed-point iteration, in (0, 1] (training-anchors §1.5 item 3a).
  double damping = 1.0;
  // Anderson: history length m and Tikhonov weight λ (DEQc `anderson` defaults m = 6, lam = 1e-4,
  // beta = 1). λ is relative to the smallest squared residual in the window, see AdjointSolver.cpp.
  int anderson_memory = 6;
  double anderson_regularisation = 1e-4;
  double anderson_mixing = 1.0;
  // Broyden: stored rank-one pairs (IDEc broyden.py LBFGS_thres = min(threshold, 27)).
  int broyden_memory = 27;
};

struct AdjointSolution {
  Eigen::VectorXd solution;        // u: the best iterate (lowest relative residual) seen
  int iterations = 0;              // updates of u performed (0 when the initial guess already satisfied the tolerance)
  int jacobian_products = 0;       // calls of the J_fᵀ callback
  double relative_residual = 0.0;  // ‖J_fᵀu + g − u‖ / (‖u‖ + floor) of `solution`
  double initial_residual = 0.0;   // ‖J_fᵀu₀ + g − u₀‖ (absolute), the protection's reference
  bool converged = false;          // relative_residual < tolerance
  bool protection_triggered = false;  // the residual grew past protection_factor × initial, or became non-finite
  AdjointMethod method = AdjointMethod::anderson;
};

class AdjointSolver {
 public:
  // Throws io::InputError for options out of range.
  explicit AdjointSolver(AdjointSolverOptions options = {});

  // Solves u = J_fᵀu + g starting from u₀ = initial_guess (default: u₀ = g, the first Neumann term, so a
  // map with J_f = 0 is solved at iteration 0 and returns g bit for bit). Never throws for a
  // non-converging solve: the flags of the result say what happened. Throws std::invalid_argument if the
  // callback returns a vector of the wrong size or the initial guess has the wrong size.
  AdjointSolution solve(const TransposedJacobianProduct& jacobian_transpose,
                        const Eigen::VectorXd& g) const;
  AdjointSolution solve(const TransposedJacobianProduct& jacobian_transpose, const Eigen::VectorXd& g,
                        const Eigen::VectorXd& initial_guess) const;

  const AdjointSolverOptions& options() const { return options_; }

 private:
  AdjointSolverOptions options_;
};

}  // namespace spikingbert::training
