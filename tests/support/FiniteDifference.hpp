#pragma once
// Central finite differences in double precision, for checking hand-written backward passes.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <vector>

namespace spikingbert::testing {

// Step for central differences in double: truncation error ~h^2, rounding ~1e-16/h.
inline constexpr double kFiniteDifferenceStep = 1e-5;

// The numeric gradient of loss() with respect to every element of values (perturbed in place, restored).
inline std::vector<double> numeric_gradient(std::vector<double>& values, const std::function<double()>& loss,
                                            double step = kFiniteDifferenceStep) {
  std::vector<double> gradient(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double original = values[i];
    values[i] = original + step;
    const double plus = loss();
    values[i] = original - step;
    const double minus = loss();
    values[i] = original;
    gradient[i] = (plus - minus) / (2 * step);
  }
  return gradient;
}

// ||a - b|| / max(||a||, ||b||, tiny): a norm-wise relative error, 0 when both vanish.
template <class A, class B>
double relative_error(const A& a, const B& b) {
  double difference = 0, norm_a = 0, norm_b = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    difference += (a[i] - b[i]) * (a[i] - b[i]);
    norm_a += a[i] * a[i];
    norm_b += b[i] * b[i];
  }
  const double scale = std::max({std::sqrt(norm_a), std::sqrt(norm_b), 1e-300});
  return std::sqrt(difference) / scale;
}

inline std::vector<double> random_values(std::size_t count, double low, double high, std::uint64_t seed) {
  std::mt19937_64 generator(seed);
  std::uniform_real_distribution<double> distribution(low, high);
  std::vector<double> values(count);
  for (auto& value : values) value = distribution(generator);
  return values;
}

// sum_i out[i] * weights[i]: a scalar loss whose gradient w.r.t. out is exactly weights.
template <class Values>
double weighted_sum(const Values& out, const std::vector<double>& weights) {
  double total = 0;
  for (std::size_t i = 0; i < out.size(); ++i) total += out[i] * weights[i];
  return total;
}

}  // namespace spikingbert::testing
