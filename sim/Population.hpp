#pragma once
// A population: `rows` x `width` integrate-and-fire neurons (rows are tokens; all rows share the
// population's parameters), with the per-neuron drive the kernel adds to its current each step.
#include "sim/CurrentTransform.hpp"
#include "sim/NeuronModel.hpp"

#include <memory>
#include <string>
#include <vector>

namespace spikingbert::sim {

using PopulationId = int;

struct Population {
  std::string name;
  int width = 0;                 // neurons per row
  NeuronModel neuron;
  std::vector<float> bias;       // empty, or `width` currents added every step to every row
  std::vector<float> drive;      // empty, or rows*width constant currents added every step
  std::vector<std::shared_ptr<const CurrentTransform>> transforms;  // applied in order, each step

  // A population with drive is updated every step even without input spikes.
  bool has_drive() const { return !bias.empty() || !drive.empty() || !transforms.empty(); }
};

}  // namespace spikingbert::sim
