#include "training/ValidationSplit.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>

namespace spikingbert::training {

std::int64_t default_validation_size(std::int64_t count) {
  if (count < 2) return 0;
  const auto tenth = static_cast<std::int64_t>(std::llround(kValidationFraction * static_cast<double>(count)));
  return std::clamp<std::int64_t>(tenth, 1, kMaxDefaultValidationSize);
}

std::vector<std::int64_t> validation_indices(std::int64_t count, std::int64_t size, std::uint64_t seed) {
  if (size < 0 || size > count) throw std::invalid_argument("validation_indices: need 0 <= size <= count");
  std::vector<std::int64_t> order(static_cast<std::size_t>(count));
  std::iota(order.begin(), order.end(), std::int64_t{0});
  // Fisher-Yates with the generator's raw output (std::shuffle's use of it differs between libraries).
  std::mt19937_64 generator(seed);
  for (std::int64_t i = count - 1; i > 0; --i) {
    const auto j = static_cast<std::int64_t>(generator() % static_cast<std::uint64_t>(i + 1));
    std::swap(order[static_cast<std::size_t>(i)], order[static_cast<std::size_t>(j)]);
  }
  order.resize(static_cast<std::size_t>(size));
  std::sort(order.begin(), order.end());
  return order;
}

}  // namespace spikingbert::training
