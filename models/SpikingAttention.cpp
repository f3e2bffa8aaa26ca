#include "models/SpikingAttention.hpp"

#include <algorithm>
#include <cmath>

namespace spikingbert::models {

void SpikingAttention::apply(const sim::TransformContext& context, float* current, sim::OperationCounts& counts) const {
  const int width = context.width;
  const int n = sequence_;
  const float score_scale = static_cast<float>(std::sqrt(static_cast<double>(head_size_)));  // math.sqrt(d_head)
  std::vector<float> output(static_cast<std::size_t>(n) * static_cast<std::size_t>(width), 0.0f);
  std::vector<float> probabilities(static_cast<std::size_t>(n) * static_cast<std::size_t>(n));
  std::vector<sim::SpikeList> keys(static_cast<std::size_t>(n)), values(static_cast<std::size_t>(n));
  for (int j = 0; j < n; ++j) {
    keys[static_cast<std::size_t>(j)] = context.spikes->spikes(key_, context.step, context.first_row + j);
    values[static_cast<std::size_t>(j)] = context.spikes->spikes(value_, context.step, context.first_row + j);
  }
  // Where each head's neurons start in every token's ascending spike list, found once per token
  // instead of once per (query, key, head): head h of token j is [offset[j][h], offset[j][h + 1]).
  const auto stride = static_cast<std::size_t>(heads_ + 1);
  std::vector<std::uint32_t> key_offsets(static_cast<std::size_t>(n) * stride), value_offsets(key_offsets.size());
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
    // Scores: Q_h . s_K,h sums the query over the key token's spiking neurons of this head.
    for (int i = 0; i < n; ++i) {
      const float* query = current + static_cast<std::size_t>(i) * static_cast<std::size_t>(width);
      float* row = probabilities.data() + static_cast<std::size_t>(i) * static_cast<std::size_t>(n);
      for (int j = 0; j < n; ++j) {
        float dot = 0.0f;
        const std::uint32_t* key = keys[static_cast<std::size_t>(j)].data();
        const std::uint32_t first = key_offsets[static_cast<std::size_t>(j) * stride + static_cast<std::size_t>(h)];
        const std::uint32_t last = key_offsets[static_cast<std::size_t>(j) * stride + static_cast<std::size_t>(h) + 1];
        for (std::uint32_t k = first; k < last; ++k) dot += query[key[k]];
        counts.selected_accumulates += last - first;  // accumulates of real Q entries picked by binary K spikes
        row[j] = dot / score_scale + mask[j];
      }
      counts.divisions += static_cast<std::uint64_t>(n);
      counts.additions += static_cast<std::uint64_t>(n);
      // Softmax over keys: exp(x - max) / sum, the sum taken once as a reciprocal.
      float largest = row[0];
      for (int j = 1; j < n; ++j) largest = std::max(largest, row[j]);
      double sum = 0.0;
      for (int j = 0; j < n; ++j) {
        row[j] = std::exp(row[j] - largest);
        sum += row[j];
      }
      const float reciprocal = 1.0f / static_cast<float>(sum);
      for (int j = 0; j < n; ++j) row[j] *= reciprocal;
      counts.exponentials += static_cast<std::uint64_t>(n);
      counts.additions += 2 * static_cast<std::uint64_t>(n);
      counts.divisions += 1;
      counts.multiplications += static_cast<std::uint64_t>(n);
    }
    // I_A,h = P_h s_V,h: each spiking value neuron d of key token j adds P[i][j] to output d of every query i.
    for (int i = 0; i < n; ++i) {
      const float* row = probabilities.data() + static_cast<std::size_t>(i) * static_cast<std::size_t>(n);
      float* out = output.data() + static_cast<std::size_t>(i) * static_cast<std::size_t>(width);
      for (int j = 0; j < n; ++j) {
        const std::uint32_t* value = values[static_cast<std::size_t>(j)].data();
        const std::uint32_t first = value_offsets[static_cast<std::size_t>(j) * stride + static_cast<std::size_t>(h)];
        const std::uint32_t last = value_offsets[static_cast<std::size_t>(j) * stride + static_cast<std::size_t>(h) + 1];
        const float probability = row[j];
        for (std::uint32_t k = first; k < last; ++k) out[value[k]] += probability;
        counts.selected_accumulates += last - first;  // accumulates of a real probability picked by binary V spikes
      }
    }
  }
  std::copy(output.begin(), output.end(), current);
}

}  // namespace spikingbert::models
