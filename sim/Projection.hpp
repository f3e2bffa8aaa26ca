#pragma once
// A projection (graph edge) from one population to another. One spike of source neuron i at step t
// reaches the target at step t + delay.
#include "sim/Population.hpp"
#include "sim/SparseProduct.hpp"

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
  // Optional: the same weights packed for the event kernel (pack_weights). Models pack once per model;
  // if absent the event kernel packs at the start of each run.
  std::shared_ptr<const PackedWeights> packed;

  static Projection dense(PopulationId source, PopulationId target, std::shared_ptr<const std::vector<float>> weights,
                          int delay = 0, std::shared_ptr<const PackedWeights> packed = nullptr) {
    Projection p;
    p.source = source;
    p.target = target;
    p.kind = ProjectionKind::kDense;
    p.delay = delay;
    p.weights = std::move(weights);
    p.packed = std::move(packed);
    return p;
  }
  static Projection identity(PopulationId source, PopulationId target, float weight = 1.0f, int delay = 0) {
    Projection p;
    p.source = source;
    p.target = target;
    p.kind = ProjectionKind::kIdentity;
    p.delay = delay;
    p.identity_weight = weight;
    return p;
  }
  static Projection transform_input(PopulationId source, PopulationId target) {
    Projection p;
    p.source = source;
    p.target = target;
    p.kind = ProjectionKind::kTransformInput;
    return p;
  }
};

}  // namespace spikingbert::sim
