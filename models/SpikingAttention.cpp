#include "models/SpikingAttention.hpp"

#include "models/VectorExp.hpp"

#include <algorithm>
#include <cmath>

namespace spikingbert::models {

// The sums are laid out query-minor ([key token][query] and [neuron][query]) so that one spike adds a
// contiguous vector over all queries of the sentence: the compiler vectorises the inner loops, while every
// single sum still adds its terms in the order of the straightforward loops (ascending key token, then
// ascending neuron), so the result is bit for bit what they give.
void SpikingAttention::apply(const sim::TransformContext& context, float* current, sim::OperationCounts& counts) const {
  const int width = context.width;
  const int n = sequence_;
  const auto un = static_cast<std::size_t>(n);
  const auto uwidth = static_cast<std::size_t>(width);
  const float score_scale = static_cast<float>(std::sqrt(static_cast<double>(head_size_)));  // math.sqrt(d_head)
  std::vector<float> query_t(uwidth * un);                 // [neuron][query]: Q transposed
  std::vector<float> output_t(uwidth * un, 0.0f);          // [neuron][query]: I_A transposed
  std::vector<float> probabilities_t(un * un);             // [key][query] of one head
  std::vector<double> sums(un);
  std::vector<float> largest(un), reciprocal(un);
  for (int i = 0; i < n; ++i)
    for (int d = 0; d < width; ++d) query_t[static_cast<std::size_t>(d) * un + static_cast<std::size_t>(i)] = current[static_cast<std::size_t>(i) * uwidth + static_cast<std::size_t>(d)];
  std::vector<sim::SpikeList> keys(un), values(un);
  for (int j = 0; j < n; ++j) {
    keys[static_cast<std::size_t>(j)] = context.spikes->spikes(key_, context.step, context.first_row + j);
    values[static_cast<std::size_t>(j)] = context.spikes->spikes(value_, context.step, context.first_row + j);
  }
  // Where each head's neurons start in every token's ascending spike list, found once per token:
  // head h of token j is [offset[j][h], offset[j][h + 1]).
  const auto stride = static_cast<std::size_t>(heads_ + 1);
  std::vector<std::uint32_t> key_offsets(un * stride), value_offsets(key_offsets.size());
  for (int j = 0; j < n; ++j)
    for (int h = 0; h <= heads_; ++h) {
      const auto boundary = static_cast<std::uint32_t>(h * head_size_);
      const auto& key = keys[static_cast<std::size_t>(j)];
      const auto& value = values[static_cast<std::size_t>(j)];
      key_offsets[static_cast<std::size_t>(j) * stride + static_cast<std::size_t>(h)] =
          static_cast<std::uint32_t>(std::lower_bound(key.begin(), key.end(), boundary) - key.begin());
      value_offsets[static_cast<std::size_t>(j) * stride + static_cast<std::size_t>(h)] =
          static_cast<std::uint32_t>(std::lower_bound(value.begin(), value.end(), boundary) - value.begin());
    }
  const float* mask = mask_->data() + context.first_row;
  for (int h = 0; h < heads_; ++h) {
    // Scores: S[i][j] = Q_h[i] . s_K,h[j] sums query i over key token j's spiking neurons of this head.
    for (int j = 0; j < n; ++j) {
      float* column = probabilities_t.data() + static_cast<std::size_t>(j) * un;
      std::fill(column, column + n, 0.0f);
      const std::uint32_t* key = keys[static_cast<std::size_t>(j)].data();
      const std::uint32_t first = key_offsets[static_cast<std::size_t>(j) * stride + static_cast<std::size_t>(h)];
      const std::uint32_t last = key_offsets[static_cast<std::size_t>(j) * stride + static_cast<std::size_t>(h) + 1];
      for (std::uint32_t k = first; k < last; ++k) {
        const float* query = query_t.data() + static_cast<std::size_t>(key[k]) * un;
        for (int i = 0; i < n; ++i) column[i] += query[i];
      }
      // accumulates of real Q entries picked by binary K spikes, one per query
      counts.selected_accumulates += static_cast<std::uint64_t>(last - first) * un;
      for (int i = 0; i < n; ++i) column[i] = column[i] / score_scale + mask[j];
    }
    counts.divisions += static_cast<std::uint64_t>(n) * un;
    counts.additions += static_cast<std::uint64_t>(n) * un;
    // Softmax over keys for every query: exp(x - max) / sum, the sum taken once as a reciprocal.
    std::copy_n(probabilities_t.data(), n, largest.data());
    for (int j = 1; j < n; ++j) {
      const float* column = probabilities_t.data() + static_cast<std::size_t>(j) * un;
      for (int i = 0; i < n; ++i) largest[static_cast<std::size_t>(i)] = std::max(largest[static_cast<std::size_t>(i)], column[i]);
    }
    std::fill(sums.begin(), sums.end(), 0.0);
    for (int j = 0; j < n; ++j) {
      float* column = probabilities_t.data() + static_cast<std::size_t>(j) * un;
      for (int i = 0; i < n; ++i) column[i] -= largest[static_cast<std::size_t>(i)];
      exp_float(column, column, un);  // std::exp bit for bit, 8 lanes at a time (models/VectorExp.hpp)
      for (int i = 0; i < n; ++i) sums[static_cast<std::size_t>(i)] += column[i];
    }
    for (int i = 0; i < n; ++i) reciprocal[static_cast<std::size_t>(i)] = 1.0f / static_cast<float>(sums[static_cast<std::size_t>(i)]);
    for (int j = 0; j < n; ++j) {
      float* column = probabilities_t.data() + static_cast<std::size_t>(j) * un;
      for (int i = 0; i < n; ++i) column[i] *= reciprocal[static_cast<std::size_t>(i)];
    }
    counts.exponentials += static_cast<std::uint64_t>(n) * un;
    counts.additions += 2 * static_cast<std::uint64_t>(n) * un;
    counts.divisions += un;
    counts.multiplications += static_cast<std::uint64_t>(n) * un;
    // I_A,h = P_h s_V,h: each spiking value neuron d of key token j adds P[i][j] to output d of every query i.
    for (int j = 0; j < n; ++j) {
      const float* column = probabilities_t.data() + static_cast<std::size_t>(j) * un;
      const std::uint32_t* value = values[static_cast<std::size_t>(j)].data();
      const std::uint32_t first = value_offsets[static_cast<std::size_t>(j) * stride + static_cast<std::size_t>(h)];
      const std::uint32_t last = value_offsets[static_cast<std::size_t>(j) * stride + static_cast<std::size_t>(h) + 1];
      for (std::uint32_t k = first; k < last; ++k) {
        float* out = output_t.data() + static_cast<std::size_t>(value[k]) * un;
        for (int i = 0; i < n; ++i) out[i] += column[i];
      }
      // accumulates of a real probability picked by binary V spikes, one per query
      counts.selected_accumulates += static_cast<std::uint64_t>(last - first) * un;
    }
  }
  for (int i = 0; i < n; ++i)
    for (int d = 0; d < width; ++d)
      current[static_cast<std::size_t>(i) * uwidth + static_cast<std::size_t>(d)] = output_t[static_cast<std::size_t>(d) * un + static_cast<std::size_t>(i)];
}

}  // namespace spikingbert::models
