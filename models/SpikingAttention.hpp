#pragma once
// Spiking self-attention of one encoder layer (method doc §3; tiny README §7), as a current
// transform of the Attention population. Its input current is the real-valued Query
// Q = W_Q s_in + b_Q (a dense projection + bias into this population); per head h and sentence:
//   S_h = Q_h s_K,h^T / sqrt(d_head) + M        (s_K: Key neurons' 0/1 spikes of the same step;
//                                                M = -10000 for padded keys, 0 otherwise)
//   P_h = softmax over keys (S_h)
//   I_A = concat_h P_h s_V,h                     (s_V: Value neurons' spikes of the same step)
// Binary K and V make both products sums over spiking neurons only.
#include "sim/CurrentTransform.hpp"

#include <memory>
#include <vector>

namespace spikingbert::models {

class SpikingAttention : public sim::CurrentTransform {
 public:
  // key/value: population ids; sequence: rows per sentence; mask: additive mask per row (all rows).
  SpikingAttention(int key, int value, int heads, int head_size, int sequence,
                   std::shared_ptr<const std::vector<float>> mask)
      : key_(key), value_(value), heads_(heads), head_size_(head_size), sequence_(sequence), mask_(std::move(mask)) {}
  std::string name() const override { return "spiking attention"; }
  std::vector<int> input_populations() const override { return {key_, value_}; }
  int row_group() const override { return sequence_; }
  void apply(const sim::TransformContext& context, float* current, sim::OperationCounts& counts) const override;

 private:
  int key_, value_, heads_, head_size_, sequence_;
  std::shared_ptr<const std::vector<float>> mask_;
};

}  // namespace spikingbert::models
