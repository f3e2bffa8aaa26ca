#pragma once
// Deterministic random matrices and small linear-algebra helpers for the training tests.
#include "training/AdjointSolver.hpp"

#include <Eigen/Dense>
#include <Eigen/Eigenvalues>

#include <cstdint>
#include <random>
#include <vector>

namespace spikingbert::testing {

// Entries i.i.d. standard normal from a seeded mt19937_64 (libstdc++'s normal_distribution is fixed,
// so the matrices are the same on every run).
inline Eigen::MatrixXd gaussian_matrix(Eigen::Index rows, Eigen::Index columns, std::uint64_t seed) {
  std::mt19937_64 generator(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  Eigen::MatrixXd matrix(rows, columns);
  for (Eigen::Index j = 0; j < columns; ++j)
    for (Eigen::Index i = 0; i < rows; ++i) matrix(i, j) = normal(generator);
  return matrix;
}

inline Eigen::VectorXd gaussian_vector(Eigen::Index size, std::uint64_t seed) {
  return gaussian_matrix(size, 1, seed).col(0);
}

inline double spectral_radius(const Eigen::MatrixXd& matrix) {
  return Eigen::EigenSolver<Eigen::MatrixXd>(matrix, /*computeEigenvectors=*/false).eigenvalues().cwiseAbs().maxCoeff();
}

inline double largest_singular_value(const Eigen::MatrixXd& matrix) {
  return Eigen::JacobiSVD<Eigen::MatrixXd>(matrix).singularValues()(0);
}

inline double relative_error(const Eigen::VectorXd& value, const Eigen::VectorXd& reference) {
  return (value - reference).norm() / reference.norm();
}

// v ↦ Jᵀv for a dense J, recording every v it is called with (the iterates of a solve).
struct RecordingTransposeProduct {
  const Eigen::MatrixXd* jacobian;
  std::vector<Eigen::VectorXd>* calls;

  void operator()(const Eigen::VectorXd& v, Eigen::VectorXd& jacobian_transpose_v) const {
    if (calls != nullptr) calls->push_back(v);
    jacobian_transpose_v = jacobian->transpose() * v;
  }
};

inline training::TransposedJacobianProduct transpose_product(const Eigen::MatrixXd& jacobian,
                                                             std::vector<Eigen::VectorXd>* calls = nullptr) {
  return RecordingTransposeProduct{&jacobian, calls};
}

inline training::AdjointSolution solve_with(training::AdjointMethod method,
                                            const training::TransposedJacobianProduct& product,
                                            const Eigen::VectorXd& g, double tolerance, int max_iterations) {
  training::AdjointSolverOptions options;
  options.method = method;
  options.tolerance = tolerance;
  options.max_iterations = max_iterations;
  return training::AdjointSolver(options).solve(product, g);
}

inline constexpr training::AdjointMethod kIterativeMethods[] = {
    training::AdjointMethod::fixed_point, training::AdjointMethod::anderson, training::AdjointMethod::broyden};

}  // namespace spikingbert::testing
