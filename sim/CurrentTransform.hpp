#pragma once
// The extension point through which a model adds non-spiking, per-step work to a population's input
// current (LayerNorm, GELU, spiking attention, ...). The kernel computes the current from projections
// (dense + bias + drive + identity), then applies the population's transforms in order, then updates
// the neurons. sim/ knows nothing about what a transform computes.
#include "sim/OperationCounts.hpp"
#include "sim/SpikeList.hpp"

#include <string>
#include <vector>

namespace spikingbert::sim {

struct TransformContext {
  int step = 0;              // simulation step being computed
  int first_row = 0;         // first row (token) of the group passed in `current`
  int width = 0;             // neurons per row of the population
  const SpikeSource* spikes = nullptr;  // same-step spikes of every population of lower rank
};

class CurrentTransform {
 public:
  virtual ~CurrentTransform() = default;
  virtual std::string name() const = 0;
  // Populations whose spikes of the same step this transform reads; the network adds zero-delay edges
  // for them, so they are updated before the population that owns the transform.
  virtual std::vector<int> input_populations() const { return {}; }
  // Number of consecutive rows transformed together (1: each row alone; a sentence for attention).
  virtual int row_group() const { return 1; }
  // Transforms in place the current of `row_group()` rows starting at context.first_row, stored
  // row-major with `context.width` floats per row, and adds the operations it performed to `counts`.
  // Must be deterministic and must not touch anything else (it is called concurrently for disjoint groups).
  virtual void apply(const TransformContext& context, float* current, OperationCounts& counts) const = 0;
  // Transforms `groups` consecutive row groups from context.first_row (contiguous in `current`). Each row
  // group's result must be exactly what apply gives it alone; an override may only interleave independent
  // groups (e.g. LayerNorm's sequential sums of several rows side by side). The default applies each alone.
  virtual void apply_groups(const TransformContext& context, int groups, float* current, OperationCounts& counts) const {
    const int group = row_group();
    for (int g = 0; g < groups; ++g) {
      TransformContext one = context;
      one.first_row = context.first_row + g * group;
      apply(one, current + static_cast<std::size_t>(g) * static_cast<std::size_t>(group) *
                               static_cast<std::size_t>(context.width),
            counts);
    }
  }
};

}  // namespace spikingbert::sim
