#pragma once
// Spectral norm σ_max(W) of a dense weight by power iteration, and the projection that keeps it ≤ a bound.
//
// Why: the feedback projection W_fb of the `feedback` gradient mode makes the equilibrium map
// f(a) = clamp((W_fb a + …)/V_th, 0, 1) a contraction when ‖W_fb‖₂ < V_th, because clamp' ∈ {0, 1} gives
// ρ(J_f) ≤ ‖J_f‖₂ ≤ ‖W_fb‖₂ / V_th (training-anchors §1.3 "Sufficient contraction bound"; method doc: the
// spectral norm of the feedback weight is kept ≤ V_th). Then both the simulated rates and the adjoint
// solve u = J_fᵀu + g converge.
//
// As torchdeq's spectral norm (n_power_iters = 1, training-anchors §1.5 item 5), `update` does one power
// iteration per call from vectors kept between calls, so during training the estimate follows the slowly
// changing weight at the cost of two matrix-vector products per step. `converge` iterates to a tolerance
// (for tests and for checking a finished model). The estimate uᵀWv with unit u, v is never above the
// true σ_max, so a one-step estimate may still be below it; see docs/gradients.md.
//
// Works on any Eigen dense matrix expression (double or float, row- or column-major, e.g. a Map over
// an io::Tensor); all arithmetic is in double.
#include <Eigen/Dense>

#include <cmath>
#include <cstdint>

namespace spikingbert::training {

class SpectralNorm {
 public:
  // rows × columns is the shape of the weight it will follow. The starting right vector is drawn from
  // a fixed generator seeded with `seed` (deterministic, the same on every platform).
  SpectralNorm(Eigen::Index rows, Eigen::Index columns, std::uint64_t seed = 0x5eedULL);

  // One power iteration v ← Wᵀu/‖Wᵀu‖, u ← Wv/‖Wv‖ (u, v persistent); returns the estimate σ = uᵀWv.
  template <class Derived>
  double update(const Eigen::MatrixBase<Derived>& weight);

  // Power iterations until the estimate changes by less than `relative_tolerance` relative between two
  // iterations or `max_iterations` are done; returns the estimate. `iterations_done` (if given) receives
  // the count.
  template <class Derived>
  double converge(const Eigen::MatrixBase<Derived>& weight, double relative_tolerance = 1e-13,
                  int max_iterations = 100000, int* iterations_done = nullptr);

  // The projection: one `update`, then W ← W · bound/σ if σ > bound (otherwise W is left untouched, bit for
  // bit). Returns the factor applied (1 when untouched). Throws std::invalid_argument if bound ≤ 0.
  template <class Derived>
  double project(Eigen::MatrixBase<Derived>& weight, double bound);

  double estimate() const { return estimate_; }
  const Eigen::VectorXd& left_vector() const { return left_; }
  const Eigen::VectorXd& right_vector() const { return right_; }

 private:
  template <class Derived>
  void check_shape(const Eigen::MatrixBase<Derived>& weight) const;

  Eigen::VectorXd left_;   // u, length rows
  Eigen::VectorXd right_;  // v, length columns
  double estimate_ = 0.0;
};

// Scales W by bound/sigma when sigma > bound; returns the factor applied (1 otherwise, W untouched).
// Throws std::invalid_argument if bound ≤ 0 or sigma is not finite.
template <class Derived>
double rescale_to_spectral_bound(Eigen::MatrixBase<Derived>& weight, double sigma, double bound);

// ---------------------------------------------------------------------------------------------------------
// Template definitions.

void spectral_norm_shape_error(Eigen::Index expected_rows, Eigen::Index expected_columns, Eigen::Index rows,
                               Eigen::Index columns);
void spectral_norm_bound_error(double sigma, double bound);

template <class Derived>
void SpectralNorm::check_shape(const Eigen::MatrixBase<Derived>& weight) const {
  if (weight.rows() != left_.size() || weight.cols() != right_.size()) {
    spectral_norm_shape_error(left_.size(), right_.size(), weight.rows(), weight.cols());
  }
}

template <class Derived>
double SpectralNorm::update(const Eigen::MatrixBase<Derived>& weight) {
  check_shape(weight);
  // A zero product (W = 0, or u ⟂ range(W)) keeps the old unit vector, so the estimate becomes 0 without NaN.
  const Eigen::VectorXd transposed_product = weight.transpose().template cast<double>() * left_;
  const double transposed_norm = transposed_product.norm();
  if (transposed_norm > 0.0) right_ = transposed_product / transposed_norm;
  const Eigen::VectorXd product = weight.template cast<double>() * right_;
  const double product_norm = product.norm();
  if (product_norm > 0.0) left_ = product / product_norm;
  // uᵀWv = ‖Wv‖ after the left update.
  estimate_ = left_.dot(product);
  return estimate_;
}

template <class Derived>
double SpectralNorm::converge(const Eigen::MatrixBase<Derived>& weight, double relative_tolerance,
                              int max_iterations, int* iterations_done) {
  double previous = update(weight);
  int iterations = 1;
  while (iterations < max_iterations) {
    const double current = update(weight);
    ++iterations;
    if (std::abs(current - previous) <= relative_tolerance * std::abs(current)) break;
    previous = current;
  }
  if (iterations_done != nullptr) *iterations_done = iterations;
  return estimate_;
}

template <class Derived>
double rescale_to_spectral_bound(Eigen::MatrixBase<Derived>& weight, double sigma, double bound) {
  if (!(bound > 0.0) || !std::isfinite(sigma)) spectral_norm_bound_error(sigma, bound);
  if (sigma <= bound) return 1.0;
  const double factor = bound / sigma;
  using Scalar = typename Derived::Scalar;
  weight *= static_cast<Scalar>(factor);
  return factor;
}

template <class Derived>
double SpectralNorm::project(Eigen::MatrixBase<Derived>& weight, double bound) {
  const double sigma = update(weight);
  const double factor = rescale_to_spectral_bound(weight, sigma, bound);
  estimate_ = sigma * factor;  // the estimate of the rescaled weight (same singular vectors)
  return factor;
}

}  // namespace spikingbert::training
