// Power-iteration spectral norm and the projection ‖W‖₂ ≤ bound for the feedback weight
// (training-anchors §1.3, §1.5 item 5), checked against Eigen's JacobiSVD.
#include "LinearAlgebraFixtures.hpp"

#include "training/SpectralNorm.hpp"

#include <catch2/catch.hpp>

#include <vector>

using spikingbert::testing::gaussian_matrix;
using spikingbert::testing::largest_singular_value;
using spikingbert::training::SpectralNorm;

TEST_CASE("Converged power iteration equals the largest singular value from JacobiSVD", "[training][spectral]") {
  for (const auto& [rows, columns, seed] : {std::tuple{40, 30, 1}, std::tuple{30, 40, 2}, std::tuple{64, 64, 3}}) {
    const Eigen::MatrixXd weight = gaussian_matrix(rows, columns, 500 + seed);
    SpectralNorm spectral_norm(rows, columns, seed);
    int iterations = 0;
    const double estimate = spectral_norm.converge(weight, 1e-15, 100000, &iterations);
    INFO(rows << "x" << columns << ": " << iterations << " iterations");
    CHECK(estimate == Approx(largest_singular_value(weight)).epsilon(1e-10));
    CHECK(spectral_norm.estimate() == estimate);
    // The vectors are the singular pair: W v = σ u.
    CHECK((weight * spectral_norm.right_vector() - estimate * spectral_norm.left_vector()).norm() < 1e-5 * estimate);
  }
}

TEST_CASE("One power iteration per update: a lower bound that rises to the spectral norm", "[training][spectral]") {
  const Eigen::MatrixXd weight = gaussian_matrix(48, 32, 510);
  const double sigma = largest_singular_value(weight);
  SpectralNorm spectral_norm(48, 32, 7);
  double previous = 0.0;
  for (int step = 0; step < 400; ++step) {
    const double estimate = spectral_norm.update(weight);
    CHECK(estimate <= sigma * (1.0 + 1e-12));
    CHECK(estimate >= previous * (1.0 - 1e-12));  // power iteration on WᵀW: the estimate never falls
    previous = estimate;
  }
  CHECK(previous == Approx(sigma).epsilon(1e-8));
}

TEST_CASE("The persistent vector follows a slowly changing weight", "[training][spectral]") {
  // Training changes W a little per step; one iteration per step keeps the estimate close.
  Eigen::MatrixXd weight = gaussian_matrix(32, 32, 520);
  const Eigen::MatrixXd drift = 1e-3 * gaussian_matrix(32, 32, 521);
  SpectralNorm spectral_norm(32, 32, 9);
  spectral_norm.converge(weight);
  for (int step = 0; step < 50; ++step) {
    weight += drift;
    spectral_norm.update(weight);
  }
  CHECK(spectral_norm.estimate() == Approx(largest_singular_value(weight)).epsilon(1e-6));
}

TEST_CASE("The projection keeps the spectral norm at most the bound (V_th)", "[training][spectral]") {
  constexpr double kThreshold = 1.0;  // V_th of the method doc: the bound of ‖W_fb‖₂
  SECTION("an expansive weight is scaled onto the bound") {
    Eigen::MatrixXd weight = gaussian_matrix(40, 40, 530);
    const Eigen::MatrixXd original = weight;
    const double sigma = largest_singular_value(weight);
    REQUIRE(sigma > 2.0);
    SpectralNorm spectral_norm(40, 40);
    spectral_norm.converge(weight);
    const double factor = spectral_norm.project(weight, kThreshold);
    CHECK(factor == Approx(kThreshold / sigma).epsilon(1e-10));
    CHECK((weight - factor * original).norm() == 0.0);
    CHECK(largest_singular_value(weight) <= kThreshold * (1.0 + 1e-10));
    CHECK(largest_singular_value(weight) == Approx(kThreshold).epsilon(1e-10));
    CHECK(spectral_norm.estimate() == Approx(kThreshold).epsilon(1e-10));
  }
  SECTION("a weight inside the bound is left untouched bit for bit") {
    Eigen::MatrixXd weight = gaussian_matrix(40, 40, 531);
    weight *= 0.5 / largest_singular_value(weight);
    const Eigen::MatrixXd original = weight;
    SpectralNorm spectral_norm(40, 40);
    spectral_norm.converge(weight);
    CHECK(spectral_norm.project(weight, kThreshold) == 1.0);
    CHECK(weight == original);
  }
  SECTION("float32 row-major storage (an io::Tensor) through Eigen::Map") {
    constexpr int kRows = 24, kColumns = 16;
    const Eigen::MatrixXd reference = 3.0 * gaussian_matrix(kRows, kColumns, 532);
    std::vector<float> storage(kRows * kColumns);
    for (int i = 0; i < kRows; ++i)
      for (int j = 0; j < kColumns; ++j) storage[i * kColumns + j] = static_cast<float>(reference(i, j));
    using RowMajorFloat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    Eigen::Map<RowMajorFloat> weight(storage.data(), kRows, kColumns);
    const double sigma = largest_singular_value(weight.cast<double>());
    SpectralNorm spectral_norm(kRows, kColumns);
    CHECK(spectral_norm.converge(weight) == Approx(sigma).epsilon(1e-10));
    spectral_norm.project(weight, kThreshold);
    CHECK(largest_singular_value(weight.cast<double>()) == Approx(kThreshold).epsilon(1e-6));
  }
}

TEST_CASE("Spectral norm: deterministic start, shape and bound errors", "[training][spectral]") {
  const Eigen::MatrixXd weight = gaussian_matrix(20, 10, 540);
  SpectralNorm first(20, 10, 42), second(20, 10, 42), other(20, 10, 43);
  CHECK(first.update(weight) == second.update(weight));
  CHECK(first.right_vector() == second.right_vector());
  CHECK(first.right_vector() != other.right_vector());

  CHECK_THROWS_AS(first.update(gaussian_matrix(10, 20, 541)), std::invalid_argument);
  Eigen::MatrixXd copy = weight;
  CHECK_THROWS_AS(first.project(copy, 0.0), std::invalid_argument);
  CHECK_THROWS_AS(SpectralNorm(0, 3), std::invalid_argument);

  // The zero matrix has spectral norm 0 and produces no NaN.
  SpectralNorm zero_norm(5, 5);
  CHECK(zero_norm.update(Eigen::MatrixXd::Zero(5, 5)) == 0.0);
  CHECK(zero_norm.right_vector().allFinite());
}
