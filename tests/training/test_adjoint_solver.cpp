// Tests of the generic adjoint solver u = Jᵀu + g (training-anchors §1.6 T2, T6; method doc §10.5).
#include "LinearAlgebraFixtures.hpp"

#include "io/Error.hpp"
#include "training/AdjointSolver.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

using spikingbert::testing::gaussian_matrix;
using spikingbert::testing::gaussian_vector;
using spikingbert::testing::kIterativeMethods;
using spikingbert::testing::relative_error;
using spikingbert::testing::solve_with;
using spikingbert::testing::transpose_product;
using spikingbert::training::AdjointMethod;
using spikingbert::training::AdjointSolution;
using spikingbert::training::AdjointSolver;
using spikingbert::training::AdjointSolverOptions;
using spikingbert::training::to_string;

namespace {

// The closed form of the adjoint: (I − Jᵀ)u = g (training-anchors §1.1).
Eigen::VectorXd closed_form_adjoint(const Eigen::MatrixXd& jacobian, const Eigen::VectorXd& g) {
  const Eigen::MatrixXd system = Eigen::MatrixXd::Identity(jacobian.rows(), jacobian.cols()) - jacobian.transpose();
  return system.partialPivLu().solve(g);
}

// ‖Jᵀu + g − u‖ / (‖u‖ + 1e-9), recomputed independently of the solver.
double relative_residual(const Eigen::MatrixXd& jacobian, const Eigen::VectorXd& g, const Eigen::VectorXd& u) {
  return ((jacobian.transpose() * u + g) - u).norm() / (u.norm() + 1e-9);
}

// The returned solution must be the iterate with the lowest relative residual among all iterates the
// solver evaluated (every iterate passes through the Jᵀ callback exactly once).
void check_best_iterate_returned(const Eigen::MatrixXd& jacobian, const Eigen::VectorXd& g,
                                 const std::vector<Eigen::VectorXd>& iterates, const AdjointSolution& result) {
  REQUIRE(!iterates.empty());
  std::size_t best = 0;
  double best_residual = std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < iterates.size(); ++i) {
    const double residual = relative_residual(jacobian, g, iterates[i]);
    if (residual < best_residual) {
      best_residual = residual;
      best = i;
    }
  }
  INFO("best iterate " << best << " of " << iterates.size());
  CHECK(result.solution == iterates[best]);
  CHECK(result.relative_residual == Approx(best_residual).epsilon(1e-9));
}

}  // namespace

TEST_CASE("T2: affine contraction n = 200, every solver matches the closed form (I - M^T)^-1 g",
          "[training][adjoint]") {
  // training-anchors §1.6 T2 (jaxopt fixed_point_iteration_test): M ← M / (2ρ(M) + 1e-4), so ρ(M) < 0.5.
  constexpr Eigen::Index kSize = 200;
  Eigen::MatrixXd jacobian = gaussian_matrix(kSize, kSize, 2001);
  jacobian /= 2.0 * spikingbert::testing::spectral_radius(jacobian) + 1e-4;
  const Eigen::VectorXd g = gaussian_vector(kSize, 2002);
  const Eigen::VectorXd exact = closed_form_adjoint(jacobian, g);

  for (const AdjointMethod method : kIterativeMethods) {
    SECTION("tight tolerance: " + to_string(method)) {
      const AdjointSolution result = solve_with(method, transpose_product(jacobian), g, 1e-10, 400);
      INFO(to_string(method) << ": " << result.iterations << " iterations, residual " << result.relative_residual);
      CHECK(result.converged);
      CHECK_FALSE(result.protection_triggered);
      CHECK(result.method == method);
      CHECK(relative_error(result.solution, exact) <= 1e-6);
      CHECK(result.jacobian_products == result.iterations + 1);
    }
    SECTION("default options: " + to_string(method)) {
      AdjointSolverOptions options;
      options.method = method;
      const AdjointSolution result = AdjointSolver(options).solve(transpose_product(jacobian), g);
      INFO(to_string(method) << ": " << result.iterations << " iterations, residual " << result.relative_residual);
      CHECK(result.converged);
      CHECK(result.iterations <= 40);
      // The stopping rule of training-anchors §1.5 item 4, recomputed here.
      CHECK(relative_residual(jacobian, g, result.solution) < 1e-6);
      CHECK(relative_error(result.solution, exact) <= 1e-5);
    }
  }
}

TEST_CASE("T6: fixed point, Anderson and Broyden agree on random contractions", "[training][adjoint]") {
  constexpr Eigen::Index kSize = 60;
  for (std::uint64_t seed = 0; seed < 5; ++seed) {
    Eigen::MatrixXd jacobian = gaussian_matrix(kSize, kSize, 600 + seed);
    // ‖J‖₂ = 0.9: the kind of contraction the feedback projection guarantees (training-anchors §1.3).
    jacobian *= 0.9 / spikingbert::testing::largest_singular_value(jacobian);
    const Eigen::VectorXd g = gaussian_vector(kSize, 700 + seed);
    const Eigen::VectorXd exact = closed_form_adjoint(jacobian, g);

    const AdjointSolution fixed_point = solve_with(AdjointMethod::fixed_point, transpose_product(jacobian), g, 1e-10, 400);
    const AdjointSolution anderson = solve_with(AdjointMethod::anderson, transpose_product(jacobian), g, 1e-10, 400);
    const AdjointSolution broyden = solve_with(AdjointMethod::broyden, transpose_product(jacobian), g, 1e-10, 400);
    INFO("seed " << seed << ": iterations fixed point " << fixed_point.iterations << ", Anderson "
                 << anderson.iterations << ", Broyden " << broyden.iterations);
    REQUIRE(fixed_point.converged);
    REQUIRE(anderson.converged);
    REQUIRE(broyden.converged);
    CHECK(relative_error(anderson.solution, fixed_point.solution) <= 1e-6);
    CHECK(relative_error(broyden.solution, fixed_point.solution) <= 1e-6);
    CHECK(relative_error(broyden.solution, anderson.solution) <= 1e-6);
    CHECK(relative_error(fixed_point.solution, exact) <= 1e-6);
  }
}

TEST_CASE("T6: on a slow contraction (rho = 0.95) Anderson and Broyden agree and need far fewer products",
          "[training][adjoint]") {
  // Eigenvalues spread over [0, 0.95] plus a small non-symmetric part: the Neumann series needs
  // ~log(1e-10)/log(0.95) ≈ 450 steps, the secant methods exploit the spectrum. Broyden also exercises
  // its memory limit: it needs more than 27 steps, so it restarts at least once.
  constexpr Eigen::Index kSize = 60;
  for (std::uint64_t seed = 0; seed < 3; ++seed) {
    const Eigen::MatrixXd orthogonal = gaussian_matrix(kSize, kSize, 800 + seed).householderQr().householderQ();
    const Eigen::VectorXd eigenvalues = Eigen::VectorXd::LinSpaced(kSize, 0.0, 0.95);
    Eigen::MatrixXd jacobian = orthogonal * eigenvalues.asDiagonal() * orthogonal.transpose();
    const Eigen::MatrixXd perturbation = gaussian_matrix(kSize, kSize, 850 + seed);
    jacobian += 0.02 * perturbation / spikingbert::testing::largest_singular_value(perturbation);
    const Eigen::VectorXd g = gaussian_vector(kSize, 860 + seed);
    const Eigen::VectorXd exact = closed_form_adjoint(jacobian, g);

    const AdjointSolution fixed_point = solve_with(AdjointMethod::fixed_point, transpose_product(jacobian), g, 1e-10, 2000);
    const AdjointSolution anderson = solve_with(AdjointMethod::anderson, transpose_product(jacobian), g, 1e-10, 2000);
    const AdjointSolution broyden = solve_with(AdjointMethod::broyden, transpose_product(jacobian), g, 1e-10, 2000);
    INFO("seed " << seed << ": iterations fixed point " << fixed_point.iterations << ", Anderson "
                 << anderson.iterations << ", Broyden " << broyden.iterations);
    REQUIRE(fixed_point.converged);
    REQUIRE(anderson.converged);
    REQUIRE(broyden.converged);
    CHECK(broyden.iterations > 27);
    CHECK(3 * anderson.iterations < fixed_point.iterations);
    CHECK(3 * broyden.iterations < fixed_point.iterations);
    CHECK(relative_error(anderson.solution, exact) <= 1e-6);
    CHECK(relative_error(broyden.solution, exact) <= 1e-6);
    CHECK(relative_error(fixed_point.solution, exact) <= 1e-6);
  }
}

TEST_CASE("Anderson's regularisation is scale free: g and 1e-3 g take the same path", "[training][adjoint]") {
  // DEQ adds an absolute λ = 1e-4 to GᵀG; with gradients of size 1e-3 that penalty dominates near the
  // tolerance and the solve slows down. The λ used here is relative to the residuals in the window, so
  // the whole solve is invariant under g → c·g.
  constexpr Eigen::Index kSize = 200;
  Eigen::MatrixXd jacobian = gaussian_matrix(kSize, kSize, 2001);
  jacobian /= 2.0 * spikingbert::testing::spectral_radius(jacobian) + 1e-4;
  const Eigen::VectorXd g = gaussian_vector(kSize, 2002);
  const Eigen::VectorXd small_g = 1e-3 * g;
  const AdjointSolution unit = solve_with(AdjointMethod::anderson, transpose_product(jacobian), g, 1e-10, 400);
  const AdjointSolution small = solve_with(AdjointMethod::anderson, transpose_product(jacobian), small_g, 1e-10, 400);
  REQUIRE(unit.converged);
  REQUIRE(small.converged);
  CHECK(small.iterations == unit.iterations);
  CHECK(relative_error(1e3 * small.solution, unit.solution) <= 1e-9);
}

TEST_CASE("T6: the protection fires on an expansive map and the best iterate is returned", "[training][adjoint]") {
  constexpr Eigen::Index kSize = 40;
  const auto absolute_residual = [](const Eigen::MatrixXd& jacobian, const Eigen::VectorXd& g, const Eigen::VectorXd& u) {
    return ((jacobian.transpose() * u + g) - u).norm();
  };
  const Eigen::VectorXd g = gaussian_vector(kSize, 901);

  SECTION("J = 1.5 Q (Q orthogonal): the spectrum of I - J^T surrounds 0, every method fails safely") {
    // Every eigenvalue has modulus 1.5, so the Neumann series diverges geometrically; the eigenvalues of
    // I − Jᵀ lie on a circle around 0, where short-memory secant methods stall too.
    const Eigen::MatrixXd orthogonal = gaussian_matrix(kSize, kSize, 900).householderQr().householderQ();
    const Eigen::MatrixXd jacobian = 1.5 * orthogonal;
    REQUIRE(spikingbert::testing::spectral_radius(jacobian) == Approx(1.5).epsilon(1e-9));
    for (const AdjointMethod method : kIterativeMethods) {
      // Fixed point diverges within the default 40 iterations; the secant methods are given room to.
      const int max_iterations = method == AdjointMethod::fixed_point ? 40 : 400;
      std::vector<Eigen::VectorXd> iterates;
      const AdjointSolution result = solve_with(method, transpose_product(jacobian, &iterates), g, 1e-6, max_iterations);
      INFO(to_string(method) << ": " << result.iterations << " iterations, initial residual " << result.initial_residual);
      CHECK(result.protection_triggered);
      CHECK_FALSE(result.converged);
      CHECK(result.iterations < max_iterations);
      // It stopped on the first residual past 1e3 × the initial one, and not before.
      CHECK(absolute_residual(jacobian, g, iterates.back()) > 1e3 * result.initial_residual);
      for (std::size_t i = 0; i + 1 < iterates.size(); ++i) {
        CHECK(absolute_residual(jacobian, g, iterates[i]) <= 1e3 * result.initial_residual);
      }
      check_best_iterate_returned(jacobian, g, iterates, result);
    }
    // Within the default cap Anderson neither converges nor diverges: it still returns its best iterate.
    std::vector<Eigen::VectorXd> iterates;
    const AdjointSolution capped = solve_with(AdjointMethod::anderson, transpose_product(jacobian, &iterates), g, 1e-6, 40);
    CHECK(capped.iterations == 40);
    CHECK_FALSE(capped.converged);
    CHECK_FALSE(capped.protection_triggered);
    check_best_iterate_returned(jacobian, g, iterates, capped);
  }
  SECTION("J = 1.8 I + noise: the Neumann series diverges, the secant methods find the adjoint") {
    // (I − Jᵀ) ≈ −0.8 I is well conditioned, so the adjoint exists; only the fixed-point iteration
    // cannot reach it.
    const Eigen::MatrixXd jacobian = 1.8 * Eigen::MatrixXd::Identity(kSize, kSize) +
                                     0.1 / std::sqrt(double(kSize)) * gaussian_matrix(kSize, kSize, 902);
    REQUIRE(spikingbert::testing::spectral_radius(jacobian) > 1.5);
    const Eigen::VectorXd exact = closed_form_adjoint(jacobian, g);
    std::vector<Eigen::VectorXd> iterates;
    const AdjointSolution fixed_point = solve_with(AdjointMethod::fixed_point, transpose_product(jacobian, &iterates), g, 1e-6, 40);
    CHECK(fixed_point.protection_triggered);
    check_best_iterate_returned(jacobian, g, iterates, fixed_point);
    for (const AdjointMethod method : {AdjointMethod::anderson, AdjointMethod::broyden}) {
      const AdjointSolution result = solve_with(method, transpose_product(jacobian), g, 1e-10, 40);
      INFO(to_string(method) << ": " << result.iterations << " iterations");
      CHECK(result.converged);
      CHECK_FALSE(result.protection_triggered);
      CHECK(relative_error(result.solution, exact) <= 1e-6);
    }
  }
  SECTION("damping does not rescue a map whose eigenvalues all have modulus 1.5") {
    const Eigen::MatrixXd orthogonal = gaussian_matrix(kSize, kSize, 900).householderQr().householderQ();
    const Eigen::MatrixXd jacobian = 1.5 * orthogonal;
    std::vector<Eigen::VectorXd> iterates;
    AdjointSolverOptions options;
    options.method = AdjointMethod::fixed_point;
    options.damping = 0.5;
    options.max_iterations = 400;
    const AdjointSolution result = AdjointSolver(options).solve(transpose_product(jacobian, &iterates), g);
    CHECK(result.protection_triggered);
    check_best_iterate_returned(jacobian, g, iterates, result);
  }
}

TEST_CASE("T6: a non-finite product triggers the protection for every method", "[training][adjoint]") {
  constexpr Eigen::Index kSize = 30;
  Eigen::MatrixXd jacobian = gaussian_matrix(kSize, kSize, 950);
  jacobian *= 0.95 / spikingbert::testing::largest_singular_value(jacobian);
  const Eigen::VectorXd g = gaussian_vector(kSize, 951);
  for (const AdjointMethod method : kIterativeMethods) {
    std::vector<Eigen::VectorXd> iterates;
    int calls = 0;
    // A network overflow on the fourth product.
    const auto overflowing = [&](const Eigen::VectorXd& v, Eigen::VectorXd& result) {
      iterates.push_back(v);
      result = jacobian.transpose() * v;
      if (++calls == 4) result(3) = std::numeric_limits<double>::quiet_NaN();
    };
    const AdjointSolution result = solve_with(method, overflowing, g, 1e-12, 40);
    INFO(to_string(method));
    CHECK(result.protection_triggered);
    CHECK_FALSE(result.converged);
    CHECK(result.iterations == 3);
    CHECK(result.solution.allFinite());
    iterates.pop_back();  // the NaN iterate is not a candidate
    check_best_iterate_returned(jacobian, g, iterates, result);
  }
}

TEST_CASE("No feedback (J = 0): every method returns u == g bit for bit", "[training][adjoint]") {
  // method doc §10.5: with ∂F/∂z = 0 the solve of v = grad + Jᵀv must return v = grad.
  constexpr Eigen::Index kSize = 50;
  const Eigen::MatrixXd zero = Eigen::MatrixXd::Zero(kSize, kSize);
  const Eigen::VectorXd g = gaussian_vector(kSize, 1000);
  for (const AdjointMethod method : {AdjointMethod::no_feedback, AdjointMethod::jacobian_free,
                                     AdjointMethod::fixed_point, AdjointMethod::anderson, AdjointMethod::broyden}) {
    std::vector<Eigen::VectorXd> iterates;
    const AdjointSolution result = solve_with(method, transpose_product(zero, &iterates), g, 1e-6, 40);
    INFO(to_string(method));
    CHECK(result.solution == g);
    CHECK(result.converged);
    CHECK(result.iterations == 0);
    CHECK(result.relative_residual == 0.0);
    CHECK(result.jacobian_products == static_cast<int>(iterates.size()));
    CHECK(result.jacobian_products == (method == AdjointMethod::no_feedback ? 0 : 1));
  }
}

TEST_CASE("Broyden's first update is +g(u0) (DEQ's sign), not the reference's -g(u0)", "[training][adjoint]") {
  // training-anchors §0.3: from u₀ = 0 the first update must land on u₁ = g(u₀) = g. With J = 0 that is
  // the solution: one iteration, where the reference's sign needs two (method doc §5.2).
  constexpr Eigen::Index kSize = 20;
  const Eigen::VectorXd g = gaussian_vector(kSize, 1100);
  AdjointSolverOptions options;
  options.method = AdjointMethod::broyden;
  const AdjointSolver solver(options);

  const Eigen::MatrixXd zero = Eigen::MatrixXd::Zero(kSize, kSize);
  const AdjointSolution trivial = solver.solve(transpose_product(zero), g, Eigen::VectorXd::Zero(kSize));
  CHECK(trivial.iterations == 1);
  CHECK(trivial.converged);
  CHECK(trivial.solution == g);

  Eigen::MatrixXd jacobian = gaussian_matrix(kSize, kSize, 1101);
  jacobian *= 0.5 / spikingbert::testing::largest_singular_value(jacobian);
  std::vector<Eigen::VectorXd> iterates;
  solver.solve(transpose_product(jacobian, &iterates), g, Eigen::VectorXd::Zero(kSize));
  REQUIRE(iterates.size() >= 2);
  CHECK(iterates[0] == Eigen::VectorXd::Zero(kSize));
  CHECK(iterates[1] == g);
}

TEST_CASE("Damped fixed point solves (I - J^T)u = g, not the reference's (2I - J^T)u = g", "[training][adjoint]") {
  // training-anchors §0.3: x ← (x + g(x))/2 with g(x) = Jᵀx − x + grad converges to (2I − Jᵀ)⁻¹grad.
  // u ← u + β(Jᵀu + g − u) with β = 1/2 has the same step size and the right fixed point.
  constexpr Eigen::Index kSize = 40;
  Eigen::MatrixXd jacobian = gaussian_matrix(kSize, kSize, 1200);
  jacobian *= 0.8 / spikingbert::testing::largest_singular_value(jacobian);
  const Eigen::VectorXd g = gaussian_vector(kSize, 1201);
  AdjointSolverOptions options;
  options.method = AdjointMethod::fixed_point;
  options.damping = 0.5;
  options.tolerance = 1e-10;
  options.max_iterations = 400;
  const AdjointSolution result = AdjointSolver(options).solve(transpose_product(jacobian), g);
  REQUIRE(result.converged);
  CHECK(relative_error(result.solution, closed_form_adjoint(jacobian, g)) <= 1e-8);
  const Eigen::MatrixXd reference_system = 2.0 * Eigen::MatrixXd::Identity(kSize, kSize) - jacobian.transpose();
  const Eigen::VectorXd reference_fixed_point = reference_system.partialPivLu().solve(g);
  CHECK(relative_error(result.solution, reference_fixed_point) > 0.1);
}

TEST_CASE("Jacobian-free backpropagation returns g and reports how far it is from the adjoint",
          "[training][adjoint]") {
  constexpr Eigen::Index kSize = 30;
  Eigen::MatrixXd jacobian = gaussian_matrix(kSize, kSize, 1300);
  jacobian *= 0.5 / spikingbert::testing::largest_singular_value(jacobian);
  const Eigen::VectorXd g = gaussian_vector(kSize, 1301);
  const AdjointSolution result = solve_with(AdjointMethod::jacobian_free, transpose_product(jacobian), g, 1e-6, 40);
  CHECK(result.solution == g);
  CHECK(result.iterations == 0);
  CHECK(result.jacobian_products == 1);
  CHECK_FALSE(result.converged);
  CHECK(result.relative_residual == Approx((jacobian.transpose() * g).norm() / (g.norm() + 1e-9)).epsilon(1e-12));
}

TEST_CASE("Solver options out of range and unknown method names are input errors", "[training][adjoint]") {
  using spikingbert::io::InputError;
  const auto with = [](auto change) {
    AdjointSolverOptions options;
    change(options);
    return options;
  };
  CHECK_THROWS_AS(AdjointSolver(with([](auto& o) { o.tolerance = 0.0; })), InputError);
  CHECK_THROWS_AS(AdjointSolver(with([](auto& o) { o.max_iterations = -1; })), InputError);
  CHECK_THROWS_AS(AdjointSolver(with([](auto& o) { o.damping = 0.0; })), InputError);
  CHECK_THROWS_AS(AdjointSolver(with([](auto& o) { o.damping = 1.5; })), InputError);
  CHECK_THROWS_AS(AdjointSolver(with([](auto& o) { o.anderson_memory = 1; })), InputError);
  CHECK_THROWS_AS(AdjointSolver(with([](auto& o) { o.broyden_memory = 0; })), InputError);
  CHECK_THROWS_AS(AdjointSolver(with([](auto& o) { o.protection_factor = 1.0; })), InputError);
  CHECK_NOTHROW(AdjointSolver(with([](auto& o) { o.max_iterations = 0; })));

  for (const AdjointMethod method : {AdjointMethod::no_feedback, AdjointMethod::jacobian_free,
                                     AdjointMethod::fixed_point, AdjointMethod::anderson, AdjointMethod::broyden}) {
    CHECK(spikingbert::training::parse_adjoint_method(to_string(method)) == method);
  }
  try {
    spikingbert::training::parse_adjoint_method("newton", "--adjoint-solver");
    FAIL("expected an InputError");
  } catch (const InputError& error) {
    CHECK(error.place() == "--adjoint-solver");
    CHECK(std::string(error.what()).find("newton") != std::string::npos);
  }

  const AdjointSolver solver;
  const Eigen::MatrixXd jacobian = Eigen::MatrixXd::Zero(3, 3);
  CHECK_THROWS_AS(solver.solve(transpose_product(jacobian), Eigen::VectorXd::Ones(3), Eigen::VectorXd::Ones(4)),
                  std::invalid_argument);
  const auto wrong_size = [](const Eigen::VectorXd&, Eigen::VectorXd& result) { result = Eigen::VectorXd::Zero(2); };
  CHECK_THROWS_AS(solver.solve(wrong_size, Eigen::VectorXd::Ones(3)), std::invalid_argument);
}
