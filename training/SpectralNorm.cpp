#include "training/SpectralNorm.hpp"

#include <stdexcept>
#include <string>

namespace spikingbert::training {

namespace {

// SplitMix64: a tiny generator whose output is fixed by its definition, so the starting vector (and with
// it every estimate) is the same on every compiler and standard library, unlike std::*_distribution.
std::uint64_t split_mix_64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Uniform in [−1, 1) from the top 53 bits.
double uniform_symmetric(std::uint64_t& state) {
  constexpr double kTwoToMinus53 = 1.0 / 9007199254740992.0;
  return 2.0 * static_cast<double>(split_mix_64(state) >> 11) * kTwoToMinus53 - 1.0;
}

Eigen::VectorXd random_unit_vector(Eigen::Index size, std::uint64_t& state) {
  Eigen::VectorXd vector(size);
  for (Eigen::Index i = 0; i < size; ++i) vector(i) = uniform_symmetric(state);
  const double norm = vector.norm();
  if (norm > 0.0) {
    vector /= norm;
  } else if (size > 0) {
    vector(0) = 1.0;
  }
  return vector;
}

}  // namespace

SpectralNorm::SpectralNorm(Eigen::Index rows, Eigen::Index columns, std::uint64_t seed) {
  if (rows <= 0 || columns <= 0) {
    throw std::invalid_argument("SpectralNorm: weight shape " + std::to_string(rows) + "x" +
                                std::to_string(columns) + " (expected both dimensions > 0)");
  }
  std::uint64_t state = seed;
  // Both vectors are random, so a first `update` never starts from u = 0.
  left_ = random_unit_vector(rows, state);
  right_ = random_unit_vector(columns, state);
}

void spectral_norm_shape_error(Eigen::Index expected_rows, Eigen::Index expected_columns, Eigen::Index rows,
                               Eigen::Index columns) {
  throw std::invalid_argument("SpectralNorm: weight of shape " + std::to_string(rows) + "x" +
                              std::to_string(columns) + " (expected " + std::to_string(expected_rows) + "x" +
                              std::to_string(expected_columns) + ")");
}

void spectral_norm_bound_error(double sigma, double bound) {
  throw std::invalid_argument("SpectralNorm: cannot rescale to bound " + std::to_string(bound) +
                              " from estimate " + std::to_string(sigma) +
                              " (expected a bound > 0 and a finite estimate)");
}

}  // namespace spikingbert::training
