#pragma once
// Honest model selection (issue 14 item 4; docs/training.md "Validation split"): checkpoints and ensemble
// members are chosen on a validation split carved from the training file, never on the dev set, which is
// evaluated once at the end and reported separately.
//
// The split is a fixed function of the number of training examples: kValidationSeed (not --seed) shuffles
// the indices, so every stage and every member of a pipeline (teacher, general and task distillation) holds
// out the same examples, and a teacher never trained on the examples its student is selected with.
// Size: --validation-size N, or by default 10% of the training file, at most 1000 examples (SST-2: 1000 of
// 67,349, about the 872 of its dev set), at least 1.
#include <cstdint>
#include <vector>

namespace spikingbert::training {

inline constexpr std::uint64_t kValidationSeed = 14;          // issue 14; fixed on purpose, see above
inline constexpr double kValidationFraction = 0.10;           // of the training examples
inline constexpr std::int64_t kMaxDefaultValidationSize = 1000;  // examples

// min(1000, round(10% of count)), at least 1; 0 when count < 2 (nothing can be held out).
std::int64_t default_validation_size(std::int64_t count);

// `size` distinct indices in [0, count), chosen by a Fisher-Yates shuffle seeded with `seed`
// (std::mt19937_64: the same on every platform), returned in ascending order.
std::vector<std::int64_t> validation_indices(std::int64_t count, std::int64_t size, std::uint64_t seed = kValidationSeed);

// Splits `all` into (training, validation) by `validation` (ascending indices); order is kept in both.
template <class T>
void split_off(std::vector<T>& all, const std::vector<std::int64_t>& validation, std::vector<T>& held_out) {
  std::vector<T> kept;
  kept.reserve(all.size() - validation.size());
  held_out.reserve(validation.size());
  std::size_t next = 0;
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (next < validation.size() && static_cast<std::size_t>(validation[next]) == i) {
      held_out.push_back(std::move(all[i]));
      ++next;
    } else {
      kept.push_back(std::move(all[i]));
    }
  }
  all = std::move(kept);
}

}  // namespace spikingbert::training
