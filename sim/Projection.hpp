#pragma once
// A projection (graph edge) from one population to another. One spike of source neuron i at step t
// reaches the target at step t + delay.
#include "sim/Population.hpp"

#include <memory>
#include <vector>

namespace spikingbert::sim {

enum class ProjectionKind {
  kDense,           // weights [source width][target width]; a spike of i adds row i (one synaptic event per target)
  kIdentity,        // residual: a spike of i adds `identity_weight` to target neuron i (widths equal)
  kTransformInput,  // no current; the target's transforms read the source's same-step spikes (delay 0)
};

struct Projection {
  PopulationId source = 0;
  PopulationId target = 0;
  ProjectionKind kind = ProjectionKind::kDense;
  int delay = 0;  // steps, >= 0
  // Row-major [source width][target width], so one spike streams one contiguous row.
  std::shared_ptr<const std::vector<float>> weights;
  float identity_weight = 1.0f;
};

}  // namespace spikingbert::sim
