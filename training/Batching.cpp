#include "training/Batching.hpp"

#include <algorithm>
#include <numeric>
#include <random>

namespace spikingbert::training {

namespace {
// How many batches' worth of shuffled examples are sorted by length together: enough to make batches of
// similar length, few enough that batch composition stays random.
constexpr std::int64_t kLengthGroupBatches = 50;
}  // namespace

models::TokenBatch make_batch(const std::vector<EncodedExample>& examples, const std::vector<std::int64_t>& indices) {
  models::TokenBatch batch;
  batch.batch = static_cast<std::int64_t>(indices.size());
  for (const auto index : indices) {
    batch.sequence = std::max<std::int64_t>(batch.sequence, static_cast<std::int64_t>(examples[index].token_ids.size()));
  }
  batch.token_ids.assign(batch.rows(), 0);
  batch.segment_ids.assign(batch.rows(), 0);
  batch.attention_mask.assign(batch.rows(), 0);
  for (std::int64_t b = 0; b < batch.batch; ++b) {
    const auto& example = examples[indices[b]];
    for (std::size_t t = 0; t < example.token_ids.size(); ++t) {
      batch.token_ids[b * batch.sequence + t] = example.token_ids[t];
      batch.segment_ids[b * batch.sequence + t] = example.segment_ids[t];
      batch.attention_mask[b * batch.sequence + t] = 1;
    }
  }
  return batch;
}

std::vector<std::vector<std::int64_t>> shuffled_length_grouped_batches(const std::vector<EncodedExample>& examples,
                                                                       std::int64_t batch_size, std::uint64_t seed) {
  std::vector<std::int64_t> order(examples.size());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 generator(seed);
  std::shuffle(order.begin(), order.end(), generator);
  const std::int64_t window = batch_size * kLengthGroupBatches;
  std::vector<std::vector<std::int64_t>> batches;
  for (std::int64_t begin = 0; begin < static_cast<std::int64_t>(order.size()); begin += window) {
    const auto first = order.begin() + begin;
    const auto last = order.begin() + std::min<std::int64_t>(begin + window, static_cast<std::int64_t>(order.size()));
    std::stable_sort(first, last, [&](std::int64_t a, std::int64_t b) {
      return examples[a].token_ids.size() < examples[b].token_ids.size();
    });
    for (auto it = first; it < last; it += std::min<std::int64_t>(batch_size, last - it)) {
      batches.emplace_back(it, it + std::min<std::int64_t>(batch_size, last - it));
    }
  }
  std::shuffle(batches.begin(), batches.end(), generator);
  return batches;
}

std::vector<std::vector<std::int64_t>> sequential_batches(std::int64_t count, std::int64_t batch_size) {
  std::vector<std::vector<std::int64_t>> batches;
  for (std::int64_t begin = 0; begin < count; begin += batch_size) {
    std::vector<std::int64_t> batch;
    for (std::int64_t i = begin; i < std::min(count, begin + batch_size); ++i) batch.push_back(i);
    batches.push_back(std::move(batch));
  }
  return batches;
}

}  // namespace spikingbert::training
